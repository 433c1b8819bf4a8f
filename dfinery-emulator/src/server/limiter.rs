//! Fixed-window request counters per API and the `x-ratelimit-*` headers they produce.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use axum::http::{HeaderMap, HeaderValue};
use dfinery_schema::protocol::RateLimitHeader;

use crate::RateLimit;

/// Where one API's window stands, as sent in the `x-ratelimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot {
    limit: RateLimit,
    remaining: u64,
    /// Epoch milliseconds at which the window resets.
    reset_ms: u64,
}

impl Snapshot {
    /// Adds `x-ratelimit-limit` (the window, e.g. `1m`), `x-ratelimit-remaining` and
    /// `x-ratelimit-reset` (epoch ms).
    pub(crate) fn write(&self, headers: &mut HeaderMap) {
        let mut put = |name: &'static str, value: String| {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        };
        put(RateLimitHeader::Limit.name(), self.limit.window.to_string());
        put(
            RateLimitHeader::Remaining.name(),
            self.remaining.to_string(),
        );
        put(RateLimitHeader::Reset.name(), self.reset_ms.to_string());
    }
}

/// One API's counter: windows aligned to the epoch, so window `n` covers
/// `[n * len, (n + 1) * len)` milliseconds.
#[derive(Debug)]
pub(crate) struct Limiter {
    state: Mutex<Counter>,
}

#[derive(Debug, Clone)]
struct Counter {
    limit: RateLimit,
    /// The window number.
    window: u64,
    /// Requests counted in it.
    used: u64,
    /// The counts of the latest other windows (at most [`KEPT_WINDOWS`]), so that a clock set
    /// back (`ManualClock::set`, a system clock stepped back) and forward again finds a window
    /// it spent still spent, instead of counting it afresh.
    others: BTreeMap<u64, u64>,
}

/// How many windows besides the current one keep their count.
const KEPT_WINDOWS: usize = 8;

impl Limiter {
    pub(crate) fn new(limit: RateLimit) -> Limiter {
        Limiter {
            state: Mutex::new(Counter {
                limit,
                window: 0,
                used: 0,
                others: BTreeMap::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counter> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts one request at `now_ms`: `Ok` when it is within the limit, `Err` when the window
    /// is used up (the refused request is not counted).
    pub(crate) fn acquire(&self, now_ms: u64) -> Result<Snapshot, Snapshot> {
        let mut state = self.lock();
        state.roll(now_ms);
        if state.used >= state.limit.limit {
            return Err(state.snapshot());
        }
        state.used += 1;
        Ok(state.snapshot())
    }

    /// The window's state at `now_ms` without counting a request.
    pub(crate) fn peek(&self, now_ms: u64) -> Snapshot {
        let mut state = self.lock();
        state.roll(now_ms);
        state.snapshot()
    }

    /// The limit in force.
    pub(crate) fn limit(&self) -> RateLimit {
        self.lock().limit
    }

    /// Replaces the limit at once; requests already counted in the current window stay counted
    /// (a window of another length starts over).
    pub(crate) fn set_limit(&self, limit: RateLimit) {
        let mut state = self.lock();
        if state.limit.window != limit.window {
            state.window = 0;
            state.used = 0;
            state.others.clear();
        }
        state.limit = limit;
    }

    /// Forgets every counted request.
    pub(crate) fn reset(&self) {
        let mut state = self.lock();
        state.window = 0;
        state.used = 0;
        state.others.clear();
    }
}

impl Counter {
    fn roll(&mut self, now_ms: u64) {
        let window = now_ms / self.limit.window.millis();
        if window != self.window {
            if self.used > 0 {
                self.others.insert(self.window, self.used);
            }
            self.used = self.others.remove(&window).unwrap_or(0);
            self.window = window;
            while self.others.len() > KEPT_WINDOWS {
                self.others.pop_first();
            }
        }
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            limit: self.limit,
            remaining: self.limit.limit.saturating_sub(self.used),
            reset_ms: self
                .window
                .saturating_add(1)
                .saturating_mul(self.limit.window.millis()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Window;

    #[test]
    fn a_window_allows_the_limit_then_refuses_until_it_resets() {
        let limiter = Limiter::new(RateLimit::new(2, Window::minutes(1)));
        let start = 1_682_593_200_000; // on a minute boundary
        assert_eq!(limiter.acquire(start).unwrap().remaining, 1);
        assert_eq!(limiter.acquire(start + 10).unwrap().remaining, 0);
        let refused = limiter.acquire(start + 59_999).unwrap_err();
        assert_eq!((refused.remaining, refused.reset_ms), (0, start + 60_000));
        assert_eq!(limiter.acquire(start + 60_000).unwrap().remaining, 1);
    }

    #[test]
    fn a_limit_changed_mid_window_applies_at_once() {
        let limiter = Limiter::new(RateLimit::new(5, Window::minutes(1)));
        let start = 1_682_593_200_000;
        for _ in 0..3 {
            limiter.acquire(start).unwrap();
        }
        limiter.set_limit(RateLimit::new(3, Window::minutes(1)));
        assert_eq!(limiter.acquire(start + 1).unwrap_err().remaining, 0);
        limiter.set_limit(RateLimit::new(4, Window::minutes(1)));
        assert_eq!(limiter.acquire(start + 2).unwrap().remaining, 0);
        assert_eq!(limiter.limit(), RateLimit::new(4, Window::minutes(1)));
    }

    #[test]
    fn a_clock_set_back_and_forward_again_finds_its_spent_window_spent() {
        let limiter = Limiter::new(RateLimit::new(2, Window::minutes(1)));
        let start = 1_682_593_200_000;
        limiter.acquire(start).unwrap();
        limiter.acquire(start).unwrap();
        assert!(limiter.acquire(start + 1).is_err());
        // Set back into the minute before (`ManualClock::set`, a system clock stepped back):
        // a window of its own, never counted.
        assert_eq!(limiter.acquire(start - 1).unwrap().remaining, 1);
        // Forward again: the spent minute is still spent (it had its budget back).
        let refused = limiter.acquire(start + 2).unwrap_err();
        assert_eq!((refused.remaining, refused.reset_ms), (0, start + 60_000));
        // And the minute before kept its count.
        assert_eq!(limiter.acquire(start - 2).unwrap().remaining, 0);
        assert_eq!(limiter.acquire(start + 60_000).unwrap().remaining, 1);
    }

    #[test]
    fn headers_carry_window_remaining_and_reset_in_ms() {
        let limiter = Limiter::new(RateLimit::new(100, Window::days(1)));
        let mut headers = HeaderMap::new();
        limiter.peek(1_682_593_200_268).write(&mut headers);
        assert_eq!(headers["x-ratelimit-limit"], "1d");
        assert_eq!(headers["x-ratelimit-remaining"], "100");
        assert_eq!(headers["x-ratelimit-reset"], "1682640000000");
    }
}
