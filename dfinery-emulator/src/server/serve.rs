//! The accept loop: one task per connection, each able to drop its connection without an answer
//! (a fault), all stopped when the handle asks, and each closed when its client is too slow to
//! send a request's headers or leaves it idle (HTTP/2 included).

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tower_service::Service;

use super::gate::ConnControl;

/// How long connections may take to finish after a shutdown before they are cut.
const GRACE: Duration = Duration::from_secs(1);

/// How long a client has to send a request's headers, from the moment its connection opens (or
/// its previous answer was sent, on a kept-alive connection); then the connection is closed.
/// Without it a client that connects and sends nothing, or its headers a byte at a time, held
/// its connection and task for as long as it kept the socket open. An idle kept-alive
/// connection is closed after as long, as servers do: longer than reqwest keeps an idle
/// connection in its pool (90 s), so a client with reqwest's defaults (the tracker's, the
/// CLI's) lets go of one first and never sends a request on a connection the emulator is
/// closing at that instant (with 30 s, a request made exactly 30 s after the previous answer
/// failed with `IncompleteMessage` and was retried). An HTTP/2 connection (which hyper's header
/// read timeout does not cover) is closed after as long with no request open on it.
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(120);

/// The first bytes an HTTP/2 client with prior knowledge sends.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Serves `router` on `listener` until `shutdown` turns `true` or its sender is dropped,
/// closing a connection whose client takes longer than `header_read_timeout` to send a
/// request's headers, or leaves an HTTP/2 connection without a request for as long
/// ([`HEADER_READ_TIMEOUT`] outside tests).
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
    header_read_timeout: Duration,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(connection(
                        stream,
                        router.clone(),
                        shutdown.clone(),
                        header_read_timeout,
                    ));
                }
                // Out of file descriptors and the like: back off briefly rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
}

/// Serves one connection (HTTP/1.1, or HTTP/2 with prior knowledge).
async fn connection(
    stream: TcpStream,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
    header_read_timeout: Duration,
) {
    let _ = stream.set_nodelay(true);
    // Telling HTTP/1 from HTTP/2 waits for the client's first bytes, which hyper's header read
    // timeout does not cover: a client that sends nothing would be held forever.
    let http2 = tokio::select! {
        sent = tokio::time::timeout(header_read_timeout, first_bytes(&stream)) => match sent {
            Ok(Ok(http2)) => http2,
            _ => return,
        },
        _ = shutdown.changed() => return,
    };
    // Hyper closes an idle HTTP/1 connection (its header read timeout) but not an HTTP/2 one:
    // its requests are counted here instead.
    let activity = http2.then(|| Arc::new(Activity::new()));
    let kill = Arc::new(Notify::new());
    let control = ConnControl(kill.clone());
    let requests = activity.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(control.clone());
        let mut router = router.clone();
        let open = requests.as_ref().map(Activity::open);
        async move {
            let response = router.call(request).await?;
            // Open until its answer is sent in full (an export streams for long).
            Ok::<_, std::convert::Infallible>(response.map(|body| Tracked { body, _open: open }))
        }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let mut closing = false;
    loop {
        tokio::select! {
            _ = conn.as_mut() => break,
            // Dropping `conn` closes the socket with no answer.
            () = kill.notified() => break,
            _ = shutdown.changed() => {
                conn.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(GRACE, conn).await;
                break;
            }
            () = idle(activity.as_deref(), if closing { GRACE } else { header_read_timeout }) => {
                if closing {
                    // Told to go away and still silent: a client that never answers the
                    // GOAWAY's PING would hold the connection.
                    break;
                }
                // GOAWAY: a client with a request on its way learns it was not taken.
                conn.as_mut().graceful_shutdown();
                closing = true;
                if let Some(activity) = &activity {
                    activity.touch();
                }
            }
        }
    }
}

/// The requests open on an HTTP/2 connection, and when the last one closed.
struct Activity {
    /// Requests open, and when one last closed (or the connection opened, or was told to go
    /// away): the idle time of a connection with none open counts from there.
    state: Mutex<(usize, Instant)>,
    /// Woken at every change of `state`.
    changed: Notify,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            state: Mutex::new((0, Instant::now())),
            changed: Notify::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, (usize, Instant)> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A request arrived: open until the returned guard is dropped.
    fn open(self: &Arc<Activity>) -> Open {
        self.state().0 += 1;
        self.changed.notify_waiters();
        Open(Arc::clone(self))
    }

