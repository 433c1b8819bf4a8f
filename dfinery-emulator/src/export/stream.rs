//! The CSV response body, produced page by page from the store while the client reads it, so
//! an export never builds the whole file in memory.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use tokio::sync::OwnedSemaphorePermit;

use super::csv::CsvBuffer;
use crate::server::app::App;
use crate::server::gate::Admitted;

/// How long a cut stream waits before failing, so what was written reaches the client.
const FLUSH_PAUSE: Duration = Duration::from_millis(50);

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
}

/// HTTP 200 with a `text/csv` body: the header row, then `rows`. When `admitted.drop_stream`
/// is set (a fault), the body fails right after the header row, which cuts the connection.
pub(crate) fn csv_response<R: Rows>(
    app: Arc<App>,
    header: Vec<String>,
    rows: R,
    admitted: Admitted,
) -> Response {
    let state = State {
        app,
        header,
        rows,
        step: Step::Header,
        cut: admitted.drop_stream,
        _permit: admitted.permit,
    };
    let stream = futures_util::stream::unfold(state, |mut state| async move {
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
