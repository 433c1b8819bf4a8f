//! [`PropertyValue`] for [`Datetime`], [`Date`] and the `time`, `std` and `chrono` types that
//! convert to them. A foreign value outside the years 0000 to 9999 breaks [`Rule::Invalid`].

use crate::__private::TrustedJson;
use std::time::SystemTime;

use super::encode::{write_date, write_datetime};
use super::{PropertySpec, PropertyValue, Rule};
use crate::encode::value::{Date, Datetime, DatetimeError, Value, ValueError};

fn invalid(error: DatetimeError) -> Rule {
    Rule::Invalid(ValueError::Datetime(error))
}

impl PropertyValue for Datetime {
    fn write_wire(&self, spec: &PropertySpec, out: &mut Vec<u8>) -> Result<(), Rule> {
        write_datetime(spec, *self, out)
    }

    fn writes_valid_json(&self, _: TrustedJson) -> bool {
        true
    }

    fn to_value(&self) -> Option<Value> {
        Some(Value::Datetime(*self))
    }
}

impl PropertyValue for Date {
    fn write_wire(&self, spec: &PropertySpec, out: &mut Vec<u8>) -> Result<(), Rule> {
        write_date(spec, *self, out)
    }

    fn writes_valid_json(&self, _: TrustedJson) -> bool {
        true
    }

    fn to_value(&self) -> Option<Value> {
        Some(Value::Date(*self))
    }
}

/// Implements `PropertyValue` for a foreign type through `TryFrom<$ty> for $target`.
macro_rules! via_try_from {
    ($target:ident, $write:ident: $($ty:ty),*) => {$(
        impl PropertyValue for $ty {
            fn write_wire(&self, spec: &PropertySpec, out: &mut Vec<u8>) -> Result<(), Rule> {
                $write(spec, $target::try_from(*self).map_err(invalid)?, out)
            }

            fn writes_valid_json(&self, _: TrustedJson) -> bool {
        true
    }

    fn to_value(&self) -> Option<Value> {
                $target::try_from(*self).ok().map(Value::$target)
            }
        }
    )*};
}

via_try_from!(Datetime, write_datetime: time::OffsetDateTime, time::UtcDateTime, SystemTime);
via_try_from!(Date, write_date: time::Date);

#[cfg(feature = "chrono")]
via_try_from!(Date, write_date: chrono::NaiveDate);

#[cfg(feature = "chrono")]
impl<Tz: chrono::TimeZone> PropertyValue for chrono::DateTime<Tz> {
    fn write_wire(&self, spec: &PropertySpec, out: &mut Vec<u8>) -> Result<(), Rule> {
        let value = Datetime::from_unix_millis(self.timestamp_millis()).map_err(invalid)?;
        write_datetime(spec, value, out)
    }

    fn writes_valid_json(&self, _: TrustedJson) -> bool {
        true
    }

    fn to_value(&self) -> Option<Value> {
        Datetime::from_unix_millis(self.timestamp_millis())
            .ok()
            .map(Value::Datetime)
    }
}
