//! Typed export queries: [`EventQuery`] and [`ProfileQuery`] build the request bodies of the two
//! exports, checked before anything is sent ([`QueryError`]).

mod error;
mod event;
mod profile;
mod select;

pub use error::QueryError;
pub use event::{EventQuery, LOOK_BACK_DAYS};
pub use profile::{EXTERNAL_ID_COLUMN, ProfileQuery};
pub use select::{ITEM_PREFIX, Select, item_column};
