//! Reading one export cell as a DFINERY value: [`Cell`] (what a row holds for a column),
//! [`parse_cell`] (text to [`Value`] by the registered type), and the rendering rules of the
//! export CSV: an empty field is a missing value, Booleans are `true`/`false`, Datetimes
//! `YYYY-MM-DDTHH:MM:SS.mmmZ`, arrays JSON text.

use dfinery_schema::DataType;

use super::error::{CellError, shown};
use crate::encode::value::{Date, Datetime, Value};

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
    #[inline]
    pub(crate) fn of(text: &'a str) -> Cell<'a> {
        if text.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(text)
        }
    }

    /// The text, `None` when there is no value.
    #[inline]
    pub fn text(self) -> Option<&'a str> {
        match self {
            Cell::Text(text) => Some(text),
            Cell::NoColumn | Cell::Empty => None,
        }
    }
}

/// Parses the text of a cell as a value of the registered type `ty` (what
/// `ExportRow::decode::<Option<Value>>` does with a cell).
///
/// # Errors
///
/// A [`CellError`] saying what the text is and what the type needs.
pub(crate) fn parse_cell(text: &str, ty: DataType) -> Result<Value, CellError> {
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
    if let Some(value) = plain_decimal(text.as_bytes()) {
        return Ok(value);
    }
    let looks_numeric = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'));
    match text.parse::<f64>() {
        Ok(v) if looks_numeric && v.is_finite() => Ok(v),
        _ => Err(invalid(text, DataType::Double)),
    }
}

/// The most significant digits [`plain_decimal`] reads: up to 15 digits, every integer is
/// below 2^53 and so exact in an `f64`.
const PLAIN_DIGITS: usize = 15;

/// Powers of ten exact in an `f64` (10^0 to 10^15; every one up to 10^22 is).
const EXACT_POWERS: [f64; PLAIN_DIGITS + 1] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// The common form of a Double in an export, `-?DIGITS(.DIGITS)?` with at most
/// [`PLAIN_DIGITS`] digits, read without the general float parser; `None` for any other text
/// (which [`parse_double`] hands to it).
///
/// The digits make an integer `m < 2^53` and the value is `m / 10^k` with `k <= 15`: both are
/// exact `f64`s, and one IEEE division of two exact values is correctly rounded, so the result
/// is the same `f64` as `str::parse` gives (Clinger's fast path).
fn plain_decimal(bytes: &[u8]) -> Option<f64> {
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    if digits.is_empty() || digits.len() > PLAIN_DIGITS + 1 {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut count = 0usize;
    let mut fraction: Option<usize> = None;
    for (i, &b) in digits.iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                count += 1;
            }
            // One point, with digits on both sides.
            b'.' if fraction.is_none() && i > 0 && i + 1 < digits.len() => {
                fraction = Some(digits.len() - i - 1);
            }
            _ => return None,
        }
    }
    if count > PLAIN_DIGITS {
        return None;
    }
    // `count <= 15`, so the mantissa is below 10^15 < 2^53: exact as an `f64`.
    #[allow(clippy::cast_precision_loss)]
    let value = mantissa as f64 / EXACT_POWERS[fraction.unwrap_or(0)];
    Some(if negative { -value } else { value })
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
    fn a_cell_parses_as_its_registered_type() {
        assert_eq!(
            parse_cell("5000.0", DataType::Double).unwrap(),
            Value::Double(5000.0)
        );
        assert_eq!(
            parse_cell(r#"["a","b"]"#, DataType::StringArray).unwrap(),
            Value::StringArray(vec!["a".into(), "b".into()])
        );
        assert!(parse_cell("yes", DataType::Boolean).is_err());
    }

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
    fn plain_decimals_read_as_the_float_parser_reads_them() {
        let cases = [
            "0",
            "-0",
            "5000.0",
            "49500",
            "0.1",
            "-0.3",
            "123456789012345",
            "1.00000000000001",
            "99999999999999.9",
            "0.000000000000001",
            "3.14159",
            "-2.5",
            "007",
            "0.30000000000000004",
            "1234567890123456",
            "12345678901234567890",
            "1e3",
            "+5",
            ".5",
            "5.",
            "1.2.3",
            "-",
            "",
            "1_0",
            "-.5",
            "0x10",
        ];
        for text in cases {
            let fast = plain_decimal(text.as_bytes());
            if let Some(value) = fast {
                let slow: f64 = text.parse().unwrap();
                assert_eq!(value.to_bits(), slow.to_bits(), "{text}");
            }
            // What `parse_double` accepted before the fast path existed.
            let looks_numeric = text
                .bytes()
                .all(|b| b.is_ascii_digit() || b"-+.eE".contains(&b));
            let expected = text
                .parse::<f64>()
                .ok()
                .filter(|v| looks_numeric && v.is_finite());
            assert_eq!(
                parse_double(text).ok().map(f64::to_bits),
                expected.map(f64::to_bits),
                "{text}"
            );
        }
        // The fast path takes the common forms; longer or other forms go to the parser.
        assert_eq!(plain_decimal(b"5000.0"), Some(5000.0));
        assert_eq!(
            plain_decimal(b"-0").map(f64::to_bits),
            Some((-0.0f64).to_bits())
        );
        assert_eq!(plain_decimal(b"1234567890123456"), None);
        assert_eq!(plain_decimal(b"1e3"), None);
        assert_eq!(parse_double("1e3"), Ok(1000.0));
        assert_eq!(
            parse_double("12345678901234567890"),
            Ok(12_345_678_901_234_567_890.0)
        );
    }

    proptest::proptest! {
        /// Any sign, digits and point the fast path takes gives the float parser's bits.
        #[test]
        fn plain_decimals_match_the_float_parser(
            negative: bool,
            whole in "[0-9]{1,16}",
            fraction in proptest::option::of("[0-9]{1,16}"),
        ) {
            let text = format!(
                "{}{whole}{}",
                if negative { "-" } else { "" },
                fraction.map(|f| format!(".{f}")).unwrap_or_default()
            );
            let slow: f64 = text.parse().unwrap();
            if let Some(fast) = plain_decimal(text.as_bytes()) {
                proptest::prop_assert_eq!(fast.to_bits(), slow.to_bits(), "{}", text);
            }
            proptest::prop_assert_eq!(parse_double(&text).map(f64::to_bits), Ok(slow.to_bits()));
        }
    }

    #[test]
    fn an_array_type_is_named_with_its_article() {
        // The messages read "a Array of String needs …" and "is a Array of Long, which …".
        assert_eq!(
            parse_cell("a,b", DataType::StringArray)
                .unwrap_err()
                .to_string(),
            "is `a,b`; an Array of String needs a JSON array of strings such as `[\"a\",\"b\"]`"
        );
        let wrong = CellError::WrongType {
            ty: DataType::LongArray,
            rust_type: "bool",
        };
        assert_eq!(
            wrong.to_string(),
            "is an Array of Long, which `bool` cannot hold"
        );
        let json = serde_json::json!("x");
        assert_eq!(
            Value::from_json(DataType::DoubleArray, &json)
                .unwrap_err()
                .to_string(),
            "is a JSON string; an Array of Double property needs a JSON array of numbers"
        );
        assert_eq!(
            parse_cell("x", DataType::Long).unwrap_err().to_string(),
            "is `x`; a Long needs a whole number such as `42`"
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
