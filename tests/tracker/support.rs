//! Shared pieces: an emulator with the test registry, a client and a tracker pointed at it, a
//! recording proxy that shows every request in order, spool paths, and a clock that follows
//! Tokio's paused time.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::response::Response;
use dfinery::clock::Clock;
use dfinery::{Client, EventRecord, Identifier, Identity, Tracker};
use dfinery::{ClientBuilder, RetryPolicy};
use dfinery::{DeadLetter, TrackerBuilder};
use dfinery_emulator::{Emulator, EmulatorBuilder, EmulatorHandle, ManualClock};
use serde_json::Value;
use tokio::sync::watch;

/// The registry the derives and the emulator share.
pub const REGISTRY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/dfinery.toml");

/// The service id of the test registry (`[service] id`), which the emulator takes.
pub const SERVICE_ID: &str = "dfinery-tests";

/// A base URL where nothing listens: DFINERY is down.
pub const DOWN: &str = "http://127.0.0.1:1";

/// Client retries that keep virtual time short: 3 attempts, millisecond backoff.
pub fn quick_retry() -> RetryPolicy {
    let mut retry = RetryPolicy::default();
    retry.max_attempts = 3;
    retry.initial_backoff = Duration::from_millis(5);
    retry.max_backoff = Duration::from_millis(50);
    retry.max_rate_limit_wait = Duration::from_secs(5);
    retry
}

/// No client retries: a failure comes back at once.
pub fn no_retry() -> RetryPolicy {
    let mut retry = RetryPolicy::default();
    retry.max_attempts = 1;
    retry
}

/// An emulator enforcing the test registry, configured by `configure`.
pub async fn emulator_with(
    configure: impl FnOnce(EmulatorBuilder) -> EmulatorBuilder,
) -> EmulatorHandle {
    configure(Emulator::builder().registry_path(REGISTRY))
        .start()
        .await
        .expect("the emulator starts")
}

/// An emulator enforcing the test registry.
pub async fn emulator() -> EmulatorHandle {
    emulator_with(|b| b).await
}

/// A client builder for `base_url` with the emulator's default credentials.
pub fn client_to(base_url: &str) -> ClientBuilder {
    Client::builder()
        .service_id(SERVICE_ID)
        .import_token(dfinery_emulator::DEFAULT_IMPORT_TOKEN)
        .base_url(base_url)
        .retry(quick_retry())
}

/// A tracker builder sending to `base_url`.
pub fn tracker_to(base_url: &str) -> TrackerBuilder {
    Tracker::builder(client_to(base_url).build().expect("the client builds"))
        .redelivery_backoff(Duration::from_millis(100), Duration::from_secs(2))
}

/// An identity with only an external id.
pub fn user(id: &str) -> Identity {
    Identity::new(Identifier::ExternalId, id).expect("a valid external id")
}

/// A registered event with no properties.
pub fn login() -> EventRecord {
    EventRecord::builder("df_login")
        .build()
        .expect("a valid event")
}

/// A registered event carrying `n` bytes of text.
pub fn sign_up(n: usize) -> EventRecord {
    EventRecord::builder("df_sign_up")
        .property("df_sign_channel", "k".repeat(n))
        .build()
        .expect("a valid event")
}

/// An event the registry does not know: the emulator refuses its request with `40001`.
pub fn unregistered() -> EventRecord {
    EventRecord::builder("never_registered")
        .build()
        .expect("a valid record")
}

/// The distinct `event_log_id`s the emulator stored.
pub fn stored_ids(emulator: &EmulatorHandle) -> std::collections::BTreeSet<String> {
    emulator
        .events()
        .into_iter()
        .map(|e| e.event_log_id)
        .collect()
}

/// A fresh spool path under the target's temporary folder.
pub fn spool_path(name: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("tracker-spools");
    std::fs::create_dir_all(&dir).expect("the spool folder can be made");
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = dir.join(format!("{name}-{}-{n}.redb", std::process::id()));
    let _ = std::fs::remove_file(&path);
    // A spool's journal, `<name>-journal`, left by an earlier process of the same id would
    // be read into the new spool at this path.
    let mut journal = path.clone().into_os_string();
    journal.push("-journal");
    let _ = std::fs::remove_file(journal);
    path
}

/// Dead letters handed to the callback.
#[derive(Clone, Default)]
pub struct Letters(Arc<Mutex<Vec<DeadLetter>>>);

impl Letters {
    /// Adds the callback to `builder`.
    pub fn hook(&self, builder: TrackerBuilder) -> TrackerBuilder {
        let letters = self.clone();
        builder.on_dead_letter(move |letter| letters.0.lock().unwrap().push(letter))
    }

