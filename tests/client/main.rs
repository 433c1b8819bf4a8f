//! The `Client` against the in-process emulator: every call, every error variant, splitting,
//! retries under injected faults (nothing stored twice), pacing under a tight rate limit and
//! over several windows of a limit above the pacing threshold, and tokens kept out of `Debug`,
//! errors and `tracing` output.
#![deny(warnings)]

mod calls;
#[path = "../common/capture.rs"]
mod capture;
#[path = "../common/clock.rs"]
mod clock;
mod errors;
mod exports;
mod faults;
mod misbehaving;
mod model;
mod pacing;
mod pacing_windows;
mod secrets;
mod splitting;
mod support;
#[path = "../common/windows.rs"]
mod windows;
