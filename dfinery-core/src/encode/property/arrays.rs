//! Array values: [`ArrayElement`] for the element types, and [`PropertyValue`] for `[T]`,
//! `Vec<T>` and `[T; N]`.

use crate::__private::TrustedJson;
use std::borrow::Cow;
use std::rc::Rc;
use std::sync::Arc;

use dfinery_schema::DataType;

use super::encode::{check_finite, check_str};
use super::{PropertySpec, PropertyValue, Rule};
use crate::encode::json;
use crate::encode::value::{Value, f32_to_f64};

/// One element of an array value, borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ElementValue<'a> {
    /// An Array of String element.
    String(&'a str),
    /// An Array of Long element.
    Long(i64),
    /// An Array of Double element.
    Double(f64),
}

impl ElementValue<'_> {
    /// The element's DFINERY type.
    pub(crate) const fn data_type(&self) -> DataType {
        match self {
            ElementValue::String(_) => DataType::String,
            ElementValue::Long(_) => DataType::Long,
            ElementValue::Double(_) => DataType::Double,
        }
    }
}

/// A Rust type that can be an element of a DFINERY array: strings, the integer types of a Long,
/// `f64`, `f32`, and enums with `#[derive(DfineryEnum)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an element of a DFINERY array",
    label = "not a DFINERY array element",
    note = "an element is a string (`String`, `&str`, a `DfineryEnum` enum), an integer or an `f64`/`f32`, never an `Option`: a DFINERY array holds no null, so leave missing elements out (`Vec<String>`)"
)]
pub trait ArrayElement {
    /// The element type: [`DataType::String`], [`DataType::Long`] or [`DataType::Double`].
    /// [`element`](ArrayElement::element) must always return a value of this type.
    const ELEMENT_TYPE: DataType;

    /// The element as a borrowed value.
    fn element(&self) -> ElementValue<'_>;
}

impl ArrayElement for str {
    const ELEMENT_TYPE: DataType = DataType::String;
    fn element(&self) -> ElementValue<'_> {
        ElementValue::String(self)
    }
}

impl ArrayElement for String {
    const ELEMENT_TYPE: DataType = DataType::String;
    fn element(&self) -> ElementValue<'_> {
        ElementValue::String(self)
    }
}

macro_rules! long_element {
    ($($ty:ty),*) => {$(
        impl ArrayElement for $ty {
            const ELEMENT_TYPE: DataType = DataType::Long;
            fn element(&self) -> ElementValue<'_> {
                ElementValue::Long(i64::from(*self))
            }
        }
    )*};
}

long_element!(i8, i16, i32, i64, u8, u16, u32);

impl ArrayElement for f64 {
    const ELEMENT_TYPE: DataType = DataType::Double;
    fn element(&self) -> ElementValue<'_> {
        ElementValue::Double(*self)
    }
}

impl ArrayElement for f32 {
    const ELEMENT_TYPE: DataType = DataType::Double;
    /// The `f32`'s shortest decimal form as an `f64` (`0.1_f32` is `0.1`).
    fn element(&self) -> ElementValue<'_> {
        ElementValue::Double(f32_to_f64(*self))
    }
}

macro_rules! forward_element {
    ($($ptr:ty),*) => {$(
        impl<T: ArrayElement + ?Sized> ArrayElement for $ptr {
            const ELEMENT_TYPE: DataType = T::ELEMENT_TYPE;
            fn element(&self) -> ElementValue<'_> {
                (**self).element()
            }
        }
    )*};
}

forward_element!(&T, Box<T>, Arc<T>, Rc<T>);

impl<T: ArrayElement + ToOwned + ?Sized> ArrayElement for Cow<'_, T> {
    const ELEMENT_TYPE: DataType = T::ELEMENT_TYPE;
    fn element(&self) -> ElementValue<'_> {
        (**self).element()
    }
}

