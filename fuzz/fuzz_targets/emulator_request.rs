//! Fuzz target: any body sent to any of the six endpoints of a running emulator (over a
//! loopback socket, with valid credentials) gets an HTTP answer that is not a 500; the first
//! byte picks the endpoint (`checks::emulator_request`).
#![no_main]

// Each target calls one of the shared checks.
#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

use std::sync::OnceLock;

use dfinery_emulator::{Emulator, EmulatorHandle, Registry};
use libfuzzer_sys::fuzz_target;

const REGISTRY: &str = include_str!("../../tests/dfinery.toml");

fn emulator() -> &'static EmulatorHandle {
    static EMULATOR: OnceLock<EmulatorHandle> = OnceLock::new();
    EMULATOR.get_or_init(|| {
        Emulator::builder()
            .registry(Registry::parse(REGISTRY).expect("the test registry parses"))
            .start_blocking()
            .expect("the emulator starts")
    })
}

fuzz_target!(|data: &[u8]| checks::emulator_request(emulator(), data));
