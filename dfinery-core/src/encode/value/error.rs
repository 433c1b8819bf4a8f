//! [`ValueError`]: why a Rust or JSON value cannot become a DFINERY [`Value`](super::Value).

use dfinery_schema::DataType;

use super::DatetimeError;

/// Why a Rust or JSON value cannot become a DFINERY [`Value`](super::Value).
///
/// Messages are predicates meant to follow the name of the value, e.g.
/// ``"`df_price`: must be a finite number (found NaN)"``.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// A Double that is NaN or infinite; DFINERY (and JSON) cannot carry it.
    #[error("must be a finite number (found {found})")]
    NotFinite {
        /// The number that was given.
        found: f64,
    },
    /// An integer larger than the largest Long, or smaller than the smallest.
    #[error(
        "is {found}, {}; store it as a String or a Double",
        if found.starts_with('-') {
            format!("smaller than the smallest Long ({})", i64::MIN)
        } else {
            format!("larger than the largest Long ({})", i64::MAX)
        }
    )]
    LongOutOfRange {
        /// The integer, as text.
        found: String,
    },
    /// A JSON number with a fraction (or exponent) where a Long is needed.
    #[error("is {found}; a Long needs a whole number such as `42`")]
    NotAnInteger {
        /// The number, as JSON text.
        found: String,
    },
    /// A JSON value of the wrong kind for the registered type.
    #[error("is {found}; {} property needs {}", with_article(*expected), json_form(*expected))]
    WrongJsonType {
        /// The registered type.
        expected: DataType,
        /// What was found, e.g. `a JSON string`.
        found: &'static str,
    },
    /// A text that is not a Datetime or Date.
    #[error(transparent)]
    Datetime(#[from] DatetimeError),
    /// One element of an array is invalid.
    #[error("element {index} {error}")]
    Element {
        /// The element's index, from 0.
        index: usize,
        /// What is wrong with it.
        error: Box<ValueError>,
    },
}

impl From<std::convert::Infallible> for ValueError {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

/// `ty`'s name after its article, for messages: `a Long`, `an Array of String`.
pub(crate) const fn with_article(ty: DataType) -> &'static str {
    match ty {
        DataType::String => "a String",
        DataType::Long => "a Long",
        DataType::Double => "a Double",
        DataType::Boolean => "a Boolean",
        DataType::Datetime => "a Datetime",
        DataType::Date => "a Date",
        DataType::StringArray => "an Array of String",
        DataType::LongArray => "an Array of Long",
        DataType::DoubleArray => "an Array of Double",
    }
}

/// How a value of `ty` is written in JSON, for messages.
pub(crate) const fn json_form(ty: DataType) -> &'static str {
    match ty {
        DataType::String => "a JSON string",
        DataType::Long => "a JSON integer",
        DataType::Double => "a JSON number",
        DataType::Boolean => "`true` or `false`",
        DataType::Datetime => "a string such as `2024-06-24T06:01:48.501Z`",
        DataType::Date => "a string such as `2024-08-25`",
        DataType::StringArray => "a JSON array of strings",
        DataType::LongArray => "a JSON array of integers",
        DataType::DoubleArray => "a JSON array of numbers",
    }
}

/// `value` itself when finite, else [`ValueError::NotFinite`].
pub(crate) fn finite(value: f64) -> Result<f64, ValueError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(ValueError::NotFinite { found: value })
    }
}

/// Like [`finite`], for element `index` of an array.
pub(crate) fn finite_element(index: usize, value: f64) -> Result<f64, ValueError> {
    finite(value).map_err(|error| ValueError::Element {
        index,
        error: Box::new(error),
    })
}
