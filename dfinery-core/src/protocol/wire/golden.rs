//! Every JSON example of `docs/protocol.md` §3.2–§3.7 and §6 parses into the wire types and
//! serialises back to the same JSON, and the request bodies built through the typed API equal
//! the documented examples. Unit tests, as the request and response bodies are the client's own
//! (crate-internal); the hand-written `Event`/`Profile` impls are the foundation tests'
//! `tests/foundation/support.rs`.

use super::{
    Common, ConditionType, DeleteIdentity, DeleteIdentityRequest, EventBatchRequest,
    EventExportRequest, ExportErrorBody, IdentityRequest, ImportResponse, ProfileExportRequest,
    UserProfileRequest,
};
use dfinery_core::{
    Date, Event, ExportErrorCode, ExportFailure, ExternalId, Identifier, Identity, ImportCode,
    Patch, Profile, ResultCode, UserProperties,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value as Json, json};

use crate::support::{Gender, Member, documented_login, documented_purchase};

/// Reads a fixture file from `tests/fixtures/`.
fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// Reads a fixture file as JSON.
fn fixture_json(name: &str) -> serde_json::Value {
    serde_json::from_str(&fixture(name)).expect("fixture is JSON")
}

/// Parses `text` as `T`, serialises it again, and checks the JSON is unchanged.
fn round_trip<T: Serialize + DeserializeOwned>(text: &str) -> T {
    let parsed: T = serde_json::from_str(text).expect("the documented JSON parses");
    let again = serde_json::to_value(&parsed).unwrap();
    let original: Json = serde_json::from_str(text).unwrap();
    assert_eq!(again, original, "re-serialised JSON differs from {text}");
    parsed
}

fn dt(s: &str) -> dfinery_core::Datetime {
    s.parse().unwrap()
}

#[test]
fn events_request_round_trips() {
    let request: EventBatchRequest = round_trip(&fixture("events_request.json"));
    assert_eq!(request.events.len(), 2);
    assert_eq!(request.events[0].event_name(), "df_purchase");
    assert!(request.events[1].event_items().is_none());
    assert_eq!(
        request.common.identity.get(Identifier::PhoneNo),
        Some("821012345678")
    );
}

#[test]
fn events_request_built_from_typed_events_equals_the_example() {
    let identity = Identity::new(Identifier::ExternalId, "dfn-user-123")
        .and_then(|i| i.with(Identifier::PhoneNo, "821012345678"))
        .unwrap();
    let events = vec![
        documented_purchase().to_record().unwrap(),
        documented_login().to_record().unwrap(),
    ];
    let request = EventBatchRequest {
        common: Common { identity },
        events,
    };
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        fixture_json("events_request.json")
    );
}

#[test]
fn typed_doubles_keep_their_fraction_on_the_wire() {
    let record = documented_purchase().to_record().unwrap();
    assert_eq!(
        record.event_properties().unwrap().get(),
        r#"{"df_order_id":"ORDER-123","df_payment_method":"BankTransfer","df_total_purchase_amount":9000.0,"df_delivery_charge":3000.0,"df_discount":0.0}"#
    );
    assert_eq!(
        record.event_items().unwrap().get(),
        r#"[{"df_item_id":"SKU-001","df_item_name":"Cracker","df_price":5000.0,"df_quantity":2,"df_discount":500.0,"df_category1":"Food","df_category2":"Snack"}]"#
    );
}

#[test]
fn identities_request_round_trips_and_is_built_by_the_typed_api() {
    let parsed: IdentityRequest = round_trip(&fixture("identities_request.json"));
    let built = IdentityRequest {
        identity: Identity::new(Identifier::ExternalId, "dfn-user-123")
            .and_then(|i| i.with(Identifier::Email, "dfn@gmail.com"))
            .and_then(|i| i.with(Identifier::PhoneNo, "821012345678"))
            .unwrap(),
        request_datetime: dt("2024-06-24T06:01:48.501Z"),
    };
    assert_eq!(parsed, built);
    assert_eq!(
        serde_json::to_value(&built).unwrap(),
        fixture_json("identities_request.json")
    );
}

