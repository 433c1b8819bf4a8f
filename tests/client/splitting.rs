//! Splitting into requests of at most 100 events and 100 items (all events together), in
//! order, and what a failure of request k of n leaves delivered and undelivered.

use dfinery::Error;
use dfinery::{Event, EventRecord};
use dfinery_emulator::{ImportCode, ScriptedResponse};

use crate::model::purchase;
use crate::support::{client, client_for, emulator, user};

fn logins(n: usize) -> Vec<EventRecord> {
    (0..n)
        .map(|_| EventRecord::builder("df_login").build().unwrap())
        .collect()
}

fn ids(records: &[EventRecord]) -> Vec<String> {
    records
        .iter()
        .map(|r| r.event_log_id().to_string())
        .collect()
}

#[tokio::test]
async fn two_hundred_fifty_events_go_as_three_requests_in_order() {
    let emulator = emulator().await;
    let records = logins(250);
    let report = client(&emulator)
        .send_events(&user("u"), records.clone())
        .await
        .unwrap();
    let sizes: Vec<_> = report.requests.iter().map(|r| r.events).collect();
    assert_eq!(sizes, [100, 100, 50]);
    assert_eq!(emulator.stats().requests, 3);
    let stored: Vec<_> = emulator
        .events()
        .into_iter()
        .map(|e| e.event_log_id)
        .collect();
    assert_eq!(stored, ids(&records), "stored in the order given");
}

#[tokio::test]
async fn a_smaller_request_size_is_honoured() {
    let emulator = emulator().await;
    let client = client_for(&emulator)
        .max_events_per_request(40)
        .build()
        .unwrap();
    let report = client.send_events(&user("u"), logins(250)).await.unwrap();
    assert_eq!(report.requests.len(), 7);
    assert_eq!(emulator.stats().requests, 7);
    assert_eq!(emulator.stats().accepted, 250);
}

#[tokio::test]
async fn two_events_of_60_items_go_as_two_requests_and_are_stored() {
    // The emulator counts items per request by default, as DFINERY's Open API guide does.
    let emulator = emulator().await;
    let orders = [purchase("O-1", 60, 10.0), purchase("O-2", 60, 10.0)];
    let report = client(&emulator)
        .send_events(&user("u"), &orders)
        .await
        .unwrap();
    let sizes: Vec<_> = report
        .requests
        .iter()
        .map(|r| (r.events, r.items))
        .collect();
    assert_eq!(sizes, [(1, 60), (1, 60)]);
    assert_eq!(emulator.stats().requests, 2);
    assert_eq!(emulator.stats().rejected, 0);
    let stored: Vec<_> = emulator
        .events()
        .into_iter()
        .map(|e| (e.properties["df_order_id"].clone(), e.items.len()))
        .collect();
    assert_eq!(
        stored,
        [
            (serde_json::json!("O-1"), 60),
            (serde_json::json!("O-2"), 60)
        ]
    );
}

#[tokio::test]
async fn items_are_packed_up_to_100_per_request_in_order() {
    let emulator = emulator().await;
    let orders: Vec<_> = [30, 30, 40, 1, 99, 100, 0]
        .iter()
        .enumerate()
        .map(|(i, &n)| purchase(&format!("O-{i}"), n.max(1), 10.0))
        .collect();
    let report = client(&emulator)
        .send_events(&user("u"), &orders)
        .await
        .unwrap();
    let items: Vec<_> = report.requests.iter().map(|r| r.items).collect();
    assert_eq!(items, [100, 100, 100, 1]);
    let stored: Vec<_> = emulator
        .events()
        .into_iter()
        .map(|e| e.properties["df_order_id"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<_> = (0..7).map(|i| format!("O-{i}")).collect();
    assert_eq!(stored, expected, "stored in the order given");
}

#[tokio::test]
async fn an_event_of_101_items_is_refused_before_sending() {
    let emulator = emulator().await;
    let big = purchase("O-BIG", 101, 10.0);
    let small = purchase("O-SMALL", 1, 10.0);
    let failed = client(&emulator)
        .send_events(&user("u"), [&small, &big])
        .await
        .unwrap_err();
    assert_eq!(
        the_one_invalid_event(&failed, &emulator),
        "event `df_purchase` is invalid: `event_items`: has 101 items; DFINERY takes at most 100 items in one request, all events together, so split the items over several events"
    );
    assert!(failed.undelivered.is_empty());
}

/// The error of the one invalid event of a refused call, the second given; nothing was sent.
fn the_one_invalid_event(
    failed: &dfinery::SendError,
    emulator: &dfinery_emulator::EmulatorHandle,
) -> String {
    let Error::InvalidEvents { events, .. } = &failed.error else {
        panic!("expected InvalidEvents, got {:?}", failed.error);
    };
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].index, 1);
    assert_eq!(emulator.stats().requests, 0, "nothing was sent");
    events[0].error.to_string()
}

