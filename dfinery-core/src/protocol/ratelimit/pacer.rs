//! [`Pacer`]: before each call, spreads a nearly used-up rate-limit budget evenly until the
//! reset, so a burst slows down instead of running into HTTP 429.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::{Api, Feedback, RateBudget, RateLimitSnapshot, SlotGuard};
use crate::clock::Clock;

/// How the client paces its calls against the `x-ratelimit-*` headers.
///
/// After every answer the client knows, per [`Api`], how many calls are left (`remaining`) and
/// when the window resets. While more than [`threshold`](Pacing::threshold) calls are left,
/// calls go out at once. At or below it, the calls left are spread evenly over the time left
/// until the reset; when none is left, the next call waits for the reset. A wait longer than
/// [`max_wait`](Pacing::max_wait) (a daily limit used up in the morning) is not made: the call
/// goes out and the server's answer decides (a rate-limit error).
///
/// Calls in flight are counted locally, so concurrent callers share the budget. The effect is
/// observable through [`Client::pacing_stats`](crate::client::Client::pacing_stats).
///
/// Start from [`Pacing::default`] and set the fields, or turn pacing off with
/// [`Pacing::disabled`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pacing {
    /// Whether to pace at all: `false` only through [`Pacing::disabled`].
    pub(crate) enabled: bool,
    /// Pace once at most this many calls are left in the window. Default: 10.
    pub threshold: u64,
    /// The longest a call waits for pacing; longer waits are skipped. Default: 60 s.
    pub max_wait: Duration,
}

impl Default for Pacing {
    fn default() -> Pacing {
        Pacing {
            enabled: true,
            threshold: 10,
            max_wait: Duration::from_secs(60),
        }
    }
}

impl Pacing {
    /// No pacing: every call goes out at once.
    pub fn disabled() -> Pacing {
        Pacing {
            enabled: false,
            ..Pacing::default()
        }
    }
}

/// What pacing did since the client was built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PacingStats {
    /// Calls that waited before going out (one dropped during its wait, by a caller's
    /// timeout, never went out and is not counted).
    pub paced_calls: u64,
    /// The time those calls waited, in total.
    pub paced_wait: Duration,
    /// Answers that said the rate limit was exceeded (HTTP 429 or code `40401`, or the export's
    /// `too_many_api_requests`).
    pub rate_limited: u64,
}

/// Waits past a reset, for clocks that differ a little.
const RESET_MARGIN: Duration = Duration::from_millis(20);
/// A clock skew beyond this is logged (once per client).
const CLOCK_SKEW_LOG: Duration = Duration::from_secs(5);
/// The furthest a reset is believed to be when the window length is unknown.
const MAX_HORIZON: Duration = Duration::from_secs(86_400);

/// One window's budget as the client sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Budget {
    /// Calls left, after the calls this client sent but has no answer for yet.
    remaining: u64,
    /// The reset as the server sent it (identifies the window).
    reset: SystemTime,
    /// The reset on the local monotonic clock.
    reset_at: Instant,
    /// When the window's calls may go: when its budget was read from an answer, or the start
    /// of a window carried over (see [`ApiState::roll`]), which a call waits for even while
    /// the window has more than the threshold left.
    starts_at: Instant,
    /// Carried over from the window before (see [`ApiState::roll`]), not read from an answer
    /// yet: the first answer of the window replaces it, whatever it says.
    estimated: bool,
}

/// What the client knows about one API's window.
#[derive(Debug)]
pub(crate) struct ApiState {
    last: Option<RateLimitSnapshot>,
    budget: Option<Budget>,
    /// The earliest time the next paced call may go out.
    next_slot: Instant,
    /// Calls sent and not answered yet.
    in_flight: u64,
    /// Whether a call has been answered (or failed) yet.
    landed_once: bool,
    /// The most calls a window was seen to allow (the highest `remaining` of its answers, plus
    /// the call answered), for the window after it; 0 when unknown.
    per_window: u64,
    /// The window's length, when its header reads.
    window: Option<Duration>,
}

impl ApiState {
    fn new(now: Instant) -> ApiState {
        ApiState {
            last: None,
            budget: None,
            next_slot: now,
            in_flight: 0,
            landed_once: false,
            per_window: 0,
            window: None,
        }
    }

    /// Once the window it knew has passed, or has no call left, the budget of the next
    /// window: as many calls as the last window allowed, from its start until one window
    /// later, when the window's length is known. Otherwise a passed window leaves no budget
    /// (calls go at once until an answer says more) and a spent one is waited out.
    ///
    /// Without it, the calls that waited for a reset all went at once into the new window,
    /// and those past its limit came back as 429s, window after window.
    fn roll(&mut self, now: Instant) {
        let Some(budget) = self.budget else {
            return;
        };
        let passed = now >= budget.reset_at;
        if !passed && budget.remaining > 0 {
            return;
        }
        if passed {
            self.budget = None;
        }
        let Some(window) = self.window.filter(|w| !w.is_zero() && self.per_window > 0) else {
            return;
        };
        let behind = if passed {
            (now - budget.reset_at).as_nanos() / window.as_nanos()
        } else {
            0
        };
        let Some(ahead) = u32::try_from(behind + 1)
            .ok()
            .and_then(|n| window.checked_mul(n))
        else {
            return;
        };
        let (Some(reset), Some(reset_at)) = (
            budget.reset.checked_add(ahead),
            budget.reset_at.checked_add(ahead),
        ) else {
            return;
        };
        // The window's first call waits for its start, as a call waiting for a reset does,
        // however many calls the window is believed to allow.
        let starts_at = reset_at - window + RESET_MARGIN;
        self.next_slot = self.next_slot.max(starts_at);
        self.budget = Some(Budget {
            remaining: self.per_window,
            reset,
            reset_at,
            starts_at,
            estimated: true,
        });
    }

