//! Reading what the emulator stored: through the handle and over `/_emulator/…` (off unless
//! enabled), reset, and the handle's life.

use dfinery_emulator::Emulator;
use serde_json::json;

use crate::support::{Server, batch, builder, fixture, login, read, uuid};

#[tokio::test]
async fn inspection_paths_are_404_unless_enabled() {
    let server = Server::start().await;
    for path in [
        "/_emulator/events",
        "/_emulator/profiles",
        "/_emulator/stats",
        "/_emulator/rejections",
    ] {
        let answer = read(server.http.get(format!("{}{path}", server.emu.base_url()))).await;
        assert_eq!(answer.status, 404, "{path}");
        assert!(answer.text.contains("--inspect"), "{path}: {}", answer.text);
    }
    // A path inspection does not serve either is not said to be served with it on; a typo
    // gets the path meant.
    let answer = read(server.http.get(server.emu.url("/_emulator/nope"))).await;
    assert_eq!(answer.status, 404);
    assert!(
        answer.text.starts_with("no endpoint at `/_emulator/nope`"),
        "{}",
        answer.text
    );
    assert!(!answer.text.contains("is served only"), "{}", answer.text);
    let answer = read(server.http.get(server.emu.url("/_emulator/event"))).await;
    assert_eq!(
        answer.text,
        "no endpoint at `/_emulator/event` (did you mean `/_emulator/events`?); the emulator's \
         own `/_emulator/…` paths are served only with inspection on: start the emulator with \
         `dfinery emulator --inspect`, or `.inspection_http(true)` on its builder\n"
    );
}

#[tokio::test]
async fn a_wrong_method_or_path_is_answered_with_what_is_served() {
    let (builder, clock) = builder();
    let server = Server::with(builder.inspection_http(true), clock).await;
    let base = server.emu.base_url();
    // They were a bare 405 or 404 with an empty body.
    let answer = read(server.http.get(server.emu.url("/api/v1/events"))).await;
    assert_eq!((answer.status, answer.header("allow")), (405, "POST"));
    // As every answer of the six endpoints, with the window's budget (not counted).
    assert_eq!(answer.header("x-ratelimit-limit"), "1m");
    assert_eq!(answer.header("x-ratelimit-remaining"), "1000000");
    assert_eq!(
        answer.text,
        "`GET /api/v1/events` is not served: `/api/v1/events` takes POST with a JSON body, \
         as every DFINERY endpoint does (docs/protocol.md §1.3)\n"
    );
    let answer = read(server.http.put(server.emu.url("/api/v1/export/event"))).await;
    assert_eq!(answer.status, 405);
    assert!(answer.text.contains("takes POST"), "{}", answer.text);
    let answer = read(server.http.post(format!("{base}/_emulator/stats"))).await;
    assert_eq!(answer.status, 405);
    assert!(answer.text.contains("takes GET"), "{}", answer.text);
    let answer = read(server.http.get(format!("{base}/_emulator/reset"))).await;
    assert!(answer.text.contains("takes POST"), "{}", answer.text);

    let answer = read(server.http.post(server.emu.url("/api/v1/event"))).await;
    assert_eq!(answer.status, 404);
    assert_eq!(
        answer.text,
        "no endpoint at `/api/v1/event` (did you mean `/api/v1/events`?); DFINERY's are POST \
         /api/v1/events, /api/v1/identities, /api/v1/identities/delete, /api/v1/user-profile, \
         /api/v1/export/event, /api/v1/export/userprofile (docs/protocol.md §1.5); the \
         emulator's own are GET /_emulator/events, /_emulator/profiles, /_emulator/stats, \
         /_emulator/rejections and POST /_emulator/reset\n"
    );
    let long = format!("{base}/{}", "x".repeat(10_000));
    let answer = read(server.http.post(long)).await;
    assert_eq!(answer.status, 404);
    assert!(answer.text.len() < 1_024, "{} bytes", answer.text.len());
    let answer = read(server.http.get(format!("{base}/_emulator/event"))).await;
    assert!(
        answer.text.contains("did you mean `/_emulator/events`?"),
        "{}",
        answer.text
    );
}

#[tokio::test]
async fn inspection_over_http_reads_events_profiles_stats_and_resets() {
    let (builder, clock) = builder();
    let server = Server::with(builder.inspection_http(true), clock).await;
    assert_eq!(
        server
            .import("/api/v1/events", &fixture("events_example.json"))
            .await
            .code(),
        "20000"
    );
    assert_eq!(
        server
            .import("/api/v1/events", &batch("u-2", vec![]))
            .await
            .code(),
        "40001"
    );
    let get = |path: &str| {
        let url = format!("{}/_emulator/{path}", server.emu.base_url());
        let http = server.http.clone();
        async move { read(http.get(url)).await.json() }
    };
    let events = get("events").await;
    assert_eq!(events.as_array().unwrap().len(), 2);
    assert_eq!(events[0]["event_name"], "df_purchase");
    assert_eq!(events[0]["server_datetime"], "2024-08-26T12:00:00.000Z");
    assert_eq!(
        events[0]["identity"],
        json!({"external_id": "dfn-user-123", "phone_no": "821012345678"})
    );
    let profiles = get("profiles").await;
    assert_eq!(profiles[0]["identity"]["external_id"], "dfn-user-123");
    let stats = get("stats").await;
    assert_eq!(stats["accepted"], 2);
    assert_eq!(stats["requests"], 2);
    let rejections = get("rejections").await;
    assert_eq!(rejections[0]["code"], "40001");
    assert_eq!(rejections[0]["violations"][0]["path"], "events");

    let reset = read(
        server
            .http
            .post(format!("{}/_emulator/reset", server.emu.base_url())),
    )
    .await;
    assert_eq!(reset.json(), json!({"reset": true}));
    assert!(server.emu.events().is_empty());
    assert!(server.emu.profiles().is_empty());
    assert_eq!(server.emu.stats(), Default::default());
}