/// A record given the nil UUID as its id (`with_event_log_id`) is refused before sending:
/// DFINERY would keep one event of all those sent with it.
#[tokio::test]
async fn an_event_with_the_nil_log_id_is_refused_before_sending() {
    let emulator = emulator().await;
    let nil = purchase("O-NIL", 1, 10.0)
        .to_record()
        .unwrap()
        .with_event_log_id(uuid::Uuid::nil());
    let fine = purchase("O-FINE", 1, 10.0).to_record().unwrap();
    let failed = client(&emulator)
        .send_events(&user("u"), [fine, nil])
        .await
        .unwrap_err();
    let error = the_one_invalid_event(&failed, &emulator);
    assert!(error.contains("`event_log_id`: is the nil UUID"), "{error}");
}

#[tokio::test]
async fn when_request_two_of_three_fails_the_rest_can_be_resent_safely() {
    let emulator = emulator().await;
    emulator.push_script([
        ScriptedResponse::Normal,
        ScriptedResponse::import(ImportCode::ValidationFailure),
    ]);
    let client = client(&emulator);
    let records = logins(250);
    let failed = client
        .send_events(&user("u"), records.clone())
        .await
        .unwrap_err();
    assert!(matches!(failed.error, Error::Validation { .. }));
    assert_eq!(failed.delivered.events, 100);
    assert_eq!(ids(&failed.undelivered), ids(&records[100..]));
    assert!(
        failed
            .to_string()
            .ends_with("(150 events not delivered; 100 delivered in 1 request, in `undelivered`)"),
        "{failed}"
    );
    let report = client
        .send_events(&user("u"), failed.undelivered)
        .await
        .unwrap();
    assert_eq!(report.events, 150);
    let stored: Vec<_> = emulator
        .events()
        .into_iter()
        .map(|e| e.event_log_id)
        .collect();
    assert_eq!(stored, ids(&records));
    assert_eq!(emulator.stats().duplicates, 0);
}

/// An event DFINERY refuses in the second request: the answer's paths count that request's
/// events (`events[3]`), which is `undelivered[3]` and the event given at index 103. The
/// message said "resend `undelivered`" first, then named `events[3]`, an event of the caller's
/// that was fine, as if the paths counted the events given; resending was refused again.
#[tokio::test]
async fn a_refusal_of_a_later_request_says_where_its_paths_count_from_and_fix_comes_first() {
    let emulator = emulator().await;
    let mut records = logins(150);
    records[103] = EventRecord::builder("df_login")
        .property("not_registered_x", 1_i64)
        .build()
        .unwrap();
    let failed = client(&emulator)
        .send_events(&user("u"), records.clone())
        .await
        .unwrap_err();
    let Error::Validation { violations, .. } = &failed.error else {
        panic!("expected a validation error, got {:?}", failed.error);
    };
    assert!(
        violations[0].path.starts_with("events[3]."),
        "{violations:?}"
    );
    // The path's index is the index in `undelivered`.
    assert_eq!(
        failed.undelivered[3].event_log_id(),
        records[103].event_log_id()
    );
    let text = failed.to_string();
    assert!(
        text.starts_with("`POST /api/v1/events` refused the request as invalid"),
        "the refusal and its fix come first: {text}"
    );
    assert!(
        text.ends_with(
            "; these paths count the events of the refused request: `events[i]` is \
             `undelivered[i]`, the event given at index 100 + i (50 events not delivered; 100 \
             delivered in 1 request, in `undelivered`)"
        ),
        "{text}"
    );
    assert!(!text.contains("(resend `undelivered`)"), "{text}");
}
