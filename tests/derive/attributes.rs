//! The field attributes: `rename`, `skip`, `items`, `datetime`, `log_id`, `rename_all`, and
//! `Option`/`Patch` fields.

use dfinery::{Datetime, Event, Patch, Profile};
use serde_json::{Value, json};

use crate::model::{
    AppReview, CouponUsed, Gender, Login, Member, SignUp, SkuLine, Tier, WishlistShared, purchase,
};

fn properties(event: &impl Event) -> Value {
    let record = event.to_record().unwrap();
    record
        .event_properties()
        .map_or(Value::Null, |raw| serde_json::from_str(raw.get()).unwrap())
}

#[test]
fn rename_maps_a_field_to_another_property_and_skip_leaves_it_out() {
    let event = purchase();
    assert_eq!(event.items[0].internal_note, "not sent");
    let record = event.to_record().unwrap();
    let items: Value = serde_json::from_str(record.event_items().unwrap().get()).unwrap();
    assert_eq!(items[0]["df_item_id"], "SKU-001");
    assert!(items[0].get("id").is_none());
    assert!(
        items[0].get("internal_note").is_none(),
        "skipped fields are never sent"
    );
}

#[test]
fn none_is_not_sent() {
    let review = AppReview {
        rating: 5,
        ..AppReview::default()
    };
    assert_eq!(properties(&review), json!({"rating": 5, "tags": []}));
}

#[test]
fn every_type_is_written_in_its_wire_form() {
    let review = AppReview {
        rating: 4,
        score: Some(0.1),
        comment: Some("good".to_owned()),
        recommended: Some(true),
        reviewed_at: Some("2024-06-24T06:01:48Z".parse().unwrap()),
        visit_date: Some(dfinery::Date::from_ymd(2024, 6, 23).unwrap()),
        tags: vec!["fast".to_owned(), "cheap".to_owned()],
        counts: Some(vec![1, 2]),
        weights: Some([0.5, 2.0]),
        channel: Some("app".to_owned()),
    };
    assert_eq!(
        properties(&review),
        json!({
            "rating": 4, "score": 0.1, "comment": "good", "recommended": true,
            "reviewed_at": "2024-06-24T06:01:48.000Z", "visit_date": "2024-06-23",
            "tags": ["fast", "cheap"], "counts": [1, 2], "weights": [0.5, 2.0], "channel": "app"
        })
    );
}

#[test]
fn datetime_and_log_id_fields_supply_the_event_fields() {
    let record = purchase().to_record().unwrap();
    assert_eq!(
        record.event_datetime().to_string(),
        "2024-06-24T06:01:48.501Z"
    );
    assert_eq!(
        record.event_log_id().to_string(),
        "5b0f9a0e-1c2d-4e3f-8a9b-0c1d2e3f4a5b"
    );
}

#[test]
fn without_them_the_time_of_tracking_and_a_fresh_uuid_v4_are_used() {
    let login = Login {
        log_id: None,
        at: None,
    };
    let before = Datetime::now();
    let first = login.to_record().unwrap();
    let after = Datetime::now();
    assert!(before <= first.event_datetime() && first.event_datetime() <= after);
    assert_eq!(first.event_log_id().get_version_num(), 4);
    let second = login.to_record().unwrap();
    assert_ne!(
        first.event_log_id(),
        second.event_log_id(),
        "one id per event"
    );
    assert!(first.event_properties().is_none() && first.event_items().is_none());
}

#[test]
fn items_go_in_event_items_and_borrowed_items_work_too() {
    let lines = [SkuLine {
        sku: "A-1".to_owned(),
        colour: Some("red"),
    }];
    let shared = WishlistShared {
        channel: "kakao",
        lines: &lines,
    };
    let record = shared.to_record().unwrap();
    assert_eq!(
        record.event_items().unwrap().get(),
        r#"[{"sku":"A-1","colour":"red"}]"#
    );
    assert_eq!(
        record.event_properties().unwrap().get(),
        r#"{"channel":"kakao"}"#
    );
}

#[test]
fn optional_items_may_be_empty_and_are_then_left_out() {
    let shared = WishlistShared {
        channel: "kakao",
        lines: &[],
    };
    assert!(shared.to_record().unwrap().event_items().is_none());
}

#[test]
fn rename_all_and_rename_together() {
    let record = SignUp { channel: "Kakao" }.to_record().unwrap();
    assert_eq!(record.event_name(), "df_sign_up");
    assert_eq!(
        record.event_properties().unwrap().get(),
        r#"{"df_sign_channel":"Kakao"}"#
    );
}

#[test]
fn camel_case_fields_map_to_camel_case_properties() {
    // `rename_all = "snake_case"` leaves snake-case fields as they are; `camelCase` changes them.
    #[derive(dfinery::DfineryProfile)]
    #[dfinery(rename_all = "camelCase", registry = "tests/dfinery.toml")]
    struct Camel {
        #[dfinery(rename = "lifetime_points")]
        points: i64,
    }
    let props = Camel { points: 3 }.to_user_properties().unwrap();
    assert_eq!(props.get(), r#"{"lifetime_points":3}"#);
}

#[test]
fn the_struct_name_in_snake_case_is_the_default_event_name() {
    let coupon = CouponUsed {
        coupon_code: "WELCOME".to_owned(),
        amount: None,
        lines: vec![SkuLine {
            sku: "A-1".to_owned(),
            colour: None,
        }],
    };
    assert_eq!(coupon.event_name(), "coupon_used");
    assert_eq!(CouponUsed::description().name, "coupon_used");
}

#[test]
fn patch_keeps_clears_or_sets_a_user_property() {
    let mut member = crate::descriptions::member();
    let keep = member.to_user_properties().unwrap();
    assert!(!keep.get().contains("tier"));
    member.tier = Patch::Clear;
    assert!(
        member
            .to_user_properties()
            .unwrap()
            .get()
            .contains(r#""tier":null"#)
    );
    member.tier = Patch::Set(Tier::Gold);
    assert!(
        member
            .to_user_properties()
            .unwrap()
            .get()
            .contains(r#""tier":"gold""#)
    );
}

#[test]
fn a_none_user_property_is_not_sent() {
    let mut member: Member = crate::descriptions::member();
    member.df_membership = None;
    member.df_gender = Gender::NonBinary;
    let props = member.to_user_properties().unwrap();
    assert!(!props.get().contains("df_membership"));
    assert!(props.get().contains(r#""df_gender":"NonBinary""#));
}

/// A nil `event_log_id` (all zeroes, given for "none") is refused at the field: DFINERY keeps
/// one event per id, so every event sent with it after the first would be dropped as a
/// duplicate.
#[test]
fn a_nil_log_id_is_refused_at_its_field() {
    let login = Login {
        log_id: Some(uuid::Uuid::nil()),
        at: None,
    };
    let error = login.to_record().unwrap_err();
    assert_eq!(error.violations.len(), 1, "{error}");
    assert_eq!(error.violations[0].path, "event_log_id");
    assert!(
        matches!(error.violations[0].rule, dfinery::Rule::NilEventLogId),
        "{error}"
    );
    assert!(error.to_string().contains("`Uuid::new_v5`"), "{error}");
}
