//! Every call against the emulator, succeeding: identify, profile updates, events of every
//! kind, deletion.

use dfinery::UserPropertiesBuilder;
use dfinery::{Datetime, Event, EventRecord, ExternalId, Identifier, Patch, UserProperties};
use serde_json::json;

use crate::model::{Login, Member, coupon, purchase};
use crate::support::{client, emulator, user};

#[tokio::test]
async fn identify_creates_the_unified_profile_with_every_identifier() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let identity = user("dfn-user-1")
        .with(Identifier::Email, "dfn@example.com")
        .unwrap()
        .with(Identifier::PhoneNo, "821012345678")
        .unwrap();
    client.identify(&identity).await.unwrap();
    let profile = emulator.profile("dfn-user-1").expect("profile stored");
    assert_eq!(profile.identity.email.as_deref(), Some("dfn@example.com"));
    assert_eq!(profile.identity.phone_no.as_deref(), Some("821012345678"));
    assert_eq!(emulator.stats().requests, 1);
}

#[tokio::test]
async fn typed_profiles_send_set_values_and_clears_and_leave_kept_ones_alone() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let who = user("dfn-user-2");
    let first = Member {
        df_name: Patch::Set("Hong Gildong".to_owned()),
        df_membership: Patch::Set("VIP".to_owned()),
        df_push_ads_optin: Patch::Set(true),
        lifetime_points: Patch::Set(34_000),
        avg_basket: Patch::Keep,
    };
    client.update_profile(&who, &first).await.unwrap();
    let second = Member {
        df_name: Patch::Keep,
        df_membership: Patch::Clear,
        df_push_ads_optin: Patch::Set(false),
        lifetime_points: Patch::Keep,
        avg_basket: Patch::Set(42.195),
    };
    client.update_profile(&who, &second).await.unwrap();
    let properties = emulator.profile("dfn-user-2").unwrap().properties;
    assert_eq!(properties.get("df_name"), Some(&json!("Hong Gildong")));
    assert_eq!(properties.get("df_membership"), None);
    assert_eq!(properties.get("df_push_ads_optin"), Some(&json!(false)));
    assert_eq!(properties.get("lifetime_points"), Some(&json!(34_000)));
    assert_eq!(properties.get("avg_basket"), Some(&json!(42.195)));
}

#[tokio::test]
async fn dynamic_user_properties_are_sent_and_an_empty_set_sends_nothing() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let who = user("dfn-user-3");
    let props = UserProperties::builder()
        .property("df_gender", "Female")
        .build()
        .unwrap();
    client.update_profile(&who, &props).await.unwrap();
    assert_eq!(
        emulator
            .profile("dfn-user-3")
            .unwrap()
            .properties
            .get("df_gender"),
        Some(&json!("Female"))
    );
    let requests = emulator.stats().requests;
    let empty = UserPropertiesBuilder::default().build().unwrap();
    client.update_profile(&who, empty).await.unwrap();
    let nothing = Member {
        df_name: Patch::Keep,
        df_membership: Patch::Keep,
        df_push_ads_optin: Patch::Keep,
        lifetime_points: Patch::Keep,
        avg_basket: Patch::Keep,
    };
    client.update_profile(&who, &nothing).await.unwrap();
    assert_eq!(
        emulator.stats().requests,
        requests,
        "nothing to send, no request"
    );
}

#[tokio::test]
async fn the_request_datetime_given_is_sent_so_an_older_change_loses() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let who = user("dfn-user-4");
    let name = |n: &str| {
        UserProperties::builder()
            .property("df_name", n)
            .build()
            .unwrap()
    };
    let newer: Datetime = "2024-06-24T06:42:25.394Z".parse().unwrap();
    let older: Datetime = "2024-06-24T06:00:00.000Z".parse().unwrap();
    client
        .update_profile_at(&who, name("newer"), newer)
        .await
        .unwrap();
    client
        .update_profile_at(&who, name("older"), older)
        .await
        .unwrap();
    assert_eq!(
        emulator
            .profile("dfn-user-4")
            .unwrap()
            .properties
            .get("df_name"),
        Some(&json!("newer"))
    );
    client.identify_at(&who, older).await.unwrap();
    assert_eq!(emulator.stats().requests, 3);
}

#[tokio::test]
async fn a_mix_of_typed_events_goes_in_one_request_in_order() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let who = user("dfn-user-5");
    let order = purchase("ORDER-1", 2, 5000.0);
    let used = coupon("WELCOME");
    let login = Login {};
    let events: [&dyn Event; 3] = [&login, &order, &used];
    let report = client.send_events(&who, events).await.unwrap();
    assert_eq!((report.events, report.requests.len()), (3, 1));
    assert_eq!(report.requests[0].items, 3);
    assert_eq!(report.requests[0].attempts, 1);
    let stored = emulator.events();
    let names: Vec<_> = stored.iter().map(|e| e.event_name.as_str()).collect();
    assert_eq!(names, ["df_login", "df_purchase", "coupon_used"]);
    assert_eq!(stored[1].items.len(), 2);
    assert_eq!(stored[1].property("df_order_id"), Some(&json!("ORDER-1")));
    assert_eq!(stored[2].items[0].get("sku"), Some(&json!("SKU-9")));
    assert!(
        stored
            .iter()
            .all(|e| e.identity.external_id.as_deref() == Some("dfn-user-5"))
    );
}

