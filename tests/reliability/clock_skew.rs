//! A client whose clock is 5 minutes off DFINERY's (the emulator's clock shifted with
//! `clock_offset_ms`, as `dfinery emulator --clock-offset` does): pacing measures the wait
//! until `x-ratelimit-reset` on the server's clock (its `Date` header), so it neither sends
//! into a window that has not reset (429s) nor waits minutes, and no wait is longer than the
//! window.

use std::time::{Duration, SystemTime};

use dfinery::ratelimit::Api;
use dfinery_emulator::{RateLimit, Window};

use crate::support::{client_to, emulator_with, login, user};

/// The window of the test's rate limit: 5 calls per 2 s on the Event API.
const WINDOW: Duration = Duration::from_secs(2);

async fn paced_under_skew(offset_ms: i64) {
    let emulator = emulator_with(|b| {
        b.clock_offset_ms(offset_ms)
            .rate_limit(Api::Event, RateLimit::new(5, Window::seconds(2)))
    })
    .await;
    let client = client_to(emulator.base_url()).build().unwrap();
    let calls = 15;
    let mut longest = Duration::ZERO;
    let mut before = client.pacing_stats().paced_wait;
    for n in 0..calls {
        client
            .send_events(&user(&format!("k{}", n % 3)), [login()])
            .await
            .unwrap_or_else(|e| panic!("call {n} with the clock {offset_ms} ms off: {e}"));
        let after = client.pacing_stats().paced_wait;
        longest = longest.max(after - before);
        before = after;
    }
    let stats = client.pacing_stats();
    let skew = client
        .rate_limit(Api::Event)
        .expect("headers seen")
        .clock_skew(SystemTime::now())
        .expect("the emulator sends a Date");
    println!(
        "clock skew {offset_ms:+} ms (seen {skew:+} ms): {calls} calls at 5/2s, {} answered 429, \
         {} paced for {:?} in all, longest wait {longest:?} (window {WINDOW:?})",
        emulator.stats().rate_limited,
        stats.paced_calls,
        stats.paced_wait,
    );
    assert!(
        (skew - offset_ms).abs() < 3_000,
        "the Date header carries the emulator's shifted clock: {skew} ms"
    );
    assert_eq!(emulator.stats().accepted, calls);
    assert_eq!(
        emulator.stats().rate_limited,
        0,
        "no 429 from pacing with the skew"
    );
    assert_eq!(stats.rate_limited, 0);
    assert!(
        stats.paced_calls > 0,
        "the budget ran out, so calls waited: {stats:?}"
    );
    assert!(
        longest <= WINDOW + Duration::from_millis(50),
        "no wait longer than the window: {longest:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_5_minutes_behind_dfinery_paces_without_429s_or_long_waits() {
    paced_under_skew(300_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_5_minutes_ahead_of_dfinery_paces_without_429s() {
    paced_under_skew(-300_000).await;
}

/// A current-thread runtime, so the client's calls log on this thread's own capture.
#[tokio::test]
async fn a_skew_over_5_s_is_logged_once_per_client_and_no_skew_never() {
    for (offset_ms, expected) in [(300_000, 1), (-300_000, 1), (0, 0)] {
        let lines = crate::capture::this_thread(tracing::Level::WARN);
        let emulator = emulator_with(|b| b.clock_offset_ms(offset_ms)).await;
        let client = client_to(emulator.base_url()).build().unwrap();
        for n in 0..5 {
            client
                .send_events(&user(&format!("log{n}")), [login()])
                .await
                .unwrap();
        }
        let text = lines.text();
        drop(lines);
        assert_eq!(
            text.matches("differs from DFINERY's").count(),
            expected,
            "clock {offset_ms:+} ms off, 5 calls; logged: {text}"
        );
    }
}
