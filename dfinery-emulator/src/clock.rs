//! The emulator's clock: the system clock, or a manual one that tests move by hand so that
//! rate-limit windows and the 30-day export look-back never need a real sleep.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dfinery_schema::protocol::{WireDate, WireDatetime};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, PrimitiveDateTime};

/// Where the emulator reads the current time: server datetimes of stored events, rate-limit
/// windows and "today" for the export look-back.
///
/// Defaults to the system clock ([`Clock::default`]). Pass a [`ManualClock`] to
/// [`EmulatorBuilder::clock`](crate::EmulatorBuilder::clock) to control time from a test.
#[derive(Clone)]
pub struct Clock(Option<ManualClock>, Offset);

/// A signed shift of the clock, in milliseconds.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
struct Offset(i64);

impl Default for Clock {
    /// The machine's clock.
    fn default() -> Clock {
        Clock(None, Offset(0))
    }
}

impl Clock {
    /// This clock shifted by `offset_ms` milliseconds (negative: behind), to play a DFINERY
    /// whose clock differs from its clients'. Shifts add up: a clock shifted already keeps its
    /// shift plus this one (saturating at `i64`'s range).
    pub fn offset_by_ms(self, offset_ms: i64) -> Clock {
        Clock(self.0, Offset(self.1.0.saturating_add(offset_ms)))
    }

    /// The current time. A shift past what the system's time can hold is left out (the
    /// emulator refuses such a shift at start: see
    /// [`clock_offset_ms`](crate::EmulatorBuilder::clock_offset_ms)).
    pub fn now(&self) -> SystemTime {
        self.shifted_now().unwrap_or_else(|| self.unshifted_now())
    }

    /// The current time shifted, or `None` when the shift goes past what the system's time
    /// can hold.
    pub(crate) fn shifted_now(&self) -> Option<SystemTime> {
        let now = self.unshifted_now();
        let shift = Duration::from_millis(self.1.0.unsigned_abs());
        if self.1.0 >= 0 {
            now.checked_add(shift)
        } else {
            now.checked_sub(shift)
        }
    }

    /// The shift in milliseconds (negative: behind).
    pub(crate) fn offset_ms(&self) -> i64 {
        self.1.0
    }

    /// The time of the system or manual clock, before the shift.
    fn unshifted_now(&self) -> SystemTime {
        match &self.0 {
            Some(manual) => manual.now(),
            None => SystemTime::now(),
        }
    }

    /// The current time as an HTTP `Date` header value (IMF-fixdate, e.g.
    /// `Sun, 06 Nov 1994 08:49:37 GMT`).
    pub(crate) fn http_date(&self) -> String {
        let t = self.now_utc();
        let weekday = &t.weekday().to_string()[..3];
        let month = &t.month().to_string()[..3];
        format!(
            "{weekday}, {:02} {month} {:04} {:02}:{:02}:{:02} GMT",
            t.day(),
            t.year(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }

    /// The current time in milliseconds since the Unix epoch (0 before the epoch).
    pub(crate) fn now_ms(&self) -> u64 {
        epoch_ms(self.now())
    }

    /// The current time as a UTC date-time.
    pub(crate) fn now_utc(&self) -> OffsetDateTime {
        to_utc(self.now())
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(manual) => manual.fmt(f)?,
            None => f.write_str("Clock::default")?,
        }
        if self.1.0 != 0 {
            write!(f, " offset by {} ms", self.1.0)?;
        }
        Ok(())
    }
}

impl From<ManualClock> for Clock {
    fn from(manual: ManualClock) -> Clock {
        Clock(Some(manual), Offset(0))
    }
}

/// A clock that only moves when told to. Clones share the same time, so a test keeps one clone
/// and hands another to the builder.
///
/// ```
/// use std::time::Duration;
/// use dfinery_emulator::ManualClock;
///
/// let clock = ManualClock::at("2024-06-24T06:00:00Z").unwrap();
/// clock.advance(Duration::from_secs(60));
/// assert_eq!(clock.to_string(), "2024-06-24T06:01:00.000Z");
/// ```
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<SystemTime>>);

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: SystemTime) -> ManualClock {
        ManualClock(Arc::new(Mutex::new(start)))
    }

    /// A clock stopped at an RFC 3339 instant such as `2024-06-24T06:00:00Z`.
    ///
    /// # Errors
    ///
    /// [`InvalidInstant`] when the text is not an RFC 3339 date-time.
    pub fn at(rfc3339: &str) -> Result<ManualClock, InvalidInstant> {
        let parsed =
            OffsetDateTime::parse(rfc3339, &Rfc3339).map_err(|_| InvalidInstant(rfc3339.into()))?;
        Ok(ManualClock::new(parsed.into()))
    }

    /// The time the clock shows.
    pub fn now(&self) -> SystemTime {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves the clock forward by `by`. A step past what the system's time can hold (e.g.
    /// `Duration::MAX`) stops the clock at the end of year 9999, the latest instant the
    /// emulator writes, or leaves it where it is if it already shows a later one.
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *now = now.checked_add(by).unwrap_or_else(|| (*now).max(latest()));
    }

    /// Sets the clock to `to`, forward or backward.
    pub fn set(&self, to: SystemTime) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = to;
    }
}

