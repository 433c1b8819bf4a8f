//! Validated, pre-serialised data ready to send: [`EventRecord`] (one element of `events`) and
//! [`UserProperties`] (the `user_properties` object), built from the typed traits or with the
//! dynamic builders, and the [`ValidationError`] listing every broken rule otherwise.

mod builder;
pub(crate) mod chunk;
mod encode;
mod event_record;
mod fields;
mod scratch;
mod user_properties;
mod validation_error;

pub use builder::{EventRecordBuilder, ItemBuilder};
pub use event_record::EventRecord;
pub use user_properties::{UserProperties, UserPropertiesBuilder};
pub use validation_error::ValidationError;

#[cfg(feature = "client")]
pub(crate) use encode::nil_event_log_id;
pub(crate) use encode::{encode_event, encode_profile};

// The foundation tests of records (moved from `tests/foundation`: they reach the record's JSON and its length).
#[cfg(test)]
mod foundation;
