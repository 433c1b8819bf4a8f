//! Foundation tests of `dfinery-core`: value and
//! datetime properties, every run-time rule, writers, records, identities and result codes.

mod codes;
mod datetime;
mod identity;
mod markers;
mod records;
mod rules;
mod support;
mod values;
mod writer;