#[tokio::test]
async fn the_handle_reads_and_resets_state() {
    let server = Server::start().await;
    let at = "2024-08-26T06:00:00.000Z";
    let purchase_free = batch("u-1", vec![login(&uuid(), at), login(&uuid(), at)]);
    assert_eq!(
        server.import("/api/v1/events", &purchase_free).await.code(),
        "20000"
    );
    assert_eq!(server.emu.events_named("df_login").len(), 2);
    assert!(server.emu.events_named("df_purchase").is_empty());
    assert_eq!(server.emu.stats().accepted, 2);
    server.emu.reset();
    assert!(server.emu.events().is_empty());
    assert_eq!(server.emu.stats().accepted, 0);
    // A reset also forgets the event_log_ids seen: the same events are accepted again.
    assert_eq!(
        server.import("/api/v1/events", &purchase_free).await.code(),
        "20000"
    );
    assert_eq!(server.emu.stats().duplicates, 0);
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let emulator = Emulator::start().await.unwrap();
    let url = emulator.url("/api/v1/identities");
    assert!(
        url.ends_with("/api/v1/identities?service_id=emulator"),
        "{url}"
    );
    assert!(!format!("{emulator:?}").contains(emulator.import_token()));
    emulator.shutdown().await;
    assert!(reqwest::Client::new().post(&url).send().await.is_err());

    let dropped = Emulator::start().await.unwrap();
    let addr = dropped.addr();
    drop(dropped);
    // Once the server task has seen the drop, the port is free to bind again.
    let mut rebound = None;
    for _ in 0..100 {
        if let Ok(emulator) = Emulator::builder().bind(addr).start().await {
            rebound = Some(emulator);
            break;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(rebound.is_some(), "port {addr} was not freed");
}

/// A request whose body is still arriving when the stop begins is served within the stop's
/// grace, and the counters `shutdown` returns hold it; `dfinery emulator` read `stats()` before
/// the stop, so its stop line left such a request out.
#[tokio::test]
async fn shutdown_returns_the_counters_with_a_request_finished_during_its_grace() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let emulator = Emulator::start().await.unwrap();
    let body = serde_json::to_vec(&batch(
        "u-1",
        vec![login(&uuid(), "2024-08-26T06:00:00.000Z")],
    ))
    .unwrap();
    let mut socket = tokio::net::TcpStream::connect(emulator.addr())
        .await
        .unwrap();
    let head = format!(
        "POST /api/v1/events?service_id={} HTTP/1.1\r\nhost: localhost\r\naccess_token: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        emulator.service_id(),
        emulator.import_token(),
        body.len()
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&body[..10]).await.unwrap();
    // The server has the request's head (the body is being read) before the stop begins.
    for _ in 0..500 {
        if emulator.stats().requests > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let stop = tokio::spawn(emulator.shutdown());
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    socket.write_all(&body[10..]).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        socket.read_to_end(&mut answer),
    )
    .await;
    let stats = stop.await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.contains("20000"), "{answer}");
    assert_eq!(stats.accepted, 1, "{stats:?}");
}

#[tokio::test]
async fn the_registry_file_sets_the_default_service_id() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/emulator/fixtures/dfinery.toml");
    let emulator = Emulator::builder()
        .registry_path(path)
        .start()
        .await
        .unwrap();
    assert_eq!(emulator.service_id(), "test-service");
    assert!(emulator.registry().event("coupon_used").is_some());
    let explicit = Emulator::builder()
        .registry(emulator.registry().clone())
        .service_id("mine")
        .start()
        .await
        .unwrap();
    assert_eq!(explicit.service_id(), "mine");
}

