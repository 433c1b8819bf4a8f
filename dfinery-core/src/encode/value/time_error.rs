//! [`DatetimeError`]: why a text or an instant is not a DFINERY Datetime or Date.

/// Why a text or an instant is not a DFINERY [`Datetime`](crate::Datetime) or
/// [`Date`](crate::Date).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DatetimeError {
    /// The text does not have the expected form.
    #[error(
        "`{}` is not a {what}; write it as {expected}",
        dfinery_schema::names::shown(input)
    )]
    Syntax {
        /// The text that was given.
        input: String,
        /// `datetime` or `date`.
        what: &'static str,
        /// The form to use, with an example (already in backticks).
        expected: &'static str,
    },
    /// The instant or date is outside the years DFINERY's four-digit format can write.
    #[error("`{found}` is outside the years 0000 to 9999 that DFINERY can store")]
    OutOfRange {
        /// The instant or date as text (or as Unix milliseconds).
        found: String,
    },
    /// A year, month and day that name no day of the calendar (month 13, February 30).
    #[error(
        "`{}` is no day of the calendar; give a month from 1 to 12 and a day that month has",
        dfinery_schema::names::shown(found)
    )]
    NoSuchDay {
        /// The parts as given, `YYYY-MM-DD`.
        found: String,
    },
}

/// The form [`Datetime`](crate::Datetime) expects, for error messages.
pub(crate) const DATETIME_FORM: &str =
    "`YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC) or RFC 3339 with an offset, e.g. `2024-06-24T06:01:48.501Z`";

/// The wire form of a Datetime, for error messages of the strict parser.
pub(crate) const WIRE_DATETIME_FORM: &str =
    "`YYYY-MM-DDTHH:MM:SS.mmmZ` or `YYYY-MM-DDTHH:MM:SSZ` in UTC, e.g. `2024-06-24T06:01:48.501Z`";

/// The form [`Date`](crate::Date) expects, for error messages.
pub(crate) const DATE_FORM: &str = "`YYYY-MM-DD`, e.g. `2024-08-25`";
