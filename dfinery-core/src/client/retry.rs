//! Retries in three pieces: [`RetryPolicy`] with its pure schedule ([`RetryPolicy::backoff`],
//! exponential with full jitter, a cap, and the reset of a spent rate-limit window, or the
//! answer's `Retry-After`, as a floor), the pure decision whether to retry, and the thin async
//! loop that runs them.

use std::future::Future;
use std::time::{Duration, SystemTime};

use super::error::Error;
use crate::clock::Clock;
use crate::wire::TokenKind;

/// When and how often the client retries a failed call.
///
/// Only [retryable](Error::is_retryable) failures are retried: transport failures, timeouts
/// (but an export's, below), server errors (5xx, `50000`, a proxy's 408) and rate limits. Each retry waits a random time between zero
/// and `initial_backoff × 2^(retry − 1)`, capped at `max_backoff` ("full jitter"); after a rate
/// limit that spent the window (`x-ratelimit-remaining` 0 or not sent) it waits at least until
/// the reset the server announced. A reset further away than `max_rate_limit_wait` is not
/// waited for: the [`Error::RateLimited`] is returned at once.
///
/// `x-ratelimit-reset` is DFINERY's documented header and comes first. An answer without a
/// readable one may carry a `Retry-After` (seconds or an HTTP-date; a proxy or gateway in
/// front of DFINERY may send one), which is then honoured: after a rate limit it is waited for
/// as a reset is (at least that long; further than `max_rate_limit_wait`, the error is
/// returned at once), and after a server error (HTTP 5xx, `50000`) the wait is at least that
/// long up to `max_backoff`, beyond which a retry comes at `max_backoff` (the attempts stay
/// bounded by `max_attempts`).
///
/// A rate limit whose headers say the window still has calls left (`remaining` above 0) did
/// not spend it: for an export, most likely DFINERY's limit of 5 exports at once, reached by
/// another process. Its reset is neither waited for nor a reason to give up; it is retried on
/// the backoff above, within `max_attempts`, so an export gets a slot once one frees.
///
/// An export that did not start within the client's `timeout` is not retried: DFINERY got the
/// request and counts it against its 100 exports an hour, and a slow export is as slow the next
/// time. The [`Error::Timeout`] is returned at once; raise the client's `timeout` for exports
/// that take long to start.
///
/// A retry sends the very same body, so every event keeps its `event_log_id` and the server
/// de-duplicates what an earlier attempt may already have stored.
///
/// Start from [`RetryPolicy::default`] and set the fields that differ (`max_attempts = 1`
/// turns retries off):
///
/// ```
/// use std::time::Duration;
/// use dfinery_core::RetryPolicy;
///
/// let mut policy = RetryPolicy::default();
/// policy.max_attempts = 3;
/// policy.initial_backoff = Duration::from_millis(50);
/// assert_eq!(policy.max_attempts, 3);
/// assert_eq!(policy.max_backoff, RetryPolicy::default().max_backoff);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 turns retries off. Default: 5.
    pub max_attempts: u32,
    /// The upper bound of the first retry's wait; it doubles for each further retry.
    /// Default: 200 ms.
    pub initial_backoff: Duration,
    /// The cap on the upper bound of a retry's wait (not on a rate-limit reset), and on the
    /// wait a server error's `Retry-After` asks for. Default: 10 s.
    pub max_backoff: Duration,
    /// The longest the client waits for the reset of a spent rate-limit window (or, when a rate
    /// limit's answer has no reset, for its `Retry-After`) before a retry. Default: 60 s.
    pub max_rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            max_rate_limit_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before the retry that follows attempt `attempt` (1 for the first attempt):
    /// `jitter` (in `0.0..=1.0`, drawn at random by the client) times
    /// `min(max_backoff, initial_backoff × 2^(attempt − 1))`, and at least `floor` (the time
    /// until the reset of a spent rate-limit window).
    ///
    pub(crate) fn backoff(&self, attempt: u32, jitter: f64, floor: Option<Duration>) -> Duration {
        let doublings = attempt.saturating_sub(1).min(30);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1_u32 << doublings)
            .min(self.max_backoff);
        // `mul_f64` without its panic: `Duration::MAX` (a policy meaning "wait as long as it
        // takes") times a jitter of 1.0 rounds above the largest `Duration`.
        let jittered = Duration::try_from_secs_f64(ceiling.as_secs_f64() * jitter.clamp(0.0, 1.0))
            .unwrap_or(ceiling);
        jittered.max(floor.unwrap_or(Duration::ZERO))
    }

    /// The wait before retrying after `error` ended attempt `attempt`, seen at `now`; `None`
    /// when the client must give up: the error is not retryable, the attempts are used up, or
    /// the reset of a spent rate-limit window (or a rate limit's `Retry-After`, when its answer
    /// sent no reset) is further than `max_rate_limit_wait`. A rate limit with room left in its
    /// window ([`has_room`](crate::ratelimit::RateLimitSnapshot::has_room)) waits the backoff
    /// alone; a server error waits at least its `Retry-After`
    /// ([`Error::retry_after`]), up to `max_backoff`.
    pub(crate) fn next_delay(
        &self,
        attempt: u32,
        error: &Error,
        now: SystemTime,
        jitter: f64,
    ) -> Option<Duration> {
        if !error.is_retryable() || attempt >= self.max_attempts || spends_an_export(error) {
            return None;
        }
        let floor = match error {
            Error::Server { .. } => error.wait_asked(now).map(|wait| wait.min(self.max_backoff)),
            _ => error.wait_asked(now),
        };
        if matches!(error, Error::RateLimited { .. })
            && floor.is_some_and(|floor| floor > self.max_rate_limit_wait)
        {
            return None;
        }
        Some(self.backoff(attempt, jitter, floor))
    }
}

