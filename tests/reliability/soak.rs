//! Soak under faults: several Tokio tasks track through one Tracker while the emulator injects
//! server errors (HTTP 500 + `50000`), 429 storms (a tight rate limit met without pacing, and
//! scripted `40401`s), latency spikes and dropped connections. At the end the tracker's
//! counters, the tracked `event_log_id`s and the emulator's store agree event for event,
//! nothing is stored twice, and the queue never held more than its cap; through the spool, the
//! file holds nothing at the end.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dfinery::ratelimit::Pacing;
use dfinery::{Spool, Tracker};
use dfinery_emulator::{
    Api, EmulatorHandle, FaultConfig, ImportCode, Latency, RateLimit, ScriptedResponse, Window,
};

use crate::support::{client_to, emulator_with, login, stored_ids, temp_path, user};

/// The size of one soak.
struct Soak {
    tasks: usize,
    events_per_task: usize,
    users_per_task: usize,
    queue_cap: usize,
    queue_cap_bytes: usize,
    /// Spool under this name (each awaited `track` returns once its event is synced there),
    /// or keep the queue in memory.
    spool: Option<&'static str>,
}

/// The figures a soak prints.
#[derive(Debug)]
struct Figures {
    events: u64,
    requests: u64,
    faults_injected: u64,
    rate_limited: u64,
    retries: u64,
    duplicates: u64,
    max_queued: u64,
    max_queued_bytes: u64,
    elapsed: Duration,
}

/// The faults all along: 8 % server errors, 5 % dropped connections, up to 15 ms latency.
fn base_faults(seed: u64) -> FaultConfig {
    FaultConfig {
        seed,
        error_rate: 0.08,
        drop_rate: 0.05,
        latency: Latency::between(Duration::ZERO, Duration::from_millis(15)),
        script: Vec::new(),
    }
}