#[test]
fn delete_request_round_trips_and_is_built_by_the_typed_api() {
    let parsed: DeleteIdentityRequest = round_trip(&fixture("identities_delete_request.json"));
    let built = DeleteIdentityRequest {
        identity: DeleteIdentity {
            external_id: ExternalId::new("dfn-user-123").unwrap(),
        },
        request_datetime: dt("2025-05-13T06:01:48.501Z"),
    };
    assert_eq!(parsed, built);
    assert_eq!(
        serde_json::to_value(&built).unwrap(),
        fixture_json("identities_delete_request.json")
    );
}

#[test]
fn delete_request_takes_only_external_id() {
    let body =
        r#"{"identity":{"email":"dfn@gmail.com"},"request_datetime":"2025-05-13T06:01:48.501Z"}"#;
    assert!(serde_json::from_str::<DeleteIdentityRequest>(body).is_err());
}

#[test]
fn user_profile_request_round_trips_and_is_built_by_the_typed_api() {
    let parsed: UserProfileRequest = round_trip(&fixture("user_profile_request.json"));
    let member = Member {
        gender: Patch::Set(Gender::Female),
        ..Member::default()
    };
    let built = UserProfileRequest {
        identity: Identity::new(Identifier::ExternalId, "dfn-user-123").unwrap(),
        user_properties: member.to_user_properties().unwrap(),
        request_datetime: dt("2024-05-14T06:05:46.363Z"),
    };
    assert_eq!(parsed, built);
    assert_eq!(
        serde_json::to_value(&built).unwrap(),
        fixture_json("user_profile_request.json")
    );
}

#[test]
fn rich_user_profile_request_round_trips_and_is_built_by_the_typed_api() {
    round_trip::<UserProfileRequest>(&fixture("user_profile_request_rich.json"));
    let member = Member {
        name: Patch::Set("Hong Gildong".into()),
        gender: Patch::Set(Gender::Male),
        birth: Patch::Set(Date::from_ymd(1999, 1, 1).unwrap()),
        membership: Patch::Set("VIP"),
        push_ads_optin: Some(true),
        sms_ads_optin: Some(false),
        favorite_brands: Some(vec!["A".into(), "B".into()]),
        lifetime_points: Some(34000),
        avg_basket: Some(42.195),
    };
    let built = UserProfileRequest {
        identity: Identity::new(Identifier::ExternalId, "dfn-user-123").unwrap(),
        user_properties: member.to_user_properties().unwrap(),
        request_datetime: dt("2024-06-24T06:42:25.394Z"),
    };
    assert_eq!(
        serde_json::to_value(&built).unwrap(),
        fixture_json("user_profile_request_rich.json")
    );
}

