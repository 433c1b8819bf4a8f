//! [`FromCell`]: the Rust types a cell decodes into, the same types that fill properties when
//! sending; [`FromElement`] for the elements of array properties.

use std::borrow::Cow;
use std::rc::Rc;
use std::sync::Arc;
use std::time::SystemTime;

use dfinery_schema::DataType;
use uuid::Uuid;

use super::cell::{Cell, parse_bool, parse_cell, parse_double, parse_long};
use super::error::{CellError, shown};
use crate::encode::property::{DfineryEnumValue, ElementValue, Patch};
use crate::encode::value::{Date, Datetime, Value};

/// A Rust type an export cell decodes into, given the property's registered type: the owned
/// types that fill properties when sending (`String`, integers, `f64`, `bool`, [`Datetime`],
/// [`Date`], `Vec<T>`, `DfineryEnum` enums, …), and `Option`/[`Patch`] of them when a value
/// may be absent.
///
/// Borrowed types (`&str`, `&[T]`) and fixed-size arrays cannot be decoded.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be decoded from an export cell",
    label = "not decodable from an export",
    note = "decoding needs owned types: `String`, `i64` (or a narrower integer), `f64`, `bool`, `dfinery::Datetime`, `dfinery::Date`, `Vec<T>` of those, or a `DfineryEnum`; wrap it in `Option` or `Patch` if it may be absent"
)]
pub trait FromCell: Sized {
    /// Whether the type can stand for a missing value (`Option`, [`Patch`]); a column it fills
    /// may then be missing from the export.
    const OPTIONAL: bool = false;

    /// Decodes `cell` as a value of the registered type `ty`.
    ///
    /// # Errors
    ///
    /// A [`CellError`]: no value where one is needed, text that is not of type `ty`, or a value
    /// the type cannot hold.
    fn from_cell(cell: Cell<'_>, ty: DataType) -> Result<Self, CellError>;
}

/// A Rust type an element of an array property decodes into.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be decoded from an element of an export array",
    label = "not decodable as an array element",
    note = "use `String`, `i64` (or a narrower integer), `f64`, or a `DfineryEnum`"
)]
pub trait FromElement: Sized {
    /// Decodes one element.
    ///
    /// # Errors
    ///
    /// A [`CellError`] when the element does not fit.
    fn from_element(element: ElementValue<'_>) -> Result<Self, CellError>;
}

/// `T`'s name as it is written in code, every path left out: `String`, `Vec<String>`.
pub(crate) fn type_name<T: ?Sized>() -> &'static str {
    let full = std::any::type_name::<T>();
    if !full.contains(['<', '(', '[', '&', '*']) {
        // A path: its last segment.
        return full.rsplit("::").next().unwrap_or(full);
    }
    // A generic type's parameters have paths of their own (`Vec<alloc::string::String>`,
    // which does not compile as a message advises it). Shortened once per type, and only for
    // a message, so kept for the program's life.
    static SHORT: std::sync::Mutex<Vec<(&str, &str)>> = std::sync::Mutex::new(Vec::new());
    let mut short = SHORT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(&(_, name)) = short.iter().find(|(name, _)| *name == full) {
        return name;
    }
    let name: &'static str = Box::leak(without_paths(full).into_boxed_str());
    short.push((full, name));
    name
}

/// `name` with the path of every type in it left out: `Vec<alloc::string::String>` is
/// `Vec<String>`.
fn without_paths(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut word = String::new();
    for c in name.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            word.push(c);
        } else {
            out.push_str(word.rsplit("::").next().unwrap_or_default());
            word.clear();
            out.push(c);
        }
    }
    out.push_str(word.rsplit("::").next().unwrap_or_default());
    out
}

/// The text of a cell that must hold a value.
fn needed<T>(cell: Cell<'_>) -> Result<&str, CellError> {
    // `ok_or_else`: the error names the type, which takes a string search to find; only a
    // missing value pays for it.
    cell.text().ok_or_else(|| CellError::Missing {
        rust_type: type_name::<T>(),
    })
}

/// `ty` itself when it is `expected`, else [`CellError::WrongType`].
fn expect_type<T>(ty: DataType, expected: DataType) -> Result<(), CellError> {
    if ty == expected {
        Ok(())
    } else {
        Err(CellError::WrongType {
            ty,
            rust_type: type_name::<T>(),
        })
    }
}

