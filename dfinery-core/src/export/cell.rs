//! Reading one export cell as a DFINERY value: [`Cell`] (what a row holds for a column),
//! [`parse_cell`] (text to [`Value`] by the registered type), and the rendering rules of the
//! export CSV: an empty field is a missing value, Booleans are `true`/`false`, Datetimes
//! `YYYY-MM-DDTHH:MM:SS.mmmZ`, arrays JSON text.

use dfinery_schema::DataType;

use super::error::{CellError, shown};
use crate::value::{Date, Datetime, Value};

/// What a row holds for one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell<'a> {
    /// The export has no such column (a filter left it out).
    NoColumn,
    /// An empty field: no value.
    Empty,
    /// A value, as text.
    Text(&'a str),
}

impl<'a> Cell<'a> {
    /// The cell of `text` (empty text is [`Cell::Empty`]).
    pub fn of(text: &'a str) -> Cell<'a> {
        if text.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(text)
        }
    }

    /// The text, `None` when there is no value.
    pub fn text(self) -> Option<&'a str> {
        match self {
            Cell::Text(text) => Some(text),
            Cell::NoColumn | Cell::Empty => None,
        }
    }
}

/// Parses the text of a cell as a value of the registered type `ty`.
///
/// ```
/// use dfinery_core::{DataType, Value};
/// use dfinery_core::export::parse_cell;
///
/// assert_eq!(parse_cell("5000.0", DataType::Double)?, Value::Double(5000.0));
/// assert_eq!(parse_cell(r#"["a","b"]"#, DataType::StringArray)?, Value::StringArray(vec!["a".into(), "b".into()]));
/// assert!(parse_cell("yes", DataType::Boolean).is_err());
/// # Ok::<(), dfinery_core::export::CellError>(())
/// ```
///
/// # Errors
///
/// A [`CellError`] saying what the text is and what the type needs.
pub fn parse_cell(text: &str, ty: DataType) -> Result<Value, CellError> {
    Ok(match ty {
        DataType::String => Value::String(text.to_owned()),
        DataType::Long => Value::Long(parse_long(text)?),
        DataType::Double => Value::Double(parse_double(text)?),
        DataType::Boolean => Value::Boolean(parse_bool(text)?),
        DataType::Datetime => Value::Datetime(Datetime::parse_wire(text)?),
        DataType::Date => Value::Date(text.parse::<Date>()?),
        DataType::StringArray | DataType::LongArray | DataType::DoubleArray => {
            let json: serde_json::Value =
                serde_json::from_str(text).map_err(|_| invalid(text, ty))?;
            Value::from_json(ty, &json)?
        }
    })
}

/// A Long: a whole number in `i64`.
pub(crate) fn parse_long(text: &str) -> Result<i64, CellError> {
    text.parse::<i64>()
        .map_err(|_| invalid(text, DataType::Long))
}

/// A Double: a finite number (integers accepted).
pub(crate) fn parse_double(text: &str) -> Result<f64, CellError> {
    let looks_numeric = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'));
    match text.parse::<f64>() {
        Ok(v) if looks_numeric && v.is_finite() => Ok(v),
        _ => Err(invalid(text, DataType::Double)),
    }
}

/// A Boolean: `true` or `false`, in any case.
pub(crate) fn parse_bool(text: &str) -> Result<bool, CellError> {
    if text.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if text.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(invalid(text, DataType::Boolean))
    }
}

/// [`CellError::Invalid`] for `text`.
pub(crate) fn invalid(text: &str, ty: DataType) -> CellError {
    CellError::Invalid {
        found: shown(text),
        ty,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_parses_its_rendering() {
        assert_eq!(
            parse_cell("x,y", DataType::String).unwrap(),
            Value::String("x,y".into())
        );
        assert_eq!(parse_cell("-42", DataType::Long).unwrap(), Value::Long(-42));
        assert_eq!(
            parse_cell("2", DataType::Double).unwrap(),
            Value::Double(2.0)
        );
        assert_eq!(
            parse_cell("TRUE", DataType::Boolean).unwrap(),
            Value::Boolean(true)
        );
        assert_eq!(
            parse_cell("2024-06-24T06:01:48.501Z", DataType::Datetime).unwrap(),
            Value::Datetime(Datetime::parse_wire("2024-06-24T06:01:48.501Z").unwrap())
        );
        assert_eq!(
            parse_cell("1999-01-01", DataType::Date).unwrap(),
            Value::Date(Date::from_ymd(1999, 1, 1).unwrap())
        );
        assert_eq!(
            parse_cell("[1,2]", DataType::LongArray).unwrap(),
            Value::LongArray(vec![1, 2])
        );
        assert_eq!(
            parse_cell("[0.5,1]", DataType::DoubleArray).unwrap(),
            Value::DoubleArray(vec![0.5, 1.0])
        );
    }

    #[test]
    fn bad_text_says_what_the_type_needs() {
        assert_eq!(
            parse_cell("1.5", DataType::Long).unwrap_err().to_string(),
            "is `1.5`; a Long needs a whole number such as `42`"
        );
        assert!(parse_cell("NaN", DataType::Double).is_err());
        assert!(parse_cell("inf", DataType::Double).is_err());
        assert!(parse_cell("[1.5]", DataType::LongArray).is_err());
        assert!(parse_cell("a,b", DataType::StringArray).is_err());
        assert!(parse_cell("2024-06-24 06:01:48", DataType::Datetime).is_err());
    }
}
