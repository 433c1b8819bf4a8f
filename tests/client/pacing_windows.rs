//! Pacing over several rate-limit windows of more calls than the pacing threshold (10), in
//! Tokio's paused time: requests sent one after another, or by callers side by side, through
//! three windows and more meet no 429, each event is stored once, and each window's calls wait
//! for it to start (a call sent before its window starts lands in the spent one, which the
//! emulator refuses with a 429). Under the default limit, no call waits at all.
//!
//! Before, once a window was spent, the calls believed to belong to the next one went at once
//! when it allowed more than the threshold, into the spent window, and came back as 429s.

use std::collections::BTreeSet;
use std::time::Duration;

use dfinery::ratelimit::PacingStats;
use dfinery::{Client, EventRecord, RetryPolicy};
use futures_util::future::join_all;
use tokio::time::Instant;

use crate::support::user;
use crate::windows::{MINUTE, Windowed};

/// What a run did.
struct Run {
    limit: u64,
    sent: usize,
    stats: dfinery_emulator::Stats,
    pacing: PacingStats,
    /// Events stored in each window, in order.
    per_window: Vec<(u64, usize)>,
    /// Tokio's (virtual) time the calls took.
    elapsed: Duration,
}

impl Run {
    fn describe(&self) -> String {
        format!(
            "{} calls at {}/min: {} answered 429, {} requests, {} calls paced for {:?}, \
             stored per window {:?}, {:?} virtual",
            self.sent,
            self.limit,
            self.stats.rate_limited,
            self.stats.requests,
            self.pacing.paced_calls,
            self.pacing.paced_wait,
            self.per_window.iter().map(|w| w.1).collect::<Vec<_>>(),
            self.elapsed
        )
    }

    /// No 429, each call sent once and its event stored once, over at least `windows`
    /// windows, none holding more than the limit.
    fn assert_no_429_and_stored_once(&self, windows: usize) {
        let run = self.describe();
        println!("{run}");
        assert_eq!(self.stats.rate_limited, 0, "{run}");
        assert_eq!(self.pacing.rate_limited, 0, "{run}");
        assert_eq!(
            self.stats.requests, self.sent as u64,
            "sent once each: {run}"
        );
        assert_eq!(self.stats.accepted, self.sent as u64, "{run}");
        assert_eq!(self.stats.duplicates, 0, "{run}");
        assert!(self.per_window.len() >= windows, "{run}");
        assert!(
            self.per_window.iter().all(|w| w.1 as u64 <= self.limit),
            "{run}"
        );
    }
}

/// Retries that wait for a reset up to a window and more, so that a call refused with a 429
/// is sent again (and counted) rather than failed.
fn patient_retry() -> RetryPolicy {
    let mut retry = crate::support::fast_retry();
    retry.max_rate_limit_wait = 2 * MINUTE;
    retry
}

/// `callers` side by side, each sending `calls` requests of one event one after another, to
/// an emulator allowing `limit` Event API calls a minute; checks every event was stored once.
async fn send_through(limit: u64, callers: usize, calls: usize) -> Run {
    let windowed = Windowed::start(limit).await;
    let client = Client::builder()
        .service_id(windowed.emulator.service_id())
        .import_token(windowed.emulator.import_token())
        .base_url(windowed.emulator.base_url())
        .clock(windowed.client_clock())
        .retry(patient_retry())
        .build()
        .expect("the client builds");
    let started = Instant::now();
    let sent = join_all((0..callers).map(|c| {
        let client = &client;
        async move {
            let who = user(&format!("caller-{c}"));
            let mut ids = Vec::new();
            for _ in 0..calls {
                let record = EventRecord::builder("df_login").build().unwrap();
                ids.push(record.event_log_id().to_string());
                client
                    .send_events(&who, [&record])
                    .await
                    .unwrap_or_else(|e| panic!("caller {c}: {e}"));
            }
            ids
        }
    }))
    .await;
    let elapsed = Instant::now() - started;
    let sent: Vec<String> = sent.into_iter().flatten().collect();
    let stored: Vec<String> = windowed
        .emulator
        .events()
        .into_iter()
        .map(|e| e.event_log_id)
        .collect();
    assert_eq!(stored.len(), sent.len(), "each event stored once");
    assert_eq!(
        stored.into_iter().collect::<BTreeSet<_>>(),
        sent.iter().cloned().collect::<BTreeSet<_>>()
    );
    Run {
        limit,
        sent: sent.len(),
        stats: windowed.emulator.stats(),
        pacing: client.pacing_stats(),
        per_window: windowed.stored_per_window(),
        elapsed,
    }
}

/// 100 calls one after another at 30 a minute, starting 20 s before a reset: 30 in the first
/// window, 30 in each of the next two, 10 in the fourth. Each window is used to its limit,
/// and none of its calls goes before it starts.
#[tokio::test(start_paused = true)]
async fn calls_one_after_another_through_four_windows_of_30_meet_no_429() {
    let run = send_through(30, 1, 100).await;
    run.assert_no_429_and_stored_once(4);
    let counts: Vec<usize> = run.per_window.iter().map(|w| w.1).collect();
    assert_eq!(counts, [30, 30, 30, 10], "{}", run.describe());
    // The last window's calls went as soon as it started: 20 s, then two windows.
    let last_window = Duration::from_secs(20) + 2 * MINUTE;
    assert!(
        run.elapsed < last_window + Duration::from_secs(1),
        "{}",
        run.describe()
    );
}

/// Four callers side by side, 30 calls each, at 30 a minute: the calls in flight share the
/// budget, and none goes into a spent window.
#[tokio::test(start_paused = true)]
async fn callers_side_by_side_through_windows_of_30_meet_no_429() {
    let run = send_through(30, 4, 30).await;
    run.assert_no_429_and_stored_once(4);
}

/// One call above the threshold (11 a minute): the next window is believed to allow more
/// calls than the threshold from the first answer on, and its first call still waits for it.
#[tokio::test(start_paused = true)]
async fn calls_through_windows_of_one_above_the_threshold_meet_no_429() {
    let run = send_through(11, 1, 40).await;
    run.assert_no_429_and_stored_once(4);
    let counts: Vec<usize> = run.per_window.iter().map(|w| w.1).collect();
    assert_eq!(counts, [11, 11, 11, 7], "{}", run.describe());
    let run = send_through(11, 3, 12).await;
    run.assert_no_429_and_stored_once(4);
}

/// At the threshold itself (10 a minute) every call of a window is paced: the case that
/// worked before, kept working.
#[tokio::test(start_paused = true)]
async fn calls_through_windows_of_the_threshold_meet_no_429() {
    let run = send_through(10, 1, 35).await;
    run.assert_no_429_and_stored_once(4);
}

/// The default Event API limit (1,000,000 a minute): 300 calls, one after another and from
/// four callers, never wait for pacing, and take no virtual time to speak of (a wait for a
/// window's start, or the 20 ms margin past a reset, per call would add up to seconds).
#[tokio::test(start_paused = true)]
async fn under_the_default_limit_no_call_waits() {
    for callers in [1, 4] {
        let run = send_through(1_000_000, callers, 300 / callers).await;
        run.assert_no_429_and_stored_once(1);
        assert_eq!(run.pacing.paced_calls, 0, "{}", run.describe());
        assert_eq!(run.pacing.paced_wait, Duration::ZERO, "{}", run.describe());
        assert!(run.elapsed < Duration::from_secs(1), "{}", run.describe());
    }
}