    /// How long the call about to go out at `now` must wait; counts it against the budget and
    /// as in flight (until [`landed`](Self::landed)).
    #[cfg(test)]
    pub(crate) fn plan(&mut self, now: Instant, config: &Pacing) -> Duration {
        self.plan_taken(now, config).0
    }

    /// [`plan`](Self::plan), with what the call took from the budget, to be given back by
    /// [`give_back`](Self::give_back) when it is never sent.
    fn plan_taken(&mut self, now: Instant, config: &Pacing) -> (Duration, Option<Taken>) {
        self.in_flight += 1;
        if !config.enabled {
            return (Duration::ZERO, None);
        }
        self.roll(now);
        let Some(budget) = self.budget.as_mut() else {
            return (Duration::ZERO, None);
        };
        let left = budget.reset_at - now;
        if budget.remaining == 0 {
            let wait = left + RESET_MARGIN;
            return if wait > config.max_wait {
                (Duration::ZERO, None)
            } else {
                (wait, None)
            };
        }
        let calls_left = budget.remaining;
        budget.remaining -= 1;
        let mut taken = Taken {
            reset: budget.reset,
            slot: None,
        };
        if calls_left > config.threshold {
            // At once, but not before the window starts (one carried over from a spent one).
            let wait = budget.starts_at.saturating_duration_since(now);
            return self.within_max_wait(wait, taken, config);
        }
        // Slots evenly spaced from the first paced call to the reset: each call takes the next
        // slot and leaves the time after it to the calls still left.
        let slot = self.next_slot.max(now);
        let wait = if slot >= budget.reset_at {
            left + RESET_MARGIN
        } else {
            let share = (budget.reset_at - slot) / u32::try_from(calls_left).unwrap_or(u32::MAX);
            taken.slot = Some((self.next_slot, slot + share));
            self.next_slot = slot + share;
            slot - now
        };
        self.within_max_wait(wait, taken, config)
    }

    /// A call planned to wait `wait` with `taken`: as planned when the wait is within
    /// `max_wait`; otherwise it goes at once, into the window of now and not the one it was
    /// planned in, so it gives back what it took there (a unit of a window ahead, and a slot
    /// the calls after it would wait behind).
    fn within_max_wait(
        &mut self,
        wait: Duration,
        taken: Taken,
        config: &Pacing,
    ) -> (Duration, Option<Taken>) {
        if wait > config.max_wait {
            self.give_back(taken);
            (Duration::ZERO, None)
        } else {
            (wait, Some(taken))
        }
    }

    /// When the next call planned at `now` could go, without planning it (see [`Gate`]).
    #[cfg(any(test, feature = "tracker"))]
    fn gate(&mut self, now: Instant, config: &Pacing) -> Gate {
        if !config.enabled {
            return Gate::Open { at_once: u64::MAX };
        }
        if !self.landed_once {
            return Gate::Probe;
        }
        self.roll(now);
        match self.next_slots(now, config) {
            Some((at, then)) => Gate::At { at, then },
            None => Gate::Open {
                at_once: self
                    .budget
                    .as_ref()
                    .filter(|b| now < b.reset_at && b.remaining > config.threshold)
                    .map_or(u64::MAX, |b| b.remaining - config.threshold),
            },
        }
    }

    /// When the next call planned at `now` would get its slot, and when the call after it
    /// would: `None` while calls go at once (no budget known, more than the threshold left in a
    /// window that has started, or a wait longer than `max_wait`, which is not made).
    #[cfg(any(test, feature = "tracker"))]
    fn next_slots(&self, now: Instant, config: &Pacing) -> Option<(Instant, Instant)> {
        let budget = self.budget.as_ref().filter(|b| now < b.reset_at)?;
        let after_reset = budget.reset_at + RESET_MARGIN;
        let (at, then) = if budget.remaining == 0 {
            (after_reset, after_reset)
        } else if budget.remaining > config.threshold {
            // At once, once the window has started.
            if budget.starts_at <= now {
                return None;
            }
            (budget.starts_at, budget.starts_at)
        } else {
            let slot = self.next_slot.max(now);
            if slot >= budget.reset_at {
                (after_reset, after_reset)
            } else {
                let calls = u32::try_from(budget.remaining).unwrap_or(u32::MAX);
                (slot, slot + (budget.reset_at - slot) / calls)
            }
        };
        (at.saturating_duration_since(now) <= config.max_wait).then_some((at, then))
    }

