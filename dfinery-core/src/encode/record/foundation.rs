//! `EventRecord`, `UserProperties` and the dynamic builders.

use dfinery_core::{
    Datetime, Event, EventRecord, ItemBuilder, Patch, Profile, Rule, UserProperties, Value,
    ValueError,
};
use serde_json::json;
use uuid::Uuid;

use crate::support::{Gender, Login, Member, documented_login, documented_purchase};

#[test]
fn an_event_without_properties_or_items_leaves_both_out() {
    let record = documented_login().to_record().unwrap();
    assert!(record.event_properties().is_none());
    assert!(record.event_items().is_none());
    assert_eq!(
        serde_json::to_value(&record).unwrap(),
        json!({
            "event_log_id": "9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b",
            "event_name": "df_login",
            "event_datetime": "2024-06-24T06:00:00.000Z"
        })
    );
}

#[test]
fn defaults_are_a_fresh_uuid_v4_and_the_time_of_tracking() {
    let before = Datetime::now();
    let a = Login {
        log_id: None,
        at: None,
    }
    .to_record()
    .unwrap();
    let b = Login {
        log_id: None,
        at: None,
    }
    .to_record()
    .unwrap();
    let after = Datetime::now();
    assert_ne!(a.event_log_id(), b.event_log_id());
    assert_eq!(a.event_log_id().get_version_num(), 4);
    assert!(before <= a.event_datetime() && a.event_datetime() <= after);
    // A clone (e.g. a retry) keeps the id.
    assert_eq!(a.clone().event_log_id(), a.event_log_id());
}

#[test]
fn records_round_trip_through_serde_and_know_their_length() {
    for record in [
        documented_purchase().to_record().unwrap(),
        documented_login().to_record().unwrap(),
        // Escaped text in a value (a name with such characters is refused).
        EventRecord::builder("weird")
            .property("a", "we\"ird\n")
            .build()
            .unwrap(),
    ] {
        let bytes = serde_json::to_vec(&record).unwrap();
        assert_eq!(record.encoded_len(), bytes.len());
        let back: EventRecord = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back, record);
    }
}

#[test]
fn deserialising_a_record_checks_its_shape() {
    let base = json!({
        "event_log_id": "9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b",
        "event_name": "df_login",
        "event_datetime": "2024-06-24T06:00:00.000Z"
    });
    let with = |key: &str, value: serde_json::Value| {
        let mut v = base.clone();
        v[key] = value;
        serde_json::from_value::<serde_json::Value>(v)
            .unwrap()
            .to_string()
    };
    assert!(serde_json::from_str::<EventRecord>(&base.to_string()).is_ok());
    assert!(serde_json::from_str::<EventRecord>(&with("event_items", json!({}))).is_err());
    assert!(serde_json::from_str::<EventRecord>(&with("event_properties", json!([]))).is_err());
    assert!(serde_json::from_str::<EventRecord>(&with("event_name", json!(""))).is_err());
    assert!(serde_json::from_str::<EventRecord>(&with("event_log_id", json!("nope"))).is_err());
    assert!(serde_json::from_str::<EventRecord>(&with("event_datetime", json!("today"))).is_err());
}

#[test]
fn with_methods_replace_one_field() {
    let record = documented_login().to_record().unwrap();
    let id = Uuid::new_v4();
    let at = Datetime::from_unix_millis(0).unwrap();
    let changed = record.clone().with_event_log_id(id).with_event_datetime(at);
    assert_eq!(changed.event_log_id(), id);
    assert_eq!(changed.event_datetime(), at);
    assert_eq!(changed.event_name(), record.event_name());
    assert_ne!(changed, record);
}

