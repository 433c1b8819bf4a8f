//! The client against a server that misbehaves in ways the emulator cannot: redirects (to
//! another host, in a loop) and export answers that are not CSV. A raw server on 127.0.0.1
//! writes exactly the bytes each case needs and records the requests it got.

use std::sync::{Arc, Mutex};

use dfinery::Error;
use dfinery::wire::Endpoint;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::{no_retry, today, user};

const IMPORT_TOKEN: &str = "import-secret-7f3a";
const EXPORT_TOKEN: &str = "export-secret-9c1d";

/// The heads of the requests a [`raw_server`] got, lower-cased.
type Heads = Arc<Mutex<Vec<String>>>;

/// A server on 127.0.0.1 answering each request (at most `limit`, so a loop cannot run away)
/// with `answer(port)`, where `port` is its own. Returns its base URL and the heads it got.
async fn raw_server(
    limit: usize,
    answer: impl Fn(u16) -> Vec<u8> + Send + 'static,
) -> (String, Heads) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let heads = Heads::default();
    let seen = Arc::clone(&heads);
    tokio::spawn(async move {
        for _ in 0..limit {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let head = read_request(&mut socket).await;
            seen.lock().unwrap().push(head);
            let _ = socket.write_all(&answer(port)).await;
            let _ = socket.shutdown().await;
        }
    });
    (format!("http://127.0.0.1:{port}"), heads)
}

