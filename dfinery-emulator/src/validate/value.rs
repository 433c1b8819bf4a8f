//! Property values against the registry: a `serde_json::Value` seen as a [`JsonView`] and
//! checked by [`PropertyDef::check`], so the registry's rules live in `dfinery-schema` only.

use dfinery_schema::{JsonView, PropertyDef};
use serde_json::Value;

use crate::model::ServerViolation;

/// `value` as the schema crate's view of JSON.
pub(crate) fn view(value: &Value) -> JsonView<'_> {
    match value {
        Value::Null => JsonView::Null,
        Value::Bool(b) => JsonView::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => JsonView::Integer(i),
            None if n.is_u64() => JsonView::BigInteger,
            None => JsonView::Fraction(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => JsonView::String(s),
        Value::Array(items) => JsonView::Array(items.iter().map(view).collect()),
        Value::Object(_) => JsonView::Object,
    }
}

/// Checks `value` against `property`, adding one violation per broken rule at `path`.
pub(crate) fn check(
    property: &PropertyDef,
    value: &Value,
    path: &str,
    violations: &mut Vec<ServerViolation>,
) {
    if let Err(found) = property.check(&view(value)) {
        violations.extend(
            found
                .iter()
                .map(|v| ServerViolation::new(path, v.rule(), v.to_string())),
        );
    }
}

#[cfg(test)]
mod tests {
    use dfinery_schema::DataType;
    use serde_json::json;

    use super::*;

    #[test]
    fn numbers_map_to_integer_big_integer_or_fraction() {
        assert_eq!(view(&json!(-3)), JsonView::Integer(-3));
        assert_eq!(view(&json!(u64::MAX)), JsonView::BigInteger);
        assert_eq!(view(&json!(1.0)), JsonView::Fraction(1.0));
        assert_eq!(
            view(&json!(["a", {}])),
            JsonView::Array(vec![JsonView::String("a"), JsonView::Object])
        );
    }

    #[test]
    fn each_broken_rule_becomes_a_violation_at_the_path() {
        let price = PropertyDef::new("df_price", DataType::Double);
        let mut violations = Vec::new();
        check(&price, &json!(5000), "p", &mut violations);
        assert!(violations.is_empty(), "an integer literal fits a Double");
        check(
            &price,
            &json!("5000"),
            "events[0].event_properties.df_price",
            &mut violations,
        );
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].path, "events[0].event_properties.df_price");
        assert_eq!(violations[0].rule, "type");
        assert_eq!(
            violations[0].expected,
            "expected a Double (JSON number), found a string"
        );
    }
}
