//! Splitting into requests of at most 100 events (and, when asked, 100 items), in order, and
//! what a failure of request k of n leaves delivered and undelivered.

use dfinery::EventRecord;
use dfinery::client::Error;
use dfinery_emulator::{ImportCode, ScriptedResponse};

use crate::model::purchase;
use crate::support::{client, client_for, emulator, emulator_with, user};

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
async fn items_can_be_limited_per_request() {
    let emulator = emulator_with(|b| b.item_limit_per_request(true)).await;
    let orders: Vec<_> = (0..5)
        .map(|i| purchase(&format!("O-{i}"), 30, 10.0))
        .collect();
    // 150 items in one request: the emulator, counting per request, refuses it.
    let failed = client(&emulator)
        .send_events(&user("u"), &orders)
        .await
        .unwrap_err();
    assert!(
        matches!(failed.error, Error::Validation { .. }),
        "{:?}",
        failed.error
    );
    // Counting per request too, the client sends 90 + 60 items.
    let per_request = client_for(&emulator)
        .item_limit_per_request(true)
        .build()
        .unwrap();
    let report = per_request.send_events(&user("u"), &orders).await.unwrap();
    let items: Vec<_> = report.requests.iter().map(|r| r.items).collect();
    assert_eq!(items, [90, 60]);
    assert_eq!(emulator.stats().accepted, 5);
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
    assert_eq!(failed.delivered.events(), 100);
    assert_eq!(ids(&failed.undelivered), ids(&records[100..]));
    assert!(
        failed
            .to_string()
            .starts_with("100 events delivered in 1 requests, 150 not delivered"),
        "{failed}"
    );
    let report = client
        .send_events(&user("u"), failed.undelivered)
        .await
        .unwrap();
    assert_eq!(report.events(), 150);
    let stored: Vec<_> = emulator
        .events()
        .into_iter()
        .map(|e| e.event_log_id)
        .collect();
    assert_eq!(stored, ids(&records));
    assert_eq!(emulator.stats().duplicates, 0);
}
