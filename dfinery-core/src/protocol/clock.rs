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

/// The longest duration a setting of the client or the tracker holds: about 100 years, i.e. no
/// limit. A longer one (such as `Duration::MAX`) is taken as this, as adding it to the clock
/// would overflow.
#[cfg(feature = "client")]
pub(crate) const LONGEST: std::time::Duration =
    std::time::Duration::from_secs(100 * 365 * 24 * 60 * 60);

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
