//! Results on stdout: plain lines for people, one JSON object for scripts (`--json`), printed
//! with the progress bars cleared.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::progress;

/// Whether a JSON object was printed on stdout (so a failed `--json` command adds no second).
static JSON_PRINTED: AtomicBool = AtomicBool::new(false);

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
    JSON_PRINTED.store(true, Ordering::SeqCst);
    line(value.to_string());
}

/// Whether [`json`] printed an object in this process.
pub fn json_printed() -> bool {
    JSON_PRINTED.load(Ordering::SeqCst)
}
