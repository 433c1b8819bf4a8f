//! Batching: a user's queue goes as soon as it holds a full request (100 events, or the byte
//! limit), the rest on the interval; users are never mixed in one request.

use std::time::Duration;

use tokio::time::Instant;

use crate::support::{Recorder, emulator, login, sign_up, stored_ids, tracker_to, user};

fn sizes(proxy: &Recorder) -> Vec<usize> {
    proxy.seen().iter().map(|s| s.event_ids().len()).collect()
}

#[tokio::test(start_paused = true)]
async fn full_batches_go_at_once_and_the_rest_on_the_interval() {
    let emulator = emulator().await;
    let (url, proxy) = Recorder::start(emulator.base_url()).await;
    let tracker = tracker_to(&url).build().unwrap();
    let alice = user("alice");
    let start = Instant::now();
    let ids: Vec<String> = (0..250)
        .map(|_| tracker.try_track(&alice, login()).unwrap().to_string())
        .collect();

    proxy.wait_for(2).await;
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "sent on count, before the 1 s interval: {:?}",
        start.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(
        sizes(&proxy),
        [100, 100],
        "the last 50 wait for the interval"
    );

    proxy.wait_for(3).await;
    assert!(start.elapsed() >= Duration::from_secs(1));
    assert_eq!(sizes(&proxy), [100, 100, 50]);
    let sent: Vec<String> = proxy.seen().iter().flat_map(|s| s.event_ids()).collect();
    assert_eq!(sent, ids, "every event once, in the order tracked");
    let report = tracker.shutdown().await.unwrap();
    assert_eq!(report.delivered, 250);
}

