//! Typed export queries: [`EventQuery`] and [`ProfileQuery`] build the request bodies of the two
//! exports, checked before anything is sent ([`QueryError`]).

mod error;
mod event;
mod profile;
mod select;

pub use error::QueryError;
pub use event::EventQuery;
pub(crate) use profile::EXTERNAL_ID_COLUMN;
pub use profile::ProfileQuery;
pub(crate) use select::{ITEM_PREFIX, item_column};
