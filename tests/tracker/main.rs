//! The `Tracker` against the in-process emulator: batching on count, bytes and the interval,
//! order per user, bounded memory and backpressure, the durable spool (recovery first,
//! corruption, a child process killed with SIGKILL), dead letters, and faults (30% errors,
//! rate limits, latency) after which every message is delivered or dead-lettered, paced sends
//! over several rate-limit windows meeting no 429, no hidden block of the runtime's thread by
//! the spool, and a tracker dropped without `shutdown` saying what it leaves undelivered. Time
//! is Tokio's paused clock, except in
//! `crash.rs`, which kills a child process in real time, `no_block`, which watches a real
//! thread, and `races.rs`, whose calls race the worker's stop on real threads (see
//! CONTRIBUTING.md, "Tests that depend on wall-clock time").
#![deny(warnings)]

mod alloc_meter;
mod backpressure;
mod batching;
#[path = "../common/capture.rs"]
mod capture;
mod crash;
mod dead_letters;
mod dropped;
mod faults;
mod no_block;
mod ordering;
mod pacing_windows;
mod races;
mod spool;
mod support;
#[path = "../common/windows.rs"]
mod windows;
