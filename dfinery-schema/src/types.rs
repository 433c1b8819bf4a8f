//! The DFINERY data types a registered property can have (`docs/protocol.md` §4.1).

use std::fmt;
use std::str::FromStr;

/// The type of a registered DFINERY property.
///
/// In `dfinery.toml` each is written in lower case: `string`, `long`, `double`, `boolean`,
/// `datetime`, `date`, `array<string>`, `array<long>`, `array<double>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DataType {
    /// A JSON string.
    String,
    /// A signed 64-bit integer, sent as a JSON integer.
    Long,
    /// A finite IEEE-754 double, sent as a JSON number.
    Double,
    /// `true` or `false`.
    Boolean,
    /// A UTC instant, sent as a string `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    Datetime,
    /// A calendar date, sent as a string `YYYY-MM-DD`.
    Date,
    /// A JSON array of strings.
    StringArray,
    /// A JSON array of integers.
    LongArray,
    /// A JSON array of numbers.
    DoubleArray,
}

impl DataType {
    /// Every data type, in the order of `docs/protocol.md` §4.1.
    pub const ALL: [DataType; 9] = [
        DataType::String,
        DataType::Long,
        DataType::Double,
        DataType::Boolean,
        DataType::Datetime,
        DataType::Date,
        DataType::StringArray,
        DataType::LongArray,
        DataType::DoubleArray,
    ];

    /// The spelling used in `dfinery.toml`, e.g. `array<string>`.
    pub const fn registry_name(self) -> &'static str {
        match self {
            DataType::String => "string",
            DataType::Long => "long",
            DataType::Double => "double",
            DataType::Boolean => "boolean",
            DataType::Datetime => "datetime",
            DataType::Date => "date",
            DataType::StringArray => "array<string>",
            DataType::LongArray => "array<long>",
            DataType::DoubleArray => "array<double>",
        }
    }

    /// The name DFINERY's documentation and console use, e.g. `Array of String`.
    pub const fn display_name(self) -> &'static str {
        match self {
            DataType::String => "String",
            DataType::Long => "Long",
            DataType::Double => "Double",
            DataType::Boolean => "Boolean",
            DataType::Datetime => "Datetime",
            DataType::Date => "Date",
            DataType::StringArray => "Array of String",
            DataType::LongArray => "Array of Long",
            DataType::DoubleArray => "Array of Double",
        }
    }

    /// The name of the `DataType` variant, e.g. `StringArray`: what generated code names.
    pub const fn variant_name(self) -> &'static str {
        match self {
            DataType::String => "String",
            DataType::Long => "Long",
            DataType::Double => "Double",
            DataType::Boolean => "Boolean",
            DataType::Datetime => "Datetime",
            DataType::Date => "Date",
            DataType::StringArray => "StringArray",
            DataType::LongArray => "LongArray",
            DataType::DoubleArray => "DoubleArray",
        }
    }

    /// Whether this is one of the three array types.
    pub const fn is_array(self) -> bool {
        matches!(
            self,
            DataType::StringArray | DataType::LongArray | DataType::DoubleArray
        )
    }

    /// The element type of an array type, `None` for a scalar type.
    pub const fn element(self) -> Option<DataType> {
        match self {
            DataType::StringArray => Some(DataType::String),
            DataType::LongArray => Some(DataType::Long),
            DataType::DoubleArray => Some(DataType::Double),
            _ => None,
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

/// The error of [`DataType::from_str`]: the text is not one of the registry type names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownDataType(pub String);

impl fmt::Display for UnknownDataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown type `{}`; expected one of `string`, `long`, `double`, `boolean`, `datetime`, `date`, `array<string>`, `array<long>`, `array<double>`",
            self.0
        )
    }
}

impl std::error::Error for UnknownDataType {}

impl FromStr for DataType {
    type Err = UnknownDataType;

    /// Parses the `dfinery.toml` spelling; white space around the name and beside the `<` and
    /// `>` of `array< … >` is allowed, not inside a name (`str ing` is no type).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let compact = s
            .trim()
            .split('<')
            .map(|part| part.split('>').map(str::trim).collect::<Vec<_>>().join(">"))
            .collect::<Vec<_>>()
            .join("<");
        DataType::ALL
            .into_iter()
            .find(|t| t.registry_name() == compact)
            .ok_or_else(|| UnknownDataType(s.to_owned()))
    }
}
