//! [`Value::from_json`]: decoding a JSON value as a given DFINERY type.

use dfinery_schema::DataType;
use serde_json::Value as Json;

use super::error::{ValueError, finite};
use super::{Date, Datetime, Value};

impl Value {
    /// Decodes `json` as a value of the registered type `ty`, the way the DFINERY server reads
    /// a property (`docs/protocol.md` §4, `docs/design.md` "Decisions"):
    ///
    /// - a Double accepts any JSON number, integers included;
    /// - a Long accepts only integers (`1.0` and `1e3` are rejected) that fit an `i64`;
    /// - a Datetime accepts only the two wire forms of [`Datetime::parse_wire`];
    /// - a Date accepts only `YYYY-MM-DD`;
    /// - `null` is rejected (clearing a user property with `null` is the caller's decision).
    ///
    /// # Errors
    ///
    /// A [`ValueError`] saying what was found and what the type needs; for an array, which
    /// element is wrong.
    pub fn from_json(ty: DataType, json: &Json) -> Result<Value, ValueError> {
        match ty {
            DataType::String => string(ty, json).map(|s| Value::String(s.to_owned())),
            DataType::Long => long(ty, json).map(Value::Long),
            DataType::Double => double(ty, json).map(Value::Double),
            DataType::Boolean => json
                .as_bool()
                .map(Value::Boolean)
                .ok_or_else(|| wrong(ty, json)),
            DataType::Datetime => Ok(Value::Datetime(Datetime::parse_wire(string(ty, json)?)?)),
            DataType::Date => Ok(Value::Date(string(ty, json)?.parse::<Date>()?)),
            DataType::StringArray => array(ty, json, |json| {
                string(DataType::String, json).map(str::to_owned)
            })
            .map(Value::StringArray),
            DataType::LongArray => {
                array(ty, json, |json| long(DataType::Long, json)).map(Value::LongArray)
            }
            DataType::DoubleArray => {
                array(ty, json, |json| double(DataType::Double, json)).map(Value::DoubleArray)
            }
        }
    }
}

fn string(ty: DataType, json: &Json) -> Result<&str, ValueError> {
    json.as_str().ok_or_else(|| wrong(ty, json))
}

fn long(ty: DataType, json: &Json) -> Result<i64, ValueError> {
    let Json::Number(n) = json else {
        return Err(wrong(ty, json));
    };
    // An integer literal past `u64` (or below `i64::MIN`) reaches here as a float, as serde_json
    // reads it: a whole number no Long holds, not a fraction.
    let whole_past_i64 = n
        .as_f64()
        .filter(|f| f.fract() == 0.0 && f.abs() >= 9_223_372_036_854_775_808.0);
    if let Some(v) = n.as_i64() {
        Ok(v)
    } else if n.is_u64() {
        Err(ValueError::LongOutOfRange {
            found: n.to_string(),
        })
    } else if let Some(whole) = whole_past_i64 {
        // Its digits, as written (to a float's precision), not `1e+20`.
        Err(ValueError::LongOutOfRange {
            found: format!("{whole:.0}"),
        })
    } else {
        Err(ValueError::NotAnInteger {
            found: n.to_string(),
        })
    }
}

fn double(ty: DataType, json: &Json) -> Result<f64, ValueError> {
    match json {
        Json::Number(n) => n.as_f64().map_or_else(
            || {
                Err(ValueError::NotFinite {
                    found: f64::INFINITY,
                })
            },
            finite,
        ),
        _ => Err(wrong(ty, json)),
    }
}

fn array<T>(
    ty: DataType,
    json: &Json,
    element: impl Fn(&Json) -> Result<T, ValueError>,
) -> Result<Vec<T>, ValueError> {
    let Json::Array(items) = json else {
        return Err(wrong(ty, json));
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            element(item).map_err(|error| ValueError::Element {
                index,
                error: Box::new(error),
            })
        })
        .collect()
}

fn wrong(expected: DataType, json: &Json) -> ValueError {
    ValueError::WrongJsonType {
        expected,
        found: json_kind(json),
    }
}

/// What kind of JSON value `json` is, for messages.
pub(crate) fn json_kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "`null`",
        Json::Bool(_) => "a JSON boolean",
        Json::Number(n) if n.is_f64() => "a JSON number with a fraction",
        Json::Number(_) => "a JSON integer",
        Json::String(_) => "a JSON string",
        Json::Array(_) => "a JSON array",
        Json::Object(_) => "a JSON object",
    }
}
