//! [`ExportError`]: every way an export can fail, from a query refused before sending to a cell
//! that does not decode; and [`CellError`], what is wrong with one cell.

use std::fmt;
use std::path::PathBuf;

use dfinery_schema::DataType;

use super::meta::ExportKind;
use super::query::QueryError;
#[cfg(feature = "client")]
use crate::client::Error;
use crate::encode::value::{DatetimeError, ValueError, with_article};
use crate::protocol::code::ExportErrorCode;

/// Why an export failed. Nothing here ever contains a token.
///
/// An export never ends silently short: a body cut off, a server error inside the body, or a
/// last row left half-written is an error, after the rows that were complete.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The query was refused before anything was sent.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The request failed before the CSV started (auth, rate limit, server error after the
    /// retries, …); the cause is the [`source`](std::error::Error::source). Needs the
    /// `client` feature.
    #[cfg(feature = "client")]
    #[error("the export request failed")]
    Request(#[source] Error),
    /// The body broke off (connection cut, no data within the read timeout): every complete
    /// row received was handed out first (but the rows of the event being gathered, see
    /// `rows`), and the rows after `rows` were never received; what broke is the
    /// [`source`](std::error::Error::source). Needs the `client` feature.
    #[cfg(feature = "client")]
    #[error(
        "the export broke off after {}: the rest of the body could not be read; retry the export", rows_counted(*rows)
    )]
    Interrupted {
        /// Every complete data row received before the break, the last one included: how much
        /// of the export arrived. A row reader ([`ExportRows::next_row`](super::ExportRows))
        /// handed out exactly these rows. A typed or grouped reader
        /// ([`ExportRows::events`](super::ExportRows::events),
        /// [`next_event`](super::ExportRows)) hands out an event only once the next row shows
        /// it ended, so the rows of the event it was gathering are counted here but were never
        /// handed out (its last items may be missing). An export cannot be resumed from a row:
        /// running it again downloads it whole, so to skip what you already processed, count
        /// what you were handed.
        rows: u64,
        /// What broke.
        #[source]
        source: Error,
    },
    /// The server wrote an error into the body after the CSV had started, e.g.
    /// `{"result":"fail","message":"client_connection_closed"}`.
    #[error("the server stopped the export after {} with `{code}` ({}); retry the export", rows_counted(*rows), code.meaning())]
    Aborted {
        /// Every complete data row received before the error (as for
        /// [`Interrupted`](Self::Interrupted)).
        rows: u64,
        /// The error code the body carried.
        code: ExportErrorCode,
    },
    /// The body ended where no CSV can end: before the end of the header row (its line end),
    /// inside a quoted field, or in the middle of a row.
    #[error("the export ended early after {}: {reason}; retry the export", rows_counted(*rows))]
    Truncated {
        /// Every complete data row received (as for [`Interrupted`](Self::Interrupted)).
        rows: u64,
        /// Where it ended.
        reason: String,
    },
    /// A row whose number of fields differs from the header's.
    #[error("row {row} has {found} fields but the header has {expected}; the CSV is malformed")]
    Malformed {
        /// The data row, from 1.
        row: u64,
        /// Its fields.
        found: usize,
        /// The header's fields.
        expected: usize,
    },
    /// More consecutive rows of one event than any event can have: the rows are not grouped
    /// the way an export groups them, and gathering them would hold the body in memory.
    #[error(
        "row {row} would make one event of more than {limit} rows (an event holds at most 100 items); the export is malformed"
    )]
    EventTooLong {
        /// The data row, from 1.
        row: u64,
        /// The most rows one event may span.
        limit: usize,
    },
    /// A row (or the header, row 0) longer than [`MAX_ROW_BYTES`](super::MAX_ROW_BYTES) that
    /// has not ended: the body is not CSV, or a quote is never closed, and reading on would
    /// hold it all in memory.
    #[error(
        "row {row} runs past {limit} bytes without ending; the export is malformed (a body that is not CSV, or a quote never closed)"
    )]
    RowTooLong {
        /// The data row, from 1 (0 for the header).
        row: u64,
        /// The most bytes one row may take.
        limit: usize,
    },
    /// A row (or the header, row 0) that is not UTF-8.
    #[error(
        "{} is not UTF-8; DFINERY exports are UTF-8: if this file was saved again by a spreadsheet, save it as \"CSV UTF-8\"",
        if *row == 0 { "the header row".to_owned() } else { format!("row {row}") }
    )]
    NotUtf8 {
        /// The data row, from 1 (0 for the header).
        row: u64,
    },
    /// A header row that cannot be used: empty, or naming a column twice.
    #[error("the header row {reason}")]
    Header {
        /// What is wrong, with the fix.
        reason: String,
    },
    /// Columns a Rust type needs that the export does not have.
    #[error("the export has no {} {} that `{rust_type}` needs; export {} (check the query's property filter) or make the fields `Option`", plural(columns.len(), "column", "columns"), names(columns), if columns.len() == 1 { "it" } else { "them" })]
    MissingColumns {
        /// The type being decoded, e.g. `Purchase`.
        rust_type: &'static str,
        /// The missing column names.
        columns: Vec<String>,
    },
    /// A typed decode of the other kind of export: events from a user-profile export, or
    /// profiles from an event export (told apart by the header, [`Header::kind`](super::Header::kind)).
    #[error(
        "this is {found}, but `{rust_type}` decodes {}; read it with `.{}::<T>()` into a type of that kind, or export {} instead",
        asked.decoded(),
        found.method(),
        asked.decoded()
    )]
    WrongKind {
        /// The type being decoded, e.g. `Member`.
        rust_type: &'static str,
        /// The kind the header shows.
        found: ExportKind,
        /// The kind `rust_type` decodes.
        asked: ExportKind,
    },
    /// A column asked for by name that the export does not have.
    #[error("the export has no column `{column}`{hint}")]
    NoColumn {
        /// The name asked for.
        column: String,
        /// `; did you mean `…`?` or the list of columns.
        hint: String,
    },
    /// A cell that does not decode as its property's type or into its field.
    #[error("row {row}, column `{column}`: {error}")]
    Cell {
        /// The data row, from 1.
        row: u64,
        /// The column.
        column: String,
        /// What is wrong.
        error: CellError,
    },
    /// Reading a CSV file failed; the I/O error is the [`source`](std::error::Error::source).
    #[error("could not read the CSV")]
    Read(#[source] std::io::Error),
    /// Writing the export's file failed; no file was left at the destination. The I/O error
    /// is the [`source`](std::error::Error::source).
    #[error("could not write `{}`; nothing was written there", path.display())]
    File {
        /// The destination.
        path: PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
}

impl ExportError {
    /// Whether running the same export again can succeed: a request error that is retryable,
    /// a body that broke off, ended early or was stopped by the server.
    pub fn is_retryable(&self) -> bool {
        match self {
            #[cfg(feature = "client")]
            ExportError::Request(error) => error.is_retryable(),
            #[cfg(feature = "client")]
            ExportError::Interrupted { .. } => true,
            ExportError::Truncated { .. } => true,
            ExportError::Aborted { code, .. } => code.is_retryable(),
            _ => false,
        }
    }
}

/// What is wrong with one cell. Messages follow the column name, e.g. ``column `df_price`:
/// is `abc`; a Double needs a number such as `5000.0` ``.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CellError {
    /// An empty cell for a field that cannot be absent.
    #[error(
        "is empty, but `{rust_type}` cannot hold a missing value; make the field `Option<{rust_type}>`"
    )]
    Missing {
        /// The field's type.
        rust_type: &'static str,
    },
    /// Text that is not a value of the registered type.
    #[error("is `{found}`; {} needs {}", with_article(*ty), cell_form(*ty))]
    Invalid {
        /// The cell's text (at most 100 characters, control characters escaped).
        found: String,
        /// The registered type.
        ty: DataType,
    },
    /// Text that is not a UUID, for a `Uuid` field (the `event_log_id` column).
    #[error(
        "is `{found}`, which is not a UUID; write one such as `67e55044-10b1-426f-9247-bb680e5fe0c8`"
    )]
    NotUuid {
        /// The cell's text (at most 100 characters, control characters escaped).
        found: String,
    },
    /// A value of the right DFINERY type that the field's Rust type cannot hold.
    #[error(
        "is `{found}`, which does not fit `{rust_type}`; use {}",
        wider(rust_type)
    )]
    OutOfRange {
        /// The value as text.
        found: String,
        /// The field's type.
        rust_type: &'static str,
    },
    /// A string that is not one of the values of a `DfineryEnum`.
    #[error(
        "is `{found}`, not a value of `{rust_type}`; expected {}",
        expected_list(expected)
    )]
    UnknownValue {
        /// The cell's text (at most 100 characters, control characters escaped).
        found: String,
        /// The enum.
        rust_type: &'static str,
        /// Its values.
        expected: &'static [&'static str],
    },
    /// A property type the field's Rust type cannot hold (a hand-written decoder asked for the
    /// wrong type).
    #[error("is {}, which `{rust_type}` cannot hold", with_article(*ty))]
    WrongType {
        /// The registered type.
        ty: DataType,
        /// The field's type.
        rust_type: &'static str,
    },
    /// A Datetime, Date or array element that is not valid.
    #[error(transparent)]
    Value(#[from] ValueError),
}