/// Whether retrying after `error` would most likely spend another of DFINERY's exports for
/// nothing: an export that did not start within the client's `timeout`. The server got the
/// request and counted it against its 100 exports an hour; a slow export is as slow the next
/// time, so five tries spent five exports and the same wait five times over.
fn spends_an_export(error: &Error) -> bool {
    matches!(error, Error::Timeout { endpoint, .. } if endpoint.token() == TokenKind::Export)
}

/// Runs `attempt` (given the attempt number, from 1) until it succeeds or the policy gives up;
/// returns the outcome and the number of attempts made. Rate-limit resets are measured
/// against `clock`.
pub(crate) async fn with_retries<T, F, Fut>(
    policy: &RetryPolicy,
    clock: &Clock,
    mut attempt: F,
) -> (Result<T, Error>, u32)
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let mut number = 1;
    loop {
        let error = match attempt(number).await {
            Ok(value) => return (Ok(value), number),
            Err(error) => error,
        };
        let jitter = rand::random::<f64>();
        match policy.next_delay(number, &error, clock.now(), jitter) {
            Some(delay) => {
                tracing::warn!(
                    attempt = number,
                    retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    error = %crate::ErrorChain(&error),
                    "retrying a failed call"
                );
                tokio::time::sleep(delay).await;
                number += 1;
            }
            None => return (Err(error), number),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_doubles_up_to_the_cap_with_jitter_and_the_reset_as_a_floor() {
        let policy = RetryPolicy::default();
        let ms = Duration::from_millis;
        assert_eq!(policy.backoff(1, 1.0, None), ms(200));
        assert_eq!(policy.backoff(3, 1.0, None), ms(800));
        assert_eq!(policy.backoff(3, 0.5, None), ms(400));
        assert_eq!(policy.backoff(20, 1.0, None), Duration::from_secs(10)); // capped
        assert_eq!(policy.backoff(1, 0.0, Some(ms(1500))), ms(1500)); // the reset is a floor
    }
    use crate::ratelimit::RateLimitSnapshot;
    use crate::wire::Endpoint;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn server_error() -> Error {
        Error::Server {
            endpoint: Endpoint::Events,
            status: 500,
            code: None,
            body: bytes::Bytes::new(),
            retry_after: None,
        }
    }

    fn rate_limited(reset: Option<SystemTime>) -> Error {
        rate_limited_with(Endpoint::Events, Some(0), reset)
    }

    fn rate_limited_with(
        endpoint: Endpoint,
        remaining: Option<u64>,
        reset: Option<SystemTime>,
    ) -> Error {
        Error::RateLimited {
            endpoint,
            status: 429,
            code: None,
            rate_limit: Some(Box::new(RateLimitSnapshot::new(
                Some("1H"),
                remaining,
                reset,
            ))),
            retry_after: None,
        }
    }

    /// `error` with the wait its answer's `Retry-After` asked for.
    fn asking(mut error: Error, wait: Option<Duration>) -> Error {
        if let Error::RateLimited { retry_after, .. } | Error::Server { retry_after, .. } =
            &mut error
        {
            *retry_after = wait;
        }
        error
    }

    fn fast() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: ms(100),
            max_backoff: ms(1_000),
            max_rate_limit_wait: Duration::from_secs(5),
        }
    }

    #[test]
    fn the_schedule_doubles_up_to_the_cap() {
        let policy = fast();
        let ceilings: Vec<_> = (1..=6).map(|a| policy.backoff(a, 1.0, None)).collect();
        assert_eq!(
            ceilings,
            [ms(100), ms(200), ms(400), ms(800), ms(1_000), ms(1_000)]
        );
        assert_eq!(policy.backoff(u32::MAX, 1.0, None), ms(1_000));
    }

    #[test]
    fn a_policy_of_duration_max_waits_long_and_never_panics() {
        let policy = RetryPolicy {
            max_attempts: u32::MAX,
            initial_backoff: Duration::MAX,
            max_backoff: Duration::MAX,
            max_rate_limit_wait: Duration::MAX,
        };
        // `Duration::MAX.mul_f64(1.0)` panics: the product rounds above the largest `Duration`.
        assert_eq!(policy.backoff(1, 1.0, None), Duration::MAX);
        assert!(policy.backoff(40, 0.5, None) > Duration::from_secs(u64::MAX / 4));
        assert_eq!(policy.backoff(3, 0.0, Some(ms(5))), ms(5));
    }

    #[test]
    fn full_jitter_spans_zero_to_the_ceiling() {
        let policy = fast();
        assert_eq!(policy.backoff(2, 0.0, None), Duration::ZERO);
        assert_eq!(policy.backoff(2, 0.25, None), ms(50));
        // Out-of-range jitter is clamped.
        assert_eq!(policy.backoff(2, 7.0, None), ms(200));
        assert_eq!(policy.backoff(2, -1.0, None), Duration::ZERO);
    }

    #[test]
    fn a_rate_limit_reset_is_a_floor_even_above_the_cap() {
        let policy = fast();
        assert_eq!(policy.backoff(1, 1.0, Some(ms(3_000))), ms(3_000));
        assert_eq!(policy.backoff(4, 1.0, Some(ms(10))), ms(800));
    }

    #[test]
    fn only_retryable_errors_within_the_attempts_are_retried() {
        let policy = fast();
        let now = SystemTime::now();
        assert_eq!(
            policy.next_delay(1, &server_error(), now, 1.0),
            Some(ms(100))
        );
        assert_eq!(policy.next_delay(4, &server_error(), now, 1.0), None);
        let auth = Error::Auth {
            endpoint: Endpoint::Events,
            status: 200,
            code: None,
            given_by: None,
        };
        assert_eq!(policy.next_delay(1, &auth, now, 1.0), None);
        assert_eq!(
            RetryPolicy {
                max_attempts: 1,
                ..RetryPolicy::default()
            }
            .next_delay(1, &server_error(), now, 1.0),
            None
        );
    }

    #[test]
    fn an_export_that_did_not_start_in_time_is_not_retried_an_import_is() {
        let policy = fast();
        let now = SystemTime::now();
        let timeout = |endpoint| Error::Timeout {
            endpoint,
            after: Duration::from_secs(30),
        };
        // Each try of an export spends one of DFINERY's 100 an hour.
        for endpoint in [Endpoint::ExportEvent, Endpoint::ExportUserProfile] {
            assert_eq!(policy.next_delay(1, &timeout(endpoint), now, 1.0), None);
        }
        assert_eq!(
            policy.next_delay(1, &timeout(Endpoint::Events), now, 1.0),
            Some(ms(100))
        );
        // An export's server error is still retried.
        let failed = Error::Server {
            endpoint: Endpoint::ExportEvent,
            status: 500,
            code: None,
            body: bytes::Bytes::new(),
            retry_after: None,
        };
        assert_eq!(policy.next_delay(1, &failed, now, 1.0), Some(ms(100)));
    }

    #[test]
    fn the_reset_decides_how_long_a_rate_limit_waits() {
        let policy = fast();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let soon = rate_limited(Some(now + Duration::from_secs(2)));
        assert_eq!(
            policy.next_delay(1, &soon, now, 0.0),
            Some(Duration::from_secs(2))
        );
        let passed = rate_limited(Some(now - Duration::from_secs(2)));
        assert_eq!(policy.next_delay(1, &passed, now, 0.5), Some(ms(50)));
        let unknown = rate_limited(None);
        assert_eq!(policy.next_delay(1, &unknown, now, 1.0), Some(ms(100)));
        let tomorrow = rate_limited(Some(now + Duration::from_secs(86_400)));
        assert_eq!(policy.next_delay(1, &tomorrow, now, 1.0), None);
    }

    #[test]
    fn a_rate_limit_with_room_left_is_retried_on_the_backoff_not_at_the_reset() {
        // An export refused because 5 exports were running (another process's): the hourly
        // window still has 94 calls, its reset is 50 minutes away. Retried on the backoff,
        // within the attempts, not given up at once as if the window were spent.
        let policy = fast();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let reset = Some(now + Duration::from_secs(3_000));
        let room = rate_limited_with(Endpoint::ExportEvent, Some(94), reset);
        assert_eq!(policy.next_delay(1, &room, now, 1.0), Some(ms(100)));
        assert_eq!(policy.next_delay(3, &room, now, 0.5), Some(ms(200)));
        assert_eq!(policy.next_delay(3, &room, now, 1.0), Some(ms(400)));
        assert_eq!(policy.next_delay(4, &room, now, 1.0), None);
        // A near reset is no floor either: the backoff alone decides.
        let near = rate_limited_with(
            Endpoint::Events,
            Some(3),
            Some(now + Duration::from_secs(2)),
        );
        assert_eq!(policy.next_delay(1, &near, now, 0.5), Some(ms(50)));
        // The window spent (0 left) or its count not sent: the far reset gives up, as before.
        for spent in [Some(0), None] {
            let error = rate_limited_with(Endpoint::ExportEvent, spent, reset);
            assert_eq!(policy.next_delay(1, &error, now, 1.0), None, "{spent:?}");
        }
        let spent_near = rate_limited_with(
            Endpoint::Events,
            Some(0),
            Some(now + Duration::from_secs(2)),
        );
        assert_eq!(
            policy.next_delay(1, &spent_near, now, 0.0),
            Some(Duration::from_secs(2))
        );
    }

    /// A rate limit without a reset waits for its `Retry-After` as for a reset, and gives up
    /// on one further than `max_rate_limit_wait`; a reset, when sent, comes first. It was
    /// retried on the backoff alone (a few hundred milliseconds), into the same refusal.
    #[test]
    fn a_rate_limit_without_a_reset_waits_for_its_retry_after() {
        let policy = fast();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let secs = Duration::from_secs;
        let bare = |wait| {
            asking(
                Error::RateLimited {
                    endpoint: Endpoint::Events,
                    status: 429,
                    code: None,
                    rate_limit: None,
                    retry_after: None,
                },
                wait,
            )
        };
        let no_reset = |wait| asking(rate_limited(None), wait);
        let kinds: [fn(Option<Duration>) -> Error; 2] = [bare, no_reset];
        for error in kinds {
            assert_eq!(
                policy.next_delay(1, &error(Some(secs(3))), now, 0.0),
                Some(secs(3)),
                "{:?}",
                error(None)
            );
            // At least that long: a longer backoff stays.
            assert_eq!(
                policy.next_delay(1, &error(Some(ms(10))), now, 1.0),
                Some(ms(100))
            );
            // Further than `max_rate_limit_wait` (5 s): given up at once, as a far reset is.
            assert_eq!(policy.next_delay(1, &error(Some(secs(6))), now, 0.0), None);
            // Without one, the backoff.
            assert_eq!(policy.next_delay(1, &error(None), now, 1.0), Some(ms(100)));
        }
        // A reset sent comes first, near or far, spent or with room.
        let near = |wait| asking(rate_limited(Some(now + secs(2))), Some(wait));
        assert_eq!(
            policy.next_delay(1, &near(secs(4)), now, 0.0),
            Some(secs(2))
        );
        assert_eq!(
            policy.next_delay(1, &near(secs(3_600)), now, 0.0),
            Some(secs(2))
        );
        let far = asking(rate_limited(Some(now + secs(3_600))), Some(secs(1)));
        assert_eq!(policy.next_delay(1, &far, now, 0.0), None);
        let room = asking(
            rate_limited_with(Endpoint::ExportEvent, Some(94), Some(now + secs(3_000))),
            Some(secs(4)),
        );
        assert_eq!(policy.next_delay(1, &room, now, 0.5), Some(ms(50)));
        // A rate limit with room left but no reset: the server's word is all there is.
        let room_no_reset = asking(
            rate_limited_with(Endpoint::ExportEvent, Some(94), None),
            Some(secs(4)),
        );
        assert_eq!(
            policy.next_delay(1, &room_no_reset, now, 0.0),
            Some(secs(4))
        );
    }

    /// A server error waits at least its `Retry-After`, up to `max_backoff`: a far one neither
    /// holds the call for an hour nor ends the retries.
    #[test]
    fn a_server_error_waits_for_its_retry_after_up_to_max_backoff() {
        let policy = fast(); // 100 ms doubling, at most 1 s
        let now = SystemTime::now();
        let error = |wait| asking(server_error(), Some(wait));
        assert_eq!(
            policy.next_delay(1, &error(ms(700)), now, 0.0),
            Some(ms(700))
        );
        assert_eq!(
            policy.next_delay(1, &error(Duration::from_secs(3_600)), now, 0.0),
            Some(ms(1_000))
        );
        assert_eq!(
            policy.next_delay(3, &error(ms(10)), now, 1.0),
            Some(ms(400))
        );
        // Not past the attempts, and nothing for what is never retried.
        assert_eq!(policy.next_delay(4, &error(ms(700)), now, 0.0), None);
        let auth = Error::Auth {
            endpoint: Endpoint::Events,
            status: 401,
            code: None,
            given_by: None,
        };
        assert_eq!(policy.next_delay(1, &auth, now, 0.0), None);
    }

    #[tokio::test(start_paused = true)]
    async fn the_loop_waits_for_the_retry_after_of_a_failed_attempt() {
        let start = tokio::time::Instant::now();
        let (result, attempts) = with_retries(&fast(), &Clock::default(), |n| async move {
            if n == 1 {
                Err(asking(server_error(), Some(ms(900))))
            } else {
                Ok(())
            }
        })
        .await;
        assert!(result.is_ok());
        assert_eq!(attempts, 2);
        // At least the 900 ms asked for; the backoff's first ceiling is 100 ms.
        assert_eq!(start.elapsed(), ms(900));
    }

    #[tokio::test(start_paused = true)]
    async fn the_loop_retries_until_success_and_counts_attempts() {
        let calls = AtomicU32::new(0);
        let start = tokio::time::Instant::now();
        let (result, attempts) = with_retries(&fast(), &Clock::default(), |n| {
            calls.fetch_add(1, Ordering::Relaxed);
            async move {
                if n < 3 {
                    Err(server_error())
                } else {
                    Ok(n * 10)
                }
            }
        })
        .await;
        assert_eq!(result.unwrap(), 30);
        assert_eq!(attempts, 3);
        assert_eq!(calls.load(Ordering::Relaxed), 3);
        // Two waits of at most 100 ms and 200 ms.
        assert!(start.elapsed() <= ms(300), "{:?}", start.elapsed());
    }

    #[tokio::test(start_paused = true)]
    async fn the_loop_gives_up_after_max_attempts_and_at_once_on_fatal_errors() {
        let (result, attempts) = with_retries(&fast(), &Clock::default(), |_| async {
            Err::<(), _>(server_error())
        })
        .await;
        assert!(matches!(result, Err(Error::Server { .. })));
        assert_eq!(attempts, 4);

        let start = tokio::time::Instant::now();
        let (result, attempts) = with_retries(&fast(), &Clock::default(), |_| async {
            Err::<(), _>(Error::TooManyEvents {
                endpoint: Endpoint::Events,
                status: 200,
                code: None,
                base_url_given_by: None,
            })
        })
        .await;
        assert!(matches!(result, Err(Error::TooManyEvents { .. })));
        assert_eq!(attempts, 1);
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn the_loop_waits_for_the_reset_by_the_clients_clock() {
        // The client's clock, not the machine's: the server announced a reset 3 s after the
        // time that clock shows, so the retry comes exactly 3 s later, whatever the wall
        // clock says.
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let clock = Clock::new(move || now);
        let start = tokio::time::Instant::now();
        let reset = now + Duration::from_secs(3);
        let (result, attempts) = with_retries(&fast(), &clock, |n| async move {
            if n == 1 {
                Err(rate_limited(Some(reset)))
            } else {
                Ok(())
            }
        })
        .await;
        assert!(result.is_ok());
        assert_eq!(attempts, 2);
        assert_eq!(start.elapsed(), Duration::from_secs(3));
    }
}
