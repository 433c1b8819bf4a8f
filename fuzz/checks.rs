//! The property each fuzz target checks, one function per target, shared by the targets
//! (`fuzz_targets/*.rs`, built by cargo-fuzz on nightly) and by the corpus replay tests of the
//! main workspace (`tests/fuzz/main.rs`, on stable), which run every committed input in
//! `fuzz/corpus/<target>/` through the same function.
//!
//! Written against `dfinery::` paths: in the fuzz crate `dfinery` is `dfinery-core` (renamed
//! in `fuzz/Cargo.toml`), in the workspace it is the facade, which re-exports all of it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::SystemTime;

use dfinery::export::ExportRows;
use dfinery::{
    __private::{classify, parse_reset, parse_window},
    DataType, Date, Datetime, Error,
    wire::Endpoint,
};
use dfinery_emulator::{EmulatorHandle, Registry};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

/// `registry_parser`: any text gives a registry or an error with a message, never a panic.
pub fn registry_parser(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data)
        && let Err(error) = Registry::parse(text)
    {
        assert!(!error.to_string().is_empty());
    }
}

/// `export_csv`: any bytes given to the export CSV decoder are read row by row and event by
/// event to the end or to an error, never a panic, and the reader always advances.
pub fn export_csv(data: &[u8]) {
    let Ok(mut reader) = ExportRows::new(data) else {
        return;
    };
    let mut events = 0_usize;
    while let Ok(Some(group)) = reader.next_event() {
        let _ = group.first().event_meta();
        for row in group.rows() {
            for (column, _) in row.iter() {
                let _ = row.decode::<Option<f64>>(column, DataType::Double);
                let _ = row.decode::<Option<i64>>(column, DataType::Long);
                let _ = row.decode::<Option<Datetime>>(column, DataType::Datetime);
                let _ = row.decode::<Option<Date>>(column, DataType::Date);
                let _ = row.decode::<Option<Vec<String>>>(column, DataType::StringArray);
            }
        }
        events += 1;
        assert!(events <= data.len() + 1, "the reader advances");
    }
}

const RATE_LIMIT_NAMES: [[&str; 3]; 2] = [
    [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ],
    [
        "X-Rate-Limit-Limit",
        "X-Rate-Limit-Remaining",
        "X-Rate-Limit-Reset",
    ],
];

/// `ratelimit_headers`: any `x-ratelimit-*` header values (both spellings) are read or
/// ignored, never a panic; the window and reset parsers take any text. The first byte picks
/// the spelling; the rest is split on `\n` into the three values.
pub fn ratelimit_headers(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let mut headers = HeaderMap::new();
    for (name, value) in RATE_LIMIT_NAMES[usize::from(which & 1)]
        .iter()
        .zip(rest.split(|&b| b == b'\n'))
    {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.insert(
                HeaderName::from_bytes(name.as_bytes()).expect("a valid name"),
                value,
            );
        }
        if let Ok(text) = std::str::from_utf8(value) {
            let _ = parse_window(text);
            let _ = parse_reset(text);
        }
    }
    // The client reads them off every answer; a 429 hands the snapshot back in its error.
    let answer = classify(Endpoint::Events, 429, &headers, b"");
    if let Some(snapshot) = answer.as_ref().err().and_then(Error::rate_limit) {
        let _ = snapshot.window_duration();
        let _ = snapshot.reset_after(SystemTime::now());
    }
}

/// The endpoints `emulator_request` posts to; the first input byte picks one.
pub const ENDPOINTS: [&str; 6] = [
    "/api/v1/events",
    "/api/v1/identities",
    "/api/v1/identities/delete",
    "/api/v1/user-profile",
    "/api/v1/export/event",
    "/api/v1/export/userprofile",
];

/// `emulator_request`: any body sent to any of the six endpoints of a running emulator (over a
/// loopback socket, with valid credentials) gets an HTTP answer that is not a 500. A panic in
/// a handler shows as a dropped connection and fails.
pub fn emulator_request(emulator: &EmulatorHandle, data: &[u8]) {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
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
    assert!(
        status_line.starts_with(b"HTTP/1.1 "),
        "an HTTP answer, got {:?}",
        String::from_utf8_lossy(status_line)
    );
    assert!(
        !status_line.starts_with(b"HTTP/1.1 500"),
        "not a server error: {}",
        String::from_utf8_lossy(&answer)
    );
}
