//! The fleet runs' emulator, in a child process of its own (this test binary run again, as the
//! workers are), killed on drop.
//!
//! Run inside the test process, the emulator stopped answering whenever that process was
//! stopped (a loaded CI host or a harness pausing it for a second and a half): the workers'
//! requests waited in the kernel, the fleet sat idle, and on resuming they all landed in one
//! rate window, so the 429s and the low utilisation counted were the pause's, not the budget's.
//! In a child, the emulator keeps serving through a pause of the test process, and everything
//! the assertions read is measured there: the stored events with their arrival times, the 429s
//! sampled every 250 ms, and the time a scheduled limit change took effect.
//!
//! The test process talks to it over the child's stdin and stdout, one line each way:
//! `limit AT_MS N` (set the Event limit to N per period at epoch ms AT_MS), `stats` (answered
//! `STATS {…}`) and `finish` (answered `RESULT {…}`, then the child exits). The child exits
//! too when its stdin closes, so it does not outlive a test process killed outright.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use dfinery_emulator::{Api, Emulator, EmulatorHandle, RateLimit, Window};
use serde_json::{Value, json};

/// The variable that holds a child's orders (the limit and its period).
const ENV_SPEC: &str = "DFINERY_FLEET_EMULATOR";
/// How long the test process waits for any answer of the child: generous, for a loaded host.
const ANSWER_WITHIN: Duration = Duration::from_secs(60);
/// How often the child samples its count of Event 429s.
const SAMPLE_EVERY: Duration = Duration::from_millis(250);

/// An emulator running in a child process, with an Event limit of `limit` per `period`.
pub struct ChildEmulator {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    base_url: String,
    service_id: String,
    import_token: String,
}

/// What the child measured, read once the run is over.
#[derive(Debug)]
pub struct Finished {
    /// Every stored event: (external id, event_log_id, arrival in epoch ms).
    pub events: Vec<(String, String, u64)>,
    /// The emulator's counters at the end (`/_emulator/stats`'s object).
    pub stats: Value,
    /// Event 429s counted so far, sampled every 250 ms: (epoch ms, count).
    pub limited_timeline: Vec<(u64, u64)>,
    /// When a limit change scheduled with [`ChildEmulator::change_limit_at`] took effect, in
    /// epoch ms.
    pub limit_changed_at_ms: Option<u64>,
}

impl ChildEmulator {
    /// Starts the child and waits (at most a minute) until it serves.
    pub fn start(limit: u64, period: Duration) -> ChildEmulator {
        let spec = json!({ "limit": limit, "period_s": period.as_secs() });
        let mut child = Command::new(std::env::current_exe().expect("the test binary's path"))
            .args([
                "emulator::emulator_main",
                "--exact",
                "--ignored",
                "--nocapture",
            ])
            .args(["--test-threads", "1"])
            .env(ENV_SPEC, spec.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the test binary runs again as the emulator");
        let stdin = child.stdin.take().expect("the child's stdin is piped");
        let stdout = child.stdout.take().expect("the child's stdout is piped");
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    return;
                }
            }
        });
        let mut emulator = ChildEmulator {
            child,
            stdin,
            lines,
            base_url: String::new(),
            service_id: String::new(),
            import_token: String::new(),
        };
        let info = emulator.answer("EMULATOR ");
        let field = |k: &str| {
            info[k]
                .as_str()
                .unwrap_or_else(|| panic!("`{k}` in the emulator's {info}"))
                .to_owned()
        };
        emulator.base_url = field("base_url");
        emulator.service_id = field("service_id");
        emulator.import_token = field("import_token");
        emulator
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The service id requests must name.
    pub fn service_id(&self) -> &str {
        &self.service_id
    }

    /// The Import API token.
    pub fn import_token(&self) -> &str {
        &self.import_token
    }

    /// Has the child set the Event limit to `limit` per period at `at` (by its clock, so a
    /// pause of the test process does not delay the change).
    pub fn change_limit_at(&mut self, at: SystemTime, limit: u64) {
        self.order(&format!("limit {} {limit}", epoch_ms(at)));
    }

    /// The emulator's counters now (`/_emulator/stats`'s object).
    pub fn stats(&mut self) -> Value {
        self.order("stats");
        self.answer("STATS ")
    }

    /// Everything the child measured; it exits after answering.
    pub fn finish(mut self) -> Finished {
        self.order("finish");
        let result = self.answer("RESULT ");
        let pairs = |k: &str| -> Vec<(u64, u64)> {
            serde_json::from_value(result[k].clone())
                .unwrap_or_else(|e| panic!("`{k}` in the emulator's result: {e}"))
        };
        let limited_timeline = pairs("timeline");
        let events = serde_json::from_value(result["events"].clone())
            .unwrap_or_else(|e| panic!("`events` in the emulator's result: {e}"));
        Finished {
            events,
            stats: result["stats"].clone(),
            limited_timeline,
            limit_changed_at_ms: result["limit_changed_at_ms"].as_u64(),
        }
    }

    fn order(&mut self, line: &str) {
        writeln!(self.stdin, "{line}")
            .and_then(|()| self.stdin.flush())
            .unwrap_or_else(|e| panic!("the emulator's child took no `{line}`: {e}"));
    }

    /// What follows `tag` on the next line of the child that holds it, as JSON (other lines,
    /// the test harness's own, are skipped).
    fn answer(&mut self, tag: &str) -> Value {
        let deadline = Instant::now() + ANSWER_WITHIN;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    // The harness's `test emulator::emulator_main ... ` may come first.
                    if let Some((_, json)) = line.split_once(tag) {
                        return serde_json::from_str(json).unwrap_or_else(|e| {
                            panic!("the emulator's `{tag}` line: {e}: {line}")
                        });
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!("the emulator's child wrote no `{tag}` line within {ANSWER_WITHIN:?}")
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!(
                        "the emulator's child exited before its `{tag}` line (its stderr is above)"
                    )
                }
            }
        }
    }
}

