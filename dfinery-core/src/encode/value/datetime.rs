//! [`Datetime`]: a UTC instant with millisecond precision, printed the one way DFINERY reads.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;
use time::{OffsetDateTime, PrimitiveDateTime, Time, UtcDateTime, UtcOffset};

use dfinery_schema::protocol::WireDatetime;

use super::Date;
use super::time_error::{DATETIME_FORM, DatetimeError, WIRE_DATETIME_FORM};

/// A DFINERY Datetime: an instant in UTC, truncated to whole milliseconds, between
/// [`Datetime::MIN`] (`0000-01-01T00:00:00.000Z`) and [`Datetime::MAX`]
/// (`9999-12-31T23:59:59.999Z`).
///
/// It always prints (with `Display` and `Serialize`) as `YYYY-MM-DDTHH:MM:SS.mmmZ`, the form
/// `docs/protocol.md` §4.2 recommends, and parses (with `FromStr` and `Deserialize`) from that form,
/// from the form without milliseconds, and from any RFC 3339 text with an offset, which is
/// converted to UTC. Use [`Datetime::parse_wire`] to accept only the two forms DFINERY documents.
///
/// Conversions from other time types are `TryFrom` because those can hold instants outside the
/// four-digit years this format can write; conversions back are `From`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Datetime(OffsetDateTime);

impl Datetime {
    /// The earliest Datetime DFINERY's format can write, `0000-01-01T00:00:00.000Z`.
    pub const MIN: Datetime = Datetime(datetime!(0000-01-01 0:00 UTC));

    /// The latest Datetime DFINERY's format can write, `9999-12-31T23:59:59.999Z`.
    pub const MAX: Datetime = Datetime(datetime!(9999-12-31 23:59:59.999 UTC));

    /// The current time, truncated to milliseconds.
    pub fn now() -> Self {
        // The system clock is far inside the years 0000 to 9999.
        Datetime(OffsetDateTime::now_utc().truncate_to_millisecond())
    }

    /// The instant `millis` milliseconds after 1970-01-01T00:00:00Z (negative: before).
    ///
    /// # Errors
    ///
    /// [`DatetimeError::OutOfRange`] when the instant is outside [`Datetime::MIN`]..=[`Datetime::MAX`].
    pub fn from_unix_millis(millis: i64) -> Result<Self, DatetimeError> {
        let out_of_range = || DatetimeError::OutOfRange {
            found: format!("{millis} ms since the Unix epoch"),
        };
        let odt = OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
            .map_err(|_| out_of_range())?;
        Self::from_utc(odt).ok_or_else(out_of_range)
    }

    /// Milliseconds since 1970-01-01T00:00:00Z (negative before).
    pub const fn unix_millis(&self) -> i64 {
        self.0.unix_timestamp() * 1000 + self.0.millisecond() as i64
    }

    /// Parses only the two forms DFINERY documents (`docs/protocol.md` §4.2):
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` and `YYYY-MM-DDTHH:MM:SSZ`.
    ///
    /// # Errors
    ///
    /// [`DatetimeError::NoSuchDay`] for a text in one of them whose date names no day
    /// (`2023-02-29T…`), [`DatetimeError::Syntax`] for any other text or an impossible time.
    pub fn parse_wire(s: &str) -> Result<Self, DatetimeError> {
        parse_wire(s).ok_or_else(|| {
            no_such_day(s).unwrap_or_else(|| DatetimeError::Syntax {
                input: s.to_owned(),
                what: "DFINERY datetime",
                expected: WIRE_DATETIME_FORM,
            })
        })
    }

    /// The calendar date of the instant in UTC.
    pub fn date(self) -> Date {
        Date::from_time_date_unchecked(self.0.date())
    }

    /// Normalises an instant: converts to UTC, truncates to milliseconds, checks the year range.
    fn from_utc(odt: OffsetDateTime) -> Option<Self> {
        let utc = odt
            .checked_to_offset(UtcOffset::UTC)?
            .truncate_to_millisecond();
        (0..=9999).contains(&utc.year()).then_some(Datetime(utc))
    }

    fn try_from_offset(odt: OffsetDateTime) -> Result<Self, DatetimeError> {
        Self::from_utc(odt).ok_or_else(|| DatetimeError::OutOfRange {
            found: odt.to_string(),
        })
    }
}

/// The strict wire parser: the protocol's one reading of the two documented forms.
/// [`DatetimeError::NoSuchDay`] when `s` starts with a date in the form `YYYY-MM-DD` that
/// names no day, followed by `T`: a datetime whose form is right and whose day does not exist.
fn no_such_day(s: &str) -> Option<DatetimeError> {
    let date = s.get(..10)?;
    let shaped = super::date::date_shaped(date) && s[10..].starts_with(['T', 't', ' ']);
    (shaped && date.parse::<Date>().is_err()).then(|| DatetimeError::NoSuchDay {
        found: s.to_owned(),
    })
}

fn parse_wire(s: &str) -> Option<Datetime> {
    let w = WireDatetime::parse(s)?;
    let date = time::Date::from(super::date::from_wire(w.date)?);
    let time = Time::from_hms_milli(w.hour, w.minute, w.second, w.millisecond).ok()?;
    Some(Datetime(PrimitiveDateTime::new(date, time).assume_utc()))
}

impl fmt::Display for Datetime {
    /// Always `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        WireDatetime {
            date: super::date::to_wire(d.date()),
            hour: d.hour(),
            minute: d.minute(),
            second: d.second(),
            millisecond: d.millisecond(),
        }
        .fmt(f)
    }
}

