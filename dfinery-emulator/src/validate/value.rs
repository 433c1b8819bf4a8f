//! Property values against the registry: a `serde_json::Value` checked by the schema crate's
//! `Json::check`, so the registry's rules live in `dfinery-schema` only.

use super::Violations;
use crate::model::ServerViolation;

/// Adds one violation per broken rule in `found`, at `path`.
pub(crate) fn push(
    found: &[dfinery_schema::RuleViolation],
    path: &str,
    violations: &mut Violations,
) {
    violations.extend(
        found
            .iter()
            .map(|v| ServerViolation::new(path, v.rule(), v.to_string())),
    );
}

#[cfg(test)]
mod tests {
    use dfinery_schema::{DataType, Json, PropertyDef};
    use serde_json::{Value, json};

    use super::*;

    /// Checks `value` against `property`, adding one violation per broken rule at `path`.
    pub(crate) fn check(
        property: &PropertyDef,
        value: &Value,
        path: &str,
        violations: &mut Violations,
    ) {
        if let Err(found) = Json::Value(value).check(property) {
            push(&found, path, violations);
        }
    }

    #[test]
    fn each_broken_rule_becomes_a_violation_at_the_path() {
        let price = PropertyDef::new("df_price", DataType::Double);
        let mut violations = Violations::new();
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
