//! Pacing under a tight rate limit: the client spreads its calls until the reset instead of
//! running into HTTP 429; without pacing, the same burst is refused.

use std::time::Duration;

use dfinery::ratelimit::{Api, Pacing};
use dfinery_emulator::{Api as EmulatorApi, RateLimit, Window};
use futures_util::future::join_all;

use crate::model::Login;
use crate::support::{client_for, emulator_with, user};

/// 10 calls a second on the Event API.
async fn tight() -> dfinery_emulator::EmulatorHandle {
    emulator_with(|b| b.rate_limit(EmulatorApi::Event, RateLimit::new(10, Window::seconds(1))))
        .await
}

/// `callers` concurrent callers each sending `calls` single-event requests; returns the
/// failures.
async fn burst(client: &dfinery::Client, callers: usize, calls: usize) -> usize {
    let tasks = (0..callers).map(|c| async move {
        let mut failures = 0;
        for _ in 0..calls {
            if client
                .send_events(&user(&format!("c{c}")), [&Login {}])
                .await
                .is_err()
            {
                failures += 1;
            }
        }
        failures
    });
    join_all(tasks).await.into_iter().sum()
}

#[tokio::test]
async fn pacing_keeps_429s_near_zero_under_a_tight_limit() {
    let emulator = tight().await;
    let client = client_for(&emulator).build().unwrap();
    let started = std::time::Instant::now();
    let failures = burst(&client, 3, 9).await;
    let stats = client.pacing_stats();
    println!(
        "27 calls at 10/s with pacing: {} answered 429, {} calls paced for {:?} in all, {:?} elapsed",
        emulator.stats().rate_limited,
        stats.paced_calls,
        stats.paced_wait,
        started.elapsed()
    );
    assert_eq!(failures, 0);
    assert_eq!(emulator.stats().accepted, 27);
    assert!(emulator.stats().rate_limited <= 1, "{:?}", emulator.stats());
    assert_eq!(stats.rate_limited, emulator.stats().rate_limited);
    assert!(
        stats.paced_calls > 0 && stats.paced_wait > Duration::ZERO,
        "{stats:?}"
    );
    let snapshot = client.rate_limit(Api::Event).expect("headers seen");
    assert_eq!(snapshot.window.as_deref(), Some("1s"));
    assert!(snapshot.remaining.is_some() && snapshot.reset.is_some());
    assert_eq!(client.rate_limit(Api::Export), None);
}

#[tokio::test]
async fn without_pacing_the_same_burst_runs_into_429() {
    let emulator = tight().await;
    let client = client_for(&emulator)
        .pacing(Pacing::disabled())
        .retry(crate::support::no_retry())
        .build()
        .unwrap();
    let failures = burst(&client, 3, 9).await;
    println!(
        "27 calls at 10/s without pacing: {} answered 429",
        emulator.stats().rate_limited
    );
    assert!(failures > 0);
    assert_eq!(emulator.stats().rate_limited as usize, failures);
    assert_eq!(client.pacing_stats().rate_limited as usize, failures);
    assert_eq!(client.pacing_stats().paced_calls, 0);
}
