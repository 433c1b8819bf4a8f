//! `POST /api/v1/identities`, `/identities/delete` and `/user-profile` bodies
//! (`docs/protocol.md` §3.3–3.5).
//!
//! `40403 TOO_MANY_USER_PROFILES`: the documented Profile body carries one profile. A body that
//! is a JSON array of profiles, or whose `user_properties` is an array of property objects,
//! carries several: with two or more the emulator answers `40403`; with fewer it is a shape
//! error (`40000`), since only the single-profile form is documented.

use dfinery_schema::{Finding, Object, Registry};
use serde_json::{Map, Value};

use super::shape::{describe, field, no_unknown_fields, object, request_datetime};
use super::{Failure, Violations, did_you_mean, identity, join, value};
use crate::ImportCode;
use crate::model::{ServerViolation, StoredIdentity};

/// A valid `/identities` body.
#[derive(Debug, Clone)]
pub(crate) struct IdentityRequest {
    pub(crate) identity: StoredIdentity,
}

/// A valid `/identities/delete` body.
#[derive(Debug, Clone)]
pub(crate) struct DeleteRequest {
    pub(crate) external_id: String,
}

/// A valid `/user-profile` body.
#[derive(Debug, Clone)]
pub(crate) struct ProfileRequest {
    pub(crate) identity: StoredIdentity,
    pub(crate) properties: Map<String, Value>,
    /// `request_datetime` in epoch milliseconds.
    pub(crate) written_at: i128,
}

/// Checks an `/identities` body.
pub(crate) fn check_identity(body: &Value) -> Result<IdentityRequest, Failure> {
    let (identity, _) =
        identity_and_time(body, &["identity", "request_datetime"], Violations::new())?;
    Ok(IdentityRequest { identity })
}

/// Checks an `/identities/delete` body: the identity holds exactly an `external_id`.
pub(crate) fn check_delete(body: &Value) -> Result<DeleteRequest, Failure> {
    let mut violations = Violations::new();
    if let Some(identity) = body.get("identity").and_then(Value::as_object) {
        for key in identity.keys().filter(|k| k.as_str() != "external_id") {
            violations.push(ServerViolation::new(
                join("identity", key),
                "unknown_field",
                "only `external_id`: a profile is deleted by its external id",
            ));
        }
        if !identity.contains_key("external_id") {
            violations.push(ServerViolation::new(
                "identity.external_id",
                "required",
                "the required field `external_id`",
            ));
        }
    }
    let (identity, _) = identity_and_time(body, &["identity", "request_datetime"], violations)?;
    Ok(DeleteRequest {
        external_id: identity.external_id.unwrap_or_default(),
    })
}

/// Checks a `/user-profile` body against the registered user properties.
pub(crate) fn check_profile(registry: &Registry, body: &Value) -> Result<ProfileRequest, Failure> {
    if let Value::Array(profiles) = body {
        return Err(several_profiles("$", profiles));
    }
    let root = object(body, "")?;
    // The top-level shape first (§10 step 5), then the count of profiles (step 6).
    let allowed = ["identity", "user_properties", "request_datetime"];
    no_unknown_fields(root, &allowed, "")?;
    object(field(root, "identity", "")?, "identity")?;
    field(root, "request_datetime", "")?;
    let properties = match field(root, "user_properties", "")? {
        Value::Object(map) => map,
        Value::Array(profiles) => return Err(several_profiles("user_properties", profiles)),
        other => {
            return Err(Failure::bad_request(ServerViolation::new(
                "user_properties",
                "shape",
                format!(
                    "a JSON object of user properties, found {}",
                    describe(other)
                ),
            )));
        }
    };
    let mut findings = Vec::new();
    dfinery_schema::check_user_properties(registry, &Object::from_map(properties), &mut findings);
    let mut violations = Violations::new();
    for finding in findings {
        match finding {
            Finding::UnknownProperty { name, close, .. } => violations.push(ServerViolation::new(
                join("user_properties", &name),
                "unknown_property",
                format!(
                    "a user property registered in the console; `{}` is not{}",
                    name.escape_debug(),
                    did_you_mean(close)
                ),
            )),
            Finding::Invalid {
                property,
                violations: found,
                ..
            } => value::push(
                &found,
                &join("user_properties", &property.name),
                &mut violations,
            ),
            // A profile has no items or required properties: nothing else is found.
            _ => {}
        }
    }
    let (identity, written_at) = identity_and_time(body, &allowed, violations)?;
    Ok(ProfileRequest {
        identity,
        properties: properties.clone(),
        written_at,
    })
}

/// The shared part: allowed top-level fields, the identity object and `request_datetime`;
/// `violations` found by the caller are reported with these.
fn identity_and_time(
    body: &Value,
    allowed: &[&str],
    mut violations: Violations,
) -> Result<(StoredIdentity, i128), Failure> {
    let root = object(body, "")?;
    no_unknown_fields(root, allowed, "")?;
    let identity_map = object(field(root, "identity", "")?, "identity")?;
    let datetime = field(root, "request_datetime", "")?;
    let identity = identity::identity(identity_map, "identity", &mut violations);
    let written_at = request_datetime(datetime, &mut violations);
    Failure::validation(violations)?;
    Ok((identity, written_at.unwrap_or_default()))
}

