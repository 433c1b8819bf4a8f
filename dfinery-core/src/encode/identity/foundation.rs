//! `Identity` and `ExternalId`: never empty, `phone_no` in DFINERY's form, checked on the way in.

use dfinery_core::{ExternalId, Identifier, Identity, IdentityError};
use serde_json::json;

#[test]
fn each_identifier_can_start_an_identity() {
    let cases = [
        (Identity::new(Identifier::ExternalId, "u-1"), "external_id"),
        (
            Identity::new(Identifier::PhoneNo, "821012345678"),
            "phone_no",
        ),
        (Identity::new(Identifier::Email, "dfn@gmail.com"), "email"),
        (
            Identity::new(Identifier::KakaoUserId, "k-1"),
            "kakao_user_id",
        ),
        (Identity::new(Identifier::LineUserId, "l-1"), "line_user_id"),
    ];
    for (identity, field) in cases {
        let json = serde_json::to_value(identity.unwrap()).unwrap();
        let object = json.as_object().unwrap();
        assert_eq!(object.len(), 1, "{json}");
        assert!(object.contains_key(field), "{json}");
    }
}

#[test]
fn adders_add_and_getters_read() {
    let identity = Identity::new(Identifier::Email, "a@b.c")
        .and_then(|i| i.with(Identifier::ExternalId, "u-1"))
        .and_then(|i| i.with(Identifier::KakaoUserId, "k"))
        .and_then(|i| i.with(Identifier::LineUserId, "l"))
        .and_then(|i| i.with(Identifier::PhoneNo, "82212345678"))
        .unwrap();
    assert_eq!(identity.get(Identifier::ExternalId), Some("u-1"));
    assert_eq!(identity.get(Identifier::Email), Some("a@b.c"));
    assert_eq!(identity.get(Identifier::PhoneNo), Some("82212345678"));
    assert_eq!(identity.get(Identifier::KakaoUserId), Some("k"));
    assert_eq!(identity.get(Identifier::LineUserId), Some("l"));
    let only_external = Identity::from(ExternalId::new("u-2").unwrap());
    assert_eq!(only_external.get(Identifier::ExternalId), Some("u-2"));
    assert_eq!(only_external.get(Identifier::Email), None);
}

#[test]
fn empty_identifiers_are_rejected() {
    assert_eq!(
        Identity::new(Identifier::ExternalId, ""),
        Err(IdentityError::Empty {
            field: "external_id"
        })
    );
    assert_eq!(
        Identity::new(Identifier::Email, "  \t"),
        Err(IdentityError::Empty { field: "email" })
    );
    let base = Identity::new(Identifier::ExternalId, "u").unwrap();
    assert_eq!(
        base.clone().with(Identifier::KakaoUserId, ""),
        Err(IdentityError::Empty {
            field: "kakao_user_id"
        })
    );
    assert_eq!(
        base.with(Identifier::LineUserId, " "),
        Err(IdentityError::Empty {
            field: "line_user_id"
        })
    );
    assert_eq!(
        IdentityError::Empty { field: "email" }.to_string(),
        "`email` is empty; give a non-empty value or leave the identifier out"
    );
}

#[test]
fn phone_numbers_are_country_code_and_digits_only() {
    for good in [
        "821012345678",
        "82212345678",
        "8201012345678",
        "12345678",
        "123456789012345",
    ] {
        assert!(Identity::new(Identifier::PhoneNo, good).is_ok(), "{good}");
    }
    for bad in [
        "+821012345678",
        "82-10-1234-5678",
        "82 10 1234 5678",
        "1234567",
        "1234567890123456",
        "８２１０１２３４５６７８",
        "82101234567a",
    ] {
        assert_eq!(
            Identity::new(Identifier::PhoneNo, bad),
            Err(IdentityError::PhoneNo { found: bad.into() }),
            "{bad}"
        );
    }
    assert_eq!(
        Identity::new(Identifier::PhoneNo, ""),
        Err(IdentityError::Empty { field: "phone_no" })
    );
    // A national number without its country code was accepted, and stored as a number of
    // country "0".
    for national in ["01012345678", "0212345678"] {
        let error = Identity::new(Identifier::PhoneNo, national).unwrap_err();
        assert_eq!(
            error,
            IdentityError::PhoneNoWithoutCountryCode {
                found: national.into()
            }
        );
        assert_eq!(
            error.to_string(),
            format!(
                "`{national}` starts with 0, so it has no country code; write the country code first and drop the national 0, e.g. `821012345678` for `010-1234-5678`"
            )
        );
    }
    assert_eq!(
        Identity::new(Identifier::PhoneNo, "+82 10-1234-5678")
            .unwrap_err()
            .to_string(),
        "`+82 10-1234-5678` is not a valid `phone_no`; write the country code and the number as 8 to 15 digits, without `+`, spaces or dashes, e.g. `821012345678`"
    );
}

#[test]
fn deserialising_applies_the_same_checks() {
    let ok: Identity =
        serde_json::from_value(json!({"email": "a@b.c", "phone_no": "821012345678"})).unwrap();
    assert_eq!(ok.get(Identifier::Email), Some("a@b.c"));
    let err = serde_json::from_value::<Identity>(json!({})).unwrap_err();
    assert!(
        err.to_string().contains("the identity has no identifier"),
        "{err}"
    );
    assert!(serde_json::from_value::<Identity>(json!({"external_id": null})).is_err());
    assert!(serde_json::from_value::<Identity>(json!({"external_id": ""})).is_err());
    assert!(serde_json::from_value::<Identity>(json!({"phone_no": "+821012345678"})).is_err());
    let err = serde_json::from_value::<Identity>(json!({"unified_id": "x", "external_id": "u"}))
        .unwrap_err();
    assert!(err.to_string().contains("unified_id"), "{err}");
    assert!(serde_json::from_value::<Identity>(json!({"external_id": 12})).is_err());
}

#[test]
fn serialising_leaves_out_absent_identifiers() {
    let identity = Identity::new(Identifier::ExternalId, "dfn-user-123")
        .and_then(|i| i.with(Identifier::PhoneNo, "821012345678"))
        .unwrap();
    assert_eq!(
        serde_json::to_string(&identity).unwrap(),
        r#"{"external_id":"dfn-user-123","phone_no":"821012345678"}"#
    );
}

#[test]
fn external_ids_are_never_empty() {
    let id: ExternalId = "dfn-user-123".parse().unwrap();
    assert_eq!(id.to_string(), "dfn-user-123");
    assert_eq!(id.as_ref(), "dfn-user-123");
    assert_eq!(serde_json::to_string(&id).unwrap(), r#""dfn-user-123""#);
    assert_eq!(
        serde_json::from_str::<ExternalId>(r#""dfn-user-123""#).unwrap(),
        id
    );
    assert!(serde_json::from_str::<ExternalId>(r#""""#).is_err());
    assert!(ExternalId::try_from(String::new()).is_err());
    assert!(ExternalId::try_from(" ").is_err());
    assert_eq!(id.into_string(), "dfn-user-123");
}