#[tokio::test]
async fn a_rate_limit_changed_mid_run_is_what_the_page_and_the_headers_show() {
    let (builder, clock) = builder();
    let server = Server::with(builder.inspector(true), clock).await;
    let server = &server;
    let send = || async move {
        let body = batch("u-1", vec![login(&uuid(), "2024-08-26T06:00:00.000Z")]);
        server.import("/api/v1/events", &body).await
    };
    assert_eq!(send().await.code(), "20000");
    assert_eq!(send().await.code(), "20000");
    // Same window length: the 2 requests counted stay counted.
    server.emu.set_rate_limit(
        dfinery_emulator::Api::Event,
        dfinery_emulator::RateLimit::new(3, dfinery_emulator::Window::minutes(1)),
    );
    let answer = send().await;
    assert_eq!(answer.header("x-ratelimit-remaining"), "0");
    assert_eq!(send().await.status, 429);
    // Another window length starts afresh.
    server.emu.set_rate_limit(
        dfinery_emulator::Api::Event,
        dfinery_emulator::RateLimit::new(5, dfinery_emulator::Window::hours(1)),
    );
    let answer = send().await;
    assert_eq!(
        (
            answer.header("x-ratelimit-limit"),
            answer.header("x-ratelimit-remaining")
        ),
        ("1H", "4")
    );
    // The page's rate panel showed the limit the emulator started with (1000000).
    let snapshot = server.inspector_snapshot().await;
    let event = &snapshot["rates"][0];
    assert_eq!(
        (&event["api"], &event["limit"], &event["window"]),
        (&json!("Event"), &json!(5), &json!("1H"))
    );
}

#[tokio::test]
async fn inspection_answers_only_this_machine_s_pages() {
    // A page of another site could reset the emulator (a plain cross-site POST), and one whose
    // name resolves to 127.0.0.1 (DNS rebinding) could read the events and profiles it stores.
    let (builder, clock) = builder();
    let server = Server::with(builder.inspection_http(true), clock).await;
    let stats = server.emu.url("/_emulator/stats");
    let reset = server.emu.url("/_emulator/reset");
    // Each refused with 403 and a line starting with `why`.
    let refused = |request: reqwest::RequestBuilder, why: &'static str| async move {
        let answer = read(request).await;
        assert_eq!(answer.status, 403, "{}", answer.text);
        assert!(answer.text.starts_with(why), "{}", answer.text);
        // One line of text: it held a run of 18 spaces where the source's lines were joined.
        assert!(
            !answer.text.contains("  ") && answer.text.ends_with("read or reset what it stores\n"),
            "{:?}",
            answer.text
        );
    };
    refused(
        server.http.get(&stats).header("host", "evil.example:8080"),
        "the request names the host `evil.example:8080`: the emulator's own",
    )
    .await;
    refused(
        server
            .http
            .post(&reset)
            .header("origin", "https://evil.example"),
        "the request comes from a page of `https://evil.example`",
    )
    .await;
    // Without an `Origin`, a browser still says another site's page asked (an `<img>` of the
    // stream made the emulator copy every kept request for it).
    refused(
        server
            .http
            .get(&stats)
            .header("sec-fetch-site", "cross-site"),
        "the request comes from another site's page",
    )
    .await;
    let answer = read(
        server
            .http
            .get(&stats)
            .header("sec-fetch-site", "same-origin"),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    // This machine's names and pages are answered.
    let port = server.emu.base_url().rsplit(':').next().unwrap().to_owned();
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ] {
        let answer = read(server.http.get(&stats).header("host", &host)).await;
        assert_eq!(answer.status, 200, "{host}: {}", answer.text);
    }
    let answer = read(
        server
            .http
            .post(&reset)
            .header("origin", format!("http://localhost:{port}")),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    // The DFINERY endpoints are not concerned.
    let answer = read(
        server
            .http
            .get(server.emu.url("/api/v1/events"))
            .header("host", "evil.example"),
    )
    .await;
    assert_eq!(answer.status, 405, "{}", answer.text);
}

#[tokio::test]
async fn a_fault_answer_counts_as_admitted_on_the_page_as_the_window_counted_it() {
    use dfinery_emulator::{FaultConfig, ScriptedResponse};
    let (builder, clock) = builder();
    let faults = FaultConfig::scripted([
        ScriptedResponse::ServerError,
        ScriptedResponse::Text {
            status: 502,
            body: "bad gateway".into(),
        },
        ScriptedResponse::ServerError,
    ]);
    let server = Server::with(builder.inspector(true).faults(faults), clock).await;
    let body = batch("u-1", vec![login(&uuid(), "2024-08-26T06:00:00.000Z")]);
    assert_eq!(server.import("/api/v1/events", &body).await.status, 500);
    let answer = server.import("/api/v1/events", &body).await;
    assert_eq!(answer.status, 502);
    // Both spent the window's budget, as its headers say.
    assert_eq!(answer.header("x-ratelimit-remaining"), "999998");
    let all = json!({"properties_condition_type": "all"});
    let export = server.export("/api/v1/export/userprofile", &all).await;
    assert_eq!(export.status, 500);
    assert_eq!(export.header("x-ratelimit-remaining"), "99");
    // The page's panel counts them as admitted (it showed 0 of each, the budget spent anyway).
    let snapshot = server.inspector_snapshot().await;
    let (event, export) = (&snapshot["rates"][0], &snapshot["rates"][3]);
    assert_eq!(
        (&event["admitted"], &event["limited"], &event["remaining"]),
        (&json!(2), &json!(0), &json!(999_998))
    );
    assert_eq!(
        (&export["api"], &export["admitted"], &export["remaining"]),
        (&json!("Export"), &json!(1), &json!(99))
    );
}
