//! Export limits: at most five exports in flight per client, and the hourly budget paced, so
//! typed exports run into neither the concurrency limit nor the rate limit; an export refused
//! for the concurrency limit all the same (another process's exports) is retried until a slot
//! frees, and its final error names that limit, not the hourly reset.

use std::time::Duration;

use dfinery::RetryPolicy;
use dfinery::export::{EventQuery, ExportError};
use dfinery::ratelimit::Pacing;
use dfinery_emulator::{Api, EmulatorHandle, FaultConfig, Latency, RateLimit, Window};
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
    // Each export holds the emulator's slot for 1 s: eight at once overlap, even on a loaded
    // machine. (With 300 ms, a stall of the test's thread as long as that between the fifth
    // and the sixth request let the first export end before the sixth arrived, and the greedy
    // client below then met no refusal.)
    emulator
        .set_faults(FaultConfig {
            latency: Latency::fixed(Duration::from_secs(1)),
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

/// An emulator running one export at a time, each admitted one holding its slot for `hold`,
/// with one purchase stored. Its clock is stopped one second into an hour, so the hourly
/// window's reset is an hour away whenever the test runs (never within a retry's reach).
async fn one_export_at_a_time(hold: Duration) -> EmulatorHandle {
    let stopped = crate::clock::one_second_into_the_next_hour();
    let emulator = emulator_with(|b| b.export_concurrency(1).clock(stopped)).await;
    client_for(&emulator)
        .build()
        .unwrap()
        .send_events(&user("u"), [&one_purchase()])
        .await
        .unwrap();
    emulator
        .set_faults(FaultConfig {
            latency: Latency::fixed(hold),
            ..FaultConfig::default()
        })
        .unwrap();
    emulator
}

/// One typed export, fully read: the events it held.
async fn export_one(client: &dfinery::Client) -> Result<usize, ExportError> {
    let events = client
        .export_event_rows(&query())
        .await
        .and_then(|rows| rows.events::<Purchase>())?
        .into_vec()
        .await?;
    Ok(events.len())
}

#[tokio::test]
async fn an_export_refused_for_concurrency_is_retried_until_a_slot_frees() {
    // DFINERY's slots taken by someone else (here: the other export, held 1 s) refuse an
    // export with 429 `too_many_api_requests` while the hourly window has calls left. The
    // client once took that for a spent window an hour from its reset and gave up at once.
    let emulator = one_export_at_a_time(Duration::from_secs(1)).await;
    let mut retry = RetryPolicy::default();
    // Up to 500 ms between attempts, 60 attempts: about 25 s of waits on average, far more
    // than the 1 s the slot is held, even on a loaded machine.
    retry.max_attempts = 60;
    retry.initial_backoff = Duration::from_millis(100);
    retry.max_backoff = Duration::from_millis(500);
    retry.max_rate_limit_wait = Duration::from_secs(1);
    let client = client_for(&emulator).retry(retry).build().unwrap();
    let (first, second) = tokio::join!(export_one(&client), export_one(&client));
    assert_eq!(first.unwrap(), 1);
    assert_eq!(second.unwrap(), 1);
    let refused = emulator.stats().rate_limited_by_api.export;
    assert!(refused > 0, "one export never met the other's slot");
    assert_eq!(client.pacing_stats().rate_limited, refused);
}

#[tokio::test]
async fn an_export_refused_for_concurrency_says_so_not_wait_for_the_reset() {
    let emulator = one_export_at_a_time(Duration::from_secs(2)).await;
    let mut retry = crate::support::fast_retry();
    retry.max_attempts = 2;
    let client = client_for(&emulator).retry(retry).build().unwrap();
    let (first, second) = tokio::join!(export_one(&client), export_one(&client));
    let (ok, refused) = match (first, second) {
        (Ok(rows), Err(error)) | (Err(error), Ok(rows)) => (rows, error),
        other => panic!("one export runs, the other is refused: {other:?}"),
    };
    assert_eq!(ok, 1);
    let ExportError::Request(error) = &refused else {
        panic!("{refused:?}");
    };
    assert_eq!(error.kind(), "rate_limited");
    // Both attempts were made: the far reset did not end the retries.
    assert_eq!(emulator.stats().rate_limited_by_api.export, 2);
    // The headers show the hourly window's real count, not 0.
    let left = error.rate_limit().and_then(|r| r.remaining);
    assert!(left.is_some_and(|left| left > 90), "{left:?}");
    let message = error.to_string();
    assert!(
        message.contains("most likely too many exports at once (DFINERY runs at most 5"),
        "{message}"
    );
    assert!(!message.contains("wait for the reset"), "{message}");
}

#[tokio::test]
async fn an_export_that_does_not_start_in_time_is_tried_once_not_on_every_retry() {
    // DFINERY counts an export against its 100 an hour when it gets the request: one that did
    // not start within the client's timeout was tried five times, spending five of them (and
    // five timeouts of waiting) on what would most likely be as slow each time.
    let emulator = emulator().await;
    emulator
        .set_faults(FaultConfig {
            latency: Latency::fixed(Duration::from_secs(5)),
            ..FaultConfig::default()
        })
        .unwrap();
    // The suite's retries: five attempts, a few milliseconds apart.
    let client = client_for(&emulator)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let error = export_one(&client).await.unwrap_err();
    let ExportError::Request(error) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(error.kind(), "timeout", "{error:?}");
    assert_eq!(emulator.stats().requests, 1);
    assert!(
        error.to_string().contains("raise the client's `timeout`"),
        "{error}"
    );
}

#[tokio::test]
async fn an_export_that_could_not_connect_in_time_is_a_transport_failure_and_retried() {
    // A connection not made within the connect timeout never reached DFINERY and spent none of
    // its exports; it was taken for an export that did not start in time, and not retried.
    let hole = crate::blackhole::BlackHole::new();
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let mut retry = crate::support::fast_retry();
    retry.max_attempts = 2;
    let client = dfinery::Client::builder()
        .service_id("svc")
        .export_token("t")
        .base_url(format!("http://{}", hole.addr))
        .http_client(http)
        .retry(retry)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let error = export_one(&client).await.unwrap_err();
    let ExportError::Request(error) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(error.kind(), "transport", "{error:?}");
}