impl fmt::Debug for Datetime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Datetime")
            .field(&format_args!("{self}"))
            .finish()
    }
}

impl FromStr for Datetime {
    type Err = DatetimeError;

    /// Accepts the wire forms and RFC 3339 with any offset (converted to UTC) and any fraction
    /// of a second (truncated to milliseconds).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(dt) = parse_wire(s) {
            return Ok(dt);
        }
        let odt = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
            no_such_day(s).unwrap_or_else(|| DatetimeError::Syntax {
                input: s.to_owned(),
                what: "datetime",
                expected: DATETIME_FORM,
            })
        })?;
        // The text as written, not as `time` prints it (`0000-01-01 0:00:00.0 +01:00:00`).
        Self::from_utc(odt).ok_or_else(|| DatetimeError::OutOfRange {
            found: s.to_owned(),
        })
    }
}

impl Serialize for Datetime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Datetime {
    /// Deserialises from a string in any form [`FromStr`] accepts.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Datetime;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a datetime string such as `2024-06-24T06:01:48.501Z`")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Datetime, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

impl TryFrom<OffsetDateTime> for Datetime {
    type Error = DatetimeError;

    /// Converts to UTC and truncates to milliseconds.
    fn try_from(value: OffsetDateTime) -> Result<Self, Self::Error> {
        Self::try_from_offset(value)
    }
}

impl TryFrom<UtcDateTime> for Datetime {
    type Error = DatetimeError;

    /// Truncates to milliseconds.
    fn try_from(value: UtcDateTime) -> Result<Self, Self::Error> {
        Self::try_from_offset(OffsetDateTime::new_utc(value.date(), value.time()))
    }
}

impl TryFrom<SystemTime> for Datetime {
    type Error = DatetimeError;

    /// Truncates to milliseconds (towards the past).
    fn try_from(value: SystemTime) -> Result<Self, Self::Error> {
        let nanos = match value.duration_since(UNIX_EPOCH) {
            Ok(after) => i128::try_from(after.as_nanos()),
            Err(before) => i128::try_from(before.duration().as_nanos()).map(|n| -n),
        };
        let odt = nanos
            .ok()
            .and_then(|n| OffsetDateTime::from_unix_timestamp_nanos(n).ok())
            .ok_or_else(|| DatetimeError::OutOfRange {
                found: format!("{value:?}"),
            })?;
        Self::try_from_offset(odt)
    }
}

impl From<Datetime> for OffsetDateTime {
    /// The instant with offset UTC.
    fn from(value: Datetime) -> Self {
        value.0
    }
}

impl From<Datetime> for UtcDateTime {
    fn from(value: Datetime) -> Self {
        value.0.to_utc()
    }
}

impl From<Datetime> for SystemTime {
    fn from(value: Datetime) -> Self {
        let millis = value.unix_millis();
        let magnitude = Duration::from_millis(millis.unsigned_abs());
        // Years 0000..=9999 are well inside `SystemTime`'s range on every platform.
        if millis >= 0 {
            UNIX_EPOCH + magnitude
        } else {
            UNIX_EPOCH - magnitude
        }
    }
}
