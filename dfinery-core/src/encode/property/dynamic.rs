//! [`PropertyValue`] for the dynamic [`Value`]: its own type must match the registered one.

use super::arrays::write_array;
use super::encode::{write_bool, write_date, write_datetime, write_double, write_long, write_str};
use super::{PropertySpec, PropertyValue, Rule};
use crate::__private::TrustedJson;
use crate::encode::value::Value;

impl PropertyValue for Value {
    /// Writes the value after checking that its type is `spec.ty` ([`Rule::WrongType`]) and the
    /// rules of `spec`.
    fn write_wire(&self, spec: &PropertySpec, out: &mut Vec<u8>) -> Result<(), Rule> {
        match self {
            Value::String(v) => write_str(spec, v, out),
            Value::Long(v) => write_long(spec, *v, out),
            Value::Double(v) => write_double(spec, *v, out),
            Value::Boolean(v) => write_bool(spec, *v, out),
            Value::Datetime(v) => write_datetime(spec, *v, out),
            Value::Date(v) => write_date(spec, *v, out),
            Value::StringArray(v) => write_array(spec, v, out),
            Value::LongArray(v) => write_array(spec, v, out),
            Value::DoubleArray(v) => write_array(spec, v, out),
        }
    }

    fn writes_valid_json(&self, _: TrustedJson) -> bool {
        true
    }

    fn to_value(&self) -> Option<Value> {
        Some(self.clone())
    }
}
