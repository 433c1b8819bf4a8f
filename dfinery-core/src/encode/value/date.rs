//! [`Date`]: a calendar date, printed `YYYY-MM-DD`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{Month, OffsetDateTime};

use super::time_error::{DATE_FORM, DatetimeError};
use dfinery_schema::protocol::WireDate;

/// A DFINERY Date: a calendar date between `0000-01-01` and `9999-12-31`, printed and parsed as
/// `YYYY-MM-DD` (`docs/protocol.md` §4.1). Used for `df_birth` and the Export API's `from_date` and
/// `to_date`.
///
/// Conversions from other date types are `TryFrom` because those can hold years this format
/// cannot write; conversions back are `From`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(time::Date);

impl Date {
    /// The date from its parts.
    ///
    /// # Errors
    ///
    /// [`DatetimeError::OutOfRange`] when the year is outside 0000..=9999,
    /// [`DatetimeError::NoSuchDay`] when the month or the day does not exist.
    pub fn from_ymd(year: i32, month: u8, day: u8) -> Result<Self, DatetimeError> {
        let found = format!("{year:04}-{month:02}-{day:02}");
        if !(0..=9999).contains(&year) {
            return Err(DatetimeError::OutOfRange { found });
        }
        let no_such_day = || DatetimeError::NoSuchDay {
            found: found.clone(),
        };
        let month = Month::try_from(month).map_err(|_| no_such_day())?;
        let date = time::Date::from_calendar_date(year, month, day).map_err(|_| no_such_day())?;
        Self::try_from(date).map_err(|_| no_such_day())
    }

    /// Today's date in UTC.
    pub(crate) fn today_utc() -> Self {
        // The system clock is far inside the years 0000 to 9999.
        Date(OffsetDateTime::now_utc().date())
    }

    /// The date (UTC) at `at`, as a client's [`Clock`](crate::clock::Clock) reads the time;
    /// today's when `at` is outside the years 0000 to 9999.
    #[cfg(feature = "client")]
    pub(crate) fn on(at: std::time::SystemTime) -> Self {
        let epoch = OffsetDateTime::UNIX_EPOCH;
        let moment = match at.duration_since(std::time::UNIX_EPOCH) {
            Ok(after) => time::Duration::try_from(after)
                .ok()
                .and_then(|d| epoch.checked_add(d)),
            Err(before) => time::Duration::try_from(before.duration())
                .ok()
                .and_then(|d| epoch.checked_sub(d)),
        };
        moment
            .and_then(|m| Self::try_from(m.date()).ok())
            .unwrap_or_else(Self::today_utc)
    }

    /// The year, 0 to 9999.
    #[cfg(feature = "chrono")]
    pub(crate) const fn year(self) -> i32 {
        self.0.year()
    }

    /// The month, 1 to 12.
    #[cfg(feature = "chrono")]
    pub(crate) const fn month(self) -> u8 {
        self.0.month() as u8
    }

    /// The day of the month, 1 to 31.
    #[cfg(feature = "chrono")]
    pub(crate) const fn day(self) -> u8 {
        self.0.day()
    }

    /// Wraps a date the caller knows is inside 0000..=9999.
    pub(super) const fn from_time_date_unchecked(date: time::Date) -> Self {
        Date(date)
    }
}

impl fmt::Display for Date {
    /// Always `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        to_wire(self.0).fmt(f)
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Date")
            .field(&format_args!("{self}"))
            .finish()
    }
}

impl FromStr for Date {
    type Err = DatetimeError;

    /// Accepts exactly `YYYY-MM-DD`; [`DatetimeError::NoSuchDay`] for one in that form that
    /// names no day (`2023-02-29`), [`DatetimeError::Syntax`] for any other text.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s).ok_or_else(|| {
            // Only the whole text: `2024-01-15x` or a datetime names a day, in the wrong form.
            if s.len() == 10 && date_shaped(s) {
                DatetimeError::NoSuchDay {
                    found: s.to_owned(),
                }
            } else {
                DatetimeError::Syntax {
                    input: s.to_owned(),
                    what: "date",
                    expected: DATE_FORM,
                }
            }
        })
    }
}

/// Whether `s` starts with `DDDD-DD-DD` (digits and dashes): the form of a date, whatever day
/// it names.
pub(super) fn date_shaped(s: &str) -> bool {
    s.as_bytes().get(..10).is_some_and(|b| {
        b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
    })
}

/// The wire form, read by the protocol's one parser.
fn parse(s: &str) -> Option<Date> {
    WireDate::parse(s).and_then(from_wire)
}

/// A checked wire date as a `time::Date` (always exists: the parser checked the calendar).
pub(super) fn from_wire(w: WireDate) -> Option<Date> {
    let month = Month::try_from(w.month).ok()?;
    time::Date::from_calendar_date(i32::from(w.year), month, w.day)
        .ok()
        .map(Date)
}

/// The date's wire fields (its year is inside 0000..=9999).
pub(super) fn to_wire(date: time::Date) -> WireDate {
    WireDate {
        year: date.year() as u16,
        month: u8::from(date.month()),
        day: date.day(),
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    /// Deserialises from a `YYYY-MM-DD` string.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Date;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date string such as `2024-08-25`")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Date, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

impl TryFrom<time::Date> for Date {
    type Error = DatetimeError;

    fn try_from(value: time::Date) -> Result<Self, Self::Error> {
        if (0..=9999).contains(&value.year()) {
            Ok(Date(value))
        } else {
            Err(DatetimeError::OutOfRange {
                found: value.to_string(),
            })
        }
    }
}

impl From<Date> for time::Date {
    fn from(value: Date) -> Self {
        value.0
    }
}