macro_rules! strings {
    ($($ty:ty),*) => {$(
        /// Any registered type, as the text of the cell; an empty cell is an empty string (a
        /// string field is always sent, so empty means `""`).
        impl FromCell for $ty {
            #[inline]
            fn from_cell(cell: Cell<'_>, _ty: DataType) -> Result<Self, CellError> {
                Ok(<$ty>::from(cell.text().unwrap_or_default()))
            }
        }

        impl FromElement for $ty {
            fn from_element(element: ElementValue<'_>) -> Result<Self, CellError> {
                match element {
                    ElementValue::String(s) => Ok(<$ty>::from(s)),
                    other => Err(CellError::WrongType { ty: other.data_type(), rust_type: type_name::<$ty>() }),
                }
            }
        }
    )*};
}

strings!(String, Box<str>, Arc<str>, Rc<str>);

impl FromCell for Cow<'_, str> {
    fn from_cell(cell: Cell<'_>, ty: DataType) -> Result<Self, CellError> {
        String::from_cell(cell, ty).map(Cow::Owned)
    }
}

macro_rules! integers {
    ($($ty:ty),*) => {$(
        impl FromCell for $ty {
            #[inline]
            fn from_cell(cell: Cell<'_>, ty: DataType) -> Result<Self, CellError> {
                expect_type::<$ty>(ty, DataType::Long)?;
                let text = needed::<$ty>(cell)?;
                fit(parse_long(text)?)
            }
        }

        impl FromElement for $ty {
            fn from_element(element: ElementValue<'_>) -> Result<Self, CellError> {
                match element {
                    ElementValue::Long(v) => fit(v),
                    other => Err(CellError::WrongType { ty: other.data_type(), rust_type: type_name::<$ty>() }),
                }
            }
        }
    )*};
}

integers!(i8, i16, i32, i64, u8, u16, u32);

/// `value` as a narrower integer type.
fn fit<T: TryFrom<i64>>(value: i64) -> Result<T, CellError> {
    T::try_from(value).map_err(|_| CellError::OutOfRange {
        found: value.to_string(),
        rust_type: type_name::<T>(),
    })
}

impl FromCell for f64 {
    #[inline]
    fn from_cell(cell: Cell<'_>, ty: DataType) -> Result<Self, CellError> {
        expect_type::<f64>(ty, DataType::Double)?;
        parse_double(needed::<f64>(cell)?)
    }
}

impl FromElement for f64 {
    fn from_element(element: ElementValue<'_>) -> Result<Self, CellError> {
        match element {
            ElementValue::Double(v) => Ok(v),
            other => Err(CellError::WrongType {
                ty: other.data_type(),
                rust_type: "f64",
            }),
        }
    }
}

/// Doubles are narrowed to `f32`; a value sent from an `f32` comes back exactly.
impl FromCell for f32 {
    fn from_cell(cell: Cell<'_>, ty: DataType) -> Result<Self, CellError> {
        f64::from_cell(cell, ty).and_then(narrow)
    }
}

impl FromElement for f32 {
    fn from_element(element: ElementValue<'_>) -> Result<Self, CellError> {
        f64::from_element(element).and_then(narrow)
    }
}

fn narrow(value: f64) -> Result<f32, CellError> {
    // `as` rounds to the nearest `f32`; a value beyond its range becomes infinite.
    #[allow(clippy::cast_possible_truncation)]
    let narrowed = value as f32;
    if narrowed.is_finite() {
        Ok(narrowed)
    } else {
        // `{:?}`: `1e39`, not its 40 digits.
        Err(CellError::OutOfRange {
            found: format!("{value:?}"),
            rust_type: "f32",
        })
    }
}

impl FromCell for bool {
    fn from_cell(cell: Cell<'_>, ty: DataType) -> Result<Self, CellError> {
        expect_type::<bool>(ty, DataType::Boolean)?;
        parse_bool(needed::<bool>(cell)?)
    }
}

impl FromCell for Datetime {
    fn from_cell(cell: Cell<'_>, ty: DataType) -> Result<Self, CellError> {
        expect_type::<Datetime>(ty, DataType::Datetime)?;
        Ok(Datetime::parse_wire(needed::<Datetime>(cell)?)?)
    }
}

