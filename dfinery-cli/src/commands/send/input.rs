//! Reading a file of events: NDJSON (one JSON object per line) or CSV (a header row, then one
//! event per row), each event as the text of a JSON object with its line number and a
//! fingerprint of its text (from which its `event_log_id` is derived when the line has none).
//! The text is checked (and parsed, borrowed) by [`super::event`].

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use dfinery_schema::protocol::Identifier;
use dfinery_schema::{DataType, Registry};
use serde_json::{Map, Value as Json};

use crate::cli::InputFormat;
use crate::exit::CliError;

/// One event of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The line it starts on, from 1.
    pub number: u64,
    /// A 128-bit fingerprint of the line's number and text.
    pub fingerprint: u128,
    /// The event's JSON text (an object, when the line is valid), or why the line holds none.
    pub event: Result<String, String>,
}

/// The format to read `path` as.
pub fn resolve(format: InputFormat, path: &Path) -> InputFormat {
    match format {
        InputFormat::Auto => {
            let csv = path
                .extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("csv"));
            if csv {
                InputFormat::Csv
            } else {
                InputFormat::Ndjson
            }
        }
        other => other,
    }
}

/// Refuses a FILE that cannot be sent, before the registry or the send's state is read or
/// written, with the fix. `-` (standard input) is a usage error (exit 2): the command line
/// alone is wrong. Everything found on disk is configuration (exit 3), as an unreadable file is
/// (docs/cli.md): nothing at the path, a folder, something other than a regular file (a pipe
/// or a device such as `/dev/null`: it has no length to read up to, and cannot be read again
/// to resume, so `<(zcat events.gz)` was read as empty and reported as sent), or a file this
/// user may not read.
///
/// # Errors
///
/// A usage error for `-`, a configuration error for the rest.
pub fn check_path(path: &Path) -> Result<(), CliError> {
    if path.as_os_str() == "-" {
        return Err(CliError::usage(
            "`dfinery send` reads a file, not standard input (`-`): a send is resumed from its file; save the events to a file and give its path",
        ));
    }
    let shown = path.display();
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(CliError::config(format!(
                "`{shown}` does not exist; give the path of the file of events (NDJSON or CSV)"
            )));
        }
        Err(err) => {
            return Err(CliError::config(format!(
                "cannot read `{shown}`: {err}; give the path of a file of events this user can read"
            )));
        }
    };
    if meta.is_dir() {
        return Err(CliError::config(format!(
            "`{shown}` is a folder; give the file of events (NDJSON or CSV)"
        )));
    }
    if !meta.is_file() {
        return Err(CliError::config(format!(
            "`{shown}` is not a regular file (a pipe or a device): a send is resumed from its file; save the events to a file and give its path"
        )));
    }
    // Opened once here (a regular file: opening it never waits), so that a file this user may
    // not read is refused before the send makes its state folder.
    File::open(path).map(drop).map_err(|err| {
        let fix = if err.kind() == std::io::ErrorKind::PermissionDenied {
            "; this user may not read it: have its owner give this user read permission (`chmod`), or run the send as a user who may read it"
        } else {
            ""
        };
        CliError::config(format!("cannot read `{shown}`: {err}{fix}"))
    })
}

/// Opens `path` and reads the events of its first `len` bytes (its size when the send began:
/// what is appended meanwhile is left for another send), one at a time.
///
/// # Errors
///
/// A configuration error when the file cannot be opened or its CSV header read.
pub fn open<'r>(
    path: &Path,
    len: u64,
    format: InputFormat,
    registry: &'r Registry,
) -> Result<Box<dyn Iterator<Item = Result<Line, CliError>> + Send + 'r>, CliError> {
    let file = File::open(path)
        .map_err(|err| CliError::config(format!("cannot read `{}`: {err}", path.display())))?;
    let reader = BufReader::with_capacity(256 * 1024, std::io::Read::take(file, len));
    let path = path.to_owned();
    match resolve(format, &path) {
        InputFormat::Csv => {
            // The file once more, alongside, to number the rows (see `LineIndex`).
            let lines = File::open(&path).map_err(|err| {
                CliError::config(format!("cannot read `{}`: {err}", path.display()))
            })?;
            let lines = LineIndex::new(BufReader::with_capacity(64 * 1024, lines));
            Ok(Box::new(CsvLines::new(reader, lines, &path, registry)?))
        }
        _ => Ok(Box::new(NdjsonLines {
            reader,
            path,
            number: 0,
            buf: Vec::new(),
        })),
    }
}