/// Every 300 ms, one of: a storm of twelve scripted 429s, a storm of eight `50000`s, a latency
/// spike of 100 to 400 ms, a quiet spell; returns the number of phases run.
async fn chaos(emulator: Arc<EmulatorHandle>, stop: Arc<AtomicBool>) -> u64 {
    let mut phase = 0_u64;
    while !stop.load(Ordering::Relaxed) {
        let mut faults = base_faults(phase);
        match phase % 4 {
            0 => faults.script = vec![ScriptedResponse::import(ImportCode::TooManyRequest); 12],
            1 => faults.script = vec![ScriptedResponse::ServerError; 8],
            2 => {
                faults.latency =
                    Latency::between(Duration::from_millis(100), Duration::from_millis(400))
            }
            _ => {}
        }
        emulator.set_faults(faults).expect("valid faults");
        phase += 1;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    emulator
        .set_faults(FaultConfig::none())
        .expect("valid faults");
    phase
}

async fn run(soak: Soak) -> Figures {
    let emulator = Arc::new(
        emulator_with(|b| {
            b.faults(base_faults(1))
                .rate_limit(Api::Event, RateLimit::new(10, Window::seconds(1)))
        })
        .await,
    );
    // Without pacing the client meets the rate limit head on: real 429s with reset headers.
    let client = client_to(emulator.base_url())
        .pacing(Pacing::disabled())
        .timeout(Duration::from_secs(2))
        .build()
        .expect("the client builds");
    let spool = soak.spool.map(|name| temp_path(name, "redb"));
    let builder = Tracker::builder(client)
        .max_batch_events(100)
        .flush_interval(Duration::from_millis(50))
        .redelivery_backoff(Duration::from_millis(20), Duration::from_millis(500))
        .queue_cap(soak.queue_cap, soak.queue_cap_bytes);
    let builder = match &spool {
        Some(path) => builder.spool(path),
        None => builder,
    };
    let tracker = Arc::new(builder.build().expect("the tracker builds"));
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let chaos = tokio::spawn(chaos(Arc::clone(&emulator), Arc::clone(&stop)));
    let max_queued = Arc::new(AtomicU64::new(0));
    let max_bytes = Arc::new(AtomicU64::new(0));
    let meter = {
        let (tracker, stop) = (Arc::clone(&tracker), Arc::clone(&stop));
        let (max_queued, max_bytes) = (Arc::clone(&max_queued), Arc::clone(&max_bytes));
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let metrics = tracker.metrics();
                max_queued.fetch_max(metrics.queued, Ordering::Relaxed);
                max_bytes.fetch_max(metrics.queued_bytes, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let mut producers = Vec::new();
    for t in 0..soak.tasks {
        let tracker = Arc::clone(&tracker);
        let (events, users) = (soak.events_per_task, soak.users_per_task);
        producers.push(tokio::spawn(async move {
            let who: Vec<_> = (0..users).map(|u| user(&format!("soak-{t}-{u}"))).collect();
            let mut ids = Vec::with_capacity(events);
            for n in 0..events {
                let id = tracker
                    .track(&who[n % users], login())
                    .await
                    .expect("a valid event is queued");
                ids.push(id.to_string());
                if n % 64 == 0 {
                    tokio::task::yield_now().await;
                }
            }
            ids
        }));
    }
    let mut tracked = BTreeSet::new();
    for producer in producers {
        tracked.extend(producer.await.expect("a producer finishes"));
    }
    let report = tracker
        .shutdown_within(Duration::from_secs(90))
        .await
        .expect("shutdown reports");
    stop.store(true, Ordering::Relaxed);
    let phases = chaos.await.expect("the chaos task ends");
    meter.await.expect("the meter ends");
    let elapsed = started.elapsed();
    let stats = emulator.stats();
    let metrics = report.metrics;
    let expected = (soak.tasks * soak.events_per_task) as u64;

    assert!(!report.timed_out, "{report:?}");
    assert_eq!(tracked.len() as u64, expected, "every event_log_id is new");
    assert_eq!(metrics.accepted, expected, "{metrics:?}");
    assert_eq!(metrics.delivered, expected, "{metrics:?}");
    assert_eq!(
        (
            metrics.rejected,
            metrics.dead_lettered,
            metrics.queued,
            metrics.in_flight
        ),
        (0, 0, 0, 0),
        "{metrics:?}"
    );
    assert!(metrics.balanced(), "{metrics:?}");
    assert_eq!(
        stats.accepted, expected,
        "the emulator stored each event once: {stats:?}"
    );
    let events = emulator.events();
    assert_eq!(events.len() as u64, expected, "no duplicate stored");
    assert_eq!(
        stored_ids(&emulator),
        tracked,
        "the same event_log_ids, one for one"
    );
    if let Some(path) = &spool {
        drop(tracker);
        let spool = Spool::open(path).expect("the spool opens again");
        assert_eq!(
            (
                spool.pending_len(),
                spool.dead_letters().unwrap().len() as u64
            ),
            (0, 0),
            "every delivered event was deleted from the spool, none dead-lettered"
        );
    }
    assert!(stats.faults_injected > 0, "faults were injected: {stats:?}");
    assert!(stats.rate_limited > 0, "the rate limit was met: {stats:?}");
    let figures = Figures {
        events: expected,
        requests: stats.requests,
        faults_injected: stats.faults_injected,
        rate_limited: stats.rate_limited,
        retries: metrics.retried,
        duplicates: stats.duplicates,
        max_queued: max_queued.load(Ordering::Relaxed),
        max_queued_bytes: max_bytes.load(Ordering::Relaxed),
        elapsed,
    };
    assert!(
        figures.max_queued <= soak.queue_cap as u64
            && figures.max_queued_bytes <= soak.queue_cap_bytes as u64,
        "the queue stayed within its cap: {figures:?}"
    );
    println!(
        "soak: {} events from {} tasks in {:.1?}: {} requests, {} faults injected ({} fault phases), {} rate limited, \
         {} resent by the tracker, {} duplicates dropped by event_log_id, queue peak {} messages / {} bytes (cap {} / {})",
        figures.events,
        soak.tasks,
        figures.elapsed,
        figures.requests,
        figures.faults_injected,
        phases,
        figures.rate_limited,
        figures.retries,
        figures.duplicates,
        figures.max_queued,
        figures.max_queued_bytes,
        soak.queue_cap,
        soak.queue_cap_bytes
    );
    figures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounded_soak_under_faults_loses_and_duplicates_nothing() {
    run(Soak {
        tasks: 8,
        events_per_task: 1_500,
        users_per_task: 8,
        queue_cap: 2_000,
        queue_cap_bytes: 1 << 20,
        spool: None,
    })
    .await;
}

/// The same through the spool's writer thread: every `track` awaits its synced commit, the
/// deletes of delivered events are kept back and committed together, and at the end the file
/// holds nothing (no event lost, none stored twice, none left behind).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounded_soak_through_the_spool_loses_and_duplicates_nothing() {
    run(Soak {
        tasks: 8,
        events_per_task: 1_500,
        users_per_task: 8,
        queue_cap: 2_000,
        queue_cap_bytes: 1 << 20,
        spool: Some("soak-bounded"),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the long soak: run with `cargo test --test reliability -- --ignored soak`"]
async fn a_long_soak_under_faults_loses_and_duplicates_nothing() {
    run(Soak {
        tasks: 16,
        events_per_task: 6_000,
        users_per_task: 8,
        queue_cap: 5_000,
        queue_cap_bytes: 4 << 20,
        spool: None,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the long soak through the spool: run with `cargo test --test reliability -- --ignored soak`"]
async fn a_long_soak_through_the_spool_loses_and_duplicates_nothing() {
    run(Soak {
        tasks: 16,
        events_per_task: 6_000,
        users_per_task: 8,
        queue_cap: 5_000,
        queue_cap_bytes: 4 << 20,
        spool: Some("soak-long"),
    })
    .await;
}