impl From<DatetimeError> for CellError {
    fn from(error: DatetimeError) -> Self {
        CellError::Value(ValueError::Datetime(error))
    }
}

/// The most characters of a cell's text a message quotes.
const SHOWN_CHARS: usize = 100;

/// `text` as a cell's message quotes it: cut to 100 characters, and each control character
/// written as its Rust escape (`\n`, `\u{1b}`), so one message stays on one line and cannot
/// drive the terminal.
pub(crate) fn shown(text: &str) -> String {
    dfinery_schema::names::shown_within(text, SHOWN_CHARS, SHOWN_CHARS).into_owned()
}

/// `text` cut to 100 characters, as it is (an error body's code, which its `Display` escapes).
pub(crate) fn cut(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// How a value of `ty` is written in an export cell, for messages.
pub(crate) const fn cell_form(ty: DataType) -> &'static str {
    match ty {
        DataType::String => "text",
        DataType::Long => "a whole number such as `42`",
        DataType::Double => "a number such as `5000.0`",
        DataType::Boolean => "`true` or `false`",
        DataType::Datetime => "a datetime such as `2024-06-24T06:01:48.501Z`",
        DataType::Date => "a date such as `2024-08-25`",
        DataType::StringArray => "a JSON array of strings such as `[\"a\",\"b\"]`",
        DataType::LongArray => "a JSON array of integers such as `[1,2]`",
        DataType::DoubleArray => "a JSON array of numbers such as `[0.5,1.0]`",
    }
}