    /// Counts the idle time from now.
    fn touch(&self) {
        self.state().1 = Instant::now();
        self.changed.notify_waiters();
    }

    /// Returns once no request has been open for `limit`.
    async fn idle_for(&self, limit: Duration) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let (open, since) = *self.state();
            if open > 0 {
                changed.await;
                continue;
            }
            tokio::select! {
                () = tokio::time::sleep_until(since + limit) => return,
                () = changed => {}
            }
        }
    }
}

/// Returns once the HTTP/2 connection of `activity` has had no request open for `limit`;
/// never for HTTP/1 (`None`: hyper's header read timeout closes an idle one).
async fn idle(activity: Option<&Activity>, limit: Duration) {
    match activity {
        Some(activity) => activity.idle_for(limit).await,
        None => std::future::pending().await,
    }
}

/// A request open on an HTTP/2 connection; closed when dropped.
struct Open(Arc<Activity>);

impl Drop for Open {
    fn drop(&mut self) {
        let mut state = self.0.state();
        state.0 = state.0.saturating_sub(1);
        state.1 = Instant::now();
        drop(state);
        self.0.changed.notify_waiters();
    }
}

/// An answer's body, holding its request open (on HTTP/2) until sent in full or dropped.
struct Tracked {
    body: Body,
    _open: Option<Open>,
}