#[tokio::test(start_paused = true)]
async fn events_handed_over_one_at_a_time_still_go_as_one_full_request_at_once() {
    // Each call wakes the worker for one message, and a worker woken for few messages lets
    // other tasks run first to take more at a time: that must neither split the request nor
    // hold it back (here until a 1-hour interval) when the runtime has nothing else to do.
    let emulator = emulator().await;
    let (url, proxy) = Recorder::start(emulator.base_url()).await;
    let tracker = tracker_to(&url)
        .flush_interval(Duration::from_secs(3600))
        .build()
        .unwrap();
    let dave = user("dave");
    let start = Instant::now();
    let mut ids = Vec::new();
    for _ in 0..100 {
        ids.push(tracker.track(&dave, login()).await.unwrap().to_string());
        // The runtime is idle between two calls.
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    proxy.wait_for(1).await;
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "the full request waited for the interval: {:?}",
        start.elapsed()
    );
    assert_eq!(sizes(&proxy), [100]);
    let sent: Vec<String> = proxy.seen().iter().flat_map(|s| s.event_ids()).collect();
    assert_eq!(sent, ids, "every event once, in the order tracked");
    tracker.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn the_byte_limit_cuts_batches_and_triggers_a_send() {
    let emulator = emulator().await;
    let (url, proxy) = Recorder::start(emulator.base_url()).await;
    // Each event weighs about 1.2 KB: three fit in 4 KiB, four do not.
    let tracker = tracker_to(&url).max_batch_bytes(4096).build().unwrap();
    let bob = user("bob");
    let start = Instant::now();
    for _ in 0..9 {
        tracker.try_track(&bob, sign_up(1000)).unwrap();
    }
    proxy.wait_for(2).await;
    assert!(start.elapsed() < Duration::from_secs(1), "sent on bytes");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sizes(&proxy),
        [3, 3],
        "3.6 KB left: below the limit, it waits"
    );
    proxy.wait_for(3).await;
    assert_eq!(sizes(&proxy), [3, 3, 3]);
    assert_eq!(emulator.events().len(), 9);
    tracker.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_lone_event_goes_on_the_interval() {
    let emulator = emulator().await;
    let (url, proxy) = Recorder::start(emulator.base_url()).await;
    let tracker = tracker_to(&url)
        .flush_interval(Duration::from_secs(5))
        .build()
        .unwrap();
    let start = Instant::now();
    tracker.try_track(&user("carol"), login()).unwrap();
    tokio::time::sleep(Duration::from_millis(4_900)).await;
    assert!(proxy.seen().is_empty(), "nothing before the interval");
    proxy.wait_for(1).await;
    assert!(start.elapsed() >= Duration::from_secs(5));
    assert_eq!(sizes(&proxy), [1]);
    tracker.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn each_request_holds_one_user_and_flush_sends_everything_now() {
    let emulator = emulator().await;
    let (url, proxy) = Recorder::start(emulator.base_url()).await;
    let tracker = tracker_to(&url)
        .flush_interval(Duration::from_secs(3600))
        .build()
        .unwrap();
    let users = ["u1", "u2", "u3"].map(user);
    let mut tracked = Vec::new();
    for round in 0..5 {
        for (i, u) in users.iter().enumerate() {
            let id = tracker.try_track(u, login()).unwrap().to_string();
            tracked.push((format!("u{}", i + 1), id, round));
        }
    }
    let report = tracker.flush().await.unwrap();
    assert_eq!(report.delivered, 15);
    assert!(report.is_complete(), "{report:?}");
    let seen = proxy.seen();
    assert_eq!(seen.len(), 3, "one request per user");
    for request in &seen {
        let who = request.external_id();
        let expected: Vec<String> = tracked
            .iter()
            .filter(|(u, _, _)| *u == who)
            .map(|(_, id, _)| id.clone())
            .collect();
        assert_eq!(request.event_ids(), expected, "{who}'s events, in order");
    }
    let metrics = tracker.metrics();
    assert_eq!((metrics.queued, metrics.in_flight), (0, 0));
    tracker.shutdown().await.unwrap();
}

/// A `wishlist_shared` event with `n` items.
fn shared(n: usize) -> dfinery::EventRecord {
    (0..n)
        .fold(dfinery::EventRecord::builder("wishlist_shared"), |b, i| {
            b.item(dfinery::ItemBuilder::new().property("sku", format!("S-{i}")))
        })
        .build()
        .expect("a valid event")
}

fn items(proxy: &Recorder) -> Vec<usize> {
    proxy
        .seen()
        .iter()
        .map(|s| {
            s.body["events"].as_array().map_or(0, |events| {
                events
                    .iter()
                    .map(|e| e["event_items"].as_array().map_or(0, Vec::len))
                    .sum()
            })
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn no_request_carries_more_than_100_items_in_all() {
    let emulator = emulator().await;
    let (url, proxy) = Recorder::start(emulator.base_url()).await;
    let tracker = tracker_to(&url).build().unwrap();
    let carol = user("carol");
    let ids: Vec<String> = [60, 60, 40, 0, 30, 70, 1]
        .into_iter()
        .map(|n| tracker.try_track(&carol, shared(n)).unwrap().to_string())
        .collect();
    let report = tracker.shutdown().await.unwrap();
    assert_eq!(report.delivered, 7);
    assert_eq!(items(&proxy), [60, 100, 100, 1]);
    assert_eq!(sizes(&proxy), [1, 3, 2, 1]);
    let sent: Vec<String> = proxy.seen().iter().flat_map(|s| s.event_ids()).collect();
    assert_eq!(sent, ids, "every event once, in the order tracked");
    assert_eq!(emulator.stats().rejected, 0);
    assert_eq!(emulator.events().len(), 7);
}

#[tokio::test(start_paused = true)]
async fn a_queue_more_than_half_full_is_sent_without_waiting_for_the_interval() {
    // 40 users, one event each, a cap of 20 messages and a 1-hour interval: no user ever holds
    // a full request, so without sending on pressure the 21st call would wait an hour for room.
    let emulator = emulator().await;
    let (url, proxy) = Recorder::start(emulator.base_url()).await;
    let tracker = tracker_to(&url)
        .queue_cap(20, 1 << 20)
        .flush_interval(Duration::from_secs(3600))
        .build()
        .unwrap();
    let start = Instant::now();
    for n in 0..40 {
        tracker
            .track(&user(&format!("many-{n}")), login())
            .await
            .unwrap();
    }
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "room came from sends on pressure, not from the interval: {:?}",
        start.elapsed()
    );
    assert!(
        !proxy.seen().is_empty(),
        "some users were sent before the interval"
    );
    let report = tracker.shutdown().await.unwrap();
    assert_eq!(report.delivered, 40);
    assert_eq!(stored_ids(&emulator).len(), 40);
}

/// An event made from JSON parts with more items than one request carries (the derives and the
/// builder refuse it already) is refused by the call: it was queued, and DFINERY's refusal
/// dead-lettered it after every call had returned `Ok`.
#[tokio::test(start_paused = true)]
async fn an_event_with_more_items_than_a_request_carries_is_refused_by_the_call() {
    let tracker = tracker_to(crate::support::DOWN).build().unwrap();
    let items = format!("[{}]", vec![r#"{"sku":"A"}"#; 101].join(","));
    let items: &serde_json::value::RawValue = serde_json::from_str(&items).unwrap();
    let record = dfinery::EventRecord::from_json_parts(
        uuid::Uuid::new_v4(),
        "wishlist_shared",
        dfinery::Datetime::now(),
        Some(items),
        None,
    )
    .unwrap();
    let refused = tracker.try_track(&user("kim"), record.clone()).unwrap_err();
    assert!(
        matches!(refused, dfinery::TrackError::Invalid(_)),
        "{refused:?}"
    );
    assert!(refused.to_string().contains("has 101 items"), "{refused}");
    let refused = tracker.track(&user("kim"), record).await.unwrap_err();
    assert!(
        matches!(refused, dfinery::TrackError::Invalid(_)),
        "{refused:?}"
    );
    assert_eq!(tracker.metrics().queued, 0);
    tracker.shutdown().await.unwrap();
}

/// An event given the nil UUID as its id is refused by the call (DFINERY would keep one event
/// of all those tracked with it), whether the record was changed (`with_event_log_id`) or made
/// from JSON parts.
#[tokio::test(start_paused = true)]
async fn an_event_with_the_nil_log_id_is_refused_by_the_call() {
    let tracker = tracker_to(crate::support::DOWN).build().unwrap();
    let record = dfinery::EventRecord::builder("wishlist_shared")
        .build()
        .unwrap()
        .with_event_log_id(uuid::Uuid::nil());
    let refused = tracker.try_track(&user("kim"), record.clone()).unwrap_err();
    assert!(
        matches!(refused, dfinery::TrackError::Invalid(_)),
        "{refused:?}"
    );
    assert!(refused.to_string().contains("nil UUID"), "{refused}");
    let refused = tracker.track(&user("kim"), record).await.unwrap_err();
    assert!(
        matches!(refused, dfinery::TrackError::Invalid(_)),
        "{refused:?}"
    );
    let from_parts = dfinery::EventRecord::from_json_parts(
        uuid::Uuid::nil(),
        "wishlist_shared",
        dfinery::Datetime::now(),
        None,
        None,
    )
    .unwrap_err();
    assert!(from_parts.to_string().contains("nil UUID"), "{from_parts}");
    assert_eq!(tracker.metrics().queued, 0);
    tracker.shutdown().await.unwrap();
}
