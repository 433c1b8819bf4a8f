//! Conversions from Rust values into [`Value`]: `From` where every value fits, `TryFrom` where
//! some do not (`u64`, `usize`, and doubles, which must be finite).

use std::borrow::Cow;
use std::sync::Arc;

use super::error::{ValueError, finite, finite_element};
use super::{Date, Datetime, Value};

macro_rules! from_as {
    ($variant:ident: $($ty:ty),*) => {$(
        impl From<$ty> for Value {
            fn from(value: $ty) -> Self {
                Value::$variant(value.into())
            }
        }
    )*};
}

from_as!(String: String, &str, Cow<'_, str>, Box<str>, &String);
from_as!(Long: i8, i16, i32, i64, u8, u16, u32);
from_as!(Boolean: bool);
from_as!(Datetime: Datetime);
from_as!(Date: Date);

impl From<Arc<str>> for Value {
    fn from(value: Arc<str>) -> Self {
        Value::String(value.as_ref().to_owned())
    }
}

macro_rules! try_from_unsigned {
    ($($ty:ty),*) => {$(
        impl TryFrom<$ty> for Value {
            type Error = ValueError;

            /// A Long, or [`ValueError::LongOutOfRange`] when larger than `i64::MAX`.
            fn try_from(value: $ty) -> Result<Self, Self::Error> {
                i64::try_from(value)
                    .map(Value::Long)
                    .map_err(|_| ValueError::LongOutOfRange { found: value.to_string() })
            }
        }
    )*};
}

try_from_unsigned!(u64, usize);

impl TryFrom<f64> for Value {
    type Error = ValueError;

    /// A Double, or [`ValueError::NotFinite`] for NaN and infinities.
    fn try_from(value: f64) -> Result<Self, Self::Error> {
        finite(value).map(Value::Double)
    }
}

impl TryFrom<f32> for Value {
    type Error = ValueError;

    /// A Double holding the `f32`'s shortest decimal form (`0.1_f32` becomes `0.1`, not
    /// `0.10000000149011612`), or [`ValueError::NotFinite`].
    fn try_from(value: f32) -> Result<Self, Self::Error> {
        finite(f64::from(value))?;
        Ok(Value::Double(f32_to_f64(value)))
    }
}

/// The `f64` nearest to the shortest decimal text of a finite `f32`, so `0.1_f32` becomes `0.1`:
/// the text `serde_json` writes for the `f32`, which is what a typed `f32` property sends
/// (`json::push_f32`). Where two shortest texts tie (`1916.28125_f32` is `1916.2812` or
/// `1916.2813`), Rust's `Display` and `serde_json` pick differently, and a property would
/// have been sent as one Double and its `Value`, the builder's and an array's element as the
/// other.
pub(crate) fn f32_to_f64(value: f32) -> f64 {
    if !value.is_finite() {
        // NaN and the infinities stay what they are, for the caller's check to refuse (the
        // formatter writes finite numbers only).
        return f64::from(value);
    }
    let mut text = Vec::with_capacity(16);
    crate::encode::json::push_f32(&mut text, value);
    std::str::from_utf8(&text)
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(f64::from(value))
}

impl From<Vec<String>> for Value {
    fn from(value: Vec<String>) -> Self {
        Value::StringArray(value)
    }
}

impl From<Vec<&str>> for Value {
    fn from(value: Vec<&str>) -> Self {
        Value::StringArray(value.into_iter().map(str::to_owned).collect())
    }
}

impl From<&[String]> for Value {
    fn from(value: &[String]) -> Self {
        Value::StringArray(value.to_vec())
    }
}

impl From<&[&str]> for Value {
    fn from(value: &[&str]) -> Self {
        Value::StringArray(value.iter().map(|s| (*s).to_owned()).collect())
    }
}

impl From<Vec<i64>> for Value {
    fn from(value: Vec<i64>) -> Self {
        Value::LongArray(value)
    }
}

impl From<&[i64]> for Value {
    fn from(value: &[i64]) -> Self {
        Value::LongArray(value.to_vec())
    }
}

impl TryFrom<Vec<f64>> for Value {
    type Error = ValueError;

    /// An Array of Double, or [`ValueError::Element`] naming the first non-finite element.
    fn try_from(value: Vec<f64>) -> Result<Self, Self::Error> {
        for (index, v) in value.iter().enumerate() {
            finite_element(index, *v)?;
        }
        Ok(Value::DoubleArray(value))
    }
}

impl TryFrom<&[f64]> for Value {
    type Error = ValueError;

    /// An Array of Double, or [`ValueError::Element`] naming the first non-finite element.
    fn try_from(value: &[f64]) -> Result<Self, Self::Error> {
        Value::try_from(value.to_vec())
    }
}
