//! Incremental CSV parsing: bytes arrive in chunks of any size, rows come out whole. Driven by
//! [`ExportRows`](super::ExportRows), from a stream or from a blocking reader.

mod input;
mod reader;
mod record;
mod splitter;

pub use reader::MAX_ROW_BYTES;
pub(crate) use reader::{Progress, RowReader};
pub(crate) use record::Record;