/// The type to use instead of `rust_type` for a value it cannot hold, for messages.
fn wider(rust_type: &str) -> &'static str {
    match rust_type {
        "f32" => "`f64`",
        "DateTime<Utc>" => "`dfinery::Datetime`",
        "NaiveDate" => "`dfinery::Date`",
        _ => "a wider type such as `i64`",
    }
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// `` `a`, `b` and `c` ``.
fn names(columns: &[String]) -> String {
    let quoted: Vec<String> = columns.iter().map(|c| format!("`{c}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

fn expected_list(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
    match quoted.split_last() {
        None => "no value (the enum is empty)".to_owned(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// A column list for "did you mean" hints.
pub(crate) struct ColumnHint<'a>(pub(crate) &'a str, pub(crate) &'a [String]);

impl fmt::Display for ColumnHint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match dfinery_schema::suggest(self.0, self.1.iter().map(String::as_str)) {
            Some(best) => f.write_str(&dfinery_schema::did_you_mean(Some(best))),
            None => {
                let shown: Vec<String> = self.1.iter().take(20).map(|c| format!("`{c}`")).collect();
                let more = if self.1.len() > 20 { ", …" } else { "" };
                write!(f, "; it has {}{more}", shown.join(", "))
            }
        }
    }
}

/// `1 row`, `2 rows`: how much of an export arrived, in its errors' messages.
fn rows_counted(rows: u64) -> String {
    dfinery_schema::names::counted(rows, "row", "rows")
}
