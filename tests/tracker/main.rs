//! The `Tracker` against the in-process emulator: batching on count, bytes and the interval,
//! order per user, bounded memory and backpressure, the durable spool (recovery first,
//! corruption, a child process killed with SIGKILL), dead letters, and faults (30% errors,
//! rate limits, latency) after which every message is delivered or dead-lettered. Time is
//! Tokio's paused clock: no test sleeps for real.
#![deny(warnings)]

mod alloc_meter;
mod backpressure;
mod batching;
mod crash;
mod dead_letters;
mod faults;
mod ordering;
mod spool;
mod support;