macro_rules! via_datetime {
    ($($ty:ty),*) => {$(
        impl FromCell for $ty {
            fn from_cell(cell: Cell<'_>, ty: DataType) -> Result<Self, CellError> {
                Datetime::from_cell(cell, ty).map(<$ty>::from)
            }
        }
    )*};
}

via_datetime!(time::OffsetDateTime, time::UtcDateTime, SystemTime);

impl FromCell for Date {
    fn from_cell(cell: Cell<'_>, ty: DataType) -> Result<Self, CellError> {
        expect_type::<Date>(ty, DataType::Date)?;
        Ok(needed::<Date>(cell)?.parse::<Date>()?)
    }
}

impl FromCell for time::Date {
    fn from_cell(cell: Cell<'_>, ty: DataType) -> Result<Self, CellError> {
        Date::from_cell(cell, ty).map(time::Date::from)
    }
}

#[cfg(feature = "chrono")]
impl FromCell for chrono::DateTime<chrono::Utc> {
    fn from_cell(cell: Cell<'_>, ty: DataType) -> Result<Self, CellError> {
        let value = Datetime::from_cell(cell, ty)?;
        let found = || CellError::OutOfRange {
            found: value.to_string(),
            rust_type: "DateTime<Utc>",
        };
        chrono::DateTime::from_timestamp_millis(value.unix_millis()).ok_or_else(found)
    }
}

#[cfg(feature = "chrono")]
impl FromCell for chrono::NaiveDate {
    fn from_cell(cell: Cell<'_>, ty: DataType) -> Result<Self, CellError> {
        let value = Date::from_cell(cell, ty)?;
        chrono::NaiveDate::from_ymd_opt(
            value.year(),
            u32::from(value.month()),
            u32::from(value.day()),
        )
        .ok_or_else(|| CellError::OutOfRange {
            found: value.to_string(),
            rust_type: "NaiveDate",
        })
    }
}

/// An `event_log_id` (or any String holding a UUID).
impl FromCell for Uuid {
    fn from_cell(cell: Cell<'_>, _ty: DataType) -> Result<Self, CellError> {
        let text = needed::<Uuid>(cell)?;
        Uuid::parse_str(text).map_err(|_| CellError::NotUuid { found: shown(text) })
    }
}

/// The cell parsed by the registered type.
impl FromCell for Value {
    fn from_cell(cell: Cell<'_>, ty: DataType) -> Result<Self, CellError> {
        parse_cell(needed::<Value>(cell)?, ty)
    }
}

/// No column or an empty cell is `None`. An empty string sent as `Some("")` comes back as
/// `None`: an export cannot tell the two apart.
impl<T: FromCell> FromCell for Option<T> {
    const OPTIONAL: bool = true;

    fn from_cell(cell: Cell<'_>, ty: DataType) -> Result<Self, CellError> {
        match cell {
            Cell::NoColumn | Cell::Empty => Ok(None),
            Cell::Text(_) => T::from_cell(cell, ty).map(Some),
        }
    }
}

/// No column is [`Patch::Keep`] (nothing known), an empty cell [`Patch::Clear`] (no value),
/// a value [`Patch::Set`].
impl<T: FromCell> FromCell for Patch<T> {
    const OPTIONAL: bool = true;

    fn from_cell(cell: Cell<'_>, ty: DataType) -> Result<Self, CellError> {
        match cell {
            Cell::NoColumn => Ok(Patch::Keep),
            Cell::Empty => Ok(Patch::Clear),
            Cell::Text(_) => T::from_cell(cell, ty).map(Patch::Set),
        }
    }
}

macro_rules! pointers {
    ($($ptr:ident),*) => {$(
        impl<T: FromCell> FromCell for $ptr<T> {
            const OPTIONAL: bool = T::OPTIONAL;

            fn from_cell(cell: Cell<'_>, ty: DataType) -> Result<Self, CellError> {
                T::from_cell(cell, ty).map($ptr::new)
            }
        }
    )*};
}

pointers!(Box, Arc, Rc);

