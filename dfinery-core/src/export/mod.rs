//! Typed export: the two exports queried with typed filters, their CSV decoded row by row as
//! it is read, and rows decoded back into the structs that sent them.
//!
//! - [`EventQuery`] and [`ProfileQuery`] build the request bodies; dates and filters are
//!   checked before anything is sent ([`QueryError`]).
//! - [`ExportRows`] reads an export as it arrives (from
//!   [`Client::export_event_rows`](crate::Client::export_event_rows), with `.await`) or from a
//!   saved file ([`ExportRows::new`] over any `Read`, blocking): one reader, the same checks. It gives rows
//!   ([`ExportRow`], read by column name: [`ExportRow::get`] for the text,
//!   [`ExportRow::decode`] for a typed value) or the rows of one event gathered back together
//!   ([`EventGroup`]; the export has one row per item). An [`ExportRow`] borrows its cells from
//!   the current record, and reading rows allocates nothing per row.
//! - [`ExportRows::events`] decodes events into a `#[derive(DfineryEvent)]` struct with their
//!   system columns ([`ExportedEvent`]); [`ExportRows::profiles`] does the same for profiles.
//! - [`Client::export_events_to_file`](crate::Client::export_events_to_file) writes the CSV
//!   atomically; [`ExportRows::new`] reads a saved one.
//!
//! An export is never silently short: a body that breaks off, stops inside a row or carries a
//! server error (`client_connection_closed`) is an [`ExportError`].
//!
//! Rows are parsed with `csv-core`, the incremental parser inside the `csv` crate: unlike
//! `csv::Reader` it resumes a row split across network chunks, so nothing is buffered beyond
//! the row being read.

mod cell;
#[cfg(feature = "client")]
mod client;
pub(crate) mod decode;
mod error;
#[cfg(feature = "client")]
mod file;
pub(crate) mod from_cell;
mod group;
mod header;
mod meta;
mod parse;
mod query;
mod reader;
mod row;
mod typed;

pub use cell::Cell;
pub use decode::{DecodeEvent, DecodeItem, DecodeProfile, FromItems};
pub use error::{CellError, ExportError};
#[cfg(feature = "client")]
pub use file::ExportFile;
pub use from_cell::{FromCell, FromElement};
pub use group::EventGroup;
pub use header::Header;
pub use meta::{EventMeta, ExportKind, ExportedEvent, ExportedProfile};
pub use parse::MAX_ROW_BYTES;
#[cfg(feature = "client")]
pub(crate) use parse::error_body_at;
pub use query::{EventQuery, ProfileQuery, QueryError};
pub use reader::{Events, ExportRows, Profiles};
pub use row::ExportRow;

/// Why `body`, a whole export body, was cut short: it stops inside its header row, inside a
/// quoted field or in a row with fewer fields than the header (what a cut connection leaves
/// and no export ends in); `None` otherwise. Other faults (a malformed row, text that is not
/// UTF-8) are left to the readers of rows: the raw body's calls do not judge its CSV.
#[cfg(feature = "client")]
pub(crate) fn cut_short(body: &[u8]) -> Option<String> {
    let mut reader = parse::RowReader::new();
    reader.push(body);
    reader.end();
    loop {
        match reader.advance_row() {
            Ok(parse::Progress::Ready) => {}
            Ok(_) => return None,
            Err(error @ ExportError::Truncated { .. }) => return Some(error.to_string()),
            Err(_) => return None,
        }
    }
}