    /// The letters so far.
    pub fn all(&self) -> Vec<DeadLetter> {
        self.0.lock().unwrap().clone()
    }
}

/// Moves `clock` forward with Tokio's (paused) time, so the emulator's rate-limit windows
/// follow the tracker's timers; stops when the returned handle is aborted. Give the client the
/// same clock ([`same_clock`]) so that it measures the emulator's announced resets against the
/// time the emulator shows, not the machine's.
pub fn follow_tokio_time(clock: ManualClock) -> tokio::task::JoinHandle<()> {
    follow_tokio_time_in_steps(clock, Duration::from_millis(100))
}

/// [`follow_tokio_time`] in steps of `step`: the emulator's clock lags Tokio's by less than
/// that, for tests that send right at a rate limit's reset.
pub fn follow_tokio_time_in_steps(
    clock: ManualClock,
    step: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(step).await;
            clock.advance(step);
        }
    })
}

/// The emulator's `clock` as the client's [`Clock`]: one clock on both sides, so a reset wait
/// is the same length for the server that set it and the client that waits for it.
pub fn same_clock(clock: &ManualClock) -> Clock {
    let clock = clock.clone();
    Clock::new(move || clock.now())
}

/// A manual clock starting now.
pub fn manual_clock() -> ManualClock {
    ManualClock::new(SystemTime::now())
}

/// One request the proxy saw: its path (without the query) and JSON body.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub body: Value,
}

impl Seen {
    /// The `event_log_id`s of an events request, in order.
    pub fn event_ids(&self) -> Vec<String> {
        self.body["events"]
            .as_array()
            .map(|events| {
                events
                    .iter()
                    .map(|e| e["event_log_id"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The external id of the request's identity.
    pub fn external_id(&self) -> String {
        let identity = if self.path.ends_with("/events") {
            &self.body["common"]["identity"]
        } else {
            &self.body["identity"]
        };
        identity["external_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// A proxy in front of the emulator that records every request in arrival order.
pub struct Recorder {
    target: String,
    http: reqwest::Client,
    seen: Mutex<Vec<Seen>>,
    count: watch::Sender<usize>,
    /// The external id whose requests are held this long (Tokio's time) before relayed.
    slow: Option<(String, Duration)>,
}

impl Recorder {
    /// Starts the proxy in front of `target`; returns its base URL.
    pub async fn start(target: &str) -> (String, Arc<Recorder>) {
        Recorder::start_slow_for(target, None).await
    }

    /// [`Recorder::start`], holding each request of the user with external id `slow.0` for
    /// `slow.1` (a slow server, for that user only) before relaying it.
    pub async fn start_slow_for(
        target: &str,
        slow: Option<(&str, Duration)>,
    ) -> (String, Arc<Recorder>) {
        let recorder = Arc::new(Recorder {
            target: target.to_owned(),
            http: reqwest::Client::new(),
            seen: Mutex::new(Vec::new()),
            count: watch::Sender::new(0),
            slow: slow.map(|(id, delay)| (id.to_owned(), delay)),
        });
        let app = axum::Router::new()
            .fallback(relay)
            .with_state(Arc::clone(&recorder));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, recorder)
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Waits (without a timer) until `n` requests were answered.
    pub async fn wait_for(&self, n: usize) {
        let mut count = self.count.subscribe();
        count.wait_for(|&c| c >= n).await.expect("the proxy runs");
    }
}

async fn relay(State(proxy): State<Arc<Recorder>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, 1 << 24).await.unwrap_or_default();
    let path = parts.uri.path().to_owned();
    let seen = Seen {
        path: path.clone(),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    if let Some((id, delay)) = &proxy.slow
        && seen.external_id() == *id
    {
        tokio::time::sleep(*delay).await;
    }
    let query = parts
        .uri
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let mut forward = proxy
        .http
        .post(format!("{}{path}{query}", proxy.target))
        .body(body);
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            forward = forward.header(name, value);
        }
    }
    let answer = forward.send().await.expect("the emulator answers");
    let mut response = Response::builder().status(answer.status().as_u16());
    for (name, value) in answer.headers() {
        if name != "content-length" && name != "transfer-encoding" {
            response = response.header(name, value);
        }
    }
    let bytes = answer.bytes().await.unwrap_or_default();
    proxy.seen.lock().unwrap().push(seen);
    proxy.count.send_modify(|c| *c += 1);
    response.body(Body::from(bytes)).unwrap()
}
