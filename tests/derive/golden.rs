//! Derived types serialise to exactly the JSON of `docs/protocol.md`'s examples (§3.2, §3.5).
//! The bodies around them are written with `json!` here: the client builds its request bodies
//! itself (crate-internal), and core's unit tests (`wire::golden`) check those against the same
//! examples.

use dfinery::{Date, Event, Identifier, Identity, Patch, Profile};
use serde_json::{Value, json};

use crate::model::{Gender, Login, Member, purchase};

fn fixture(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn purchase_with_items_and_login_match_the_event_example() {
    let login = Login {
        log_id: Some("9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b".parse().unwrap()),
        at: Some("2024-06-24T06:00:00.000Z".parse().unwrap()),
    };
    let identity = Identity::new(Identifier::ExternalId, "dfn-user-123")
        .unwrap()
        .with(Identifier::PhoneNo, "821012345678")
        .unwrap();
    let events = vec![purchase().to_record().unwrap(), login.to_record().unwrap()];
    let body = json!({"common": {"identity": identity}, "events": events});
    assert_eq!(body, fixture(include_str!("fixtures/events_request.json")));
}

#[test]
fn doubles_keep_their_fraction_on_the_wire() {
    let record = purchase().to_record().unwrap();
    let properties = record.event_properties().unwrap().get();
    assert!(
        properties.contains(r#""df_total_purchase_amount":9000.0"#),
        "{properties}"
    );
    assert!(properties.contains(r#""df_discount":0.0"#), "{properties}");
}

#[test]
fn the_profile_matches_the_user_profile_example() {
    let member = Member {
        df_name: "Hong Gildong".to_owned(),
        df_gender: Gender::Male,
        df_birth: Date::from_ymd(1999, 1, 1).unwrap(),
        df_membership: Some("VIP".to_owned()),
        df_push_ads_optin: true,
        df_sms_ads_optin: false,
        favorite_brands: vec!["A", "B"],
        lifetime_points: 34000,
        avg_basket: 42.195,
        tier: Patch::Keep,
    };
    let request_datetime: dfinery::Datetime = "2024-06-24T06:42:25.394Z".parse().unwrap();
    let body = json!({
        "identity": Identity::new(Identifier::ExternalId, "dfn-user-123").unwrap(),
        "user_properties": member.to_user_properties().unwrap(),
        "request_datetime": request_datetime,
    });
    assert_eq!(
        body,
        fixture(include_str!("fixtures/user_profile_request.json"))
    );
}

#[test]
fn the_docs_minimal_profile_example_sends_only_the_gender() {
    #[derive(dfinery::DfineryProfile)]
    #[dfinery(registry = "tests/dfinery.toml")]
    struct GenderOnly {
        df_gender: Gender,
    }
    let props = GenderOnly {
        df_gender: Gender::Female,
    }
    .to_user_properties()
    .unwrap();
    assert_eq!(props.get(), r#"{"df_gender":"Female"}"#);
}
