//! [`Value`], the dynamic form of a DFINERY property value, and the [`Datetime`] and [`Date`]
//! types that always print in DFINERY's wire format.

mod convert;
mod date;
mod datetime;
mod decode;
mod error;
mod serialize;
mod time_error;

#[cfg(feature = "chrono")]
mod chrono;

pub use date::Date;
pub use datetime::Datetime;
pub use error::ValueError;
pub use time_error::DatetimeError;

pub(crate) use convert::f32_to_f64;
pub(crate) use error::with_article;

use dfinery_schema::DataType;

/// One DFINERY property value, tagged with its DFINERY type.
///
/// Serialises to the wire format of `docs/protocol.md` §4.1: strings, integers, numbers and booleans
/// as themselves, [`Datetime`] as `"YYYY-MM-DDTHH:MM:SS.mmmZ"`, [`Date`] as `"YYYY-MM-DD"`, arrays
/// as JSON arrays. Decode one from JSON with [`Value::from_json`], which needs the registered type
/// because a Datetime and a String look the same on the wire.
///
/// # Finite doubles
///
/// DFINERY has no NaN or infinity (JSON cannot carry them). Every checked way of building a
/// `Value` (`TryFrom<f64>`, [`Value::from_json`]) rejects them. The variants are public, so a
/// `Value::Double(f64::NAN)` can still be written by hand; it is then rejected wherever it is used:
/// serialising fails, and writing it as a property records a [`Rule::NotFinite`] violation.
///
/// [`Rule::NotFinite`]: crate::Rule::NotFinite
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A String.
    String(String),
    /// A Long (signed 64-bit integer).
    Long(i64),
    /// A Double; must be finite.
    Double(f64),
    /// A Boolean.
    Boolean(bool),
    /// A Datetime (UTC, millisecond precision).
    Datetime(Datetime),
    /// A Date.
    Date(Date),
    /// An Array of String.
    StringArray(Vec<String>),
    /// An Array of Long.
    LongArray(Vec<i64>),
    /// An Array of Double; every element must be finite.
    DoubleArray(Vec<f64>),
}

impl Value {
    /// The DFINERY type of this value.
    pub const fn data_type(&self) -> DataType {
        match self {
            Value::String(_) => DataType::String,
            Value::Long(_) => DataType::Long,
            Value::Double(_) => DataType::Double,
            Value::Boolean(_) => DataType::Boolean,
            Value::Datetime(_) => DataType::Datetime,
            Value::Date(_) => DataType::Date,
            Value::StringArray(_) => DataType::StringArray,
            Value::LongArray(_) => DataType::LongArray,
            Value::DoubleArray(_) => DataType::DoubleArray,
        }
    }

    /// Checks the one rule a `Value` carries by itself: doubles are finite.
    ///
    /// # Errors
    ///
    /// [`ValueError::NotFinite`] naming the offending number (and its index in an array).
    pub(crate) fn check_finite(&self) -> Result<(), ValueError> {
        match self {
            Value::Double(v) => error::finite(*v).map(drop),
            Value::DoubleArray(values) => values
                .iter()
                .enumerate()
                .try_for_each(|(index, v)| error::finite_element(index, *v).map(drop)),
            _ => Ok(()),
        }
    }
}
