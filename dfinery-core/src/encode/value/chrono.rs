//! Conversions between [`Datetime`]/[`Date`] and `chrono` (feature `chrono`).

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use super::{Date, Datetime, DatetimeError};

impl<Tz: TimeZone> TryFrom<DateTime<Tz>> for Datetime {
    type Error = DatetimeError;

    /// Converts to UTC and truncates to milliseconds (towards the past).
    fn try_from(value: DateTime<Tz>) -> Result<Self, Self::Error> {
        Datetime::from_unix_millis(value.timestamp_millis())
    }
}

impl From<Datetime> for DateTime<Utc> {
    fn from(value: Datetime) -> Self {
        // Every `Datetime` (years 0000..=9999) is inside chrono's range, so the default (the Unix
        // epoch) is never used.
        DateTime::from_timestamp_millis(value.unix_millis()).unwrap_or_default()
    }
}

impl TryFrom<NaiveDate> for Date {
    type Error = DatetimeError;

    fn try_from(value: NaiveDate) -> Result<Self, Self::Error> {
        use chrono::Datelike;
        let month = u8::try_from(value.month()).unwrap_or(0);
        let day = u8::try_from(value.day()).unwrap_or(0);
        Date::from_ymd(value.year(), month, day)
    }
}

impl From<Date> for NaiveDate {
    fn from(value: Date) -> Self {
        // Every `Date` (years 0000..=9999) is a valid chrono date, so the default is never used.
        NaiveDate::from_ymd_opt(value.year(), value.month().into(), value.day().into())
            .unwrap_or_default()
    }
}