/// Reads one request (the head, then `content-length` bytes of body); returns the head.
async fn read_request(socket: &mut tokio::net::TcpStream) -> String {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return String::from_utf8_lossy(&seen).to_ascii_lowercase(),
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
        if let Some(at) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&seen[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while seen.len() < head_end + length {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
    head
}

/// An answer with `status`, `headers` (each ending in `\r\n`) and `body`, closing the connection.
fn answer(status: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let head = format!(
        "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    [head.as_bytes(), body].concat()
}

/// The documented Import success.
const OK: &[u8] = br#"{"status":true,"code":"20000","message":"OK","data":true}"#;

fn client_at(base_url: &str) -> dfinery::Client {
    dfinery::Client::builder()
        .service_id("svc")
        .import_token(IMPORT_TOKEN)
        .export_token(EXPORT_TOKEN)
        .base_url(base_url)
        .retry(no_retry())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed_so_the_tokens_stay_home() {
    // The other host answers success to anything, as a catch-all would.
    let (elsewhere, stolen) = raw_server(8, |_| {
        answer("200 OK", "content-type: application/json\r\n", OK)
    })
    .await;
    for (status, endpoint) in [
        ("307 Temporary Redirect", Endpoint::Identities),
        ("308 Permanent Redirect", Endpoint::ExportEvent),
    ] {
        let location = format!("{elsewhere}{}?service_id=svc", endpoint.path());
        let (base, heads) = raw_server(2, move |_| {
            answer(status, &format!("location: {location}\r\n"), b"")
        })
        .await;
        let client = client_at(&base);
        let error = match endpoint {
            Endpoint::Identities => client.identify(&user("u")).await.unwrap_err(),
            _ => client.export_events(&today()).await.unwrap_err(),
        };
        assert!(
            matches!(
                error,
                Error::Unexpected {
                    status: 307 | 308,
                    ..
                }
            ),
            "{endpoint}: a redirect is not the documented answer: {error:?}"
        );
        assert!(!error.is_retryable(), "{error:?}");
        let message = error.to_string();
        assert!(
            message.contains(&endpoint.to_string()) && message.contains("base_url"),
            "{message}"
        );
        assert_eq!(heads.lock().unwrap().len(), 1);
    }
    let stolen = stolen.lock().unwrap();
    assert!(stolen.is_empty(), "the other host got requests: {stolen:?}");
}

#[tokio::test]
async fn a_redirect_loop_is_one_request_and_an_error_not_a_retried_chase() {
    let (base, heads) = raw_server(100, |port| {
        answer(
            "302 Found",
            &format!("location: http://127.0.0.1:{port}/api/v1/events?service_id=svc\r\n"),
            b"",
        )
    })
    .await;
    let mut retry = crate::support::fast_retry();
    retry.max_attempts = 5;
    let client = client_with(&base, retry);
    let error = client.identify(&user("u")).await.unwrap_err();
    assert!(
        matches!(error, Error::Unexpected { status: 302, .. }),
        "{error:?}"
    );
    assert_eq!(heads.lock().unwrap().len(), 1, "one request, not a chase");
}

#[tokio::test]
async fn an_export_answered_with_an_html_page_is_an_error_not_csv() {
    let page = b"<!doctype html><html><body>Sign in to continue</body></html>";
    let (base, _) = raw_server(2, |_| {
        answer("200 OK", "content-type: text/html; charset=utf-8\r\n", page)
    })
    .await;
    let error = client_at(&base).export_events(&today()).await.unwrap_err();
    let Error::Decode {
        status: 200, body, ..
    } = &error
    else {
        panic!("an HTML page was taken for the CSV: {error:?}");
    };
    assert_eq!(&body[..], page, "the page is kept");
    let message = error.to_string();
    assert!(
        message.contains("export/event")
            && message.contains("text/html")
            && message.contains("base_url"),
        "{message}"
    );
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn an_answer_in_an_encoding_never_asked_for_is_an_error_naming_it() {
    // The start of a gzip stream: what a compressing proxy would pass on.
    let gzip = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x4b\x4c\x4a\x06\x00";
    let (base, heads) = raw_server(4, |_| {
        answer(
            "200 OK",
            "content-type: text/csv\r\ncontent-encoding: gzip\r\n",
            gzip,
        )
    })
    .await;
    let client = client_at(&base);
    let export = client.export_events(&today()).await.unwrap_err();
    let import = client.identify(&user("u")).await.unwrap_err();
    for error in [export, import] {
        assert!(
            matches!(error, Error::Decode { status: 200, .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains("`gzip`") && message.contains("Accept-Encoding"),
            "{message}"
        );
    }
    // The client never asked for it.
    for head in heads.lock().unwrap().iter() {
        assert!(!head.contains("accept-encoding"), "{head}");
    }
}

#[tokio::test]
async fn an_identity_encoding_and_a_csv_type_are_read_as_csv() {
    let csv = b"df_unified_id,event_name\nu1,df_login\n";
    let (base, _) = raw_server(2, |_| {
        answer(
            "200 OK",
            "content-type: text/csv; charset=utf-8\r\ncontent-encoding: identity\r\n",
            csv,
        )
    })
    .await;
    let stream = client_at(&base).export_events(&today()).await.unwrap();
    assert_eq!(stream.text().await.unwrap().as_bytes(), csv);
}

#[tokio::test]
async fn a_slow_head_then_a_slow_body_is_one_timeout_not_two() {
    // The head comes after 0.7 s, the body 0.7 s later: each within the 1 s timeout, the
    // attempt not. Real time, so a loaded machine only makes the answer later.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        read_request(&mut socket).await;
        let pause = std::time::Duration::from_millis(700);
        tokio::time::sleep(pause).await;
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            OK.len()
        );
        let _ = socket.write_all(head.as_bytes()).await;
        let _ = socket.flush().await;
        tokio::time::sleep(pause).await;
        let _ = socket.write_all(OK).await;
        let _ = socket.shutdown().await;
    });
    let client = dfinery::Client::builder()
        .service_id("svc")
        .import_token(IMPORT_TOKEN)
        .base_url(&base)
        .timeout(std::time::Duration::from_secs(1))
        .retry(no_retry())
        .build()
        .unwrap();
    let error = client.identify(&user("u")).await.unwrap_err();
    assert!(
        matches!(error, Error::Timeout { endpoint: Endpoint::Identities, after } if after == std::time::Duration::from_secs(1)),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("identities") && message.contains("timeout"),
        "{message}"
    );
}

#[tokio::test]
async fn rate_limit_headers_with_garbage_resets_are_bounded_retries_then_the_error() {
    // A `Retry-After` of an HTTP-date in 2099 is no garbage: the client gives up at once, as
    // for a far reset, rather than retry into the same refusal; so is one of more seconds than
    // a u64 holds (a very long wait, not an unreadable header).
    for (reset, attempts) in [
        ("-5", 3),
        ("Thu, 01 Jan 2099 00:00:00 GMT", 1),
        ("99999999999999999999999", 1),
        ("1e12", 3),
        ("", 3),
    ] {
        let headers = format!(
            "content-type: application/json\r\nx-ratelimit-limit: 1m\r\nx-ratelimit-remaining: 0\r\nx-ratelimit-reset: {reset}\r\nretry-after: {reset}\r\n"
        );
        let (base, heads) =
            raw_server(20, move |_| answer("429 Too Many Requests", &headers, b"")).await;
        let mut retry = crate::support::fast_retry();
        retry.max_attempts = 3;
        let client = client_with(&base, retry);
        let who = user("u");
        let call = client.identify(&who);
        let error = tokio::time::timeout(std::time::Duration::from_secs(30), call)
            .await
            .unwrap_or_else(|_| panic!("reset `{reset}`: no answer within 30 s"))
            .unwrap_err();
        assert!(
            matches!(error, Error::RateLimited { status: 429, .. }),
            "{reset}: {error:?}"
        );
        assert_eq!(
            heads.lock().unwrap().len(),
            attempts,
            "reset `{reset}`: the attempts allowed"
        );
    }
}

/// When each request of a [`in_turn`] server arrived.
type Arrivals = Arc<Mutex<Vec<std::time::Instant>>>;

/// A server on 127.0.0.1 giving `answers` in turn (the last one again once they run out, at
/// most 8 requests); returns its base URL and when each request arrived.
async fn in_turn(answers: Vec<Vec<u8>>) -> (String, Arrivals) {
    let arrivals = Arrivals::default();
    let seen = Arc::clone(&arrivals);
    let (base, _) = raw_server(8, move |_| {
        let mut seen = seen.lock().unwrap();
        seen.push(std::time::Instant::now());
        answers[(seen.len() - 1).min(answers.len() - 1)].clone()
    })
    .await;
    (base, arrivals)
}

/// A client of `base` retrying 3 times, on a backoff of 1 ms (so any longer wait is the
/// server's asking), capped at 5 s; rate-limit resets waited for up to 5 s.
fn retrying_client(base: &str, clock: Option<dfinery::clock::Clock>) -> dfinery::Client {
    let mut retry = dfinery::RetryPolicy::default();
    retry.max_attempts = 3;
    retry.initial_backoff = std::time::Duration::from_millis(1);
    retry.max_backoff = std::time::Duration::from_secs(5);
    retry.max_rate_limit_wait = std::time::Duration::from_secs(5);
    let builder = dfinery::Client::builder()
        .service_id("svc")
        .import_token(IMPORT_TOKEN)
        .base_url(base)
        .retry(retry);
    match clock {
        Some(clock) => builder.clock(clock),
        None => builder,
    }
    .build()
    .unwrap()
}

/// A server error or a rate limit whose answer has a `Retry-After` (and no rate-limit reset)
/// is retried no sooner than it asks: both were retried on the backoff alone (here 1 ms), into
/// the same refusal. Real time: the wait asked for is 1 s, and only its lower bound is
/// asserted.
#[tokio::test]
async fn a_server_error_or_a_rate_limit_is_retried_no_sooner_than_its_retry_after() {
    for status in ["503 Service Unavailable", "429 Too Many Requests"] {
        let (base, arrivals) = in_turn(vec![
            answer(status, "retry-after: 1\r\n", b""),
            answer("200 OK", "content-type: application/json\r\n", OK),
        ])
        .await;
        let client = retrying_client(&base, None);
        tokio::time::timeout(
            std::time::Duration::from_secs(30),
            client.identify(&user("u")),
        )
        .await
        .unwrap_or_else(|_| panic!("{status}: no answer within 30 s"))
        .unwrap_or_else(|error| panic!("{status}: {error}"));
        let arrivals = arrivals.lock().unwrap();
        assert_eq!(arrivals.len(), 2, "{status}: one retry");
        let waited = arrivals[1] - arrivals[0];
        assert!(
            waited >= std::time::Duration::from_secs(1),
            "{status}: retried after {waited:?}, before the 1 s it asked for"
        );
    }
}

/// A rate limit whose `Retry-After` is further than `max_rate_limit_wait` is returned at once,
/// as one with a far reset is (it was retried twice, into the same refusal); a server error's
/// far `Retry-After` waits `max_backoff` at most, and is still retried.
#[tokio::test]
async fn a_far_retry_after_ends_a_rate_limit_at_once_and_caps_a_server_error() {
    let (base, arrivals) = in_turn(vec![answer(
        "429 Too Many Requests",
        "retry-after: 3600\r\n",
        b"",
    )])
    .await;
    let error = retrying_client(&base, None)
        .identify(&user("u"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::RateLimited { status: 429, .. }),
        "{error:?}"
    );
    // The wait asked for stays in the error, for the caller (a Tracker pauses on it).
    assert_eq!(
        error.retry_after(),
        Some(std::time::Duration::from_secs(3_600))
    );
    assert_eq!(arrivals.lock().unwrap().len(), 1, "not retried");

    let (base, arrivals) = in_turn(vec![
        answer("503 Service Unavailable", "retry-after: 3600\r\n", b""),
        answer("200 OK", "content-type: application/json\r\n", OK),
    ])
    .await;
    let mut retry = dfinery::RetryPolicy::default();
    retry.max_attempts = 2;
    retry.initial_backoff = std::time::Duration::from_millis(1);
    retry.max_backoff = std::time::Duration::from_millis(50);
    let client = client_with(&base, retry);
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        client.identify(&user("u")),
    )
    .await
    .expect("a retry within max_backoff, not an hour later")
    .unwrap();
    assert_eq!(arrivals.lock().unwrap().len(), 2);
}

/// DFINERY's `x-ratelimit-reset` comes before a `Retry-After` in the same answer: the reset
/// 1 s away is waited for, though `Retry-After` asks for an hour (which would end the retries
/// at once). Real time: the reset's 1 s.
#[tokio::test]
async fn the_rate_limit_reset_comes_before_retry_after() {
    let now = std::time::SystemTime::now();
    let reset = now + std::time::Duration::from_secs(1);
    let reset_ms = reset
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let headers = format!(
        "x-ratelimit-limit: 1m\r\nx-ratelimit-remaining: 0\r\nx-ratelimit-reset: {reset_ms}\r\nretry-after: 3600\r\n"
    );
    let (base, arrivals) = in_turn(vec![
        answer("429 Too Many Requests", &headers, b""),
        answer("200 OK", "content-type: application/json\r\n", OK),
    ])
    .await;
    // The client's clock stands still at `now`: the reset is 1 s away whenever it is read.
    let client = retrying_client(&base, Some(dfinery::clock::Clock::new(move || now)));
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        client.identify(&user("u")),
    )
    .await
    .expect("an answer within 30 s")
    .unwrap();
    assert_eq!(arrivals.lock().unwrap().len(), 2, "retried after the reset");
}

#[tokio::test]
async fn an_export_answered_with_json_that_is_no_error_body_is_not_taken_for_csv() {
    let bodies: [&'static [u8]; 5] = [OK, b"{}", b"[]", br#"{"result":"success","data":[]}"#, b""];
    for body in bodies {
        let (base, _) = raw_server(2, move |_| {
            answer("200 OK", "content-type: application/json\r\n", body)
        })
        .await;
        let text = String::from_utf8_lossy(body);
        let error = match client_at(&base).export_events(&today()).await {
            Ok(stream) => panic!("`{text}` was taken for the CSV: {:?}", stream.text().await),
            Err(error) => error,
        };
        assert!(
            matches!(
                error,
                Error::Decode { status: 200, .. } | Error::Unexpected { status: 200, .. }
            ),
            "{text}: {error:?}"
        );
        assert!(!error.is_retryable(), "{text}: {error:?}");
        assert!(error.to_string().contains("export/event"), "{error}");
    }
    // A CSV under a JSON type is still read as the CSV.
    let csv = b"df_unified_id,event_name\nu1,df_login\n";
    let (base, _) = raw_server(2, |_| {
        answer("200 OK", "content-type: application/json\r\n", csv)
    })
    .await;
    let stream = client_at(&base).export_events(&today()).await.unwrap();
    assert_eq!(stream.text().await.unwrap().as_bytes(), csv);
}

#[tokio::test]
async fn an_export_that_stalls_mid_body_names_the_setting_that_bounds_it() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        read_request(&mut socket).await;
        let head =
            "HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ntransfer-encoding: chunked\r\n\r\n";
        let _ = socket.write_all(head.as_bytes()).await;
        let _ = socket.write_all(b"d\r\ndf_unified_id\r\n").await;
        let _ = socket.flush().await;
        // Then nothing, longer than the test waits.
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
    });
    let client = dfinery::Client::builder()
        .service_id("svc")
        .export_token(EXPORT_TOKEN)
        .base_url(&base)
        .export_read_timeout(std::time::Duration::from_millis(300))
        .retry(no_retry())
        .build()
        .unwrap();
    let error = client
        .export_events(&today())
        .await
        .unwrap()
        .text()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                endpoint: Endpoint::ExportEvent,
                ..
            }
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("`export_read_timeout`"), "{message}");
}

