//! Queries: refused before any request when the dates or filters are wrong; typed events and
//! item fields name what they stand for; the emulator accepts every body built.

use dfinery::export::{EventQuery, ExportError, ProfileQuery, QueryError};
use dfinery::wire::ConditionType;
use dfinery::{Date, Datetime};
use serde_json::json;

use crate::model::{AppReview, Member, Purchase, WishItem, WishlistShared, one_purchase};
use crate::support::{client, days, emulator, user};

#[tokio::test]
async fn dates_outside_the_look_back_or_reversed_are_refused_before_any_request() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let today = Datetime::now().date();
    let long_ago = Date::from_ymd(2020, 1, 1).unwrap();
    let error = client
        .export_event_rows(&EventQuery::new(long_ago, today))
        .await
        .and_then(|rows| rows.events::<Purchase>())
        .unwrap_err();
    assert!(
        matches!(error, ExportError::Query(QueryError::BeyondLookBack { from, .. }) if from == long_ago),
        "{error:?}"
    );
    let (yesterday, today) = days();
    let error = client
        .export_event_rows(&EventQuery::new(today, yesterday))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ExportError::Query(QueryError::DatesReversed { .. })),
        "{error:?}"
    );
    assert_eq!(emulator.stats().requests, 0, "nothing was sent");
}

#[tokio::test]
async fn the_last_thirty_days_are_accepted_by_the_server_too() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let rows = client
        .export_event_rows(&EventQuery::last_days(31))
        .await
        .unwrap();
    assert!(rows.header().names().iter().any(|n| n == "df_unified_id"));
    let error = EventQuery::last_days(32).to_request().unwrap_err();
    assert!(matches!(error, QueryError::BeyondLookBack { days: 30, .. }));
}

#[test]
fn typed_events_and_item_fields_name_what_they_stand_for() {
    let (from, to) = days();
    let query = EventQuery::new(from, to)
        .event::<Purchase>()
        .event::<WishlistShared>()
        .properties_of::<Purchase>();
    let request = query.to_request().unwrap();
    assert_eq!(request.events_condition_type, ConditionType::Include);
    assert_eq!(
        request.events,
        Some(vec!["df_purchase".into(), "wishlist_shared".into()])
    );
    assert_eq!(
        request.properties_condition_type,
        Some(ConditionType::Include),
        "an include filter"
    );
    let properties = request.properties.unwrap();
    assert!(properties.contains(&"df_order_id".to_owned()));
    assert!(properties.contains(&"store_id".to_owned()));
    assert!(properties.contains(&"df_items_df_price".to_owned()));
    assert!(properties.contains(&"df_items_gift_wrap".to_owned()));
    assert!(!properties.contains(&"df_price".to_owned()));
    let body = serde_json::to_value(query.to_request().unwrap()).unwrap();
    assert_eq!(body["events_condition_type"], "include");
    assert_eq!(body["properties_condition_type"], "include");

    let items = EventQuery::new(from, to)
        .item_properties_of::<WishItem>()
        .to_request()
        .unwrap();
    assert_eq!(
        items.properties_condition_type,
        Some(ConditionType::Include)
    );
    assert_eq!(
        items.properties,
        Some(vec![
            "df_items_sku".into(),
            "df_items_note".into(),
            "df_items_colour".into()
        ])
    );

    let without = EventQuery::new(from, to).without_event::<AppReview>();
    let body = serde_json::to_value(without.to_request().unwrap()).unwrap();
    assert_eq!(body["events"], json!(["app_review"]));
    assert_eq!(body["events_condition_type"], "exclude");
}

#[test]
fn a_filter_mixing_modes_or_including_nothing_is_refused() {
    let (from, to) = days();
    let mixed = EventQuery::new(from, to)
        .event::<Purchase>()
        .without_event::<AppReview>();
    assert_eq!(
        mixed.to_request().unwrap_err().to_string(),
        "the query both includes and excludes events; a filter is `all`, `include` or `exclude`, so keep one mode"
    );
    let nothing = ProfileQuery::new().include_properties(Vec::<String>::new());
    assert_eq!(
        nothing.to_request().unwrap_err().to_string(),
        "the query includes no properties by name, which exports nothing; name at least one or keep all properties"
    );
}

#[tokio::test]
async fn filtered_exports_hold_only_what_was_asked() {
    let emulator = emulator().await;
    let client = client(&emulator);
    client
        .send_events(&user("u"), [&one_purchase()])
        .await
        .unwrap();
    let (from, to) = days();
    let query = EventQuery::new(from, to)
        .event::<Purchase>()
        .include_properties(["df_order_id"])
        .item_property("df_price");
    let rows = client.export_event_rows(&query).await.unwrap();
    let names = rows.header().names().to_vec();
    assert!(names.contains(&"df_order_id".to_owned()));
    assert!(names.contains(&"df_items_df_price".to_owned()));
    assert!(!names.contains(&"df_payment_method".to_owned()));
    // `Purchase` needs more than that: one error naming every column.
    let error = rows.events::<Purchase>().unwrap_err();
    let ExportError::MissingColumns { rust_type, columns } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(*rust_type, "Purchase");
    assert!(columns.contains(&"df_payment_method".to_owned()));
    assert!(columns.contains(&"df_items_df_item_id".to_owned()));
    assert!(
        !columns.contains(&"store_id".to_owned()),
        "optional fields need no column"
    );

    let profiles = ProfileQuery::new()
        .properties_of::<Member>()
        .audience("vip");
    let error = client.export_profile_rows(&profiles).await.unwrap_err();
    assert!(
        matches!(error, ExportError::Request(_)),
        "an unknown audience: {error:?}"
    );
}

#[tokio::test]
async fn the_look_back_is_checked_against_the_clients_clock() {
    // With an emulator pinned to a day in 2024 (a test's `ManualClock`) and the client given
    // the same clock, an export of that day's week was refused before it was sent: the client
    // checked the dates against the machine's today, not its clock.
    let clock = dfinery_emulator::ManualClock::at("2024-06-24T12:00:00Z").unwrap();
    let emulator = crate::support::emulator_with(|b| b.clock(clock.clone())).await;
    let client = {
        let clock = clock.clone();
        crate::support::client_for(&emulator)
            .clock(dfinery::clock::Clock::new(move || clock.now()))
            .build()
            .unwrap()
    };
    let (from, to) = (
        Date::from_ymd(2024, 6, 20).unwrap(),
        Date::from_ymd(2024, 6, 24).unwrap(),
    );
    let rows = client
        .export_event_rows(&EventQuery::new(from, to))
        .await
        .expect("within the look-back by the clock both sides share");
    assert!(rows.header().names().iter().any(|n| n == "df_unified_id"));
    // By that clock, the machine's today is in the future, and a month before the pinned day
    // is beyond the look-back.
    let error = client
        .export_event_rows(&EventQuery::new(Date::from_ymd(2024, 5, 1).unwrap(), to))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ExportError::Query(QueryError::BeyondLookBack { .. })),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("today (2024-06-24, UTC)"),
        "{error}"
    );
}