#[tokio::test]
async fn records_keep_their_event_log_id_and_typed_slices_work() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let who = user("dfn-user-6");
    let record = EventRecord::builder("df_sign_up")
        .property("df_sign_channel", "Kakao")
        .build()
        .unwrap();
    let id = record.event_log_id();
    client.send_events(&who, [&record]).await.unwrap();
    let logins = vec![Login {}, Login {}];
    client.send_events(&who, &logins).await.unwrap();
    let stored = emulator.events();
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[0].event_log_id, id.to_string());
    assert_eq!(stored[0].property("df_sign_channel"), Some(&json!("Kakao")));
}

#[tokio::test]
async fn no_events_make_no_request() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let report = client
        .send_events(&user("dfn-user-7"), Vec::<EventRecord>::new())
        .await
        .unwrap();
    assert_eq!(report.events, 0);
    assert!(report.requests.is_empty());
    assert_eq!(emulator.stats().requests, 0);
}

#[tokio::test]
async fn delete_identity_removes_the_profile() {
    let emulator = emulator().await;
    let client = client(&emulator);
    client.identify(&user("dfn-user-8")).await.unwrap();
    assert!(emulator.profile("dfn-user-8").is_some());
    let id = ExternalId::new("dfn-user-8").unwrap();
    client.delete_identity(&id).await.unwrap();
    assert!(emulator.profile("dfn-user-8").is_none());
    // Deleting again is not an error (`docs/protocol.md` §11 Q14).
    client.delete_identity(&id).await.unwrap();
}

/// A text whose JSON form is exactly `bytes` bytes, with every kind of escape and multi-byte
/// characters in it: the JSON text is what both the client and DFINERY measure against the 8 KB
/// limit (`docs/protocol.md` §4.4), not the characters or the UTF-8 of the text itself.
fn text_of_json_len(bytes: usize) -> String {
    let mut text =
        "quote \" backslash \\ newline \n tab \t control \u{1} \u{1f} é 한 🎉 ".to_owned();
    let len = serde_json::to_string(&text).unwrap().len();
    text.push_str(&"x".repeat(bytes - len));
    assert_eq!(serde_json::to_string(&text).unwrap().len(), bytes);
    text
}

#[tokio::test]
async fn values_of_exactly_8_kb_of_json_are_sent_and_stored_and_one_byte_more_never_leaves() {
    use dfinery::ItemBuilder;
    use dfinery::limits::MAX_VALUE_BYTES;

    let emulator = emulator().await;
    let client = client(&emulator);
    let who = user("dfn-user-8k");
    let at_limit = text_of_json_len(MAX_VALUE_BYTES);
    // An array's JSON counts its brackets, commas and the quotes of every element.
    let first = text_of_json_len(100);
    let rest = text_of_json_len(MAX_VALUE_BYTES - 2 - 1 - 100);
    let brands = vec![first.clone(), rest.clone()];
    assert_eq!(
        serde_json::to_string(&brands).unwrap().len(),
        MAX_VALUE_BYTES
    );

    let record = EventRecord::builder("wishlist_shared")
        .property("channel", at_limit.as_str())
        .item(
            ItemBuilder::new()
                .property("sku", "SKU-1")
                .property("note", at_limit.as_str()),
        )
        .build()
        .expect("8,192 bytes of JSON is within the limit");
    client.send_events(&who, [&record]).await.unwrap();
    let profile = UserProperties::builder()
        .property("favorite_brands", brands.clone())
        .build()
        .expect("8,192 bytes of JSON is within the limit");
    client.update_profile(&who, &profile).await.unwrap();

    let stored = emulator.events();
    assert_eq!(stored.len(), 1, "the emulator refused what the client sent");
    assert_eq!(stored[0].property("channel"), Some(&json!(at_limit)));
    assert_eq!(stored[0].items[0].get("note"), Some(&json!(at_limit)));
    assert_eq!(
        emulator
            .profile("dfn-user-8k")
            .unwrap()
            .properties
            .get("favorite_brands"),
        Some(&json!(brands))
    );

    // One byte more is refused by the client itself, so it never costs a request.
    let requests = emulator.stats().requests;
    let over = text_of_json_len(MAX_VALUE_BYTES + 1);
    let refused = EventRecord::builder("wishlist_shared")
        .property("channel", over.as_str())
        .build()
        .unwrap_err();
    assert_eq!(refused.violations.len(), 1, "{refused}");
    assert!(refused.to_string().contains("8193 bytes"), "{refused}");
    let refused = UserProperties::builder()
        .property("favorite_brands", vec![first, format!("{rest}x")])
        .build()
        .unwrap_err();
    assert!(refused.to_string().contains("8193 bytes"), "{refused}");
    assert_eq!(emulator.stats().requests, requests);
}
