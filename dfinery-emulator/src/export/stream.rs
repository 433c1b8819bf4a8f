//! The CSV response body, produced page by page from the store while the client reads it, so
//! an export never builds the whole file in memory.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use tokio::sync::{Notify, OwnedSemaphorePermit};

use super::csv::CsvBuffer;
use crate::server::app::App;
use crate::server::gate::{Admitted, ConnControl};

/// How long a cut stream waits before failing, so what was written reaches the client.
const FLUSH_PAUSE: Duration = Duration::from_millis(50);

/// How long an export may go without its client taking more of the CSV before its
/// connection is closed: a client that stops reading would otherwise hold an export slot
/// (one of 5) for as long as it keeps the connection open.
pub(crate) const STALL_TIMEOUT: Duration = Duration::from_secs(60);

/// How far a CSV stream got: when its client last took a chunk, and whether it ended.
#[derive(Debug)]
struct Progress {
    /// When the stream began (tokio's clock), the origin of `last_ms`.
    start: tokio::time::Instant,
    /// Milliseconds from `start` to the last chunk taken.
    last_ms: AtomicU64,
    done: AtomicBool,
    /// Wakes the stall watcher when the stream ends, so it ends then too.
    ended: Notify,
}

impl Progress {
    fn new() -> Progress {
        Progress {
            start: tokio::time::Instant::now(),
            last_ms: AtomicU64::new(0),
            done: AtomicBool::new(false),
            ended: Notify::new(),
        }
    }

    /// Notes that the client took a chunk now.
    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// When the client last took a chunk (the start, before the first).
    fn last(&self) -> tokio::time::Instant {
        self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }
}

/// Marks the stream's [`Progress`] done when the stream (and so its state) is dropped.
struct Finished(Arc<Progress>);

impl Drop for Finished {
    fn drop(&mut self) {
        self.0.done.store(true, Ordering::Relaxed);
        // `notify_one` keeps the wake-up for a watcher not waiting yet.
        self.0.ended.notify_one();
    }
}

/// Closes the connection of a CSV stream that took no chunk for [`STALL_TIMEOUT`], which
/// drops the stream and its export slot; ends as soon as the stream ends (it slept on for
/// up to a minute after every export, holding its timer and the connection's control).
/// The timeout runs from the last chunk taken (it was checked once a minute against the
/// count a minute before, so a stall was cut after 60 to 120 s).
fn watch(progress: Arc<Progress>, control: ConnControl) {
    tokio::spawn(async move {
        loop {
            let deadline = progress.last() + STALL_TIMEOUT;
            if tokio::time::Instant::now() >= deadline {
                if !progress.done.load(Ordering::Relaxed) {
                    control.0.notify_one();
                }
                return;
            }
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => {}
                () = progress.ended.notified() => return,
            }
            if progress.done.load(Ordering::Relaxed) {
                return;
            }
        }
    });
}

/// Rows read from the store one page at a time.
pub(crate) trait Rows: Send + 'static {
    /// Writes the next page of rows into `out`; returns whether more may follow.
    fn page(&mut self, app: &App, out: &mut CsvBuffer) -> bool;
}

enum Step {
    Header,
    Cut,
    Rows,
    Done,
}

struct State<R> {
    app: Arc<App>,
    header: Vec<String>,
    rows: R,
    step: Step,
    cut: bool,
    /// The export concurrency slot, released when the body is finished or dropped.
    _permit: Option<OwnedSemaphorePermit>,
    progress: Arc<Progress>,
    _finished: Finished,
}

/// HTTP 200 with a `text/csv` body: the header row, then `rows`. When `admitted.drop_stream`
/// is set (a fault), the body fails right after the header row, which cuts the connection.
/// A client that takes nothing for [`STALL_TIMEOUT`] has its connection (`control`) closed.
pub(crate) fn csv_response<R: Rows>(
    app: Arc<App>,
    header: Vec<String>,
    rows: R,
    admitted: Admitted,
    control: Option<ConnControl>,
) -> Response {
    let progress = Arc::new(Progress::new());
    if let Some(control) = control {
        watch(progress.clone(), control);
    }
    let state = State {
        app,
        header,
        rows,
        step: Step::Header,
        cut: admitted.drop_stream,
        _permit: admitted.permit,
        _finished: Finished(progress.clone()),
        progress,
    };
    let stream = futures_util::stream::unfold(state, |mut state| async move {
        state.progress.touch();
        let chunk = match state.step {
            Step::Done => return None,
            Step::Header => {
                let mut out = CsvBuffer::new();
                out.row(&state.header);
                state.step = if state.cut { Step::Cut } else { Step::Rows };
                Ok(out.take())
            }
            Step::Cut => {
                // Let the server flush the status line and the header row first, so the client
                // sees a 200 whose body breaks off.
                tokio::time::sleep(FLUSH_PAUSE).await;
                state.step = Step::Done;
                Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "connection dropped by an injected fault",
                ))
            }
            Step::Rows => {
                let mut out = CsvBuffer::new();
                if !state.rows.page(&state.app, &mut out) {
                    state.step = Step::Done;
                }
                Ok(out.take())
            }
        };
        Some((chunk, state))
    });
    let mut response = Response::new(Body::from_stream(stream));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    admitted.limits.write(response.headers_mut());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_stall_watcher_ends_with_its_stream() {
        let progress = Arc::new(Progress::new());
        let kill = Arc::new(Notify::new());
        watch(progress.clone(), ConnControl(kill.clone()));
        tokio::task::yield_now().await;
        drop(Finished(progress.clone()));
        // Yielding lets the watcher run but moves no time: it slept on for up to
        // STALL_TIMEOUT after the stream ended, holding its `Progress`.
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            Arc::strong_count(&progress),
            1,
            "the watcher is still running"
        );
        // And it never closed the connection.
        let closed = tokio::time::timeout(STALL_TIMEOUT * 3, kill.notified()).await;
        assert!(closed.is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn the_stall_watcher_closes_a_connection_whose_stream_took_nothing() {
        let progress = Arc::new(Progress::new());
        let kill = Arc::new(Notify::new());
        watch(progress.clone(), ConnControl(kill.clone()));
        // Paused time runs ahead when everything waits: the bound is not waited.
        tokio::time::timeout(STALL_TIMEOUT * 3, kill.notified())
            .await
            .expect("a stalled stream's connection is closed");
    }

    #[tokio::test(start_paused = true)]
    async fn a_stall_is_cut_a_timeout_after_the_last_chunk_and_a_reader_never() {
        let progress = Arc::new(Progress::new());
        let kill = Arc::new(Notify::new());
        watch(progress.clone(), ConnControl(kill.clone()));
        // A client taking a chunk every 30 s for 10 minutes keeps its connection.
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_secs(30)).await;
            progress.touch();
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        progress.touch();
        let last = tokio::time::Instant::now();
        // Then it stops: cut a timeout later, not up to two (paused time: no real wait).
        tokio::time::timeout(STALL_TIMEOUT * 3, kill.notified())
            .await
            .expect("a stalled stream's connection is closed");
        let waited = last.elapsed();
        assert!(
            waited >= STALL_TIMEOUT && waited <= STALL_TIMEOUT + Duration::from_secs(1),
            "cut {waited:?} after the last chunk"
        );
    }
}
