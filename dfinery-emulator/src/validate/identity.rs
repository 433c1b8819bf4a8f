//! The `identity` object (`docs/protocol.md` §3.1): the five identifier fields, at least one.

use dfinery_schema::protocol::Identifier;
use dfinery_schema::{IdentityMember, Object, identity_members};
use serde_json::Value;

use super::shape::kind;
use super::{Violations, did_you_mean, join};
use crate::model::{ServerViolation, StoredIdentity};

/// Reads an identity object at `path`, adding a violation per unknown field, per value that is
/// not a non-empty string, and one when no identifier is set.
pub(crate) fn identity(
    map: &serde_json::Map<String, Value>,
    path: &str,
    violations: &mut Violations,
) -> StoredIdentity {
    let mut identity = StoredIdentity::default();
    // Every violation counts, listed or not: past the listed ones, the identity's own are only
    // counted, and the scan below would not see them.
    let before = violations.len();
    for member in identity_members(&Object::from_map(map)) {
        match member {
            // `docs/protocol.md` §3.1: the country code and the number, digits only, no `+`;
            // the client's rule (`IdentityError::PhoneNo`) is 8 to 15 of them, the first not 0
            // (`IdentityError::PhoneNoWithoutCountryCode`: no country code starts with 0).
            IdentityMember::Identifier {
                field: Identifier::PhoneNo,
                value,
            } if !value.trim().is_empty() && !is_phone_no(&value) => {
                let shown: String = value.chars().take(64).collect();
                violations.push(ServerViolation::new(
                    join(path, Identifier::PhoneNo.name()),
                    "identity",
                    format!(
                        "the country code and the number as 8 to 15 digits, without `+`, spaces \
                         or dashes, e.g. `821012345678`; found `{}`{}",
                        shown.escape_debug(),
                        if value.starts_with('0') {
                            ", which starts with 0, so it has no country code"
                        } else {
                            ""
                        }
                    ),
                ));
            }
            // A blank identifier names no user: the client refuses one (`IdentityError::Empty`).
            IdentityMember::Identifier { field, value } if !value.trim().is_empty() => {
                identity.set(field, Some(value.into_owned()));
            }
            IdentityMember::Identifier { field, value } => {
                violations.push(ServerViolation::new(
                    join(path, field.name()),
                    "identity",
                    if value.is_empty() {
                        "a non-empty string; leave the field out instead"
                    } else {
                        "a string with more than white space; leave the field out instead"
                    },
                ));
            }
            IdentityMember::Unknown { field, close } => violations.push(ServerViolation::new(
                join(path, &field),
                "unknown_field",
                format!(
                    "one of `external_id`, `phone_no`, `email`, `kakao_user_id`, `line_user_id`{}",
                    did_you_mean(close)
                ),
            )),
            IdentityMember::NotAString { field, found } => violations.push(ServerViolation::new(
                join(path, field.name()),
                "type",
                format!("a String (JSON string), found {}", kind(found)),
            )),
        }
    }
    // One already found for the identity (its own, or the caller's, as a delete's missing
    // `external_id`) says enough.
    let found = violations.len() > before || violations.iter().any(|v| v.path.starts_with(path));
    if identity.is_empty() && !found {
        violations.push(ServerViolation::new(
            path,
            "identity",
            "at least one of `external_id`, `phone_no`, `email`, `kakao_user_id`, `line_user_id`",
        ));
    }
    identity
}

/// Whether `value` is a `phone_no` in DFINERY's form: 8 to 15 ASCII digits, the country code
/// first (so not a 0).
fn is_phone_no(value: &str) -> bool {
    (8..=15).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_digit())
        && !value.starts_with('0')
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(body: Value) -> (StoredIdentity, Violations) {
        let mut violations = Violations::new();
        let identity = identity(
            body.as_object().unwrap(),
            "common.identity",
            &mut violations,
        );
        (identity, violations)
    }

    #[test]
    fn known_fields_are_read() {
        let (identity, violations) =
            read(json!({"external_id": "u-1", "phone_no": "821012345678"}));
        assert!(violations.is_empty());
        assert_eq!(identity.external_id.as_deref(), Some("u-1"));
        assert_eq!(identity.phone_no.as_deref(), Some("821012345678"));
    }

    #[test]
    fn an_empty_identity_and_bad_fields_are_violations() {
        let (_, violations) = read(json!({}));
        assert_eq!(violations[0].rule, "identity");
        assert_eq!(violations[0].path, "common.identity");
        // White space alone was taken as an identifier (the client refuses it).
        let (identity, violations) = read(json!({"external_id": " \t "}));
        assert_eq!(identity.external_id, None);
        assert_eq!(
            violations[0].expected,
            "a string with more than white space; leave the field out instead"
        );
        // A phone number with `+` or separators was stored as sent (the client refuses it).
        for bad in [
            "+821012345678",
            "82 10-1234-5678",
            "1234567",
            "8210123456789012",
        ] {
            let (identity, violations) = read(json!({"external_id": "u-1", "phone_no": bad}));
            assert_eq!(identity.phone_no, None, "{bad}");
            assert_eq!(violations.len(), 1, "{bad}");
            assert_eq!(violations[0].path, "common.identity.phone_no");
            assert!(
                violations[0].expected.ends_with(&format!("found `{bad}`")),
                "{}",
                violations[0].expected
            );
        }
        // A national number without its country code was stored, though the client refuses
        // it (`IdentityError::PhoneNoWithoutCountryCode`).
        let (identity, violations) = read(json!({"external_id": "u-1", "phone_no": "01012345678"}));
        assert_eq!(identity.phone_no, None);
        assert_eq!(violations.len(), 1);
        assert!(
            violations[0]
                .expected
                .ends_with("found `01012345678`, which starts with 0, so it has no country code"),
            "{}",
            violations[0].expected
        );
        // The documented forms (`docs/protocol.md` §3.1: `821012345678`, `82212345678`, and the
        // SDK scenario's `8201012345678` with its trunk 0 kept) and the client's bounds (8 and 15
        // digits): the client sends each of them, so a refusal here would refuse its whole batch.
        for good in [
            "821012345678",
            "82212345678",
            "8201012345678",
            "12345678",
            "123456789012345",
        ] {
            let (identity, violations) = read(json!({"phone_no": good}));
            assert!(violations.is_empty(), "{good}: {violations:?}");
            assert_eq!(identity.phone_no.as_deref(), Some(good));
        }
        let (_, violations) = read(json!({"unified_id": "x", "email": 3, "external_id": ""}));
        let found: Vec<_> = violations
            .iter()
            .map(|v| (v.path.as_str(), v.rule.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("common.identity.email", "type"),
                ("common.identity.external_id", "identity"),
                ("common.identity.unified_id", "unknown_field"),
            ]
        );
    }
}
