//! Behaviour of the derives: derived events, items, profiles and enums serialise to exactly the
//! JSON of the spec's examples, the field attributes do what they say, run-time rules give
//! errors naming the event, property and rule, and the descriptions are right.
//!
//! Every derive here compiles under `#![deny(warnings)]`; clippy checks them with `-D warnings`.
#![deny(warnings)]

mod attributes;
mod descriptions;
mod enums;
mod golden;
mod hygiene;
mod model;
mod rules;