/// `40403` for an array of two or more objects (profiles), a shape error for any other array
/// (`[1, 2]` holds no profile at all).
fn several_profiles(path: &str, profiles: &[Value]) -> Failure {
    let count = profiles.iter().filter(|p| p.is_object()).count();
    if count >= 2 {
        Failure::count(
            ImportCode::TooManyUserProfiles,
            ServerViolation::new(
                path,
                "count",
                format!("one profile per request, found {count}"),
            ),
        )
    } else {
        Failure::bad_request(ServerViolation::new(
            path,
            "shape",
            "a JSON object: one profile per request",
        ))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn several_profiles_are_40403_and_a_lone_array_is_a_shape_error() {
        let registry = Registry::standard();
        let one = json!({"identity": {"external_id": "a"}, "user_properties": {}, "request_datetime": "2024-06-24T06:42:25.394Z"});
        let err = check_profile(&registry, &json!([one.clone(), one.clone()])).unwrap_err();
        assert_eq!(err.code, ImportCode::TooManyUserProfiles);
        let err = check_profile(&registry, &json!([one])).unwrap_err();
        assert_eq!(err.code, ImportCode::BadRequest);
        let body = json!({"identity": {"external_id": "a"}, "user_properties": [{}, {}], "request_datetime": "2024-06-24T06:42:25.394Z"});
        assert_eq!(
            check_profile(&registry, &body).unwrap_err().code,
            ImportCode::TooManyUserProfiles
        );
        // Arrays of anything but profiles hold no profile: a shape error, not a count.
        for body in [
            json!([1, 2]),
            json!({"identity": {"external_id": "a"}, "user_properties": [1, 2], "request_datetime": "2024-06-24T06:42:25.394Z"}),
        ] {
            assert_eq!(
                check_profile(&registry, &body).unwrap_err().code,
                ImportCode::BadRequest,
                "{body}"
            );
        }
    }

    #[test]
    fn delete_needs_exactly_an_external_id() {
        let ok = json!({"identity": {"external_id": "dfn-user-123"}, "request_datetime": "2025-05-13T06:01:48.501Z"});
        assert_eq!(check_delete(&ok).unwrap().external_id, "dfn-user-123");
        let by_email =
            json!({"identity": {"email": "a@b.c"}, "request_datetime": "2025-05-13T06:01:48.501Z"});
        let err = check_delete(&by_email).unwrap_err();
        assert_eq!(err.code, ImportCode::ValidationFailure);
        let rules: Vec<_> = err.violations.iter().map(|v| v.rule.as_str()).collect();
        assert_eq!(rules, ["unknown_field", "required"]);
    }

    #[test]
    fn an_identity_violation_past_the_listed_ones_is_counted_once() {
        use crate::server::response::MAX_LISTED_VIOLATIONS;
        // The user properties fill the list, so the blank `external_id` is counted, not kept:
        // the identity was then taken for one with no violation of its own, and "at least one
        // identifier" was counted too, one violation more than the request has.
        let unknown: Map<String, Value> = (0..MAX_LISTED_VIOLATIONS)
            .map(|i| (format!("unknown_{i}"), json!(1)))
            .collect();
        let body = json!({
            "identity": {"external_id": ""},
            "user_properties": unknown,
            "request_datetime": "2024-06-24T06:42:25.394Z"
        });
        let err = check_profile(&Registry::standard(), &body).unwrap_err();
        assert_eq!(err.violations.len(), MAX_LISTED_VIOLATIONS);
        assert_eq!(
            err.omitted, 1,
            "only the blank `external_id` is past the list"
        );
        // Listed, it suppresses "at least one" as before.
        let body = json!({
            "identity": {"external_id": ""},
            "user_properties": {},
            "request_datetime": "2024-06-24T06:42:25.394Z"
        });
        let err = check_profile(&Registry::standard(), &body).unwrap_err();
        let paths: Vec<_> = err.violations.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(paths, ["identity.external_id"]);
    }

    #[test]
    fn null_clears_but_unknown_and_mistyped_properties_fail() {
        let registry = Registry::standard();
        let body = json!({
            "identity": {"external_id": "a"},
            "user_properties": {"df_gender": null, "df_gendr": "Male", "df_push_optin": "yes"},
            "request_datetime": "2024-06-24T06:42:25.394Z"
        });
        let err = check_profile(&registry, &body).unwrap_err();
        let found: Vec<_> = err
            .violations
            .iter()
            .map(|v| (v.path.as_str(), v.rule.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("user_properties.df_gendr", "unknown_property"),
                ("user_properties.df_push_optin", "type")
            ]
        );
        assert!(
            err.violations[0]
                .expected
                .ends_with("did you mean `df_gender`?")
        );
    }
}