/// NDJSON: one object per line; blank lines are skipped.
struct NdjsonLines<R> {
    reader: R,
    path: std::path::PathBuf,
    number: u64,
    buf: Vec<u8>,
}

impl<R: BufRead> Iterator for NdjsonLines<R> {
    type Item = Result<Line, CliError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.buf.clear();
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(err) => {
                    return Some(Err(CliError::config(format!(
                        "cannot read `{}` after line {}: {err}",
                        self.path.display(),
                        self.number
                    ))));
                }
            }
            self.number += 1;
            if let Some(line) = ndjson_line(self.number, &self.buf) {
                return Some(Ok(line));
            }
        }
    }
}

/// The event of NDJSON line `number` (its text, with or without the line end); `None` for a
/// blank line, which holds no event but still counts as a line.
pub fn ndjson_line(number: u64, text: &[u8]) -> Option<Line> {
    let event = ndjson_text(text)?;
    Some(Line {
        number,
        fingerprint: fingerprint(number, trim(text)),
        event: event.map(str::to_owned),
    })
}

/// The text of the event an NDJSON line holds (`text`, with or without the line end), or why
/// it holds none; `None` for a blank line.
pub fn ndjson_text(text: &[u8]) -> Option<Result<&str, String>> {
    let line = trim(text);
    // The byte-order mark some editors write at the start of a UTF-8 file is not part of the
    // event (the CSV reader skips it too).
    let text = line.strip_prefix("\u{feff}".as_bytes()).unwrap_or(line);
    if text.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    Some(std::str::from_utf8(text).map_err(|err| {
        let at = line.len() - text.len() + err.valid_up_to() + 1;
        format!("the line is not UTF-8 (byte {at} is not valid); save the file as UTF-8")
    }))
}

fn trim(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The line each CSV row starts on. The CSV reader places a row where it stood before reading
/// it: on the `\n` of the line before when lines end with `\r\n`, or on blank lines it skipped
/// before the row. So the file is read a second time alongside, counting the line ends before
/// the row's first byte: `\n`, `\r\n`, and a lone `\r` (a "CSV (Macintosh)" file), which the
/// CSV reader also takes for a row's end (counting only `\n`, every row of such a file was
/// line 1, so a `--resume` skipped every row).
struct LineIndex<R> {
    reader: R,
    /// Bytes read.
    offset: u64,
    /// The line of the byte at `offset`, from 1.
    line: u64,
    /// The last byte read is a `\r`, which ends a line by itself unless a `\n` follows.
    pending_cr: bool,
    /// A lone `\r` ended a line before `offset`.
    lone_cr: bool,
}

impl<R: BufRead> LineIndex<R> {
    fn new(reader: R) -> Self {
        LineIndex {
            reader,
            offset: 0,
            line: 1,
            pending_cr: false,
            lone_cr: false,
        }
    }

    /// The line of the first byte at or after `start` that does not end a line (rows come in
    /// file order, so `start` only grows).
    fn line_of(&mut self, start: u64) -> std::io::Result<u64> {
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                return Ok(self.line);
            }
            let before = usize::try_from(start.saturating_sub(self.offset)).unwrap_or(usize::MAX);
            let (take, found) = if before > 0 {
                (before.min(buf.len()), false)
            } else {
                match buf.iter().position(|b| !matches!(b, b'\r' | b'\n')) {
                    Some(at) => (at, true),
                    None => (buf.len(), false),
                }
            };
            let (lines, pending_cr, lone_cr) = count_line_ends(&buf[..take], self.pending_cr);
            self.line += lines;
            self.pending_cr = pending_cr;
            self.lone_cr |= lone_cr;
            self.reader.consume(take);
            self.offset += take as u64;
            if found {
                // The byte after a `\r` read last is the row's first, not a `\n`.
                if std::mem::take(&mut self.pending_cr) {
                    self.line += 1;
                    self.lone_cr = true;
                }
                return Ok(self.line);
            }
        }
    }

    /// Whether a lone `\r` ended a line so far.
    fn saw_lone_cr(&self) -> bool {
        self.lone_cr
    }
}

/// The line ends in `bytes`, read after a `\r` when `pending_cr`: their count (a `\r\n` is one),
/// whether `bytes` ends in a `\r` still waiting for its next byte, and whether a lone `\r` ended
/// a line.
fn count_line_ends(bytes: &[u8], mut pending_cr: bool) -> (u64, bool, bool) {
    let (mut lines, mut lone_cr) = (0, false);
    // The index of the byte after the last `\r` or `\n` seen.
    let mut next = 0;
    for at in memchr::memchr2_iter(b'\r', b'\n', bytes) {
        if pending_cr && !(at == next && bytes[at] == b'\n') {
            lines += 1;
            lone_cr = true;
        }
        pending_cr = bytes[at] == b'\r';
        if !pending_cr {
            lines += 1;
        }
        next = at + 1;
    }
    if pending_cr && next < bytes.len() {
        lines += 1;
        lone_cr = true;
        pending_cr = false;
    }
    (lines, pending_cr, lone_cr)
}

