//! Progress bars on stderr, drawn only when stderr is a terminal: piped or captured stderr
//! gets the logs and nothing else.

use std::io::IsTerminal;
use std::sync::OnceLock;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// The one set of bars of this process, hidden unless stderr is a terminal.
pub fn multi() -> &'static MultiProgress {
    static MULTI: OnceLock<MultiProgress> = OnceLock::new();
    MULTI.get_or_init(|| {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        MultiProgress::with_draw_target(target)
    })
}

/// A bar of `len` events with their rate and the time left.
pub fn events(len: u64) -> ProgressBar {
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} events  {rate}  eta {eta}  {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .with_key("rate", |state: &ProgressState, w: &mut dyn std::fmt::Write| {
        let _ = write!(w, "{:.0} events/s", state.per_sec());
    });
    start(ProgressBar::new(len).with_style(style))
}

/// A spinner counting bytes (its position) and rows (its message) of a download.
pub fn download() -> ProgressBar {
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {binary_bytes} ({binary_bytes_per_sec})  {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_spinner());
    start(ProgressBar::new_spinner().with_style(style))
}

/// A spinner with a message, for a step of unknown length.
pub fn spinner(message: &'static str) -> ProgressBar {
    let style = ProgressStyle::with_template("{spinner} {msg} {human_pos}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let bar = start(ProgressBar::new_spinner().with_style(style));
    bar.set_message(message);
    bar
}

fn start(bar: ProgressBar) -> ProgressBar {
    let bar = multi().add(bar);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}
