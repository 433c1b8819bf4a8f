//! Fuzz target: any `x-ratelimit-*` header values (both spellings) are read or ignored, never
//! a panic; the window and reset parsers take any text.
#![no_main]

use std::time::SystemTime;

use dfinery_core::ratelimit::{RateLimitSnapshot, parse_reset, parse_window};
use libfuzzer_sys::fuzz_target;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

const NAMES: [[&str; 3]; 2] = [
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

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let mut headers = HeaderMap::new();
    for (name, value) in NAMES[usize::from(which & 1)]
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
    if let Some(snapshot) = RateLimitSnapshot::from_headers(&headers) {
        let _ = snapshot.window_duration();
        let _ = snapshot.reset_after(SystemTime::now());
    }
});