/// The line ends a CSV field holds (in a quoted value): `\n`, `\r\n` and a lone `\r`.
fn line_ends_in(field: &[u8]) -> u64 {
    let (ends, pending_cr, _) = count_line_ends(field, false);
    ends + u64::from(pending_cr)
}

/// CSV: a header row naming the columns, then one event per row.
struct CsvLines<'r, R: std::io::Read> {
    records: std::iter::Peekable<csv::ByteRecordsIntoIter<R>>,
    lines: LineIndex<BufReader<File>>,
    columns: Vec<Column>,
    registry: &'r Registry,
    path: std::path::PathBuf,
}

/// What a CSV column holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Column {
    Identity(Identifier),
    Name,
    Datetime,
    LogId,
    Items,
    Property(String),
}

impl<'r, R: std::io::Read> CsvLines<'r, R> {
    fn new(
        reader: R,
        lines: LineIndex<BufReader<File>>,
        path: &Path,
        registry: &'r Registry,
    ) -> Result<Self, CliError> {
        let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
        let header = csv.headers().map_err(|err| match err.kind() {
            // As a row's field that is not UTF-8 is reported: with the fix (Excel's plain
            // "CSV" is saved in the system's code page, such as CP949 in Korea).
            csv::ErrorKind::Utf8 { err: utf8, .. } => CliError::config(format!(
                "the header row of `{}` is not UTF-8 (field {}); save the file as UTF-8 (in Excel, as \"CSV UTF-8\")",
                path.display(),
                utf8.field() + 1
            )),
            _ => CliError::config(format!(
                "cannot read the header row of `{}`: {err}",
                path.display()
            )),
        })?;
        if header.iter().all(str::is_empty) {
            return Err(CliError::config(format!(
                "`{}` has no header row; its first row must name the columns: `name`, `datetime` and an identity column such as `external_id`",
                path.display()
            )));
        }
        let columns: Vec<Column> = header.iter().map(column).collect();
        // A column read twice would have its later cell silently replace the earlier one.
        // Columns with no name hold nothing (a row with a value under one is invalid), so
        // several of them are no repeat: a spreadsheet saved as CSV often ends its header
        // row in empty columns (`…,code,,`).
        for (b, later) in columns.iter().enumerate() {
            if *later == Column::Property(String::new()) {
                continue;
            }
            if let Some(a) = columns[..b].iter().position(|earlier| earlier == later) {
                return Err(CliError::config(format!(
                    "the header row of `{}`: column {} `{}` repeats column {} `{}`; keep one of them",
                    path.display(),
                    b + 1,
                    &header[b],
                    a + 1,
                    &header[a]
                )));
            }
        }
        let has = |c: &Column| columns.contains(c);
        if !has(&Column::Name) || !has(&Column::Datetime) {
            // A misspelt column (`nam`) is read as a property: name the column meant.
            let others: Vec<&str> = header
                .iter()
                .zip(&columns)
                .filter(|(_, c)| matches!(c, Column::Property(_)))
                .map(|(h, _)| h)
                .collect();
            let fixes: Vec<String> = [(Column::Name, "name"), (Column::Datetime, "datetime")]
                .into_iter()
                .filter(|(c, _)| !has(c))
                .filter_map(|(_, wanted)| {
                    dfinery_schema::suggest(wanted, others.iter().copied())
                        .map(|found| format!("rename column `{found}` to `{wanted}`"))
                })
                .collect();
            let fix = if fixes.is_empty() {
                format!(
                    "found {}; the columns are `name`, `datetime`, `event_log_id`, `items`, the identities (`external_id`, `phone_no`, `email`, `kakao_user_id`, `line_user_id`) and one per property",
                    header
                        .iter()
                        .map(|h| format!("`{h}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                fixes.join(" and ")
            };
            return Err(CliError::config(format!(
                "the header row of `{}` needs the columns `name` and `datetime`; {fix}",
                path.display(),
            )));
        }
        if !columns.iter().any(|c| matches!(c, Column::Identity(_))) {
            return Err(CliError::config(format!(
                "the header row of `{}` has no identity column; add at least one of `external_id`, `phone_no`, `email`, `kakao_user_id`, `line_user_id`",
                path.display()
            )));
        }
        Ok(CsvLines {
            records: csv.into_byte_records().peekable(),
            lines,
            columns,
            registry,
            path: path.to_owned(),
        })
    }

    /// The event of one row as JSON text, its cells read as the registry's types; `number` is
    /// the row's line, and `last` whether it is the file's last row.
    fn event(&self, record: &csv::ByteRecord, number: u64, last: bool) -> Result<String, String> {
        if record.len() != self.columns.len() {
            // A value that opens with a quote is read up to the next quote: one not closed
            // takes the rows after it into the value (leaving the row short of fields), which
            // the count of fields alone did not say (with `--skip-invalid`, those rows were
            // skipped as part of this one).
            let ends: Vec<u64> = record.iter().map(line_ends_in).collect();
            if let Some(field) = ends
                .iter()
                .position(|&n| n > 0)
                .filter(|_| record.len() < self.columns.len())
            {
                // Run on to the end of the file, the value holds the file's last line end.
                let file_end = last
                    && record
                        .iter()
                        .next_back()
                        .is_some_and(|f| f.ends_with(b"\n") || f.ends_with(b"\r"));
                return Err(format!(
                    "the row has {} fields but the header has {}, and field {} runs on over lines {number} to {}: if the quote `\"` it opens with is not closed where the value ends, the lines after it were read into it, so close it (a quote inside a quoted value is written `\"\"`); else give every column a field, empty for none",
                    record.len(),
                    self.columns.len(),
                    field + 1,
                    number + ends.iter().sum::<u64>() - u64::from(file_end)
                ));
            }
            let fix = if record.len() > self.columns.len() {
                "quote a value that holds a comma, e.g. `\"a,b\"`"
            } else {
                "give every column a field, empty for none"
            };
            return Err(format!(
                "the row has {} fields but the header has {}; {fix}",
                record.len(),
                self.columns.len()
            ));
        }
        let mut cells = Vec::with_capacity(record.len());
        for (n, field) in record.iter().enumerate() {
            cells.push(std::str::from_utf8(field).map_err(|_| {
                format!(
                    "field {} of the row is not UTF-8; save the file as UTF-8",
                    n + 1
                )
            })?);
        }
        let name = self
            .columns
            .iter()
            .zip(&cells)
            .find(|(c, _)| **c == Column::Name)
            .map(|(_, cell)| *cell)
            .unwrap_or("");
        let definition = self.registry.event(name);
        let mut event = Map::new();
        let mut identity = Map::new();
        let mut properties = Map::new();
        for (n, (column, cell)) in self.columns.iter().zip(cells).enumerate() {
            if cell.is_empty() {
                continue;
            }
            let text = || Json::String(cell.to_owned());
            match column {
                Column::Identity(key) => {
                    identity.insert(key.name().to_owned(), text());
                }
                Column::Name => {
                    event.insert("name".into(), text());
                }
                Column::Datetime => {
                    event.insert("datetime".into(), text());
                }
                Column::LogId => {
                    event.insert("event_log_id".into(), text());
                }
                Column::Items => {
                    let items = serde_json::from_str(cell).map_err(|err| {
                        format!("column `items` is not a JSON array of item objects: {err}")
                    })?;
                    event.insert("items".into(), items);
                }
                Column::Property(key) if key.is_empty() => {
                    return Err(format!(
                        "field {} has a value, but its column has no name in the header row; name the column or empty the field",
                        n + 1
                    ));
                }
                Column::Property(key) => {
                    let ty = definition.and_then(|d| d.property(key)).map(|p| p.ty);
                    properties.insert(key.clone(), cell_value(cell, ty));
                }
            }
        }
        event.insert("identity".into(), Json::Object(identity));
        event.insert("properties".into(), Json::Object(properties));
        Ok(Json::Object(event).to_string())
    }
}

impl<R: std::io::Read> Iterator for CsvLines<'_, R> {
    type Item = Result<Line, CliError>;

    fn next(&mut self) -> Option<Self::Item> {
        let record = loop {
            match self.records.next()? {
                // A row of empty cells only (`,,,`, as spreadsheets save the rows below the
                // data they once formatted) holds no event, as a blank line, which the CSV
                // reader skips, holds none: it was reported as an event with no name, no
                // datetime and no identity, and the whole file refused.
                Ok(record) if record.iter().all(<[u8]>::is_empty) => {}
                Ok(record) => break record,
                Err(err) => {
                    return Some(Err(CliError::config(format!(
                        "cannot read `{}`: {err}",
                        self.path.display()
                    ))));
                }
            }
        };
        let position = record
            .position()
            .cloned()
            .unwrap_or_else(csv::Position::new);
        let number = match self.lines.line_of(position.byte()) {
            Ok(line) => line,
            Err(err) => {
                return Some(Err(CliError::config(format!(
                    "cannot read `{}`: {err}",
                    self.path.display()
                ))));
            }
        };
        let text: Vec<u8> = record
            .iter()
            .flat_map(|f| f.iter().copied().chain([0]))
            .collect();
        Some(Ok(Line {
            number,
            // From the line the CSV reader gives, as before rows were numbered by their own
            // line: a row keeps the `event_log_id` it was sent with by earlier versions. That
            // line counts `\n` only, and is 1 for every row of a file whose lines end in a
            // lone `\r`: there, the row's own line, or identical rows would share one id.
            fingerprint: fingerprint(
                if self.lines.saw_lone_cr() {
                    number
                } else {
                    position.line()
                },
                &text,
            ),
            event: {
                // Whether the row is the last is asked only of a row that does not fit.
                let last = record.len() != self.columns.len() && self.records.peek().is_none();
                self.event(&record, number, last)
            },
        }))
    }
}

fn column(name: &str) -> Column {
    if let Some(key) = Identifier::from_name(name) {
        return Column::Identity(key);
    }
    match name {
        "name" | "event_name" => Column::Name,
        "datetime" | "event_datetime" => Column::Datetime,
        "event_log_id" => Column::LogId,
        "items" | "event_items" => Column::Items,
        other => Column::Property(other.to_owned()),
    }
}

/// A cell as the JSON value of its registered type; text that does not fit stays a string, so
/// the check reports the type it needs.
fn cell_value(cell: &str, ty: Option<DataType>) -> Json {
    let parsed = match ty {
        Some(DataType::Long) => cell.parse::<i64>().ok().map(Json::from),
        Some(DataType::Double) => cell
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Json::Number),
        // Spreadsheets write `TRUE` and `FALSE` (Excel, LibreOffice, Google Sheets): refused
        // as strings, every row of a sheet with a Boolean column was invalid.
        Some(DataType::Boolean) if cell.eq_ignore_ascii_case("true") => Some(Json::Bool(true)),
        Some(DataType::Boolean) if cell.eq_ignore_ascii_case("false") => Some(Json::Bool(false)),
        Some(DataType::StringArray | DataType::LongArray | DataType::DoubleArray) => {
            serde_json::from_str::<Json>(cell)
                .ok()
                .filter(Json::is_array)
        }
        _ => None,
    };
    parsed.unwrap_or_else(|| Json::String(cell.to_owned()))
}

/// FNV-1a (128 bits) of the line number and the text: the same line of the same file always
/// gets the same fingerprint, so a resent line keeps its `event_log_id`.
pub fn fingerprint(number: u64, text: &[u8]) -> u128 {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    // The FNV prime is 2^88 + 0x13b: a shift and a small product instead of a full 128-bit
    // multiplication (the same value, wrapping).
    let step = |hash: u128, byte: u8| {
        let hash = hash ^ u128::from(byte);
        (hash << 88).wrapping_add(hash.wrapping_mul(0x13b))
    };
    let hash = number.to_le_bytes().iter().fold(OFFSET, |h, b| step(h, *b));
    text.iter().fold(hash, |h, b| step(h, *b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line read, its event parsed as the check parses it (then as a map, to look into).
    struct Read {
        number: u64,
        fingerprint: u128,
        event: Result<Map<String, Json>, String>,
    }

    fn lines(format: InputFormat, name: &str, text: &str) -> Vec<Read> {
        let dir = std::env::temp_dir().join(format!("dfinery-input-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let registry = Registry::parse(
            "standard_events = [\"df_purchase\"]\n[events.df_purchase]\nproperties.flags = \"array<long>\"\nproperties.gift = \"boolean\"\n",
        )
        .unwrap();
        let out = open(&path, u64::MAX, format, &registry)
            .unwrap()
            .map(|line| {
                let line = line.unwrap();
                let event = line.event.and_then(|text| {
                    super::super::event::object(&text)?;
                    Ok(serde_json::from_str(&text).unwrap())
                });
                Read {
                    number: line.number,
                    fingerprint: line.fingerprint,
                    event,
                }
            })
            .collect::<Vec<_>>();
        let _ = std::fs::remove_dir_all(&dir);
        out
    }

    #[test]
    fn ndjson_lines_keep_their_numbers_and_blank_lines_are_skipped() {
        let read = lines(
            InputFormat::Auto,
            "e.ndjson",
            "{\"name\":\"a\"}\n\n[1]\n{oops\r\n",
        );
        assert_eq!(read.iter().map(|l| l.number).collect::<Vec<_>>(), [1, 3, 4]);
        assert_eq!(read[0].event.as_ref().unwrap()["name"], "a");
        assert_eq!(
            read[1].event,
            Err("the line is not a JSON object; give one event object per line".into())
        );
        assert!(
            read[2]
                .event
                .as_ref()
                .unwrap_err()
                .starts_with("the line is not JSON")
        );
    }

    #[test]
    fn only_the_first_len_bytes_are_read() {
        let dir = std::env::temp_dir().join(format!("dfinery-input-{}-len", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("e.ndjson");
        std::fs::write(&path, "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n").unwrap();
        let registry = Registry::parse("").unwrap();
        let numbers: Vec<u64> = open(&path, 16, InputFormat::Auto, &registry)
            .unwrap()
            .map(|line| line.unwrap().number)
            .collect();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(numbers, [1, 2]);
    }

    #[test]
    fn csv_cells_are_read_as_the_registered_types() {
        let read = lines(
            InputFormat::Auto,
            "e.csv",
            "external_id,name,datetime,df_discount,df_order_id,flags,gift,items\n\
             u1,df_purchase,2024-06-24T06:01:48.501Z,500,O-1,\"[1,2]\",true,\"[{\"\"df_item_id\"\":\"\"S\"\"}]\"\n\
             u2,df_purchase,2024-06-24T06:01:48.501Z,,O-2,,nope,\n",
        );
        let first = read[0].event.as_ref().unwrap();
        assert_eq!(first["identity"], serde_json::json!({"external_id": "u1"}));
        assert_eq!(first["properties"]["df_discount"], serde_json::json!(500.0));
        assert_eq!(first["properties"]["df_order_id"], "O-1");
        assert_eq!(first["properties"]["flags"], serde_json::json!([1, 2]));
        assert_eq!(first["properties"]["gift"], true);
        assert_eq!(first["items"][0]["df_item_id"], "S");
        let second = read[1].event.as_ref().unwrap();
        assert!(second["properties"].get("df_discount").is_none());
        assert_eq!(second["properties"]["gift"], "nope");
        assert_eq!((read[0].number, read[1].number), (2, 3));
        assert_ne!(read[0].fingerprint, read[1].fingerprint);
    }

    /// A spreadsheet saved as CSV often ends its header row in several empty columns: they
    /// were refused as repeats of one another (``column 6 `` repeats column 5 `` ``), and a
    /// value under the second of them was said to be in the first's field.
    #[test]
    fn several_columns_with_no_name_are_no_repeat_and_a_value_names_its_own_field() {
        let read = lines(
            InputFormat::Csv,
            "empty-columns.csv",
            "external_id,name,datetime,,,\n\
             u1,df_purchase,2024-06-24T06:01:48.501Z,,,\n\
             u1,df_purchase,2024-06-24T06:01:48.501Z,,,x\n",
        );
        assert_eq!(read.len(), 2);
        assert!(read[0].event.is_ok(), "{:?}", read[0].event);
        assert_eq!(
            read[1].event.as_ref().unwrap_err(),
            "field 6 has a value, but its column has no name in the header row; name the column or empty the field"
        );
    }

    #[test]
    fn a_csv_boolean_is_read_in_any_case_as_spreadsheets_write_it() {
        let read = lines(
            InputFormat::Csv,
            "booleans.csv",
            "external_id,name,datetime,gift\n\
             u1,df_purchase,2024-06-24T06:01:48.501Z,TRUE\n\
             u1,df_purchase,2024-06-24T06:01:48.501Z,FALSE\n\
             u1,df_purchase,2024-06-24T06:01:48.501Z,True\n\
             u1,df_purchase,2024-06-24T06:01:48.501Z,yes\n",
        );
        let gift = |l: &Read| l.event.as_ref().unwrap()["properties"]["gift"].clone();
        let gifts: Vec<Json> = read.iter().map(gift).collect();
        assert_eq!(
            gifts,
            [
                Json::from(true),
                Json::from(false),
                Json::from(true),
                Json::from("yes")
            ]
        );
    }

    /// A quote not closed takes the rows after it into its value: the report said only that
    /// the row had too few fields, not that the lines after it were read into it.
    #[test]
    fn a_quote_not_closed_names_the_lines_its_value_runs_over() {
        let row = "u1,df_purchase,2024-06-24T06:01:48.501Z";
        for end in ["\n", ""] {
            let text =
                format!("external_id,name,datetime\n{row}\n\"u2,df_purchase\n{row}\r\n{row}{end}");
            let read = lines(InputFormat::Csv, "runaway.csv", &text);
            assert_eq!(read.iter().map(|l| l.number).collect::<Vec<_>>(), [2, 3]);
            assert_eq!(
                read[1].event.as_ref().unwrap_err(),
                "the row has 1 fields but the header has 3, and field 1 runs on over lines 3 to 5: if the quote `\"` it opens with is not closed where the value ends, the lines after it were read into it, so close it (a quote inside a quoted value is written `\"\"`); else give every column a field, empty for none",
                "{end:?}"
            );
        }
        // Closed by the quote of a later value: the rows between are in this one.
        let text =
            format!("external_id,name,datetime\n\"u2,df_purchase\n{row}\nu3,\"x\",y\n{row}\n");
        let read = lines(InputFormat::Csv, "closed-later.csv", &text);
        assert_eq!(read.iter().map(|l| l.number).collect::<Vec<_>>(), [2, 5]);
        assert!(
            read[0]
                .event
                .as_ref()
                .unwrap_err()
                .contains("field 1 runs on over lines 2 to 4"),
            "{:?}",
            read[0].event
        );
    }

    #[test]
    fn a_csv_header_that_is_not_utf8_says_how_to_fix_it() {
        let dir = std::env::temp_dir().join(format!("dfinery-input-{}-cp949", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cp949.csv");
        // `이름` (name) in CP949, as Excel in Korea saves "CSV".
        std::fs::write(&path, b"external_id,\xc0\xcc\xb8\xa7,datetime\nu1,a,b\n").unwrap();
        let registry = Registry::parse("").unwrap();
        let err = open(&path, u64::MAX, InputFormat::Csv, &registry)
            .err()
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(
            err.message,
            format!(
                "the header row of `{}` is not UTF-8 (field 2); save the file as UTF-8 (in Excel, as \"CSV UTF-8\")",
                path.display()
            )
        );
    }

    /// Spreadsheets save the rows below their data that were once formatted as rows of
    /// empty cells: each was an event with no name, no datetime and no identity, so the file
    /// was refused unless `--skip-invalid`.
    #[test]
    fn a_csv_row_of_empty_cells_is_skipped_as_a_blank_line_is() {
        let row = "u1,df_purchase,2024-06-24T06:01:48.501Z";
        let text = format!("external_id,name,datetime\n{row}\n,,\n{row}\r\n,,\r\n\"\",,\n");
        let read = lines(InputFormat::Csv, "empty-rows.csv", &text);
        assert_eq!(read.iter().map(|l| l.number).collect::<Vec<_>>(), [2, 4]);
        assert!(read.iter().all(|l| l.event.is_ok()));
    }

    #[test]
    fn csv_rows_are_numbered_by_their_own_line_and_keep_their_fingerprint() {
        let row = "u1,df_purchase,2024-06-24T06:01:48.501Z";
        let text = format!("external_id,name,datetime\r\n{row}\r\n\r\n{row}\n");
        let read = lines(InputFormat::Csv, "crlf.csv", &text);
        assert_eq!(read.iter().map(|l| l.number).collect::<Vec<_>>(), [2, 4]);
        // The CSV reader's own lines (1, and 2 for the row after a blank line), as earlier
        // versions fingerprinted them.
        let cells =
            |row: &str| -> Vec<u8> { row.split(',').flat_map(|c| c.bytes().chain([0])).collect() };
        assert_eq!(read[0].fingerprint, fingerprint(1, &cells(row)));
        assert_eq!(read[1].fingerprint, fingerprint(2, &cells(row)));
    }

    #[test]
    fn the_line_index_counts_line_ends_before_a_rows_first_byte() {
        let text = b"a\r\nb\n\n\r\nc";
        let mut index = LineIndex::new(std::io::BufReader::with_capacity(2, &text[..]));
        assert_eq!(index.line_of(0).unwrap(), 1);
        assert_eq!(index.line_of(2).unwrap(), 2);
        assert_eq!(index.line_of(5).unwrap(), 5);
        assert_eq!(index.line_of(99).unwrap(), 5);
    }

    #[test]
    fn a_lone_carriage_return_ends_a_line_even_split_from_its_next_byte() {
        // Every split of the text into two reads counts the same.
        let text = b"a\rb\r\nc\r\rd\n\re\r";
        for split in 0..=text.len() {
            let (first, pending, lone_a) = count_line_ends(&text[..split], false);
            let (second, pending, lone_b) = count_line_ends(&text[split..], pending);
            assert_eq!(first + second, 6, "split at {split}");
            assert!(pending, "the last `\\r` waits for its next byte");
            assert!(lone_a || lone_b);
        }
        assert_eq!(count_line_ends(b"a\r\nb\nc", false), (2, false, false));
    }

    #[test]
    fn csv_rows_of_a_file_with_lone_carriage_returns_have_their_own_line_and_fingerprint() {
        // "CSV (Macintosh)": the CSV reader ends rows at a lone `\r` and counts only `\n`, so
        // every row was line 1 (a `--resume` skipped them all) and identical rows shared one
        // `event_log_id`.
        let row = "u1,df_purchase,2024-06-24T06:01:48.501Z";
        let text = format!("external_id,name,datetime\r{row}\r\r{row}\r{row}");
        let mut index = LineIndex::new(std::io::BufReader::with_capacity(3, text.as_bytes()));
        assert_eq!(index.line_of(26).unwrap(), 2);
        let read = lines(InputFormat::Csv, "mac.csv", &text);
        assert_eq!(read.iter().map(|l| l.number).collect::<Vec<_>>(), [2, 4, 5]);
        assert_ne!(read[0].fingerprint, read[1].fingerprint);
        assert_ne!(read[1].fingerprint, read[2].fingerprint);
    }

    /// Files made of the pieces that trouble a reader (quotes, line ends, escapes, halves of
    /// surrogate pairs, bytes that are not UTF-8, empty cells): every line is read, checked and
    /// built without a panic, in both formats.
    #[test]
    fn no_file_makes_the_reading_or_the_check_panic() {
        const PIECES: [&[u8]; 24] = [
            b"\"",
            b",",
            b"\n",
            b"\r",
            b"\r\n",
            b"\\",
            b"\\u",
            b"d800",
            b"dc00",
            b"{",
            b"}",
            b"[",
            b"]",
            b":",
            b"\xef\xbb\xbf",
            b"\xff",
            b"df_purchase",
            b"flags",
            b"gift",
            b"2024-06-24T06:01:48.501Z",
            b"\"name\"",
            b"\"properties\"",
            b"1e999",
            b" ",
        ];
        let registry = Registry::parse(
            "standard_events = [\"df_purchase\"]\n[events.df_purchase]\nproperties.flags = \"array<long>\"\nproperties.gift = \"boolean\"\n",
        )
        .unwrap();
        let dir = std::env::temp_dir().join(format!("dfinery-input-{}-pieces", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // xorshift64: the same files on every run.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..400 {
            let mut bytes = b"external_id,name,datetime,gift,flags,items\n".to_vec();
            for _ in 0..next() % 60 {
                bytes.extend_from_slice(PIECES[(next() % PIECES.len() as u64) as usize]);
            }
            for (format, name) in [
                (InputFormat::Csv, "f.csv"),
                (InputFormat::Ndjson, "f.ndjson"),
            ] {
                let path = dir.join(name);
                std::fs::write(&path, &bytes).unwrap();
                let Ok(read) = open(&path, u64::MAX, format, &registry) else {
                    continue;
                };
                for line in read {
                    let Ok(Line {
                        event: Ok(text),
                        fingerprint,
                        ..
                    }) = line
                    else {
                        continue;
                    };
                    let _ = super::super::event::check(&registry, &text, fingerprint);
                    let _ = super::super::event::validate(&registry, &text);
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_fingerprint_is_fnv_1a_128() {
        // The plain form of FNV-1a (128 bits): a line keeps its `event_log_id` across versions.
        const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
        let plain = |number: u64, text: &[u8]| {
            let mut hash: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
            for byte in number.to_le_bytes().iter().chain(text) {
                hash ^= u128::from(*byte);
                hash = hash.wrapping_mul(PRIME);
            }
            hash
        };
        for (number, text) in [
            (1, &b""[..]),
            (7, b"{\"name\":\"a\"}"),
            (u64::MAX, &[0xff; 300][..]),
        ] {
            assert_eq!(fingerprint(number, text), plain(number, text));
        }
    }

    #[test]
    fn the_fingerprint_depends_on_the_number_and_the_text() {
        assert_eq!(fingerprint(1, b"a"), fingerprint(1, b"a"));
        assert_ne!(fingerprint(1, b"a"), fingerprint(2, b"a"));
        assert_ne!(fingerprint(1, b"a"), fingerprint(1, b"b"));
    }
}