/// The array type whose elements are `element`.
const fn array_of(element: DataType) -> Option<DataType> {
    match element {
        DataType::String => Some(DataType::StringArray),
        DataType::Long => Some(DataType::LongArray),
        DataType::Double => Some(DataType::DoubleArray),
        _ => None,
    }
}

/// Writes one element after checking the element rules of `spec`.
fn write_element(
    spec: &PropertySpec,
    element: ElementValue<'_>,
    out: &mut Vec<u8>,
) -> Result<(), Rule> {
    let expected = spec.ty.element();
    if expected != Some(element.data_type()) {
        return Err(Rule::WrongType {
            expected: spec.ty,
            found: array_of(element.data_type()).unwrap_or(element.data_type()),
        });
    }
    match element {
        ElementValue::String(s) => {
            check_str(spec, s)?;
            json::push_str(out, s);
        }
        ElementValue::Long(v) => json::push_i64(out, v),
        ElementValue::Double(v) => {
            check_finite(v)?;
            json::push_f64(out, v);
        }
    }
    Ok(())
}

/// Writes a whole array after checking the array's type, its length and each element.
pub(crate) fn write_array<T: ArrayElement>(
    spec: &PropertySpec,
    elements: &[T],
    out: &mut Vec<u8>,
) -> Result<(), Rule> {
    let found = array_of(T::ELEMENT_TYPE).unwrap_or(T::ELEMENT_TYPE);
    if spec.ty != found {
        return Err(Rule::WrongType {
            expected: spec.ty,
            found,
        });
    }
    if let Some(max) = spec.max_items
        && elements.len() > max
    {
        return Err(Rule::TooManyElements {
            len: elements.len(),
            max,
        });
    }
    out.push(b'[');
    for (index, element) in elements.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        write_element(spec, element.element(), out).map_err(|rule| rule.at_element(index))?;
    }
    out.push(b']');
    Ok(())
}

/// The elements as a [`Value`] of the array type; elements of another type than
/// `T::ELEMENT_TYPE` (a broken `ArrayElement` impl) are left out.
fn array_value<T: ArrayElement>(elements: &[T]) -> Option<Value> {
    let each = elements.iter().map(ArrayElement::element);
    match T::ELEMENT_TYPE {
        DataType::String => Some(Value::StringArray(
            each.filter_map(|e| match e {
                ElementValue::String(s) => Some(s.to_owned()),
                _ => None,
            })
            .collect(),
        )),
        DataType::Long => Some(Value::LongArray(
            each.filter_map(|e| match e {
                ElementValue::Long(v) => Some(v),
                _ => None,
            })
            .collect(),
        )),
        DataType::Double => Some(Value::DoubleArray(
            each.filter_map(|e| match e {
                ElementValue::Double(v) => Some(v),
                _ => None,
            })
            .collect(),
        )),
        _ => None,
    }
}

impl<T: ArrayElement> PropertyValue for [T] {
    fn write_wire(&self, spec: &PropertySpec, out: &mut Vec<u8>) -> Result<(), Rule> {
        write_array(spec, self, out)
    }

    fn writes_valid_json(&self, _: TrustedJson) -> bool {
        true
    }

    fn to_value(&self) -> Option<Value> {
        array_value(self)
    }
}

impl<T: ArrayElement> PropertyValue for Vec<T> {
    fn write_wire(&self, spec: &PropertySpec, out: &mut Vec<u8>) -> Result<(), Rule> {
        write_array(spec, self, out)
    }

    fn writes_valid_json(&self, _: TrustedJson) -> bool {
        true
    }

    fn to_value(&self) -> Option<Value> {
        array_value(self)
    }
}

impl<T: ArrayElement, const N: usize> PropertyValue for [T; N] {
    fn write_wire(&self, spec: &PropertySpec, out: &mut Vec<u8>) -> Result<(), Rule> {
        write_array(spec, self, out)
    }

    fn writes_valid_json(&self, _: TrustedJson) -> bool {
        true
    }

    fn to_value(&self) -> Option<Value> {
        array_value(self)
    }
}
