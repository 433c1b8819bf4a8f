//! The CSV response body, produced page by page from the store while the client reads it, so
//! an export never builds the whole file in memory.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use tokio::sync::OwnedSemaphorePermit;

use super::csv::CsvBuffer;
use crate::server::app::App;
use crate::server::gate::{Admitted, ConnControl};

/// How long a cut stream waits before failing, so what was written reaches the client.
const FLUSH_PAUSE: Duration = Duration::from_millis(50);

/// How long an export may go without its client taking more of the CSV before its
/// connection is closed: a client that stops reading would otherwise hold an export slot
/// (one of 5) for as long as it keeps the connection open.
pub(crate) const STALL_TIMEOUT: Duration = Duration::from_secs(60);

/// How far a CSV stream got: bumped at each chunk, marked done when the stream ends.
#[derive(Debug, Default)]
struct Progress {
    chunks: AtomicU64,
    done: AtomicBool,
}

/// Marks the stream's [`Progress`] done when the stream (and so its state) is dropped.
struct Finished(Arc<Progress>);

impl Drop for Finished {
    fn drop(&mut self) {
        self.0.done.store(true, Ordering::Relaxed);
    }
}

/// Closes the connection of a CSV stream that took no chunk for [`STALL_TIMEOUT`], which
/// drops the stream and its export slot; ends with the stream.
fn watch(progress: Arc<Progress>, control: ConnControl) {
    tokio::spawn(async move {
        let mut seen = progress.chunks.load(Ordering::Relaxed);
        loop {
            tokio::time::sleep(STALL_TIMEOUT).await;
            if progress.done.load(Ordering::Relaxed) {
                return;
            }
            let now = progress.chunks.load(Ordering::Relaxed);
            if now == seen {
                control.0.notify_one();
                return;
            }
            seen = now;
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
    let progress = Arc::new(Progress::default());
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
        state.progress.chunks.fetch_add(1, Ordering::Relaxed);
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
