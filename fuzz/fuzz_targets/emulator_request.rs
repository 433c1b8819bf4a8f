//! Fuzz target: any body sent to any of the six endpoints of a running emulator (over a
//! loopback socket, with valid credentials) gets an HTTP answer that is not a 500; the first
//! byte picks the endpoint. A panic in a handler shows as a dropped connection and fails.
#![no_main]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::OnceLock;

use dfinery_emulator::{Emulator, EmulatorHandle, Registry};
use libfuzzer_sys::fuzz_target;

const ENDPOINTS: [&str; 6] = [
    "/api/v1/events",
    "/api/v1/identities",
    "/api/v1/identities/delete",
    "/api/v1/user-profile",
    "/api/v1/export/event",
    "/api/v1/export/userprofile",
];

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

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let emulator = emulator();
    let path = ENDPOINTS[usize::from(which) % ENDPOINTS.len()];
    let mut stream = TcpStream::connect(emulator.addr()).expect("the emulator listens");
    let head = format!(
        "POST {path}?service_id={} HTTP/1.1\r\nhost: 127.0.0.1\r\naccess_token: {}\r\n\
         authorization: Bearer {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n",
        emulator.service_id(),
        emulator.import_token(),
        emulator.export_token(),
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .expect("the request is written");
    stream.write_all(body).expect("the body is written");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("the answer is read");
    let status_line = answer.split(|&b| b == b'\r').next().unwrap_or_default();
    assert!(status_line.starts_with(b"HTTP/1.1 "), "an HTTP answer");
    assert!(
        !status_line.starts_with(b"HTTP/1.1 500"),
        "not a server error"
    );
});