impl fmt::Display for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&wire_datetime(to_utc(self.now())))
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ManualClock({self})")
    }
}

/// The error of [`ManualClock::at`]: the text is not an RFC 3339 date-time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an RFC 3339 date-time; write it like `2024-06-24T06:00:00Z`")]
pub struct InvalidInstant(pub String);

/// The end of year 9999 (UTC), the latest instant the emulator writes.
pub(crate) fn latest() -> SystemTime {
    PrimitiveDateTime::MAX.assume_utc().into()
}

/// Milliseconds since the Unix epoch, 0 for earlier instants.
pub(crate) fn epoch_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// A `SystemTime` as a UTC date-time, clamped to the range `time` supports (years 0 to 9999
/// without its `large-dates` feature): `OffsetDateTime::from` panics past it, which a large
/// `clock_offset_ms` reaches.
pub(crate) fn to_utc(t: SystemTime) -> OffsetDateTime {
    let nanos = match t.duration_since(UNIX_EPOCH) {
        Ok(after) => i128::try_from(after.as_nanos()).unwrap_or(i128::MAX),
        Err(before) => i128::try_from(before.duration().as_nanos()).map_or(i128::MIN, |n| -n),
    };
    OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or_else(|_| {
        if nanos < 0 {
            PrimitiveDateTime::MIN.assume_utc()
        } else {
            PrimitiveDateTime::MAX.assume_utc()
        }
    })
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, the form the emulator writes datetimes in.
pub(crate) fn wire_datetime(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let date = WireDate {
        year: t.year().clamp(0, 9999) as u16,
        month: u8::from(t.month()),
        day: t.day(),
    };
    WireDatetime {
        date,
        hour: t.hour(),
        minute: t.minute(),
        second: t.second(),
        millisecond: t.millisecond(),
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told_and_clones_share_time() {
        let clock = ManualClock::at("2024-06-24T06:00:00.250Z").unwrap();
        let shared: Clock = clock.clone().into();
        assert_eq!(shared.now(), clock.now());
        clock.advance(Duration::from_millis(1750));
        assert_eq!(wire_datetime(shared.now_utc()), "2024-06-24T06:00:02.000Z");
        clock.set(UNIX_EPOCH);
        assert_eq!(shared.now_ms(), 0);
    }

    #[test]
    fn advancing_past_what_time_holds_stops_at_year_9999_not_a_panic() {
        let clock = ManualClock::at("2024-06-24T06:00:00Z").unwrap();
        clock.advance(Duration::MAX);
        assert_eq!(clock.to_string(), "9999-12-31T23:59:59.999Z");
        clock.advance(Duration::MAX);
        assert_eq!(clock.to_string(), "9999-12-31T23:59:59.999Z");
        let shared: Clock = clock.clone().into();
        assert!(
            shared.http_date().starts_with("Fri, 31 Dec 9999"),
            "{}",
            shared.http_date()
        );
    }

    #[test]
    fn offsets_add_up_instead_of_replacing_each_other() {
        let manual = ManualClock::at("2024-06-24T06:00:00Z").unwrap();
        let clock = Clock::from(manual.clone())
            .offset_by_ms(60_000)
            .offset_by_ms(-1_000);
        assert_eq!(wire_datetime(clock.now_utc()), "2024-06-24T06:00:59.000Z");
        let clock = Clock::from(manual)
            .offset_by_ms(i64::MAX)
            .offset_by_ms(i64::MAX);
        assert_eq!(
            format!("{clock:?}"),
            format!(
                "ManualClock(2024-06-24T06:00:00.000Z) offset by {} ms",
                i64::MAX
            )
        );
    }

    #[test]
    fn manual_clock_rejects_text_that_is_not_rfc3339() {
        let err = ManualClock::at("24 June 2024").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`24 June 2024` is not an RFC 3339 date-time; write it like `2024-06-24T06:00:00Z`"
        );
    }
}