#[test]
fn user_properties_must_be_an_object() {
    assert!(serde_json::from_str::<UserProperties>("[1]").is_err());
    assert!(serde_json::from_str::<UserProperties>(r#"{"a":1}"#).is_ok());
}

#[test]
fn export_event_request_round_trips_and_is_built_by_the_typed_api() {
    let parsed: EventExportRequest = round_trip(&fixture("export_event_request.json"));
    let built = EventExportRequest {
        events: Some(vec!["df_purchase".into()]),
        events_condition_type: ConditionType::Include,
        properties: Some(vec!["df_discount".into(), "df_items_df_price".into()]),
        properties_condition_type: Some(ConditionType::Include),
        from_date: "2024-08-25".parse().unwrap(),
        to_date: "2024-08-26".parse().unwrap(),
    };
    assert_eq!(parsed, built);
}

#[test]
fn export_event_request_leaves_out_absent_options() {
    let request = EventExportRequest {
        events: None,
        events_condition_type: ConditionType::All,
        properties: None,
        properties_condition_type: None,
        from_date: Date::from_ymd(2024, 12, 5).unwrap(),
        to_date: Date::from_ymd(2024, 12, 5).unwrap(),
    };
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        json!({"events_condition_type":"all","from_date":"2024-12-05","to_date":"2024-12-05"})
    );
}

#[test]
fn export_userprofile_request_round_trips_and_is_built_by_the_typed_api() {
    let parsed: ProfileExportRequest = round_trip(&fixture("export_userprofile_request.json"));
    let built = ProfileExportRequest {
        properties: Some(vec!["df_birth".into()]),
        properties_condition_type: ConditionType::Exclude,
        audience: Some("nwh3nu".into()),
        identities: None,
        identities_condition_type: None,
    };
    assert_eq!(parsed, built);
    let with_identities = ProfileExportRequest {
        identities: Some(vec!["df_external_id".into()]),
        identities_condition_type: Some(ConditionType::All),
        properties: None,
        properties_condition_type: ConditionType::All,
        audience: None,
    };
    assert_eq!(
        serde_json::to_value(&with_identities).unwrap(),
        json!({"properties_condition_type":"all","identities":["df_external_id"],"identities_condition_type":"all"})
    );
}

#[test]
fn condition_types_reject_other_spellings() {
    assert!(serde_json::from_str::<ConditionType>(r#""INCLUDE""#).is_err());
    assert_eq!(
        "exclude".parse::<ConditionType>().unwrap(),
        ConditionType::Exclude
    );
    assert_eq!(
        "any".parse::<ConditionType>().unwrap_err().to_string(),
        "`any` is not a condition type; use `all`, `include` or `exclude`"
    );
}

#[test]
fn import_envelopes_round_trip_and_are_built_from_their_codes() {
    let Json::Array(bodies) = fixture_json("import_responses.json") else {
        panic!("fixture is an array");
    };
    let codes = [
        ResultCode::Documented(ImportCode::Ok),
        ResultCode::Documented(ImportCode::TooManyEvents),
        ResultCode::Documented(ImportCode::ValidationFailure),
        ResultCode::Documented(ImportCode::InternalServerError),
    ];
    for (body, code) in bodies.iter().zip(codes) {
        let parsed: ImportResponse = round_trip(&body.to_string());
        assert_eq!(parsed.result_code(), code);
        assert_eq!(parsed.is_success(), code.is_success());
        let data = if code.is_success() {
            Json::Bool(true)
        } else {
            Json::Null
        };
        assert_eq!(
            serde_json::to_value(ImportResponse::new(&code, data)).unwrap(),
            *body
        );
    }
    assert_eq!(
        serde_json::to_string(&ImportResponse::success()).unwrap(),
        r#"{"status":true,"code":"20000","message":"OK","data":true}"#
    );
}

#[test]
fn import_envelope_without_data_reads_as_null() {
    let parsed: ImportResponse =
        serde_json::from_str(r#"{"status":false,"code":"40001","message":"VALIDATION_FAILURE"}"#)
            .unwrap();
    assert_eq!(parsed.data, Json::Null);
    assert_eq!(
        parsed.result_code(),
        ResultCode::Documented(ImportCode::ValidationFailure)
    );
}

#[test]
fn export_error_bodies_round_trip_and_are_built_from_their_codes() {
    let Json::Array(bodies) = fixture_json("export_error_bodies.json") else {
        panic!("fixture is an array");
    };
    assert_eq!(
        bodies.len(),
        ExportFailure::ALL.map(ExportErrorCode::Documented).len()
    );
    for (body, code) in bodies
        .iter()
        .zip(ExportFailure::ALL.map(ExportErrorCode::Documented))
    {
        let parsed: ExportErrorBody = round_trip(&body.to_string());
        assert_eq!(parsed.error_code(), code);
        assert_eq!(
            serde_json::to_value(ExportErrorBody::new(&code)).unwrap(),
            *body
        );
    }
}
