//! Foundation tests of `dfinery-core`: value and datetime properties, every run-time rule,
//! and the marker traits, through the public API. The golden wire JSON, the result codes, the
//! writers, records and identities are unit tests inside the crate (they reach crate-internal
//! items); they share `support.rs`.

mod datetime;
mod markers;
mod rules;
// Shared with the crate's unit tests, which use the parts these tests do not.
#[allow(dead_code)]
mod support;
mod values;