#[test]
fn the_wire_object_is_written_once_and_follows_every_change() {
    let record = documented_purchase().to_record().unwrap();
    // What is sent is the text written when the record was made.
    assert_eq!(serde_json::to_string(&record).unwrap(), record.as_json());
    assert_eq!(record.encoded_len(), record.as_json().len());
    let id = Uuid::from_u128(7);
    let at = Datetime::from_unix_millis(0).unwrap();
    let changed = record.clone().with_event_log_id(id).with_event_datetime(at);
    let sent: serde_json::Value = serde_json::from_str(changed.as_json()).unwrap();
    assert_eq!(sent["event_log_id"], id.to_string());
    assert_eq!(sent["event_datetime"], "1970-01-01T00:00:00.000Z");
    assert_eq!(
        changed.event_items().unwrap().get(),
        record.event_items().unwrap().get()
    );
    assert_eq!(
        changed.event_properties().unwrap().get(),
        record.event_properties().unwrap().get()
    );
    assert_eq!(
        changed.encoded_len(),
        serde_json::to_vec(&changed).unwrap().len()
    );
}

#[test]
fn a_record_read_back_keeps_its_parts_as_they_were_written() {
    let text = r#"{"event_log_id":"9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b","event_name":"e","event_datetime":"2024-06-24T06:00:00Z","event_properties":{ "a" : 1 },"event_items":[ {"b":2} ]}"#;
    let record: EventRecord = serde_json::from_str(text).unwrap();
    assert_eq!(record.event_properties().unwrap().get(), r#"{ "a" : 1 }"#);
    assert_eq!(record.event_items().unwrap().get(), r#"[ {"b":2} ]"#);
    // Written again in the wire order, with the datetime in the client's form.
    assert_eq!(
        record.as_json(),
        r#"{"event_log_id":"9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b","event_name":"e","event_datetime":"2024-06-24T06:00:00.000Z","event_items":[ {"b":2} ],"event_properties":{ "a" : 1 }}"#
    );
}

#[test]
fn the_builder_writes_values_items_and_replaces_repeated_keys() {
    let id = Uuid::new_v4();
    let at: Datetime = "2024-06-24T06:01:48.501Z".parse().unwrap();
    let record = EventRecord::builder("coupon_used")
        .property("coupon_code", "WELCOME")
        .property("amount", 1.0)
        .property("tags", vec!["a", "b"])
        .property("coupon_code", "AGAIN")
        .item(
            ItemBuilder::new()
                .property("sku", "S1")
                .property("unit_price", 2.5),
        )
        .build()
        .unwrap()
        .with_event_log_id(id)
        .with_event_datetime(at);
    assert_eq!(record.event_log_id(), id);
    assert_eq!(record.event_datetime(), at);
    assert_eq!(
        record.event_properties().unwrap().get(),
        r#"{"coupon_code":"AGAIN","amount":1.0,"tags":["a","b"]}"#
    );
    assert_eq!(
        record.event_items().unwrap().get(),
        r#"[{"sku":"S1","unit_price":2.5}]"#
    );
}

#[test]
fn the_builder_reports_every_bad_value() {
    let error = EventRecord::builder("e")
        .property("nan", f64::NAN)
        .property("big", u64::MAX)
        .property("ok", 1)
        .item(ItemBuilder::new().property("inf", vec![1.0, f64::INFINITY]))
        .build()
        .unwrap_err();
    let rules: Vec<(&str, &Rule)> = error
        .violations
        .iter()
        .map(|v| (v.path.as_str(), &v.rule))
        .collect();
    assert_eq!(rules.len(), 3);
    assert_eq!(rules[0].0, "event_properties.nan");
    assert!(matches!(
        rules[0].1,
        Rule::Invalid(ValueError::NotFinite { .. })
    ));
    assert_eq!(rules[1].0, "event_properties.big");
    assert!(matches!(
        rules[1].1,
        Rule::Invalid(ValueError::LongOutOfRange { .. })
    ));
    assert_eq!(rules[2].0, "event_items[0].inf");
    assert_eq!(
        error.violations[2].to_string(),
        "`event_items[0].inf`: element 1 must be a finite number (found inf)"
    );
    assert!(error.to_string().starts_with("event `e` is invalid: "));
    // Items given as a property: DFINERY refuses `df_items` among the properties.
    let error = EventRecord::builder("df_purchase")
        .property("df_items", "x")
        .build()
        .unwrap_err();
    assert_eq!(error.violations.len(), 1);
    assert_eq!(error.violations[0].path, "event_properties.df_items");
    assert!(matches!(error.violations[0].rule, Rule::ItemsInProperties));
    assert!(
        error
            .to_string()
            .contains("add each item with `.item(...)`"),
        "{error}"
    );
}

#[test]
fn a_megabyte_of_name_or_key_is_quoted_by_its_start_in_the_message() {
    // The event name and the key were quoted whole, in the subject, the path and the rule: a
    // key of a megabyte from run-time data made a message of three.
    let long = "k".repeat(1 << 20);
    let error = EventRecord::builder(format!("{long}-"))
        .property(format!("{long}-"), 1)
        .property(format!("a\n{long}"), 1)
        .item(ItemBuilder::new().property(long.clone(), 1))
        .build()
        .unwrap_err();
    let text = error.to_string();
    let start = &text[..text.len().min(2000)];
    assert!(text.len() < 2000, "{start}");
    assert!(
        text.starts_with(&format!("event `{}…` is invalid: ", "k".repeat(20))),
        "{start}"
    );
    assert!(text.contains("`event_properties.kkkk"), "{start}");
    assert!(text.contains("`event_properties.a\\nkkkk"), "{start}");
    assert!(!text.contains('\n'), "{start}");
    // The paths themselves are kept whole, for a program to read.
    let whole = format!("event_properties.{long}-");
    assert!(error.violations.iter().any(|v| v.path == whole));
    let phone = dfinery_core::Identity::new(dfinery_core::Identifier::PhoneNo, long.as_str());
    let text = phone.unwrap_err().to_string();
    assert!(text.len() < 300, "{}", &text[..text.len().min(300)]);
}

#[test]
fn the_builder_rejects_an_empty_event_name() {
    let error = EventRecord::builder("").build().unwrap_err();
    assert_eq!(error.violations[0].path, "event_name");
    assert_eq!(error.violations[0].rule, Rule::Missing);
}

#[test]
fn a_hand_built_nan_value_is_rejected_by_the_builder() {
    let error = EventRecord::builder("e")
        .property("x", Value::Double(f64::NAN))
        .build()
        .unwrap_err();
    assert!(matches!(error.violations[0].rule, Rule::NotFinite { .. }));
}

#[test]
fn profiles_send_set_and_cleared_fields_and_skip_kept_ones() {
    let member = Member {
        name: Patch::Clear,
        gender: Patch::Set(Gender::NonBinary),
        lifetime_points: Some(3),
        ..Member::default()
    };
    let props = member.to_user_properties().unwrap();
    assert_eq!(
        props.get(),
        r#"{"df_name":null,"df_gender":"NonBinary","lifetime_points":3}"#
    );
    assert!(!props.is_empty());
    assert!(Member::default().to_user_properties().unwrap().is_empty());
}

#[test]
fn profile_violations_name_the_rust_type() {
    let member = Member {
        avg_basket: Some(f64::NAN),
        ..Member::default()
    };
    let error = member.to_user_properties().unwrap_err();
    assert_eq!(
        error.to_string(),
        "profile `Member` is invalid: `user_properties.avg_basket`: must be a finite number (found NaN)"
    );
}

#[test]
fn user_properties_builder_sets_clears_and_checks() {
    let props = UserProperties::builder()
        .property("tier", "gold")
        .clear("tier")
        .property("points", 10)
        .build()
        .unwrap();
    assert_eq!(props.get(), r#"{"tier":null,"points":10}"#);
    let error = UserProperties::builder()
        .property("scores", vec![1.5; 2_100])
        .build()
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "`user_properties` is invalid: `user_properties.scores`: is 8401 bytes of JSON; at most 8192 are allowed"
    );
}
