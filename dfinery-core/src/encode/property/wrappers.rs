//! [`PropertyValue`] forwarded through references, smart pointers and `Option`.

use crate::__private::TrustedJson;
use std::borrow::Cow;
use std::rc::Rc;
use std::sync::Arc;

use super::{PropertySpec, PropertyValue, Rule};
use crate::encode::value::Value;

macro_rules! forward {
    ($($ptr:ty),*) => {$(
        impl<T: PropertyValue + ?Sized> PropertyValue for $ptr {
            fn is_absent(&self) -> bool {
                (**self).is_absent()
            }

            fn write_wire(&self, spec: &PropertySpec, out: &mut Vec<u8>) -> Result<(), Rule> {
                (**self).write_wire(spec, out)
            }

            fn writes_valid_json(&self, trusted: TrustedJson) -> bool {
                (**self).writes_valid_json(trusted)
            }

            fn to_value(&self) -> Option<Value> {
                (**self).to_value()
            }
        }
    )*};
}

forward!(&T, Box<T>, Arc<T>, Rc<T>);

impl<T: PropertyValue + ToOwned + ?Sized> PropertyValue for Cow<'_, T> {
    fn is_absent(&self) -> bool {
        (**self).is_absent()
    }

    fn write_wire(&self, spec: &PropertySpec, out: &mut Vec<u8>) -> Result<(), Rule> {
        (**self).write_wire(spec, out)
    }

    fn writes_valid_json(&self, trusted: TrustedJson) -> bool {
        (**self).writes_valid_json(trusted)
    }

    fn to_value(&self) -> Option<Value> {
        (**self).to_value()
    }
}

impl<T: PropertyValue> PropertyValue for Option<T> {
    /// `None` is absent: the property is left out.
    fn is_absent(&self) -> bool {
        self.as_ref().is_none_or(PropertyValue::is_absent)
    }

    /// Writes the inner value. Writers skip absent values, so `None` only reaches this when
    /// called directly; it is then written as `null`, which only user properties accept.
    fn write_wire(&self, spec: &PropertySpec, out: &mut Vec<u8>) -> Result<(), Rule> {
        match self {
            Some(value) => value.write_wire(spec, out),
            None => super::encode::write_null(spec, out),
        }
    }

    /// `None` writes `null`.
    fn writes_valid_json(&self, trusted: TrustedJson) -> bool {
        self.as_ref().is_none_or(|v| v.writes_valid_json(trusted))
    }

    fn to_value(&self) -> Option<Value> {
        self.as_ref().and_then(PropertyValue::to_value)
    }
}
