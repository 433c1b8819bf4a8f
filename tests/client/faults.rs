//! Retries under injected faults: with about 30% of requests failing, every event is stored
//! exactly once, whether the failure came before the server stored the events (500s and
//! dropped connections injected by the emulator) or after (answers lost by a proxy).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use dfinery::EventRecord;
use dfinery_emulator::{EmulatorHandle, FaultConfig};
use futures_util::future::join_all;

use crate::support::{client_for, emulator_with, user};

/// Sends `users × per_user` events from `users` concurrent callers, 10 per request; returns
/// every `event_log_id` sent and the retries the client made.
async fn send_all(client: &dfinery::Client, users: usize, per_user: usize) -> (Vec<String>, u32) {
    let calls = (0..users).map(|u| async move {
        let records: Vec<_> = (0..per_user)
            .map(|_| EventRecord::builder("df_login").build().unwrap())
            .collect();
        let ids: Vec<_> = records
            .iter()
            .map(|r| r.event_log_id().to_string())
            .collect();
        let report = client
            .send_events(&user(&format!("user-{u}")), records)
            .await
            .expect("every request succeeds within the retries");
        (ids, report.retries)
    });
    let mut all = Vec::new();
    let mut retries = 0;
    for (ids, r) in join_all(calls).await {
        all.extend(ids);
        retries += r;
    }
    (all, retries)
}

/// Every id sent is stored exactly once.
fn assert_exactly_once(emulator: &EmulatorHandle, sent: &[String]) {
    let mut stored: Vec<_> = emulator
        .events()
        .into_iter()
        .map(|e| e.event_log_id)
        .collect();
    assert_eq!(stored.len(), sent.len(), "stored as many as sent");
    stored.sort();
    let mut sent = sent.to_vec();
    sent.sort();
    assert_eq!(stored, sent, "each event once");
    assert_eq!(emulator.stats().accepted, sent.len() as u64);
}

#[tokio::test]
async fn with_30_percent_500s_and_dropped_connections_every_event_arrives_once() {
    let emulator = emulator_with(|b| {
        b.faults(FaultConfig {
            seed: 7,
            error_rate: 0.15,
            drop_rate: 0.15,
            ..FaultConfig::default()
        })
    })
    .await;
    let client = client_for(&emulator)
        .max_events_per_request(10)
        .build()
        .unwrap();
    let (sent, retries) = send_all(&client, 4, 150).await;
    let stats = emulator.stats();
    println!(
        "600 events in 60 requests: {} requests received, {} faults injected, {retries} retries, {} stored, {} duplicates",
        stats.requests, stats.faults_injected, stats.accepted, stats.duplicates
    );
    assert!(stats.faults_injected >= 10, "{stats:?}");
    assert_eq!(retries as u64, stats.faults_injected, "one retry per fault");
    assert_eq!(stats.requests, 60 + stats.faults_injected);
    assert_exactly_once(&emulator, &sent);
}

/// A proxy in front of the emulator that loses about `loss` of the answers after the emulator
/// has handled the request (answering 502 instead), as a gateway timing out would.
struct LossyProxy {
    target: String,
    http: reqwest::Client,
    loss: f64,
    state: AtomicU64,
    lost: AtomicU64,
}

impl LossyProxy {
    /// Starts the proxy; returns its base URL.
    async fn start(target: &str, loss: f64, seed: u64) -> (String, Arc<LossyProxy>) {
        let proxy = Arc::new(LossyProxy {
            target: target.to_owned(),
            http: reqwest::Client::new(),
            loss,
            state: AtomicU64::new(seed.max(1)),
            lost: AtomicU64::new(0),
        });
        let app = axum::Router::new()
            .fallback(relay)
            .with_state(Arc::clone(&proxy));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, proxy)
    }

    /// A seeded draw in 0.0..1.0 (xorshift), so a failure replays.
    fn draw(&self) -> f64 {
        let mut x = self.state.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state.store(x, Ordering::Relaxed);
        (x >> 11) as f64 / (1_u64 << 53) as f64
    }
}

async fn relay(State(proxy): State<Arc<LossyProxy>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, 1 << 24).await.unwrap_or_default();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut forward = proxy
        .http
        .post(format!("{}{path}", proxy.target))
        .body(body);
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            forward = forward.header(name, value);
        }
    }
    let answer = forward.send().await;
    let lose = proxy.draw() < proxy.loss;
    match answer {
        Ok(answer) if !lose => {
            let mut response = Response::builder().status(answer.status().as_u16());
            for (name, value) in answer.headers() {
                if name != "content-length" && name != "transfer-encoding" {
                    response = response.header(name, value);
                }
            }
            let bytes = answer.bytes().await.unwrap_or_default();
            response.body(Body::from(bytes)).unwrap()
        }
        _ => {
            proxy.lost.fetch_add(1, Ordering::Relaxed);
            Response::builder()
                .status(StatusCode::BAD_GATEWAY)
                .header("content-type", "text/html")
                .body(Body::from("<html>502 upstream answer lost</html>"))
                .unwrap()
        }
    }
}

#[tokio::test]
async fn with_30_percent_of_answers_lost_after_storing_nothing_is_stored_twice() {
    let emulator = emulator_with(|b| b).await;
    let (url, proxy) = LossyProxy::start(emulator.base_url(), 0.3, 11).await;
    let client = client_for(&emulator)
        .base_url(url)
        .max_events_per_request(10)
        .build()
        .unwrap();
    let (sent, retries) = send_all(&client, 4, 150).await;
    let stats = emulator.stats();
    let lost = proxy.lost.load(Ordering::Relaxed);
    println!(
        "600 events in 60 requests: {lost} answers lost after storing, {retries} retries, {} stored, {} duplicates dropped by event_log_id",
        stats.accepted, stats.duplicates
    );
    assert!(lost >= 10, "only {lost} answers lost");
    assert_eq!(retries as u64, lost);
    // Each lost answer made the client resend a stored request of 10 events: the emulator
    // recognised every one of them by `event_log_id`.
    assert_eq!(stats.duplicates, lost * 10);
    assert_exactly_once(&emulator, &sent);
}