/// An array property: JSON text such as `["a","b"]`.
impl<T: FromElement> FromCell for Vec<T> {
    fn from_cell(cell: Cell<'_>, ty: DataType) -> Result<Self, CellError> {
        let text = needed::<Self>(cell)?;
        let each = |element: ElementValue<'_>| T::from_element(element);
        match parse_cell(text, ty)? {
            Value::StringArray(v) => v.iter().map(|s| each(ElementValue::String(s))).collect(),
            Value::LongArray(v) => v.into_iter().map(|n| each(ElementValue::Long(n))).collect(),
            Value::DoubleArray(v) => v
                .into_iter()
                .map(|n| each(ElementValue::Double(n)))
                .collect(),
            _ => Err(CellError::WrongType {
                ty,
                rust_type: type_name::<Self>(),
            }),
        }
    }
}

impl<T: FromElement> FromCell for Box<[T]> {
    fn from_cell(cell: Cell<'_>, ty: DataType) -> Result<Self, CellError> {
        Vec::<T>::from_cell(cell, ty).map(Vec::into_boxed_slice)
    }
}

/// [`FromCell`] for a `DfineryEnum` (called by the code `#[derive(DfineryEnum)]` generates).
///
/// # Errors
///
/// [`CellError::UnknownValue`] for a value that is not one of the enum's.
pub fn enum_from_cell<T: DfineryEnumValue>(cell: Cell<'_>, ty: DataType) -> Result<T, CellError> {
    if ty != DataType::String {
        return Err(CellError::WrongType {
            ty,
            rust_type: type_name::<T>(),
        });
    }
    enum_value(needed::<T>(cell)?)
}

/// [`FromElement`] for a `DfineryEnum`.
///
/// # Errors
///
/// As [`enum_from_cell`].
pub fn enum_from_element<T: DfineryEnumValue>(element: ElementValue<'_>) -> Result<T, CellError> {
    match element {
        ElementValue::String(s) => enum_value(s),
        other => Err(CellError::WrongType {
            ty: other.data_type(),
            rust_type: type_name::<T>(),
        }),
    }
}

fn enum_value<T: DfineryEnumValue>(text: &str) -> Result<T, CellError> {
    T::from_value(text).ok_or_else(|| CellError::UnknownValue {
        found: shown(text),
        rust_type: type_name::<T>(),
        expected: T::VALUES,
    })
}

