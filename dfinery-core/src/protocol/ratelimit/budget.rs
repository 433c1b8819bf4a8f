//! [`RateBudget`]: a rate budget shared beyond one client, consulted by the pacer before every
//! call, and `LocalGcra`, the in-process pacing a shared budget falls back to.
//!
//! Without a budget (the default) a client paces itself from the `x-ratelimit-*` headers of
//! its own answers only (see [`Pacing`](super::Pacing)). With one
//! ([`ClientBuilder::rate_budget`](crate::client::ClientBuilder::rate_budget)), every call
//! first waits for a permit from the budget, then for the local pacing; the budget hears about
//! every answer (its headers, whether it said "rate limited", how long it took).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::{Api, RateLimitSnapshot};

/// A boxed future, so that [`RateBudget`] can be used as a trait object.
pub type BudgetFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A rate budget consulted before each call, e.g. one shared by every instance of a service
/// (`RedisBudget`, feature `redis`).
///
/// The default, when a client has none, is the client's own local pacing from the rate-limit
/// headers; a budget comes on top of it and can only make calls wait longer.
pub trait RateBudget: Send + Sync + fmt::Debug {
    /// Waits until one call to `api` may go out under the budget.
    fn acquire(&self, api: Api) -> BudgetFuture<'_, ()>;

    /// Takes in what the answer to a call said about the budget. Called once per attempt that
    /// got an answer; must not block (send anything slow to the background).
    fn feedback(&self, api: Api, feedback: &Feedback);

    /// Waits for one of the export slots shared by every holder of the budget (DFINERY allows
    /// a few exports at once per service); the slot is held until the guard is dropped.
    /// `None` when the budget does not share export slots (the default).
    fn export_slot(&self) -> BudgetFuture<'_, Option<SlotGuard>> {
        Box::pin(async { None })
    }
}

/// What one answer said about the rate budget.
///
/// `#[non_exhaustive]`: a [`RateBudget`] reads its fields; one built outside this crate (to
/// test a budget) starts from [`Feedback::new`] and sets the fields it needs, so a field added
/// later breaks no code.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Feedback {
    /// The answer's `x-ratelimit-*` headers, when it had any.
    pub snapshot: Option<RateLimitSnapshot>,
    /// Whether the answer said the limit was exceeded (HTTP 429, code `40401`,
    /// `too_many_api_requests`). With a `snapshot` showing calls left (`remaining` above 0)
    /// the window was not spent (for an export, most likely the limit of exports at once): a
    /// budget should not hold calls back until the reset for it, as `RedisBudget` does not.
    pub rate_limited: bool,
    /// The wait the answer's `Retry-After` asked for, measured when it came (a gateway in front
    /// of DFINERY may send one; DFINERY documents none). A rate limit whose answer has no
    /// readable reset holds the budget back this long: `RedisBudget` blocks every instance
    /// for it, as the client that got it waits for it before its retry.
    pub retry_after: Option<Duration>,
    /// From when the call went out (after its permit and the client's own pacing wait) to the
    /// answer: calls granted within this time before the answer may not have been counted by
    /// the server yet.
    pub latency: Duration,
    /// When the answer arrived, on the wall clock (to read `reset` against).
    pub received: SystemTime,
}

impl Feedback {
    /// An answer that came at `received` saying nothing: no `x-ratelimit-*` headers, not a
    /// rate limit, no `Retry-After`, no latency. Set the fields the answer had:
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use dfinery_core::ratelimit::Feedback;
    ///
    /// let mut refused = Feedback::new(SystemTime::now());
    /// refused.rate_limited = true;
    /// refused.retry_after = Some(Duration::from_secs(10));
    /// ```
    pub fn new(received: SystemTime) -> Feedback {
        Feedback {
            snapshot: None,
            rate_limited: false,
            retry_after: None,
            latency: Duration::ZERO,
            received,
        }
    }

    /// How long until the window of the answer resets, capped by the window's length (a server
    /// clock far ahead cannot block for longer than one window), or by a day when the window's
    /// length is not given, as the client's own pacing caps it; `None` when unknown.
    #[cfg(any(test, feature = "redis"))]
    pub(crate) fn reset_after(&self) -> Option<Duration> {
        /// The furthest a reset is believed to be when the window's length is unknown.
        const MAX_HORIZON: Duration = Duration::from_secs(86_400);
        let snapshot = self.snapshot.as_ref()?;
        let until = snapshot.reset_after(self.received)?;
        Some(until.min(snapshot.window_duration().unwrap_or(MAX_HORIZON)))
    }
}

/// A held shared slot (see [`RateBudget::export_slot`]); dropping it frees the slot.
pub struct SlotGuard {
    _inner: Box<dyn Send + Sync>,
}

impl SlotGuard {
    /// A guard that frees its slot when `inner` is dropped.
    pub fn new(inner: impl Send + Sync + 'static) -> SlotGuard {
        SlotGuard {
            _inner: Box::new(inner),
        }
    }
}

impl fmt::Debug for SlotGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlotGuard").finish_non_exhaustive()
    }
}

