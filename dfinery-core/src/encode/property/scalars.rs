//! [`PropertyValue`] for strings, integers, floats and `bool`.

use super::encode::{write_bool, write_double, write_f32, write_long, write_str};
use super::{PropertySpec, PropertyValue, Rule};
use crate::__private::TrustedJson;
use crate::encode::value::Value;
use crate::encode::value::f32_to_f64;

impl PropertyValue for str {
    #[inline]
    fn write_wire(&self, spec: &PropertySpec, out: &mut Vec<u8>) -> Result<(), Rule> {
        write_str(spec, self, out)
    }

    fn writes_valid_json(&self, _: TrustedJson) -> bool {
        true
    }

    fn to_value(&self) -> Option<Value> {
        Some(Value::String(self.to_owned()))
    }
}

impl PropertyValue for String {
    #[inline]
    fn write_wire(&self, spec: &PropertySpec, out: &mut Vec<u8>) -> Result<(), Rule> {
        write_str(spec, self, out)
    }

    fn writes_valid_json(&self, _: TrustedJson) -> bool {
        true
    }

    fn to_value(&self) -> Option<Value> {
        Some(Value::String(self.clone()))
    }
}

macro_rules! long {
    ($($ty:ty),*) => {$(
        impl PropertyValue for $ty {
            #[inline]
    fn write_wire(&self, spec: &PropertySpec, out: &mut Vec<u8>) -> Result<(), Rule> {
                write_long(spec, i64::from(*self), out)
            }

            fn writes_valid_json(&self, _: TrustedJson) -> bool {
        true
    }

    fn to_value(&self) -> Option<Value> {
                Some(Value::Long(i64::from(*self)))
            }
        }
    )*};
}

long!(i8, i16, i32, i64, u8, u16, u32);

impl PropertyValue for f64 {
    #[inline]
    fn write_wire(&self, spec: &PropertySpec, out: &mut Vec<u8>) -> Result<(), Rule> {
        write_double(spec, *self, out)
    }

    fn writes_valid_json(&self, _: TrustedJson) -> bool {
        true
    }

    fn to_value(&self) -> Option<Value> {
        Some(Value::Double(*self))
    }
}

impl PropertyValue for f32 {
    /// Writes the `f32`'s shortest form: `0.1_f32` is sent as `0.1`.
    #[inline]
    fn write_wire(&self, spec: &PropertySpec, out: &mut Vec<u8>) -> Result<(), Rule> {
        write_f32(spec, *self, out)
    }

    fn writes_valid_json(&self, _: TrustedJson) -> bool {
        true
    }

    fn to_value(&self) -> Option<Value> {
        Some(Value::Double(f32_to_f64(*self)))
    }
}

impl PropertyValue for bool {
    #[inline]
    fn write_wire(&self, spec: &PropertySpec, out: &mut Vec<u8>) -> Result<(), Rule> {
        write_bool(spec, *self, out)
    }

    fn writes_valid_json(&self, _: TrustedJson) -> bool {
        true
    }

    fn to_value(&self) -> Option<Value> {
        Some(Value::Boolean(*self))
    }
}
