//! Incremental CSV parsing: bytes arrive in chunks of any size, rows come out whole. Shared by
//! the async [`ExportRows`](super::ExportRows) and the blocking
//! [`ExportReader`](super::ExportReader).

mod input;
mod reader;
mod record;
mod splitter;

pub(crate) use reader::{Progress, RowReader};
pub(crate) use record::Record;
