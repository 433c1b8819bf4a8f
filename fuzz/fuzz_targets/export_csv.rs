//! Fuzz target: any bytes given to the export CSV decoder are read row by row and event by
//! event to the end or to an error, never a panic, and the reader always advances
//! (`checks::export_csv`).
#![no_main]

// Each target calls one of the shared checks.
#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| checks::export_csv(data));
