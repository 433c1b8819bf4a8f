//! Incremental CSV parsing: bytes arrive in chunks of any size, rows come out whole. Driven by
//! [`ExportRows`](super::ExportRows), from a stream or from a blocking reader.

mod input;
mod reader;
mod record;
mod splitter;

#[cfg(feature = "client")]
pub(crate) use input::error_body_at;
pub use reader::MAX_ROW_BYTES;
pub(crate) use reader::{Progress, RowReader};
pub(crate) use record::Record;
