//! The pause after a failed send worth retrying: exponential with full jitter (the client's
//! [`RetryPolicy::backoff`] schedule), at least until the reset of a spent rate-limit window
//! (up to the cap: the client already waits for near resets, and a far one may come from a
//! skewed clock), for every user at once since DFINERY is down or rate limited for all. A rate
//! limit whose headers show calls left in the window did not spend it: the backoff alone. An
//! answer without a readable reset (a rate limit or a server error) that carried a
//! `Retry-After` ([`Error::retry_after`]) is waited for the same way: at least that long, up to
//! the cap.
//!
//! During a shutdown's drain the pause ends by half the time left before its deadline (unless
//! the answer asked for a longer wait): a pause of up to `max_backoff` (60 s by default) after a
//! failure in the drain would otherwise run past the deadline (30 s by default) and leave the
//! drain no second attempt, however soon DFINERY answered again.

use std::time::Duration;

use tokio::time::Instant;

use crate::client::{Error, RetryPolicy};
use crate::clock::Clock;

/// Failures in a row and the pause they set.
#[derive(Debug, Default)]
pub(super) struct Backoff {
    failures: u32,
    /// No batch is sent before this instant.
    pub(super) until: Option<Instant>,
}

impl Backoff {
    /// Notes a failure worth retrying and sets the pause, at least the wait its answer asked
    /// for (a spent window's reset, or else its `Retry-After`) up to `max`; a rate-limit reset
    /// is measured against `clock` (the client's). With a shutdown's `deadline`, the pause
    /// ends by half the time left before it, unless the answer asked for longer.
    pub(super) fn failed(
        &mut self,
        error: &Error,
        clock: &Clock,
        (initial, max): (Duration, Duration),
        deadline: Option<Instant>,
    ) {
        self.failures = self.failures.saturating_add(1);
        let policy = RetryPolicy {
            max_attempts: u32::MAX,
            initial_backoff: initial,
            max_backoff: max,
            max_rate_limit_wait: max,
        };
        // The reset of a spent window, or else the answer's `Retry-After`, as the client's
        // retries take them (`Error::wait_asked`), up to the cap.
        let floor = error.wait_asked(clock.now()).map(|wait| wait.min(max));
        let mut delay = policy.backoff(self.failures, rand::random::<f64>(), floor);
        let now = Instant::now();
        if let Some(deadline) = deadline {
            let half_left = deadline.saturating_duration_since(now) / 2;
            delay = delay.min(half_left.max(floor.unwrap_or_default()));
        }
        let until = now + delay;
        self.until = Some(self.until.map_or(until, |u| u.max(until)));
    }

    /// Notes a success: the next failure starts the schedule over.
    pub(super) fn succeeded(&mut self) {
        self.failures = 0;
    }