impl Drop for ChildEmulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn epoch_ms(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64
}

/// The emulator's child: run by [`ChildEmulator::start`] (`DFINERY_FLEET_EMULATOR` holds its
/// orders); does nothing when run otherwise.
#[test]
#[ignore = "the fleet runs' emulator process, started by the fleet tests"]
fn emulator_main() {
    let Some(spec) = crate::support::child_orders(ENV_SPEC, "emulator_main") else {
        return;
    };
    crate::support::child_runtime().block_on(serve(&spec));
}

async fn serve(spec: &Value) {
    let period = u32::try_from(spec["period_s"].as_u64().unwrap()).unwrap();
    let rate = move |limit: u64| RateLimit::new(limit, Window::seconds(period));
    let emulator = Arc::new(
        Emulator::builder()
            .rate_limit(Api::Event, rate(spec["limit"].as_u64().unwrap()))
            .start()
            .await
            .unwrap(),
    );
    let limited = |e: &EmulatorHandle| e.stats().rate_limited_by_api.event;
    let timeline = Arc::new(Mutex::new(Vec::<(u64, u64)>::new()));
    let sampler = tokio::spawn({
        let (emulator, timeline) = (Arc::clone(&emulator), Arc::clone(&timeline));
        async move {
            let mut tick = tokio::time::interval(SAMPLE_EVERY);
            loop {
                tick.tick().await;
                let sample = (epoch_ms(SystemTime::now()), limited(&emulator));
                timeline.lock().unwrap().push(sample);
            }
        }
    });
    let changed_at = Arc::new(Mutex::new(None::<u64>));
    // Orders come from a thread of their own (blocking reads of stdin).
    let (send, mut orders) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                return;
            }
        }
    });
    println!(
        "EMULATOR {}",
        json!({
            "base_url": emulator.base_url(),
            "service_id": emulator.service_id(),
            "import_token": emulator.import_token(),
        })
    );
    // Stdin closed (the test process gone): stop.
    while let Some(order) = orders.recv().await {
        let words: Vec<&str> = order.split_whitespace().collect();
        match words.as_slice() {
            ["limit", at, limit] => {
                let (at, limit): (u64, u64) = (at.parse().unwrap(), limit.parse().unwrap());
                let (emulator, changed_at) = (Arc::clone(&emulator), Arc::clone(&changed_at));
                tokio::spawn(async move {
                    let now = epoch_ms(SystemTime::now());
                    tokio::time::sleep(Duration::from_millis(at.saturating_sub(now))).await;
                    emulator.set_rate_limit(Api::Event, rate(limit));
                    *changed_at.lock().unwrap() = Some(epoch_ms(SystemTime::now()));
                });
            }
            ["stats"] => println!("STATS {}", json!(emulator.stats())),
            ["finish"] => {
                sampler.abort();
                let mut timeline = timeline.lock().unwrap().clone();
                timeline.push((epoch_ms(SystemTime::now()), limited(&emulator)));
                let events: Vec<(String, String, u64)> = emulator
                    .events()
                    .into_iter()
                    .map(|e| {
                        (
                            e.identity.external_id.clone().unwrap_or_default(),
                            e.event_log_id.clone(),
                            epoch_ms(e.server_datetime),
                        )
                    })
                    .collect();
                println!(
                    "RESULT {}",
                    json!({
                        "events": events,
                        "stats": emulator.stats(),
                        "timeline": timeline,
                        "limit_changed_at_ms": *changed_at.lock().unwrap(),
                    })
                );
                return;
            }
            _ => panic!("an order the fleet's emulator does not know: {order}"),
        }
    }
}
