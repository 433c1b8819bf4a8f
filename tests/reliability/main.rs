//! Reliability and security: the Tracker under a soak of injected faults, a crash matrix of
//! processes killed at chosen points, damaged spool files, storage faults under the spool, a
//! client clock minutes off DFINERY's, DFINERY gone for 10 s, property tests of every parser that
//! takes outside input, the bad-input inventory of `RELIABILITY.md`, and secrets kept out of
//! text. Real time, bounded: the whole binary runs in well under two minutes.
#![deny(warnings)]

mod bad_input;
#[path = "../common/capture.rs"]
mod capture;
mod clock_skew;
mod crash;
mod fault_backend;
mod faults;
mod outage;
mod props;
mod security;
mod soak;
mod spool_integrity;
mod support;