    /// Failures in a row.
    #[cfg(test)]
    pub(super) fn failures(&self) -> u32 {
        self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratelimit::RateLimitSnapshot;
    use crate::wire::Endpoint;
    use std::time::SystemTime;

    fn server_error() -> Error {
        Error::Server {
            endpoint: Endpoint::Events,
            status: 500,
            code: None,
            body: bytes::Bytes::new(),
            retry_after: None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_pause_grows_with_failures_and_stays_under_the_cap() {
        let mut backoff = Backoff::default();
        let (initial, max) = (Duration::from_secs(1), Duration::from_secs(8));
        for n in 1..=6 {
            backoff.failed(&server_error(), &Clock::default(), (initial, max), None);
            let pause = backoff.until.unwrap() - Instant::now();
            let ceiling = initial * 2_u32.pow(n - 1);
            assert!(pause <= ceiling.min(max), "failure {n}: {pause:?}");
            backoff.until = None;
        }
        assert_eq!(backoff.failures(), 6);
        backoff.succeeded();
        assert_eq!(backoff.failures(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_rate_limit_reset_is_waited_for() {
        let mut backoff = Backoff::default();
        // Measured against the client's clock: a reset 30 s after the time it shows.
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let clock = Clock::new(move || now);
        let limited = Error::RateLimited {
            endpoint: Endpoint::Events,
            status: 429,
            code: None,
            rate_limit: Some(Box::new(RateLimitSnapshot::new(
                None,
                Some(0),
                Some(now + Duration::from_secs(30)),
            ))),
            retry_after: None,
        };
        backoff.failed(
            &limited,
            &clock,
            (Duration::from_secs(1), Duration::from_secs(60)),
            None,
        );
        let pause = backoff.until.unwrap() - Instant::now();
        assert_eq!(pause, Duration::from_secs(30));
        // A reset further than the cap waits the cap only.
        backoff.until = None;
        backoff.failed(
            &limited,
            &clock,
            (Duration::from_secs(1), Duration::from_secs(10)),
            None,
        );
        let pause = backoff.until.unwrap() - Instant::now();
        assert_eq!(pause, Duration::from_secs(10));
        // Calls left in the window: not spent, the reset is no floor (the first failure's
        // backoff is at most `initial`).
        let mut backoff = Backoff::default();
        let Error::RateLimited { rate_limit, .. } = &limited else {
            unreachable!()
        };
        let room = Error::RateLimited {
            endpoint: Endpoint::Events,
            status: 429,
            code: None,
            rate_limit: rate_limit.clone().map(|mut r| {
                r.remaining = Some(5);
                r
            }),
            retry_after: None,
        };
        backoff.failed(
            &room,
            &clock,
            (Duration::from_secs(1), Duration::from_secs(60)),
            None,
        );
        let pause = backoff.until.unwrap() - Instant::now();
        assert!(pause <= Duration::from_secs(1), "{pause:?}");
    }

    /// After a failure whose answer asked, by its `Retry-After`, for 5 s and sent no rate-limit
    /// reset, no send comes before those 5 s (up to the cap, as a reset is capped): a 503 or a
    /// bare 429 paused the backoff alone (at most `initial`, 1 s here), into the same refusal.
    #[tokio::test(start_paused = true)]
    async fn a_retry_after_without_a_reset_is_waited_for_up_to_the_cap() {
        let (initial, secs) = (Duration::from_secs(1), Duration::from_secs);
        let clock = Clock::default();
        let unavailable = |wait| Error::Server {
            endpoint: Endpoint::Events,
            status: 503,
            code: None,
            body: bytes::Bytes::new(),
            retry_after: Some(wait),
        };
        let limited = |wait| Error::RateLimited {
            endpoint: Endpoint::Events,
            status: 429,
            code: None,
            rate_limit: None,
            retry_after: Some(wait),
        };
        let kinds: [fn(Duration) -> Error; 2] = [unavailable, limited];
        for error in kinds {
            let mut backoff = Backoff::default();
            backoff.failed(&error(secs(5)), &clock, (initial, secs(60)), None);
            let pause = backoff.until.unwrap() - Instant::now();
            assert_eq!(pause, secs(5), "{:?}", error(secs(5)));
            // Further than the cap: the cap.
            let mut backoff = Backoff::default();
            backoff.failed(&error(secs(3_600)), &clock, (initial, secs(10)), None);
            let pause = backoff.until.unwrap() - Instant::now();
            assert_eq!(pause, secs(10), "{:?}", error(secs(3_600)));
        }
        // A rate-limit reset, when one came, comes first: its window has calls left, so the
        // backoff alone, whatever `Retry-After` asks.
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let room = Error::RateLimited {
            endpoint: Endpoint::Events,
            status: 429,
            code: None,
            rate_limit: Some(Box::new(RateLimitSnapshot::new(
                None,
                Some(5),
                Some(now + secs(30)),
            ))),
            retry_after: Some(secs(20)),
        };
        let mut backoff = Backoff::default();
        backoff.failed(&room, &Clock::new(move || now), (initial, secs(60)), None);
        let pause = backoff.until.unwrap() - Instant::now();
        assert!(pause <= initial, "{pause:?}");
    }

    /// In a shutdown's drain, a failure's pause ends by half the time left before the
    /// deadline, so the drain tries again before it; a wait the answer asked for is kept.
    #[tokio::test(start_paused = true)]
    async fn in_a_drain_the_pause_leaves_room_for_another_attempt_before_the_deadline() {
        let (initial, max) = (Duration::from_secs(1), Duration::from_secs(60));
        let secs = Duration::from_secs;
        let deadline = Instant::now() + secs(30);
        let mut backoff = Backoff::default();
        // The pause after one failure answered with `error`, in the drain.
        let mut pause_after = |error: &Error| {
            backoff.failed(error, &Clock::default(), (initial, max), Some(deadline));
            backoff.until.take().unwrap() - Instant::now()
        };
        // Ten failures in a row: without the deadline the pause could be up to 60 s.
        for _ in 0..10 {
            let pause = pause_after(&server_error());
            assert!(pause <= secs(15), "{pause:?}");
        }
        // Nearer the deadline, a shorter pause still.
        tokio::time::advance(secs(26)).await;
        let pause = pause_after(&server_error());
        assert!(pause <= secs(2), "{pause:?}");
        // An answer that asked for 20 s is not retried sooner, deadline or not.
        let unavailable = Error::Server {
            endpoint: Endpoint::Events,
            status: 503,
            code: None,
            body: bytes::Bytes::new(),
            retry_after: Some(secs(20)),
        };
        let pause = pause_after(&unavailable);
        assert_eq!(pause, secs(20));
    }
}