    /// A call planned with `taken` was never sent (its future was dropped while it waited
    /// for its slot): its unit goes back to the budget when the window is still the same, and
    /// its slot to the calls after it when none took a slot since.
    fn give_back(&mut self, taken: Taken) {
        if let Some(budget) = self.budget.as_mut()
            && budget.reset == taken.reset
        {
            budget.remaining += 1;
        }
        if let Some((before, after)) = taken.slot
            && self.next_slot == after
        {
            self.next_slot = before;
        }
    }

    /// A call planned earlier got its answer (or failed).
    pub(crate) fn landed(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.landed_once = true;
    }

    /// Takes in the headers of an answer received at `now` (`now_sys` on the wall clock), for
    /// a call still counted in flight. A new window's budget is lowered by the other calls in
    /// flight, which the server may not have counted yet.
    pub(crate) fn observe(
        &mut self,
        snapshot: RateLimitSnapshot,
        now: Instant,
        now_sys: SystemTime,
    ) {
        if let Some(window) = snapshot.window_duration() {
            self.window = Some(window);
        }
        if let (Some(remaining), Some(reset)) = (snapshot.remaining, snapshot.reset) {
            // Measured on the server's clock when the local one is off (see `reset_after`),
            // and never beyond the window.
            let horizon = snapshot.window_duration().unwrap_or(MAX_HORIZON);
            let until = snapshot
                .reset_after(now_sys)
                .unwrap_or(Duration::ZERO)
                .min(horizon);
            match self.budget.as_mut() {
                // The calls still in flight besides this one may not be counted in `remaining`
                // yet (another process may have spent the rest), as for a new window below.
                Some(budget) if budget.reset == reset && !budget.estimated => {
                    let others = self.in_flight.saturating_sub(1);
                    budget.remaining = budget.remaining.min(remaining.saturating_sub(others));
                    self.per_window = self.per_window.max(remaining.saturating_add(1));
                }
                // A late answer from a window that has already been replaced.
                Some(budget) if reset < budget.reset => {}
                // A new window (or the first answer of one the budget was carried over to).
                // The calls it allows are at least those left plus this one: fewer than the
                // window's limit when the server counted calls before it, never more.
                _ => {
                    let others = self.in_flight.saturating_sub(1);
                    let carried = self.budget.filter(|b| b.estimated && b.reset == reset);
                    self.budget = Some(Budget {
                        // The answer replaces a carried-over estimate, whatever it says: the
                        // calls planned in the estimate are in flight, and taken off with the
                        // others. Kept as a cap, an estimate learned from a window others had
                        // mostly spent (a few calls) held this client to those few calls
                        // through a window with hundreds left.
                        remaining: remaining.saturating_sub(others),
                        reset,
                        reset_at: now + until,
                        // An answer of the window came: it has started.
                        starts_at: now,
                        estimated: false,
                    });
                    if carried.is_none() {
                        self.next_slot = now;
                    }
                    self.per_window = snapshot.remaining.unwrap_or(0).saturating_add(1);
                }
            }
        }
        self.last = Some(snapshot);
    }
}

/// When pacing would let the next call to an API go ([`Pacer::gate`]).
#[cfg(any(test, feature = "tracker"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    /// At once: pacing is off, or the budget is large or unknown. `at_once` calls may go before
    /// the window's calls are paced (those left above the threshold; `u64::MAX` when pacing is
    /// off or the budget unknown): a caller handing over several calls before the pacer has
    /// planned them asks again after that many.
    Open {
        /// How many calls may go at once from now.
        at_once: u64,
    },
    /// No call has been answered yet, so the budget is unknown: one call at a time until the
    /// first answer says it (a burst of first calls into a small limit meets 429s).
    Probe,
    /// At `at` (now or later); the call after it at `then`.
    At {
        /// When the next call's slot comes.
        at: Instant,
        /// When the slot of the call after it comes.
        then: Instant,
    },
}

/// What a planned call took from its window: a unit of the budget of the window that resets
/// at `reset`, and the slot it moved `next_slot` across (from, to), if paced.
#[derive(Debug, Clone, Copy)]
struct Taken {
    reset: SystemTime,
    slot: Option<(Instant, Instant)>,
}

/// A call in flight, from [`Pacer::acquire`] until dropped; on drop, the shared budget (if
/// any) hears what the answer said.
#[derive(Debug)]
pub(crate) struct Flight<'a> {
    pacer: &'a Pacer,
    api: Api,
    /// When the call went out: after its permit and its local pacing wait (the latency a
    /// shared budget hears is the answer's, not the pacing's).
    started: Instant,
    snapshot: Option<RateLimitSnapshot>,
    rate_limited: bool,
    /// The wait the answer's `Retry-After` asked for, after a rate limit.
    retry_after: Option<Duration>,
    /// What the call took from its window while it waits for its slot: given back when it is
    /// dropped before it goes (a caller's timeout, a cancelled request).
    unsent: Option<Taken>,
}

