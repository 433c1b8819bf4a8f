//! [`Clock`]: where the client and the tracker read the wall-clock time.
//!
//! DFINERY announces a rate-limit reset as an absolute time; the wait until it is that time
//! minus "now". Every such wait — the client's retries, its pacing, the tracker's redelivery
//! pause — reads "now" from the one [`Clock`] the client was built with, so a test can give the
//! client the very clock its server uses, and a later clock-skew correction has one place to
//! live.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

/// A source of the current wall-clock time.
///
/// Implemented for every `Fn() -> SystemTime + Send + Sync`, so a closure is a clock.
pub trait WallClock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;
}

impl<F> WallClock for F
where
    F: Fn() -> SystemTime + Send + Sync + 'static,
{
    fn now(&self) -> SystemTime {
        self()
    }
}

/// The clock a [`Client`](crate::Client) computes rate-limit waits from: the system clock
/// ([`Clock::default`]), or any [`WallClock`]. Clones share the same source.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use dfinery_core::clock::Clock;
///
/// let fixed = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let clock = Clock::new(move || fixed);
/// assert_eq!(clock.now(), fixed);
/// assert!(Clock::default().now() > fixed);
/// ```
#[derive(Clone)]
pub struct Clock(Option<Arc<dyn WallClock>>);

impl Default for Clock {
    /// The machine's clock, [`SystemTime::now`].
    fn default() -> Clock {
        Clock(None)
    }
}

impl Clock {
    /// A clock reading the time from `source`.
    pub fn new(source: impl WallClock) -> Clock {
        Clock(Some(Arc::new(source)))
    }

    /// The current time.
    pub fn now(&self) -> SystemTime {
        match &self.0 {
            Some(source) => source.now(),
            None => SystemTime::now(),
        }
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(_) => f.write_str("Clock::custom"),
            None => f.write_str("Clock::default"),
        }
    }
}

/// `from + after`, or a time 30 years on when that sum overflows (as Tokio's own timers treat
/// a duration they cannot add): a setting of `Duration::MAX` means "never", not a panic.
#[cfg(feature = "client")]
pub(crate) fn instant_after(
    from: tokio::time::Instant,
    after: std::time::Duration,
) -> tokio::time::Instant {
    const FAR: std::time::Duration = std::time::Duration::from_secs(86_400 * 365 * 30);
    from.checked_add(after)
        .unwrap_or_else(|| from.checked_add(FAR).unwrap_or(from))
}

#[cfg(all(test, feature = "client"))]
mod instant_tests {
    use std::time::Duration;

    use super::instant_after;

    #[test]
    fn a_duration_too_long_to_add_is_30_years_not_a_panic() {
        let now = tokio::time::Instant::now();
        assert_eq!(
            instant_after(now, Duration::from_secs(5)),
            now + Duration::from_secs(5)
        );
        let far = instant_after(now, Duration::MAX);
        assert_eq!(far - now, Duration::from_secs(86_400 * 365 * 30));
    }
}
