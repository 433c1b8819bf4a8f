//! Logs to stderr through `tracing`, drawn around the progress bars so neither garbles the
//! other.

use std::io::{self, Write};

use tracing::level_filters::LevelFilter;

use crate::cli::GlobalArgs;
use crate::progress;

/// Installs the stderr logger: info by default, warnings with `-q`, debug with `-v`, trace
/// with `-vv`.
pub fn init(args: &GlobalArgs) {
    let level = match (args.quiet, args.verbose) {
        (true, _) => LevelFilter::WARN,
        (false, 0) => LevelFilter::INFO,
        (false, 1) => LevelFilter::DEBUG,
        (false, _) => LevelFilter::TRACE,
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false)
        .without_time()
        .with_writer(|| LogWriter)
        .try_init();
}

/// Writes a log line to stderr with the progress bars cleared for the moment, in the command
/// line's words (the client's logs say `base_url`, the CLI's `--base-url`: see
/// [`in_cli_words`](crate::client::in_cli_words)). A line stderr does not take (closed, as by
/// `dfinery … 2>&1 | head`) is dropped: reported as an error, `tracing` would tell of it with
/// `eprintln!`, which panics on that same stderr.
struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // `tracing` writes each line whole, in one call.
        let line = std::str::from_utf8(buf).map(crate::client::in_cli_words);
        let bytes = line.as_ref().map_or(buf, |line| line.as_bytes());
        let _ = progress::multi().suspend(|| io::stderr().write_all(bytes));
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = io::stderr().flush();
        Ok(())
    }
}