impl Flight<'_> {
    /// Takes in the rate-limit headers of the call's answer.
    pub(crate) fn observe(&mut self, snapshot: RateLimitSnapshot) {
        self.pacer.observe(self.api, snapshot.clone());
        self.snapshot = Some(snapshot);
    }

    /// The answer said the rate limit was exceeded, and asked for `retry_after` (its
    /// `Retry-After`), if it did: the shared budget hears both.
    pub(crate) fn rate_limited(&mut self, retry_after: Option<Duration>) {
        self.pacer.note_rate_limited();
        self.rate_limited = true;
        self.retry_after = retry_after;
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        let mut state = self.pacer.state(self.api);
        state.landed();
        if let Some(taken) = self.unsent.take() {
            state.give_back(taken);
        }
        drop(state);
        if let Some(budget) = &self.pacer.budget
            && (self.snapshot.is_some() || self.rate_limited)
        {
            budget.feedback(
                self.api,
                &Feedback {
                    snapshot: self.snapshot.take(),
                    rate_limited: self.rate_limited,
                    retry_after: self.retry_after,
                    latency: self.started.elapsed(),
                    // The client's clock, against which every wait until a reset is measured.
                    received: self.pacer.clock.now(),
                },
            );
        }
    }
}

/// The pacing state of every API, shared by the clones of a client.
#[derive(Debug)]
pub(crate) struct Pacer {
    config: Pacing,
    /// Where "now" is read to turn an announced reset into a wait.
    clock: Clock,
    apis: [Mutex<ApiState>; 4],
    paced_calls: AtomicU64,
    paced_wait_us: AtomicU64,
    rate_limited: AtomicU64,
    /// A budget shared beyond this client, consulted before the local pacing.
    budget: Option<Arc<dyn RateBudget>>,
    /// Whether a clock skew was logged already.
    skew_logged: AtomicBool,
}

impl Pacer {
    pub(crate) fn new(config: Pacing, clock: Clock) -> Pacer {
        let now = Instant::now();
        Pacer {
            config,
            clock,
            apis: std::array::from_fn(|_| Mutex::new(ApiState::new(now))),
            paced_calls: AtomicU64::new(0),
            paced_wait_us: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            budget: None,
            skew_logged: AtomicBool::new(false),
        }
    }

    /// Consults `budget` before every call, on top of the local pacing.
    pub(crate) fn with_budget(mut self, budget: Option<Arc<dyn RateBudget>>) -> Pacer {
        self.budget = budget;
        self
    }

