//! Structural checks shared by the request kinds: objects, required fields, unknown fields and
//! the `request_datetime` field.

use dfinery_schema::Json;
use serde_json::{Map, Value};

use super::{Failure, Violations, did_you_mean, join};
use crate::model::ServerViolation;

/// `value` as an object, else `40000` at `path`.
pub(crate) fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, Failure> {
    value.as_object().ok_or_else(|| {
        Failure::bad_request(ServerViolation::new(
            or_root(path),
            "shape",
            format!("a JSON object, found {}", describe(value)),
        ))
    })
}

/// The required field `key` of `map`, else `40000`.
pub(crate) fn field<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    parent: &str,
) -> Result<&'a Value, Failure> {
    map.get(key).ok_or_else(|| {
        Failure::bad_request(ServerViolation::new(
            join(parent, key),
            "shape",
            format!("a required field `{key}`"),
        ))
    })
}

/// `40000` for the first key of `map` not in `allowed`.
pub(crate) fn no_unknown_fields(
    map: &Map<String, Value>,
    allowed: &[&str],
    parent: &str,
) -> Result<(), Failure> {
    match unknown_field(map, allowed, parent) {
        Some(violation) => Err(Failure::bad_request(violation)),
        None => Ok(()),
    }
}

/// A violation for the first key of `map` not in `allowed`, with a suggestion.
pub(crate) fn unknown_field(
    map: &Map<String, Value>,
    allowed: &[&str],
    parent: &str,
) -> Option<ServerViolation> {
    map.keys()
        .find(|k| !allowed.contains(&k.as_str()))
        .map(|key| {
            ServerViolation::new(
                join(parent, key),
                "unknown_field",
                format!(
                    "one of {}{}",
                    quoted(allowed),
                    did_you_mean(dfinery_schema::suggest(key, allowed.iter().copied()))
                ),
            )
        })
}

/// Checks a `request_datetime` value; returns its instant in epoch milliseconds.
pub(crate) fn request_datetime(value: &Value, violations: &mut Violations) -> Option<i128> {
    let path = "request_datetime";
    let Some(text) = value.as_str() else {
        violations.push(ServerViolation::new(
            path,
            "type",
            format!(
                "a Datetime string `YYYY-MM-DDTHH:MM:SS.mmmZ`, found {}",
                describe(value)
            ),
        ));
        return None;
    };
    match datetime_ms(text) {
        Some(ms) => Some(ms),
        None => {
            violations.push(ServerViolation::new(
                path,
                "datetime",
                format!(
                    "a UTC Datetime `YYYY-MM-DDTHH:MM:SS.mmmZ`, found `{}`",
                    text.escape_debug()
                ),
            ));
            None
        }
    }
}

/// The instant of a wire Datetime in epoch milliseconds, `None` when it is not one.
pub(crate) fn datetime_ms(text: &str) -> Option<i128> {
    dfinery_schema::protocol::WireDatetime::parse(text).map(|at| i128::from(at.unix_millis()))
}

/// What a JSON value is, for messages.
pub(crate) fn describe(value: &Value) -> &'static str {
    kind(Json::Value(value))
}

/// What a JSON value is, for messages: any number is `a number`.
pub(crate) fn kind(value: Json<'_>) -> &'static str {
    if value.is_number() {
        "a number"
    } else {
        value.describe()
    }
}

fn or_root(path: &str) -> &str {
    if path.is_empty() { "$" } else { path }
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn unknown_fields_name_the_allowed_ones_and_the_closest() {
        let body = json!({"identty": {}});
        let violation = unknown_field(
            body.as_object().unwrap(),
            &["identity", "request_datetime"],
            "",
        )
        .unwrap();
        assert_eq!(violation.path, "identty");
        assert_eq!(
            violation.expected,
            "one of `identity`, `request_datetime`; did you mean `identity`?"
        );
    }

    #[test]
    fn request_datetime_accepts_the_wire_forms_only() {
        let mut violations = Violations::new();
        assert_eq!(
            request_datetime(&json!("1970-01-01T00:00:01.500Z"), &mut violations),
            Some(1_500)
        );
        assert_eq!(
            request_datetime(&json!("1970-01-01T00:00:02Z"), &mut violations),
            Some(2_000)
        );
        assert!(violations.is_empty());
        assert_eq!(
            request_datetime(&json!("2024-06-24T06:42:25+09:00"), &mut violations),
            None
        );
        assert_eq!(
            request_datetime(&json!(1_719_210_145_000_i64), &mut violations),
            None
        );
        let rules: Vec<_> = violations.iter().map(|v| v.rule.as_str()).collect();
        assert_eq!(rules, ["datetime", "type"]);
    }
}
