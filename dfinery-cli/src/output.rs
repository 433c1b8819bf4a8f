//! Results on stdout: plain lines for people, one JSON object for scripts (`--json`), printed
//! with the progress bars cleared.

use std::io::{self, Write};

use crate::progress;

/// Prints one line of results on stdout.
pub fn line(text: impl AsRef<str>) {
    let text = text.as_ref();
    progress::multi().suspend(|| {
        let mut out = io::stdout().lock();
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    });
}

/// Prints `value` as one line of JSON on stdout.
pub fn json(value: &serde_json::Value) {
    line(value.to_string());
}