/// The generic cell rate algorithm (GCRA) in process: at most `limit` permits per `period`,
/// evenly spaced, with up to `burst` permits at once after a pause.
///
/// This is the same algorithm `RedisBudget` (feature `redis`) runs inside Redis, and the
/// pacing it falls back to (at the limit divided by the expected number of instances) when
/// Redis cannot be reached.
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) struct LocalGcra {
    /// The time between two permits.
    interval: Duration,
    /// How far ahead of `now` the theoretical arrival time may run (`burst - 1` intervals).
    tolerance: Duration,
    /// `period`: the furthest ahead of `now` [`charge`](Self::charge) moves the theoretical
    /// arrival time.
    period: Duration,
    /// The theoretical arrival time of the next permit.
    tat: Option<Instant>,
}

#[cfg_attr(not(feature = "redis"), allow(dead_code))]
impl LocalGcra {
    /// At most `limit` permits per `period`, `burst` of them at once (at least 1). A `limit`
    /// of 0 is read as 1. (The budget falls back with [`spaced`](Self::spaced).)
    #[cfg(test)]
    pub(crate) fn new(limit: u64, period: Duration, burst: u32) -> LocalGcra {
        // Rounded up, so that `limit` permits never fit in less than `period`.
        let nanos = period.as_nanos().div_ceil(u128::from(limit.max(1)));
        let interval = Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX));
        LocalGcra {
            interval,
            tolerance: interval * burst.max(1).saturating_sub(1),
            period,
            tat: None,
        }
    }

    /// One permit every `interval`, one at a time; [`charge`](Self::charge) moves the next
    /// permit at most `period` ahead.
    pub(crate) fn spaced(interval: Duration, period: Duration) -> LocalGcra {
        LocalGcra {
            interval,
            tolerance: Duration::ZERO,
            period,
            tat: None,
        }
    }

    /// Counts `permits` taken elsewhere at `now` (from the shared budget) as if taken here,
    /// without a wait: pacing that takes over later goes on from what was already spent
    /// instead of starting afresh. An instance that took more than this pace allows waits at
    /// most one `period`: what it took before that is out of any window the next permit
    /// falls in.
    pub(crate) fn charge(&mut self, now: Instant, permits: u32) {
        let tat = self.tat.map_or(now, |tat| tat.max(now));
        let cap = now + self.period;
        let charged = tat
            .checked_add(self.interval.saturating_mul(permits))
            .map_or(cap, |charged| charged.min(cap));
        // Never earlier than permits this pacing already gave out.
        self.tat = Some(charged.max(tat));
    }

    /// Takes one permit at `now`: the time to wait before using it (zero when it may be used
    /// at once). The permit is counted either way, so callers wait their turn in order.
    pub(crate) fn take(&mut self, now: Instant) -> Duration {
        let tat = self.tat.map_or(now, |tat| tat.max(now));
        self.tat = Some(tat + self.interval);
        let allowed_at = tat.checked_sub(self.tolerance).unwrap_or(now);
        allowed_at.saturating_duration_since(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);
    const Z: Duration = Duration::ZERO;

    #[test]
    fn gcra_spaces_permits_after_a_burst() {
        let now = Instant::now();
        let mut gcra = LocalGcra::new(10, Duration::from_secs(1), 3);
        let waits: Vec<_> = (0..5).map(|_| gcra.take(now)).collect();
        assert_eq!(waits, [Z, Z, Z, 100 * MS, 200 * MS]);
        // After a long pause the burst is available again, never more.
        let later = now + Duration::from_secs(10);
        let waits: Vec<_> = (0..4).map(|_| gcra.take(later)).collect();
        assert_eq!(waits, [Z, Z, Z, 100 * MS]);
    }

    #[test]
    fn permits_charged_from_elsewhere_delay_the_next_ones_by_at_most_a_period() {
        let now = Instant::now();
        let mut gcra = LocalGcra::new(10, Duration::from_secs(1), 1);
        // 4 permits taken elsewhere: the next one here is due 400 ms on.
        gcra.charge(now, 4);
        assert_eq!(gcra.take(now), 400 * MS);
        // Far more than a period's worth: the wait is capped at one period.
        let mut gcra = LocalGcra::new(10, Duration::from_secs(1), 1);
        gcra.charge(now, 1_000);
        assert_eq!(gcra.take(now), Duration::from_secs(1));
        // A charge never takes back permits already given out here.
        let mut gcra = LocalGcra::new(10, Duration::from_secs(1), 1);
        for _ in 0..30 {
            gcra.take(now);
        }
        gcra.charge(now, 1);
        assert_eq!(gcra.take(now), 3_000 * MS);
    }

    #[test]
    fn feedback_reset_is_capped_by_the_window() {
        let received = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let feedback = Feedback {
            snapshot: Some(RateLimitSnapshot::new(
                Some("1s"),
                Some(0),
                Some(received + Duration::from_secs(3_600)),
            )),
            rate_limited: true,
            retry_after: None,
            latency: Duration::ZERO,
            received,
        };
        assert_eq!(feedback.reset_after(), Some(Duration::from_secs(1)));
    }

    #[test]
    fn feedback_reset_without_a_window_is_capped_at_a_day() {
        // A nanosecond epoch read as milliseconds, with no window header: a reset some
        // millennia ahead became a Redis expiry Redis refuses, and the budget fell back.
        let received = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let feedback = Feedback {
            snapshot: Some(RateLimitSnapshot::new(
                None,
                Some(0),
                Some(received + Duration::from_secs(1_000_000_000_000)),
            )),
            rate_limited: true,
            retry_after: None,
            latency: Duration::ZERO,
            received,
        };
        assert_eq!(feedback.reset_after(), Some(Duration::from_secs(86_400)));
    }
}
