//! [`DataType::check`]: does a JSON value have the shape a DFINERY type needs?

use std::fmt;

use crate::protocol::{is_wire_date, is_wire_datetime};
use crate::{DataType, JsonView};

/// A JSON value of the wrong shape for a property's type; see [`DataType::check`].
///
/// Displays as e.g. ``expected a Double (JSON number), found a string``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeMismatch {
    /// The registered type.
    pub expected: DataType,
    /// What was found instead, e.g. `a string`, `null`, `an integer at index 2`.
    pub found: String,
}

impl fmt::Display for TypeMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "expected {}, found {}",
            expected_text(self.expected),
            self.found
        )
    }
}

impl std::error::Error for TypeMismatch {}

/// The expected shape in words, with its article.
fn expected_text(ty: DataType) -> &'static str {
    match ty {
        DataType::String => "a String (JSON string)",
        DataType::Long => "a Long (JSON integer)",
        DataType::Double => "a Double (JSON number)",
        DataType::Boolean => "a Boolean (`true` or `false`)",
        DataType::Datetime => "a Datetime (string `YYYY-MM-DDTHH:MM:SS.mmmZ`)",
        DataType::Date => "a Date (string `YYYY-MM-DD`)",
        DataType::StringArray => "an Array of String (JSON array of strings)",
        DataType::LongArray => "an Array of Long (JSON array of integers)",
        DataType::DoubleArray => "an Array of Double (JSON array of numbers)",
    }
}

impl DataType {
    /// Whether a JSON value of this shape may fill a property of this type (`docs/design.md`).
    ///
    /// - an integer literal fits `Double`; a fractional number (even `1.0`) never fits `Long`;
    /// - `Datetime` and `Date` need strings in the wire format ([`crate::protocol`]);
    /// - an array fits when every element fits the element type (an empty array fits);
    /// - `null` never fits: clearing a user property with `null` is the caller's decision.
    ///
    /// Only the shape is checked here; [`PropertyDef::check`](crate::PropertyDef::check) adds
    /// the registry's and DFINERY's value rules.
    ///
    /// ```
    /// use dfinery_schema::{DataType, JsonView};
    /// assert!(DataType::Double.check(&JsonView::Integer(5000)).is_ok());
    /// let err = DataType::Double.check(&JsonView::String("5000")).unwrap_err();
    /// assert_eq!(err.to_string(), "expected a Double (JSON number), found a string");
    /// ```
    pub fn check(self, value: &JsonView<'_>) -> Result<(), TypeMismatch> {
        match (self.element(), value) {
            (Some(element), JsonView::Array(items)) => {
                for (index, item) in items.iter().enumerate() {
                    if let Some(found) = scalar_mismatch(element, item) {
                        return Err(TypeMismatch {
                            expected: self,
                            found: format!("{found} at index {index}"),
                        });
                    }
                }
                Ok(())
            }
            (Some(_), other) => Err(TypeMismatch {
                expected: self,
                found: other.describe().to_owned(),
            }),
            (None, value) => match scalar_mismatch(self, value) {
                Some(found) => Err(TypeMismatch {
                    expected: self,
                    found,
                }),
                None => Ok(()),
            },
        }
    }
}

/// What is wrong with `value` for the scalar type `ty`, `None` when it fits.
fn scalar_mismatch(ty: DataType, value: &JsonView<'_>) -> Option<String> {
    let fits = match (ty, value) {
        (DataType::String, JsonView::String(_)) => true,
        (DataType::Long, JsonView::Integer(_)) => true,
        (DataType::Double, JsonView::Integer(_) | JsonView::BigInteger) => true,
        (DataType::Double, JsonView::Fraction(f)) => f.is_finite(),
        (DataType::Boolean, JsonView::Bool(_)) => true,
        (DataType::Datetime, JsonView::String(s)) => {
            return (!is_wire_datetime(s)).then(|| badly_formatted(s));
        }
        (DataType::Date, JsonView::String(s)) => {
            return (!is_wire_date(s)).then(|| badly_formatted(s));
        }
        _ => false,
    };
    (!fits).then(|| match value {
        JsonView::Fraction(f) if !f.is_finite() => "a non-finite number".to_owned(),
        other => other.describe().to_owned(),
    })
}

fn badly_formatted(s: &str) -> String {
    const SHOWN: usize = 40;
    let shown: String = s.chars().take(SHOWN).collect();
    let more = if s.chars().count() > SHOWN { "…" } else { "" };
    format!(
        "`{}{more}`, which is not in that format",
        shown.escape_debug()
    )
}
