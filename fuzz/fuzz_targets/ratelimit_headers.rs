//! Fuzz target: any `x-ratelimit-*` header values (both spellings) are read or ignored, never
//! a panic; the window and reset parsers take any text (`checks::ratelimit_headers`).
#![no_main]

// Each target calls one of the shared checks.
#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| checks::ratelimit_headers(data));
