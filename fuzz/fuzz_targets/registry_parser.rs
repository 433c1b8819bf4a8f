//! Fuzz target: any text given to the registry parser gives a registry or an error with a
//! message, never a panic (`checks::registry_parser`).
#![no_main]

// Each target calls one of the shared checks.
#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| checks::registry_parser(data));