impl HttpBody for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// Waits, without taking them off the socket, until the client has sent enough to tell HTTP/1
/// from HTTP/2 with prior knowledge: a byte that is not the HTTP/2 preface's, the whole
/// preface, or the end of the stream. `true` for the whole preface (HTTP/2).
async fn first_bytes(stream: &TcpStream) -> std::io::Result<bool> {
    let mut buf = [0u8; H2_PREFACE.len()];
    loop {
        let n = stream.peek(&mut buf).await?;
        if n == 0 || n == H2_PREFACE.len() || buf[..n] != H2_PREFACE[..n] {
            return Ok(n == H2_PREFACE.len() && buf == *H2_PREFACE);
        }
        // Part of the preface: peeking again at once would return the same bytes.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::Instant;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// An empty router (every path 404) served on loopback with `header_read_timeout`; the
    /// sender stops it when dropped.
    async fn server(header_read_timeout: Duration) -> (SocketAddr, watch::Sender<bool>) {
        serve_router(Router::new(), header_read_timeout).await
    }

    async fn serve_router(
        router: Router,
        header_read_timeout: Duration,
    ) -> (SocketAddr, watch::Sender<bool>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, signal) = watch::channel(false);
        tokio::spawn(serve(listener, router, signal, header_read_timeout));
        (addr, stop)
    }

    /// A name for the connection a request arrived on (its control's address, unique while
    /// the connection is open).
    fn connection_of(control: &ConnControl) -> String {
        format!("{:p}", Arc::as_ptr(&control.0))
    }

    /// The HTTP/2 frame types in `bytes`, a server's frames in order.
    fn frame_types(bytes: &[u8]) -> Vec<u8> {
        let mut types = Vec::new();
        let mut rest = bytes;
        while rest.len() >= 9 {
            let len = usize::from(rest[0]) << 16 | usize::from(rest[1]) << 8 | usize::from(rest[2]);
            types.push(rest[3]);
            rest = &rest[(9 + len).min(rest.len())..];
        }
        types
    }

    /// Reads what the server sends until it closes the connection (`Ok(0)` or an error).
    async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
        let mut all = Vec::new();
        let mut buf = [0u8; 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return all,
                Ok(n) => all.extend_from_slice(&buf[..n]),
            }
        }
    }

    /// A client that connects and sends nothing, part of a request line, headers without
    /// their blank line, or part of the HTTP/2 preface, then stalls, is disconnected once the
    /// header read timeout (200 ms here) has passed; each was held forever. Real time, bounded
    /// at 10 s each.
    #[tokio::test]
    async fn a_client_that_stalls_before_the_end_of_its_headers_is_disconnected() {
        let (addr, _stop) = server(Duration::from_millis(200)).await;
        for sent in [
            &b""[..],
            b"GET / HT",
            b"GET / HTTP/1.1\r\nHost: localhost\r\n",
            b"PRI * HTTP/2.0\r\n",
        ] {
            let shown = String::from_utf8_lossy(sent);
            let mut stream = TcpStream::connect(addr).await.unwrap();
            let started = Instant::now();
            stream.write_all(sent).await.unwrap();
            tokio::time::timeout(Duration::from_secs(10), read_until_closed(&mut stream))
                .await
                .unwrap_or_else(|_| panic!("after {shown:?} the connection is still open at 10 s"));
            let took = started.elapsed();
            assert!(
                took >= Duration::from_millis(100),
                "after {shown:?} the connection was closed at once ({took:?}), not after the timeout"
            );
        }
    }

    /// A client with reqwest's defaults (an idle connection kept 90 s in its pool) never sends
    /// on a connection the emulator is closing: requests 30 s, 60 s and 90 s after the previous
    /// answer, on the kept-alive connection, are answered. With a 30 s timeout the one at
    /// exactly 30 s failed (`IncompleteMessage`). Paused time: the pauses are the clock's.
    #[tokio::test(start_paused = true)]
    async fn a_pooled_connection_is_not_closed_under_a_reqwest_client() {
        let (addr, _stop) = server(HEADER_READ_TIMEOUT).await;
        let client = reqwest::Client::new();
        for pause in [0, 30, 60, 90] {
            tokio::time::sleep(Duration::from_secs(pause)).await;
            let answer = client
                .get(format!("http://{addr}/nowhere"))
                .send()
                .await
                .unwrap_or_else(|e| panic!("the request {pause} s after the last failed: {e:?}"));
            assert_eq!(answer.status(), 404);
            answer.bytes().await.unwrap();
        }
    }

    /// A connection to `addr` that has sent HTTP/2's preface and an empty SETTINGS frame (prior
    /// knowledge, as the emulator accepts), and when it opened.
    async fn open_http2(addr: std::net::SocketAddr) -> (TcpStream, tokio::time::Instant) {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let opened = tokio::time::Instant::now();
        stream.write_all(H2_PREFACE).await.unwrap();
        stream
            .write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0])
            .await
            .unwrap();
        (stream, opened)
    }

    /// An HTTP/2 client that sends the preface and its settings, then nothing, is told to go
    /// away (GOAWAY) after the idle limit, and disconnected a moment later since it never
    /// answers; it was held forever (hyper's header read timeout is HTTP/1's only). Paused time.
    #[tokio::test(start_paused = true)]
    async fn an_idle_http2_connection_is_closed_after_the_limit() {
        let (addr, _stop) = server(HEADER_READ_TIMEOUT).await;
        let (mut stream, opened) = open_http2(addr).await;
        let sent = tokio::time::timeout(Duration::from_secs(3_600), read_until_closed(&mut stream))
            .await
            .expect("the idle HTTP/2 connection is still open after an hour");
        let took = opened.elapsed();
        assert!(
            (HEADER_READ_TIMEOUT..=HEADER_READ_TIMEOUT + 2 * GRACE).contains(&took),
            "closed after {took:?}, not after {HEADER_READ_TIMEOUT:?} idle"
        );
        const SETTINGS: u8 = 4;
        const GOAWAY: u8 = 7;
        let types = frame_types(&sent);
        assert!(
            types.first() == Some(&SETTINGS) && types.contains(&GOAWAY),
            "frames sent: {types:?}"
        );
    }

    /// A router answering `/connection` at once and `/slow` after 300 s, each with the name of
    /// the connection it came on.
    fn slow_router() -> Router {
        use axum::Extension;
        use axum::routing::get;

        Router::new()
            .route(
                "/connection",
                get(|Extension(control): Extension<ConnControl>| async move {
                    connection_of(&control)
                }),
            )
            .route(
                "/slow",
                get(|Extension(control): Extension<ConnControl>| async move {
                    tokio::time::sleep(Duration::from_secs(300)).await;
                    connection_of(&control)
                }),
            )
    }

    /// An HTTP/2 client with reqwest's defaults keeps its one pooled connection for as long as
    /// reqwest does (for HTTP/2, 90 s from the last request made on it): requests 89 s apart all
    /// go over the connection of the first. Paused time.
    #[tokio::test(start_paused = true)]
    async fn a_live_http2_client_keeps_its_pooled_connection() {
        let (addr, _stop) = serve_router(slow_router(), HEADER_READ_TIMEOUT).await;
        let client = reqwest::Client::builder()
            .http2_prior_knowledge()
            .build()
            .unwrap();
        let mut first = None;
        for round in 0..4 {
            let answer = client
                .get(format!("http://{addr}/connection"))
                .send()
                .await
                .unwrap_or_else(|e| panic!("request {round}: {e:?}"));
            assert_eq!(answer.version(), reqwest::Version::HTTP_2);
            let connection = answer.text().await.unwrap();
            assert_eq!(
                first.get_or_insert_with(|| connection.clone()),
                &connection,
                "request {round}, 89 s after the one before, came on another connection"
            );
            tokio::time::sleep(Duration::from_secs(89)).await;
        }
    }

    /// A request open on an HTTP/2 connection is not idle: one answered after 300 s (longer
    /// than the 120 s limit) gets its answer before any GOAWAY, and the connection is told to
    /// go away 120 s after that answer, not after the request began. Paused time.
    #[tokio::test(start_paused = true)]
    async fn an_http2_connection_is_idle_from_its_last_answer() {
        let (addr, _stop) = serve_router(slow_router(), HEADER_READ_TIMEOUT).await;
        let (mut stream, opened) = open_http2(addr).await;
        // GET /slow on stream 1 (HPACK: GET, http, a literal :path and :authority), ending
        // the stream and the headers.
        let mut block = vec![0x82, 0x86, 0x44, 5];
        block.extend_from_slice(b"/slow");
        block.extend_from_slice(&[0x41, 9]);
        block.extend_from_slice(b"localhost");
        let len = u8::try_from(block.len()).unwrap();
        stream
            .write_all(&[0, 0, len, 1, 0x05, 0, 0, 0, 1])
            .await
            .unwrap();
        stream.write_all(&block).await.unwrap();
        let sent = tokio::time::timeout(Duration::from_secs(3_600), read_until_closed(&mut stream))
            .await
            .expect("the idle HTTP/2 connection is still open after an hour");
        let took = opened.elapsed();
        let idle_from = Duration::from_secs(300) + HEADER_READ_TIMEOUT;
        assert!(
            (idle_from..=idle_from + 2 * GRACE).contains(&took),
            "closed after {took:?}, not 120 s after the answer at 300 s"
        );
        const HEADERS: u8 = 1;
        const GOAWAY: u8 = 7;
        let types = frame_types(&sent);
        let answered = types.iter().position(|&t| t == HEADERS);
        let goaway = types.iter().position(|&t| t == GOAWAY);
        assert!(
            matches!((answered, goaway), (Some(a), Some(g)) if a < g),
            "frames sent: {types:?}"
        );
    }

    /// An answer whose body streams for longer than the idle limit (an export) keeps its
    /// request open until the body's last byte: the connection is not told to go away, nor
    /// dropped, in the middle of it. Counting the request closed once its handler returned, the
    /// connection was idle 120 s into the stream and dropped a second after its GOAWAY, cutting
    /// the body. Paused time.
    #[tokio::test(start_paused = true)]
    async fn an_answer_streaming_longer_than_the_limit_is_not_cut() {
        use axum::routing::get;

        const CHUNKS: u64 = 6;
        let router = Router::new().route(
            "/stream",
            get(|| async {
                // One line a minute for 6 minutes, the headers at once.
                let lines = futures_util::stream::unfold(0, |i| async move {
                    if i == CHUNKS {
                        return None;
                    }
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    Some((Ok::<_, std::io::Error>(format!("line {i}\n")), i + 1))
                });
                Body::from_stream(lines)
            }),
        );
        let (addr, _stop) = serve_router(router, HEADER_READ_TIMEOUT).await;
        let client = reqwest::Client::builder()
            .http2_prior_knowledge()
            .build()
            .unwrap();
        let started = tokio::time::Instant::now();
        let answer = client
            .get(format!("http://{addr}/stream"))
            .send()
            .await
            .unwrap();
        let body = answer
            .text()
            .await
            .expect("the whole body, not a connection cut in the middle of it");
        let expected: String = (0..CHUNKS).map(|i| format!("line {i}\n")).collect();
        assert_eq!(body, expected);
        assert!(started.elapsed() >= Duration::from_secs(60 * CHUNKS));
    }

    /// Headers sent in full within the timeout are answered.
    #[tokio::test]
    async fn a_request_sent_in_time_is_answered() {
        let (addr, _stop) = server(Duration::from_millis(200)).await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /nowhere HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let answer = tokio::time::timeout(Duration::from_secs(10), read_until_closed(&mut stream))
            .await
            .expect("answered within 10 s");
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    }
}
