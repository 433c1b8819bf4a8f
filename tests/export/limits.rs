//! Export limits: at most five exports in flight per client, and the hourly budget paced, so
//! typed exports run into neither the concurrency limit nor the rate limit.

use std::time::Duration;

use dfinery::RetryPolicy;
use dfinery::export::{EventQuery, ExportError};
use dfinery::ratelimit::Pacing;
use dfinery_emulator::{Api, FaultConfig, Latency, RateLimit, Window};
use futures_util::future::join_all;

use crate::model::{Purchase, one_purchase};
use crate::support::{client_for, days, emulator, emulator_with, user};

fn query() -> EventQuery {
    let (from, to) = days();
    EventQuery::new(from, to)
}

/// No retries: a refusal shows.
fn no_retry() -> RetryPolicy {
    let mut retry = RetryPolicy::default();
    retry.max_attempts = 1;
    retry
}

/// Eight typed exports at once, each fully read; how many failed as rate limited.
async fn eight_at_once(client: &dfinery::Client) -> usize {
    let runs = (0..8).map(|_| async {
        let stream = client
            .export_event_rows(&query())
            .await
            .and_then(|rows| rows.events::<Purchase>())?;
        stream.into_vec().await
    });
    let results = join_all(runs).await;
    for events in results.iter().flatten() {
        assert_eq!(events.len(), 1);
    }
    results
        .iter()
        .filter(|r| matches!(r, Err(ExportError::Request(e)) if e.kind() == "rate_limited"))
        .count()
}

#[tokio::test]
async fn at_most_five_exports_are_in_flight() {
    let emulator = emulator().await;
    let client = client_for(&emulator).retry(no_retry()).build().unwrap();
    client
        .send_events(&user("u"), [&one_purchase()])
        .await
        .unwrap();
    // Each export holds the emulator's slot for 300 ms: eight at once would overlap.
    emulator
        .set_faults(FaultConfig {
            latency: Latency::fixed(Duration::from_millis(300)),
            ..FaultConfig::default()
        })
        .unwrap();
    assert_eq!(eight_at_once(&client).await, 0);

    // The same burst from a client allowed eight runs into the server's limit of five.
    let greedy = client_for(&emulator)
        .retry(no_retry())
        .export_concurrency(8)
        .build()
        .unwrap();
    assert!(eight_at_once(&greedy).await > 0);
}

#[tokio::test]
async fn the_export_budget_is_paced_not_exceeded() {
    let emulator =
        emulator_with(|b| b.rate_limit(Api::Export, RateLimit::new(4, Window::seconds(2)))).await;
    let client = client_for(&emulator).retry(no_retry()).build().unwrap();
    client
        .send_events(&user("u"), [&one_purchase()])
        .await
        .unwrap();
    for _ in 0..6 {
        let events = client
            .export_event_rows(&query())
            .await
            .and_then(|rows| rows.events::<Purchase>())
            .unwrap()
            .into_vec()
            .await
            .unwrap();
        assert_eq!(events.len(), 1);
    }
    let stats = client.pacing_stats();
    assert!(stats.paced_calls > 0, "{stats:?}");
    assert_eq!(stats.rate_limited, 0);

    // Unpaced, a burst runs into the limit: ten quick calls span at most two windows of four.
    let unpaced = client_for(&emulator)
        .retry(no_retry())
        .pacing(Pacing::disabled())
        .build()
        .unwrap();
    let mut refused = 0;
    for _ in 0..10 {
        if let Err(ExportError::Request(e)) = unpaced
            .export_event_rows(&query())
            .await
            .and_then(|rows| rows.events::<Purchase>())
        {
            assert_eq!(e.kind(), "rate_limited");
            refused += 1;
        }
    }
    assert!(refused > 0);
}
