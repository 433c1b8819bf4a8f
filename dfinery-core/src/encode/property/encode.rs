//! The checked writers for each DFINERY type: check the type and the rules of a
//! [`PropertySpec`], then append the wire JSON.

use dfinery_schema::DataType;

use super::{PropertySpec, Rule, Scope};
use crate::encode::json;
use crate::encode::value::{Date, Datetime};

/// [`Rule::WrongType`] unless `spec` is of type `ty`.
#[inline]
pub(crate) fn expect_type(spec: &PropertySpec, ty: DataType) -> Result<(), Rule> {
    if spec.ty == ty {
        Ok(())
    } else {
        Err(Rule::WrongType {
            expected: spec.ty,
            found: ty,
        })
    }
}

/// Checks `max_len` (in characters) and the enum values of `spec` against `s`.
#[inline]
pub(crate) fn check_str(spec: &PropertySpec, s: &str) -> Result<(), Rule> {
    if let Some(max) = spec.max_len {
        // A string of at most `max` bytes has at most `max` characters: skip the count.
        if s.len() > max {
            let chars = s.chars().count();
            if chars > max {
                return Err(Rule::TooLong { chars, max });
            }
        }
    }
    if !spec.enum_values.is_empty() && !spec.enum_values.contains(&s) {
        return Err(Rule::NotInEnum {
            found: s.to_owned(),
            allowed: spec.enum_values,
        });
    }
    Ok(())
}

/// [`Rule::NotFinite`] unless `value` is finite.
#[inline]
pub(crate) fn check_finite(value: f64) -> Result<(), Rule> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(Rule::NotFinite { found: value })
    }
}

/// Writes a String value after checking its type, `max_len` and enum values.
///
/// # Errors
///
/// [`Rule::WrongType`], [`Rule::TooLong`] or [`Rule::NotInEnum`].
#[inline]
pub(crate) fn write_str(spec: &PropertySpec, value: &str, out: &mut Vec<u8>) -> Result<(), Rule> {
    expect_type(spec, DataType::String)?;
    check_str(spec, value)?;
    json::push_str(out, value);
    Ok(())
}

/// Writes a Long value after checking its type.
///
/// # Errors
///
/// [`Rule::WrongType`].
#[inline]
pub(crate) fn write_long(spec: &PropertySpec, value: i64, out: &mut Vec<u8>) -> Result<(), Rule> {
    expect_type(spec, DataType::Long)?;
    json::push_i64(out, value);
    Ok(())
}

/// Writes a Double value after checking its type and that it is finite.
///
/// # Errors
///
/// [`Rule::WrongType`] or [`Rule::NotFinite`].
#[inline]
pub(crate) fn write_double(spec: &PropertySpec, value: f64, out: &mut Vec<u8>) -> Result<(), Rule> {
    expect_type(spec, DataType::Double)?;
    check_finite(value)?;
    json::push_f64(out, value);
    Ok(())
}

/// Writes an `f32` as a Double in its shortest form (`0.1_f32` is `0.1`).
#[inline]
pub(crate) fn write_f32(spec: &PropertySpec, value: f32, out: &mut Vec<u8>) -> Result<(), Rule> {
    expect_type(spec, DataType::Double)?;
    check_finite(f64::from(value))?;
    json::push_f32(out, value);
    Ok(())
}

/// Writes a Boolean value after checking its type.
///
/// # Errors
///
/// [`Rule::WrongType`].
#[inline]
pub(crate) fn write_bool(spec: &PropertySpec, value: bool, out: &mut Vec<u8>) -> Result<(), Rule> {
    expect_type(spec, DataType::Boolean)?;
    json::push_bool(out, value);
    Ok(())
}

/// Writes a Datetime value (`"YYYY-MM-DDTHH:MM:SS.mmmZ"`) after checking its type.
///
/// # Errors
///
/// [`Rule::WrongType`].
pub(crate) fn write_datetime(
    spec: &PropertySpec,
    value: Datetime,
    out: &mut Vec<u8>,
) -> Result<(), Rule> {
    expect_type(spec, DataType::Datetime)?;
    json::push_display_str(out, value);
    Ok(())
}

/// Writes a Date value (`"YYYY-MM-DD"`) after checking its type.
///
/// # Errors
///
/// [`Rule::WrongType`].
pub(crate) fn write_date(spec: &PropertySpec, value: Date, out: &mut Vec<u8>) -> Result<(), Rule> {
    expect_type(spec, DataType::Date)?;
    json::push_display_str(out, value);
    Ok(())
}

/// Writes `null`, which clears a user property (`docs/design.md`: null clears).
///
/// # Errors
///
/// [`Rule::NullOutsideUserProperties`] for event and item properties.
pub(crate) fn write_null(spec: &PropertySpec, out: &mut Vec<u8>) -> Result<(), Rule> {
    if spec.scope != Scope::User {
        return Err(Rule::NullOutsideUserProperties);
    }
    out.extend_from_slice(b"null");
    Ok(())
}
