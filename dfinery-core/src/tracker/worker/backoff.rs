//! The pause after a failed send worth retrying: exponential with full jitter (the client's
//! [`RetryPolicy::backoff`] schedule), at least until the reset of a spent rate-limit window
//! (up to the cap: the client already waits for near resets, and a far one may come from a
//! skewed clock), for every user at once since DFINERY is down or rate limited for all. A rate
//! limit whose headers show calls left in the window did not spend it: the backoff alone.

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
    /// Notes a failure worth retrying and sets the pause; a rate-limit reset is measured
    /// against `clock` (the client's).
    pub(super) fn failed(
        &mut self,
        error: &Error,
        clock: &Clock,
        initial: Duration,
        max: Duration,
    ) {
        self.failures = self.failures.saturating_add(1);
        let policy = RetryPolicy {
            max_attempts: u32::MAX,
            initial_backoff: initial,
            max_backoff: max,
            max_rate_limit_wait: max,
        };
        let floor = error
            .rate_limit()
            .filter(|r| !r.has_room())
            .and_then(|r| r.reset_after(clock.now()))
            .map(|wait| wait.min(max));
        let delay = policy.backoff(self.failures, rand::random::<f64>(), floor);
        let until = Instant::now() + delay;
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
            backoff.failed(&server_error(), &Clock::default(), initial, max);
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
            Duration::from_secs(1),
            Duration::from_secs(60),
        );
        let pause = backoff.until.unwrap() - Instant::now();
        assert_eq!(pause, Duration::from_secs(30));
        // A reset further than the cap waits the cap only.
        backoff.until = None;
        backoff.failed(
            &limited,
            &clock,
            Duration::from_secs(1),
            Duration::from_secs(10),
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
            Duration::from_secs(1),
            Duration::from_secs(60),
        );
        let pause = backoff.until.unwrap() - Instant::now();
        assert!(pause <= Duration::from_secs(1), "{pause:?}");
    }
}
