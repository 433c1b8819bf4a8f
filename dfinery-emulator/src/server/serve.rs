//! The accept loop: one task per connection, each able to drop its connection without an answer
//! (a fault), all stopped when the handle asks, and each closed when its client is too slow to
//! send a request's headers.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
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
/// failed with `IncompleteMessage` and was retried).
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(120);

/// The first bytes an HTTP/2 client with prior knowledge sends.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Serves `router` on `listener` until `shutdown` turns `true` or its sender is dropped,
/// closing a connection whose client takes longer than `header_read_timeout` to send a
/// request's headers ([`HEADER_READ_TIMEOUT`] outside tests).
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
    tokio::select! {
        sent = tokio::time::timeout(header_read_timeout, first_bytes(&stream)) => {
            if !matches!(sent, Ok(Ok(()))) {
                return;
            }
        }
        _ = shutdown.changed() => return,
    }
    let kill = Arc::new(Notify::new());
    let control = ConnControl(kill.clone());
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(control.clone());
        let mut router = router.clone();
        async move { router.call(request).await }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        // Dropping `conn` closes the socket with no answer.
        () = kill.notified() => {}
        _ = shutdown.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(GRACE, conn).await;
        }
    }
}

/// Waits, without taking them off the socket, until the client has sent enough to tell HTTP/1
/// from HTTP/2 with prior knowledge: a byte that is not the HTTP/2 preface's, the whole
/// preface, or the end of the stream.
async fn first_bytes(stream: &TcpStream) -> std::io::Result<()> {
    let mut buf = [0u8; H2_PREFACE.len()];
    loop {
        let n = stream.peek(&mut buf).await?;
        if n == 0 || n == H2_PREFACE.len() || buf[..n] != H2_PREFACE[..n] {
            return Ok(());
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
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, signal) = watch::channel(false);
        tokio::spawn(serve(listener, Router::new(), signal, header_read_timeout));
        (addr, stop)
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
