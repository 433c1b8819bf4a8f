//! Typed export: the two exports queried with typed filters, their CSV decoded row by row as
//! it streams in, and rows decoded back into the structs that sent them.
//!
//! - [`EventQuery`] and [`ProfileQuery`] build the request bodies; dates and filters are
//!   checked before anything is sent ([`QueryError`]).
//! - [`ExportRows`] reads a body as it arrives: rows ([`ExportRow`], read by column name with
//!   typed getters) or the rows of one event gathered back together ([`EventGroup`]; the
//!   export has one row per item). An [`ExportRow`] is the borrowed path for scanning: its
//!   cells are `&str` slices of the current record ([`ExportRow::fields`], [`ExportRow::at`],
//!   [`ExportRow::get`]), and reading rows allocates nothing per row.
//! - [`ExportRows::events`] (on [`Client::export_event_rows`](crate::Client::export_event_rows))
//!   decodes events into a `#[derive(DfineryEvent)]` struct with their system columns
//!   ([`ExportedEvent`]); [`ExportRows::profiles`] does the same for profiles.
//! - [`Client::export_events_to_file`](crate::Client::export_events_to_file) writes the CSV
//!   atomically; [`ExportReader`] decodes a saved one.
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
mod decode;
mod error;
#[cfg(feature = "client")]
mod file;
mod from_cell;
mod group;
mod header;
mod meta;
mod parse;
mod query;
mod reader;
mod row;
#[cfg(feature = "client")]
mod rows;
mod typed;

pub use cell::{Cell, parse_cell};
pub use decode::{Columns, ColumnsBuilder, DecodeEvent, DecodeItem, DecodeProfile, FromItems};
pub use error::{CellError, ExportError};
#[cfg(feature = "client")]
pub use file::ExportFile;
pub use from_cell::{EnumFromValue, FromCell, FromElement, enum_from_cell, enum_from_element};
pub use group::EventGroup;
pub use header::Header;
pub use meta::{
    DF_API_VERSION, DF_CORRECTION_DATETIME, DF_SERVER_DATETIME, DF_UNIFIED_ID, EVENT_DATETIME,
    EVENT_LOG_ID, EVENT_NAME, EVENT_SYSTEM_COLUMNS, EventMeta, ExportedEvent, ExportedProfile,
};
pub use query::{
    EXTERNAL_ID_COLUMN, EventQuery, ITEM_PREFIX, LOOK_BACK_DAYS, ProfileQuery, QueryError, Select,
    item_column,
};
pub use reader::{EventIter, ExportReader, ProfileIter};
pub use row::ExportRow;
#[cfg(feature = "client")]
pub use rows::{EventStream, ExportRows, ProfileStream};
pub use typed::{EventDecoder, ProfileDecoder};