    fn state(&self, api: Api) -> std::sync::MutexGuard<'_, ApiState> {
        self.apis[api.index()]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits as long as pacing asks before a call to `api`; the call counts as in flight
    /// until the returned guard is dropped.
    pub(crate) async fn acquire(&self, api: Api) -> Flight<'_> {
        if let Some(budget) = &self.budget {
            budget.acquire(api).await;
        }
        let mut flight = Flight {
            pacer: self,
            api,
            started: Instant::now(),
            snapshot: None,
            rate_limited: false,
            retry_after: None,
            unsent: None,
        };
        let (wait, taken) = self.state(api).plan_taken(Instant::now(), &self.config);
        if !wait.is_zero() {
            tracing::debug!(api = %api, wait_ms = wait.as_millis() as u64, "pacing a call until the rate-limit budget allows it");
            // Dropped during the wait, the call gives back what it took, and is not counted
            // as paced: it never went out.
            flight.unsent = taken;
            tokio::time::sleep(wait).await;
            flight.unsent = None;
            flight.started = Instant::now();
            self.paced_calls.fetch_add(1, Ordering::Relaxed);
            let micros = u64::try_from(wait.as_micros()).unwrap_or(u64::MAX);
            self.paced_wait_us.fetch_add(micros, Ordering::Relaxed);
        }
        flight
    }

    /// When pacing would let the next call to `api` go, as seen at `now`. Nothing is planned:
    /// a caller that hands its work to a call only when the call can go (the Tracker's worker)
    /// puts in each call what it holds by then, not what it held when the call began to wait.
    /// The caller compares the answer with the same `now`: a slot due at once is `at: now`,
    /// and one read at a later instant than the caller's would always lie ahead of it.
    #[cfg(feature = "tracker")]
    pub(crate) fn gate(&self, api: Api, now: Instant) -> Gate {
        self.state(api).gate(now, &self.config)
    }

    /// A fleet-wide export slot from the shared budget, if it has any.
    pub(crate) async fn export_slot(&self) -> Option<SlotGuard> {
        match &self.budget {
            Some(budget) => budget.export_slot().await,
            None => None,
        }
    }

    /// Takes in the rate-limit headers of an answer from `api`.
    pub(crate) fn observe(&self, api: Api, snapshot: RateLimitSnapshot) {
        let now_sys = self.clock.now();
        if let Some(skew) = snapshot.clock_skew(now_sys)
            && skew.unsigned_abs() > CLOCK_SKEW_LOG.as_millis() as u64
            && !self.skew_logged.swap(true, Ordering::Relaxed)
        {
            tracing::warn!(
                server_ahead_ms = skew,
                "the local clock differs from DFINERY's (its Date header) by more than {} s; \
                 rate-limit waits are measured on DFINERY's clock (logged once)",
                CLOCK_SKEW_LOG.as_secs()
            );
        }
        self.state(api).observe(snapshot, Instant::now(), now_sys);
    }

    /// Counts an answer that said the rate limit was exceeded.
    pub(crate) fn note_rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    /// The last headers seen from `api`.
    pub(crate) fn snapshot(&self, api: Api) -> Option<RateLimitSnapshot> {
        self.state(api).last.clone()
    }

    pub(crate) fn stats(&self) -> PacingStats {
        PacingStats {
            paced_calls: self.paced_calls.load(Ordering::Relaxed),
            paced_wait: Duration::from_micros(self.paced_wait_us.load(Ordering::Relaxed)),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    fn snapshot(remaining: u64, reset: SystemTime) -> RateLimitSnapshot {
        RateLimitSnapshot::new(Some("1m"), Some(remaining), Some(reset))
    }

    /// A state that saw `remaining` calls left with `secs` seconds to the reset.
    fn state_with(remaining: u64, secs: u32) -> (ApiState, Instant, SystemTime) {
        let now = Instant::now();
        let sys = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut state = ApiState::new(now);
        state.observe(snapshot(remaining, sys + secs * SEC), now, sys);
        (state, now, sys)
    }

    #[test]
    fn a_large_budget_is_not_paced() {
        let (mut state, now, _) = state_with(1_000, 30);
        for _ in 0..100 {
            assert_eq!(state.plan(now, &Pacing::default()), Duration::ZERO);
        }
        assert_eq!(state.budget.unwrap().remaining, 900);
    }

    #[test]
    fn a_low_budget_is_spread_until_the_reset() {
        // 4 calls left, 8 s to the reset: one call every 2 s.
        let (mut state, now, _) = state_with(4, 8);
        let waits: Vec<_> = (0..4)
            .map(|_| state.plan(now, &Pacing::default()))
            .collect();
        assert_eq!(waits, [Duration::ZERO, 2 * SEC, 4 * SEC, 6 * SEC]);
        // None left: the next call waits for the reset.
        assert_eq!(state.plan(now, &Pacing::default()), 8 * SEC + RESET_MARGIN);
    }

    #[test]
    fn a_window_with_an_unknown_unit_still_paces_on_remaining_and_reset() {
        let now = Instant::now();
        let sys = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut state = ApiState::new(now);
        let odd = RateLimitSnapshot::new(Some("1w"), Some(4), Some(sys + 8 * SEC));
        assert_eq!(odd.window_duration(), None);
        state.observe(odd, now, sys);
        let waits: Vec<_> = (0..4)
            .map(|_| state.plan(now, &Pacing::default()))
            .collect();
        assert_eq!(waits, [Duration::ZERO, 2 * SEC, 4 * SEC, 6 * SEC]);
    }

    #[test]
    fn spreading_recomputes_as_time_passes() {
        let (mut state, now, _) = state_with(2, 10);
        assert_eq!(state.plan(now, &Pacing::default()), Duration::ZERO);
        // 6 s later, one call left and 4 s to go: it goes at once (its slot at 5 s has passed).
        assert_eq!(
            state.plan(now + 6 * SEC, &Pacing::default()),
            Duration::ZERO
        );
        // Past the reset, the next window (1m) is believed to allow what this one did (2 left
        // + the call answered): the first call goes at once.
        assert_eq!(
            state.plan(now + 11 * SEC, &Pacing::default()),
            Duration::ZERO
        );
        let budget = state.budget.unwrap();
        assert!(budget.estimated);
        assert_eq!((budget.remaining, budget.reset_at), (2, now + 70 * SEC));
    }

    #[test]
    fn past_a_reset_of_unknown_length_the_budget_is_unknown() {
        let now = Instant::now();
        let sys = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut state = ApiState::new(now);
        let odd = RateLimitSnapshot::new(None, Some(2), Some(sys + 10 * SEC));
        state.observe(odd, now, sys);
        assert_eq!(
            state.plan(now + 11 * SEC, &Pacing::default()),
            Duration::ZERO
        );
        assert!(state.budget.is_none());
    }

    /// The calls that wait for a reset are spread over the next window, as many as the last
    /// one allowed, not sent all at once into it (those past its limit came back as 429s).
    #[test]
    fn the_calls_after_a_spent_window_are_spread_over_the_next() {
        // 4 left of 5 (the call answered counts), 8 s to the reset of a 1m window.
        let (mut state, now, _) = state_with(4, 8);
        let waits: Vec<_> = (0..5)
            .map(|_| state.plan(now, &Pacing::default()))
            .collect();
        assert_eq!(
            waits,
            [
                Duration::ZERO,
                2 * SEC,
                4 * SEC,
                6 * SEC,
                8 * SEC + RESET_MARGIN
            ]
        );
        // The next window has 5 calls from its start (8 s) to its reset (68 s): 12 s apart.
        let share = (60 * SEC - RESET_MARGIN) / 5;
        let sixth = state.plan(now, &Pacing::default());
        assert_eq!(sixth, 8 * SEC + RESET_MARGIN + share);
        assert_eq!(state.budget.unwrap().remaining, 3);
    }

    /// A spent window is waited out even when the next one is believed to allow more calls
    /// than the threshold: the calls past the last slot went at once, into the window with no
    /// call left, and came back as 429s (the tracker's gate was open for them too).
    #[test]
    fn a_spent_window_is_waited_out_when_the_next_allows_more_than_the_threshold() {
        let config = Pacing::default();
        // 20 left of 21, 8 s to the reset of a 1m window.
        let (mut state, now, _) = state_with(20, 8);
        state.landed();
        for _ in 0..20 {
            assert!(state.plan(now, &config) < 8 * SEC);
        }
        assert_eq!(state.budget.unwrap().remaining, 0);
        let start = now + 8 * SEC + RESET_MARGIN;
        assert_eq!(
            state.gate(now, &config),
            Gate::At {
                at: start,
                then: start
            }
        );
        // The next window's first calls (more than the threshold left) go at its start.
        assert_eq!(state.plan(now, &config), 8 * SEC + RESET_MARGIN);
        assert_eq!(state.plan(now + 4 * SEC, &config), 4 * SEC + RESET_MARGIN);
        assert_eq!(state.budget.unwrap().remaining, 19);
        // Once it has started, they go at once again.
        assert_eq!(state.plan(start, &config), Duration::ZERO);
        assert_eq!(state.gate(start, &config), Gate::Open { at_once: 8 });
    }

    #[test]
    fn the_first_answer_of_a_carried_window_replaces_the_estimate() {
        let (mut state, now, sys) = state_with(4, 8);
        for _ in 0..6 {
            state.plan(now, &Pacing::default());
        }
        let carried = state.budget.unwrap();
        assert!(carried.estimated);
        assert_eq!(carried.remaining, 3);
        // The four calls of the window before are answered; two of the next are in flight.
        for _ in 0..4 {
            state.landed();
        }
        // The first answer of the next window: 4 left after it, less the other call in
        // flight, which the server may not have counted yet.
        state.observe(snapshot(4, sys + 68 * SEC), now, sys);
        let budget = state.budget.unwrap();
        assert_eq!((budget.remaining, budget.estimated), (3, false));
        state.landed();
        state.observe(snapshot(1, sys + 68 * SEC), now, sys);
        assert_eq!(state.budget.unwrap().remaining, 1);
        // A late answer of the window before changes nothing.
        state.observe(snapshot(0, sys + 8 * SEC), now, sys);
        assert_eq!(state.budget.unwrap().remaining, 1);
    }

    /// The first answer of a carried window replaces its estimate, even when the window allows
    /// far more than estimated: an instance whose only answers of a window came late in it
    /// (others of its fleet, or of its service, had spent most of it) estimated the next one
    /// at those few calls, and the estimate, kept as a cap over the first answer's count, spread
    /// that instance's calls over the whole window though DFINERY and the shared budget had
    /// hundreds left.
    #[test]
    fn a_carried_window_smaller_than_the_server_says_is_replaced_by_its_first_answer() {
        let config = Pacing::default();
        // The window's first answer for this client came with 2 left, 8 s before its reset:
        // the next is estimated at 3 calls.
        let (mut state, now, sys) = state_with(2, 8);
        state.landed();
        let after = now + 9 * SEC;
        // In the next window: the first call goes at once (its start has passed) and leaves
        // the two others of the estimate 20 s apart.
        assert_eq!(state.plan(after, &config), Duration::ZERO);
        assert!(state.budget.unwrap().estimated);
        // Its answer: 200 left in the window that resets at 68 s.
        state.observe(snapshot(200, sys + 68 * SEC), after, sys + 9 * SEC);
        state.landed();
        let budget = state.budget.unwrap();
        assert_eq!((budget.remaining, budget.estimated), (200, false));
        // The next calls go at once, not 20 s apart.
        for _ in 0..20 {
            assert_eq!(state.plan(after, &config), Duration::ZERO);
        }
        assert_eq!(state.gate(after, &config), Gate::Open { at_once: 170 });
    }

    #[test]
    fn the_gate_probes_until_an_answer_then_says_when_the_next_call_goes() {
        let config = Pacing::default();
        let now = Instant::now();
        let mut state = ApiState::new(now);
        assert_eq!(state.gate(now, &config), Gate::Probe);
        assert_eq!(
            state.gate(now, &Pacing::disabled()),
            Gate::Open { at_once: u64::MAX }
        );
        let (mut state, now, _) = state_with(1_000, 30);
        state.landed();
        // As many at once as are left above the threshold (10), then one fewer per call.
        assert_eq!(state.gate(now, &config), Gate::Open { at_once: 990 });
        assert_eq!(state.plan(now, &config), Duration::ZERO);
        assert_eq!(state.gate(now, &config), Gate::Open { at_once: 989 });
        // 4 left, 8 s to the reset: the next call now, the one after at 2 s; nothing taken.
        let (mut state, now, _) = state_with(4, 8);
        state.landed();
        let gate = Gate::At {
            at: now,
            then: now + 2 * SEC,
        };
        assert_eq!(state.gate(now, &config), gate);
        assert_eq!(state.gate(now, &config), gate);
        assert_eq!(state.plan(now, &config), Duration::ZERO);
        assert_eq!(
            state.gate(now, &config),
            Gate::At {
                at: now + 2 * SEC,
                then: now + 4 * SEC
            }
        );
    }

    #[test]
    fn waits_beyond_max_wait_are_skipped_and_disabled_never_waits() {
        let (mut state, now, _) = state_with(0, 3_600);
        assert_eq!(state.plan(now, &Pacing::default()), Duration::ZERO);
        let (mut state, now, _) = state_with(0, 5);
        assert_eq!(state.plan(now, &Pacing::disabled()), Duration::ZERO);
        assert_eq!(state.plan(now, &Pacing::default()), 5 * SEC + RESET_MARGIN);
    }

    #[test]
    fn answers_of_the_same_window_only_lower_the_budget() {
        let (mut state, now, sys) = state_with(5, 10);
        let reset = sys + 10 * SEC;
        state.observe(snapshot(8, reset), now, sys);
        assert_eq!(state.budget.unwrap().remaining, 5);
        state.observe(snapshot(3, reset), now, sys);
        assert_eq!(state.budget.unwrap().remaining, 3);
        // A late answer from the previous window changes nothing.
        state.observe(snapshot(0, reset - 60 * SEC), now, sys);
        assert_eq!(state.budget.unwrap().remaining, 3);
        // A new window replaces the budget.
        state.observe(snapshot(50, reset + 60 * SEC), now, sys);
        assert_eq!(state.budget.unwrap().remaining, 50);
    }

    #[test]
    fn a_new_window_is_lowered_by_the_other_calls_in_flight() {
        let now = Instant::now();
        let sys = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut state = ApiState::new(now);
        for _ in 0..3 {
            assert_eq!(state.plan(now, &Pacing::default()), Duration::ZERO);
        }
        // The first answer says 9 left; the two others in flight may not be counted in it.
        state.observe(snapshot(9, sys + 10 * SEC), now, sys);
        state.landed();
        assert_eq!(state.budget.unwrap().remaining, 7);
        // Their answers, of the same window, do not raise it again.
        state.observe(snapshot(8, sys + 10 * SEC), now, sys);
        state.landed();
        state.observe(snapshot(7, sys + 10 * SEC), now, sys);
        state.landed();
        assert_eq!((state.budget.unwrap().remaining, state.in_flight), (7, 0));
    }

    /// An answer of the same window from a server another process also spends: `remaining`
    /// may not count this client's other calls in flight, so they are taken off it too (the
    /// budget was left at what the answer said, and those calls came back as 429s).
    #[test]
    fn an_answer_of_the_same_window_is_lowered_by_the_other_calls_in_flight() {
        let (mut state, now, sys) = state_with(10, 10);
        let reset = sys + 10 * SEC;
        for _ in 0..7 {
            state.plan(now, &Pacing::default());
        }
        assert_eq!(state.budget.unwrap().remaining, 3);
        // The first of the 7 is answered: 3 left, the server having counted it and 6 calls of
        // another process, not the 6 others of this client still on the wire.
        state.observe(snapshot(3, reset), now, sys);
        state.landed();
        assert_eq!(state.budget.unwrap().remaining, 0);
    }

    #[test]
    fn a_reset_far_beyond_the_window_is_capped_by_it() {
        // A server clock an hour ahead: the reset is believed at most one window (1m) away.
        let now = Instant::now();
        let sys = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut state = ApiState::new(now);
        state.observe(snapshot(0, sys + 3_600 * SEC), now, sys);
        let patient = Pacing {
            max_wait: 120 * SEC,
            ..Pacing::default()
        };
        assert_eq!(state.plan(now, &patient), 60 * SEC + RESET_MARGIN);
    }

    /// More callers at once than the windows within `max_wait` allow (100 calls, 30 a minute):
    /// those whose turn lies beyond `max_wait` go at once, as documented, and take nothing
    /// from the windows ahead, so a call made later still gets its slot in the next window.
    /// Before, each took a unit and a slot of a window further on: after the burst the budget
    /// believed itself in the fourth window (two and a half minutes ahead), every call until
    /// then went at once whatever the server had left, and the answers of the real windows
    /// were ignored as late ones.
    #[test]
    fn callers_past_max_wait_take_nothing_from_the_windows_ahead() {
        let (mut state, now, sys) = state_with(29, 30);
        let waits: Vec<_> = (0..100)
            .map(|_| state.plan(now, &Pacing::default()))
            .collect();
        let past_max_wait = waits.iter().filter(|w| w.is_zero()).count();
        // 29 calls in the first window (20 of them at once), 25 in the second within a
        // minute: the 46 left are past `max_wait`.
        assert_eq!(past_max_wait, 20 + 46, "{waits:?}");
        let budget = state.budget.unwrap();
        assert_eq!(budget.reset, sys + 90 * SEC, "{budget:?}");
        assert_eq!(budget.remaining, 5, "{budget:?}");
        // 56 s on, the second window's next slot is 4 s away.
        let later = state.plan(now + 56 * SEC, &Pacing::default());
        assert!(
            later > 3 * SEC && later < 5 * SEC,
            "a call 56 s on waits for its slot: {later:?}"
        );
    }

    /// A paced call dropped while it waits for its slot (a caller's timeout) gives back the
    /// unit it took and its slot: before, such calls spent the local budget one by one, and
    /// the next call waited for the reset though the server had counted none of them.
    #[tokio::test(start_paused = true)]
    async fn a_paced_call_dropped_before_it_goes_gives_back_its_unit_and_slot() {
        let pacer = Pacer::new(Pacing::default(), Clock::default());
        pacer.observe(
            Api::Event,
            snapshot(5, SystemTime::now() + Duration::from_secs(50)),
        );
        // The first call goes at once; the next waits for its slot, 10 s on.
        drop(pacer.acquire(Api::Event).await);
        let (remaining, next_slot) = {
            let state = pacer.state(Api::Event);
            (state.budget.unwrap().remaining, state.next_slot)
        };
        assert_eq!(remaining, 4);
        // Five calls cut after half a second each: all within the first slot's 10 s.
        for _ in 0..5 {
            let cut =
                tokio::time::timeout(Duration::from_millis(500), pacer.acquire(Api::Event)).await;
            assert!(cut.is_err(), "the call waits for its slot");
        }
        let state = pacer.state(Api::Event);
        assert_eq!(state.budget.unwrap().remaining, 4, "the units are back");
        assert_eq!(state.next_slot, next_slot, "and the slot");
        assert_eq!(state.in_flight, 0);
    }

    /// Records the latency of every feedback it hears; grants every permit at once.
    #[derive(Debug, Default)]
    struct Latencies(Mutex<Vec<Duration>>);

    impl RateBudget for Latencies {
        fn acquire(&self, _api: Api) -> super::super::BudgetFuture<'_, ()> {
            Box::pin(async {})
        }

        fn feedback(&self, _api: Api, feedback: &Feedback) {
            self.0.lock().unwrap().push(feedback.latency);
        }
    }

    /// The latency a shared budget hears runs from when the call goes out to its answer: the
    /// local pacing's wait before it is no part of it. Before, it was measured from before
    /// that wait, so a call paced for 2 s that was answered at once told the budget 2 s, and
    /// `RedisBudget` counted every permit of those 2 s as possibly not reached the server yet.
    #[tokio::test(start_paused = true)]
    async fn the_latency_a_budget_hears_leaves_out_the_pacing_wait() {
        let budget = Arc::new(Latencies::default());
        let pacer = Pacer::new(Pacing::default(), Clock::default())
            .with_budget(Some(Arc::clone(&budget) as Arc<dyn RateBudget>));
        pacer.observe(
            Api::Event,
            snapshot(0, SystemTime::now() + Duration::from_secs(2)),
        );
        let before = Instant::now();
        let mut flight = pacer.acquire(Api::Event).await;
        assert!(Instant::now() - before > Duration::from_secs(1), "paced");
        tokio::time::sleep(Duration::from_millis(100)).await;
        flight.observe(snapshot(9, SystemTime::now() + Duration::from_secs(60)));
        drop(flight);
        let latencies = budget.0.lock().unwrap().clone();
        assert_eq!(latencies, [Duration::from_millis(100)]);
    }

    /// A paced call dropped during its wait (a caller's timeout) never went out: it is not
    /// counted among the calls that waited before going out, nor its planned wait in their
    /// time. Before, five calls cut after half a second each on a 10 s slot counted 5 paced
    /// calls and 50 s of waiting, though none went and 2.5 s were waited.
    #[tokio::test(start_paused = true)]
    async fn a_paced_call_dropped_during_its_wait_is_not_counted_as_paced() {
        let pacer = Pacer::new(Pacing::default(), Clock::default());
        pacer.observe(
            Api::Event,
            snapshot(5, SystemTime::now() + Duration::from_secs(50)),
        );
        drop(pacer.acquire(Api::Event).await);
        for _ in 0..5 {
            let cut =
                tokio::time::timeout(Duration::from_millis(500), pacer.acquire(Api::Event)).await;
            assert!(cut.is_err(), "the call waits for its slot");
        }
        assert_eq!(pacer.stats(), PacingStats::default());
        // A call that waits its turn out is counted, with its wait.
        let before = Instant::now();
        drop(pacer.acquire(Api::Event).await);
        let waited = Instant::now() - before;
        let stats = pacer.stats();
        assert_eq!(stats.paced_calls, 1, "{stats:?}");
        assert!(
            stats.paced_wait > waited - Duration::from_millis(1) && stats.paced_wait <= waited,
            "{stats:?}, waited {waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_pacer_counts_its_waits() {
        let pacer = Pacer::new(Pacing::default(), Clock::default());
        pacer.observe(
            Api::Profile,
            snapshot(0, SystemTime::now() + Duration::from_secs(2)),
        );
        let before = Instant::now();
        drop(pacer.acquire(Api::Profile).await);
        assert!(Instant::now() - before > Duration::from_secs(1));
        let flight = pacer.acquire(Api::Event).await;
        assert_eq!(pacer.state(Api::Event).in_flight, 1);
        drop(flight);
        assert_eq!(pacer.state(Api::Event).in_flight, 0);
        pacer.note_rate_limited();
        let stats = pacer.stats();
        assert_eq!(stats.paced_calls, 1);
        assert_eq!(stats.rate_limited, 1);
        assert!(stats.paced_wait >= Duration::from_secs(1));
        assert_eq!(pacer.snapshot(Api::Profile).unwrap().remaining, Some(0));
        assert_eq!(pacer.snapshot(Api::Export), None);
    }
}