#[tokio::test]
async fn an_error_body_written_into_the_csv_fails_text_and_collect_bytes() {
    // DFINERY's documented way to stop an export that started: HTTP 200, the JSON after the CSV.
    let cases: [(&'static [u8], bool); 3] = [
        (b"df_unified_id,event_name\nu1,df_login\n{\"result\":\"fail\",\"message\":\"client_connection_closed\"}", true),
        (b"df_unified_id,event_name\nu1,df_lo{ \"result\" : \"fail\", \"message\" : \"query_error\" }\n", true),
        // Quoted JSON in a cell is data: its quotes are doubled, so it is no error body.
        (b"df_unified_id,event_name\nu1,\"{\"\"result\"\":\"\"fail\"\",\"\"message\"\":\"\"x\"\"}\"\n", false),
    ];
    for (body, broken) in cases {
        let (base, _) = raw_server(4, move |_| {
            answer("200 OK", "content-type: text/csv\r\n", body)
        })
        .await;
        let client = client_at(&base);
        let text = client.export_events(&today()).await.unwrap().text().await;
        let bytes = client
            .export_events(&today())
            .await
            .unwrap()
            .collect_bytes()
            .await;
        if !broken {
            assert_eq!(text.unwrap().as_bytes(), body);
            assert_eq!(&bytes.unwrap()[..], body);
            continue;
        }
        for error in [
            text.map(|_| ()).unwrap_err(),
            bytes.map(|_| ()).unwrap_err(),
        ] {
            assert!(
                matches!(
                    error,
                    Error::Server {
                        status: 200,
                        code: Some(_),
                        ..
                    }
                ),
                "{error:?}"
            );
            assert!(error.is_retryable());
            assert!(error.to_string().contains("export/event"), "{error}");
        }
    }
}

#[tokio::test]
async fn a_csv_over_a_mebibyte_under_a_json_type_comes_back_whole() {
    // The JSON type makes the client read the answer as a possible error body, which is small;
    // the CSV it turns out to be must not be cut at that reading's limit.
    let mut csv = b"df_unified_id,event_name\n".to_vec();
    while csv.len() < 3 << 20 {
        csv.extend_from_slice(format!("u{},df_login\n", csv.len()).as_bytes());
    }
    let csv: &'static [u8] = csv.leak();
    let (base, _) = raw_server(2, |_| {
        answer("200 OK", "content-type: application/json\r\n", csv)
    })
    .await;
    let stream = client_at(&base).export_events(&today()).await.unwrap();
    let got = stream.collect_bytes().await.unwrap();
    assert_eq!(got.len(), csv.len(), "the CSV was cut");
    assert!(got == csv);
}

#[tokio::test]
async fn a_server_echoing_the_token_in_its_body_does_not_put_it_in_the_error() {
    // A proxy's error page that dumps the request it refused, headers and all.
    for (endpoint, status, token) in [
        (Endpoint::Identities, "502 Bad Gateway", IMPORT_TOKEN),
        (Endpoint::Identities, "200 OK", IMPORT_TOKEN),
        (Endpoint::ExportEvent, "404 Not Found", EXPORT_TOKEN),
    ] {
        let page =
            format!("refused: POST with access_token: {token} and authorization: Bearer {token}");
        let (base, _) = raw_server(2, move |_| {
            answer(status, "content-type: text/plain\r\n", page.as_bytes())
        })
        .await;
        let client = client_at(&base);
        let error = match endpoint {
            Endpoint::Identities => client.identify(&user("u")).await.unwrap_err(),
            _ => client.export_events(&today()).await.unwrap_err(),
        };
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains(token), "{status}: {shown}");
        assert!(
            shown.contains("refused: POST"),
            "the rest of the body is kept: {shown}"
        );
    }
}

#[tokio::test]
async fn an_export_with_an_empty_body_is_not_an_empty_success() {
    // Every export starts with its header row, even with no rows; ExportRows calls an empty
    // body truncated, and the raw stream must not call it a whole export either.
    for status in ["200 OK", "204 No Content"] {
        let (base, _) = raw_server(4, move |_| {
            answer(status, "content-type: text/csv\r\n", b"")
        })
        .await;
        let client = client_at(&base);
        let outcome = match client.export_events(&today()).await {
            Ok(stream) => stream.text().await.map(|_| ()),
            Err(error) => Err(error),
        };
        let error = outcome.expect_err(status);
        assert!(matches!(error, Error::Decode { .. }), "{status}: {error:?}");
        assert!(error.to_string().contains("header row"), "{error}");
    }
}

/// A client of service `svc` with the import token, sending to `base` under `retry`.
fn client_with(base: &str, retry: dfinery::RetryPolicy) -> dfinery::Client {
    dfinery::Client::builder()
        .service_id("svc")
        .import_token(IMPORT_TOKEN)
        .base_url(base)
        .retry(retry)
        .build()
        .unwrap()
}