/// Implements [`FromCell`] and [`FromElement`] for a `DfineryEnumValue` type (a blanket
/// impl would overlap the others, E0119).
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_enum_cell {
    ($ty:ty) => {
        impl $crate::export::FromCell for $ty {
            fn from_cell(
                cell: $crate::export::Cell<'_>,
                ty: $crate::DataType,
            ) -> ::core::result::Result<Self, $crate::export::CellError> {
                $crate::__private::enum_from_cell(cell, ty)
            }
        }

        impl $crate::export::FromElement for $ty {
            fn from_element(
                element: $crate::ElementValue<'_>,
            ) -> ::core::result::Result<Self, $crate::export::CellError> {
                $crate::__private::enum_from_element(element)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::cell::invalid;

    fn cell(text: &str) -> Cell<'_> {
        Cell::of(text)
    }

    #[test]
    fn scalars_decode_by_their_registered_type() {
        assert_eq!(i64::from_cell(cell("42"), DataType::Long), Ok(42));
        assert_eq!(
            u8::from_cell(cell("300"), DataType::Long)
                .unwrap_err()
                .to_string(),
            "is `300`, which does not fit `u8`; use a wider type such as `i64`"
        );
        assert_eq!(f64::from_cell(cell("5000.0"), DataType::Double), Ok(5000.0));
        assert_eq!(f32::from_cell(cell("0.1"), DataType::Double), Ok(0.1_f32));
        assert_eq!(bool::from_cell(cell("false"), DataType::Boolean), Ok(false));
        assert_eq!(
            String::from_cell(Cell::Empty, DataType::String),
            Ok(String::new())
        );
        assert_eq!(
            i64::from_cell(Cell::Empty, DataType::Long)
                .unwrap_err()
                .to_string(),
            "is empty, but `i64` cannot hold a missing value; make the field `Option<i64>`"
        );
        assert!(matches!(
            i64::from_cell(cell("1"), DataType::Double),
            Err(CellError::WrongType { .. })
        ));
    }

    #[test]
    fn a_cell_that_is_not_a_uuid_says_a_uuid_is_needed() {
        // It said "is `42`; a String needs text": the cell is text, and the message named
        // neither what was wrong nor what to write.
        let message = Uuid::from_cell(cell("42"), DataType::String)
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "is `42`, which is not a UUID; write one such as `67e55044-10b1-426f-9247-bb680e5fe0c8`"
        );
    }

    #[test]
    fn a_double_too_large_for_f32_says_to_use_f64() {
        // It advised "use a wider type such as `i64`", which holds no fraction, and wrote
        // the value with all its digits (301 for `1e300`).
        for message in [
            f32::from_cell(cell("1e39"), DataType::Double)
                .unwrap_err()
                .to_string(),
            f32::from_element(ElementValue::Double(-1e39))
                .unwrap_err()
                .to_string(),
        ] {
            assert!(
                message.ends_with("e39`, which does not fit `f32`; use `f64`"),
                "{message}"
            );
        }
    }

    #[test]
    fn a_cell_s_control_characters_are_escaped_in_its_message() {
        // A cell's line ends and terminal escapes were put in the message as they are, so
        // one error took several lines and could drive the terminal.
        let text = "12\nERROR\u{1b}[2J";
        let messages = [
            i64::from_cell(cell(text), DataType::Long)
                .unwrap_err()
                .to_string(),
            Uuid::from_cell(cell(text), DataType::String)
                .unwrap_err()
                .to_string(),
            Vec::<i64>::from_cell(cell(text), DataType::LongArray)
                .unwrap_err()
                .to_string(),
        ];
        for message in messages {
            assert!(!message.chars().any(char::is_control), "{message:?}");
            assert!(message.contains(r"12\nERROR\u{1b}[2J"), "{message:?}");
        }
    }

    #[test]
    fn a_generic_type_is_named_as_it_is_written() {
        // The message named `Vec<alloc::string::String>` and advised the field
        // `Option<Vec<alloc::string::String>>`, which does not compile as written.
        let message = Vec::<String>::from_cell(Cell::Empty, DataType::StringArray)
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "is empty, but `Vec<String>` cannot hold a missing value; make the field `Option<Vec<String>>`"
        );
        assert_eq!(type_name::<Box<[std::sync::Arc<str>]>>(), "Box<[Arc<str>]>");
        assert_eq!(type_name::<(u8, Option<f64>)>(), "(u8, Option<f64>)");
        assert_eq!(type_name::<i64>(), "i64");
        assert_eq!(type_name::<Datetime>(), "Datetime");
    }

    #[test]
    fn option_and_patch_tell_no_column_from_empty() {
        assert_eq!(
            Option::<i64>::from_cell(Cell::Empty, DataType::Long),
            Ok(None)
        );
        assert_eq!(
            Option::<i64>::from_cell(cell("7"), DataType::Long),
            Ok(Some(7))
        );
        assert_eq!(
            Patch::<i64>::from_cell(Cell::NoColumn, DataType::Long),
            Ok(Patch::Keep)
        );
        assert_eq!(
            Patch::<i64>::from_cell(Cell::Empty, DataType::Long),
            Ok(Patch::Clear)
        );
        assert_eq!(
            Patch::<i64>::from_cell(cell("7"), DataType::Long),
            Ok(Patch::Set(7))
        );
        const { assert!(Option::<i64>::OPTIONAL && !i64::OPTIONAL) };
    }

    #[test]
    fn arrays_decode_their_elements() {
        assert_eq!(
            Vec::<String>::from_cell(cell(r#"["a","b,c"]"#), DataType::StringArray),
            Ok(vec!["a".to_owned(), "b,c".to_owned()])
        );
        assert_eq!(
            Vec::<i32>::from_cell(cell("[1,2]"), DataType::LongArray),
            Ok(vec![1, 2])
        );
        assert_eq!(
            Vec::<f64>::from_cell(cell("[]"), DataType::DoubleArray),
            Ok(Vec::new())
        );
        assert!(Vec::<u8>::from_cell(cell("[1000]"), DataType::LongArray).is_err());
        assert_eq!(
            invalid("x", DataType::Long),
            CellError::Invalid {
                found: "x".into(),
                ty: DataType::Long
            }
        );
    }
}
