//! A DFINERY that goes away: the emulator stopped mid-run for 10 s and started again on the
//! same port (with a fresh store: what the first one stored is counted with what the second
//! one stores). The Tracker backs off, keeps everything in its spool, and delivers it all once
//! DFINERY is back; a shutdown during the outage leaves the rest in the spool and says so.
//! Real time (a real server goes away), with generous bounds.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::Duration;

use dfinery::Tracker;
use dfinery_emulator::EmulatorHandle;

use crate::support::{client_to, emulator_with, login, temp_path, user};

/// How long DFINERY stays away.
const OUTAGE: Duration = Duration::from_secs(10);

/// Starts an emulator on `addr` (retrying while the old one's port is still being released).
async fn start_on(addr: SocketAddr) -> EmulatorHandle {
    for _ in 0..50 {
        let started = dfinery_emulator::Emulator::builder()
            .registry_path(crate::support::REGISTRY)
            .bind(addr)
            .start()
            .await;
        if let Ok(emulator) = started {
            return emulator;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the emulator could not start again on {addr}");
}

fn tracker_for(base_url: &str, spool: &std::path::Path) -> Tracker {
    Tracker::builder(client_to(base_url).build().unwrap())
        .spool(spool)
        .flush_interval(Duration::from_millis(100))
        .redelivery_backoff(Duration::from_millis(200), Duration::from_secs(2))
        .build()
        .unwrap()
}

/// How often each `event_log_id` was stored, over every emulator given.
fn counts(stores: &[Vec<String>]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for id in stores.iter().flatten() {
        *counts.entry(id.clone()).or_insert(0) += 1;
    }
    counts
}

fn ids(emulator: &EmulatorHandle) -> Vec<String> {
    emulator
        .events()
        .into_iter()
        .map(|e| e.event_log_id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_tracked_before_during_and_after_an_outage_is_stored_exactly_once() {
    let first = emulator_with(|b| b).await;
    let addr = first.addr();
    let spool = temp_path("outage", "redb");
    let tracker = tracker_for(first.base_url(), &spool);
    let mut tracked = BTreeSet::new();
    for n in 0..50 {
        tracked.insert(
            tracker
                .track(&user(&format!("o{}", n % 5)), login())
                .await
                .unwrap()
                .to_string(),
        );
    }
    let flushed = tracker.flush().await.unwrap();
    assert!(flushed.is_complete(), "{flushed:?}");
    let before = ids(&first);
    first.shutdown().await;

    // DFINERY is away: tracking goes on, into the spool.
    let outage = tokio::time::Instant::now();
    for n in 0..50 {
        tracked.insert(
            tracker
                .track(&user(&format!("p{}", n % 5)), login())
                .await
                .unwrap()
                .to_string(),
        );
        tracked.insert(
            tracker
                .try_track(&user(&format!("q{}", n % 5)), login())
                .unwrap()
                .to_string(),
        );
    }
    tokio::time::sleep_until(outage + OUTAGE).await;
    let during = tracker.metrics();
    assert!(
        during.retried > 0,
        "the tracker tried and backed off: {during:?}"
    );
    assert!(
        during.spooled >= 100,
        "everything tracked meanwhile is kept: {during:?}"
    );

    let second = start_on(addr).await;
    for n in 0..50 {
        tracked.insert(
            tracker
                .track(&user(&format!("r{}", n % 5)), login())
                .await
                .unwrap()
                .to_string(),
        );
    }
    let report = tracker
        .shutdown_within(Duration::from_secs(90))
        .await
        .unwrap();
    let after = ids(&second);
    let counts = counts(&[before.clone(), after.clone()]);
    let twice = counts.values().filter(|&&c| c > 1).count();
    let stored: BTreeSet<String> = counts.keys().cloned().collect();
    println!(
        "outage of {OUTAGE:?}: tracked {} (50 before, 100 during, 50 after), stored {} before \
         and {} after it returned, {} stored twice, {} delivered by the tracker ({} resends during the outage), left in spool {}",
        tracked.len(),
        before.len(),
        after.len(),
        twice,
        report.delivered,
        during.retried,
        report.left_in_spool
    );
    assert!(!report.timed_out, "{report:?}");
    assert_eq!(report.left_in_spool, 0, "{report:?}");
    assert_eq!(stored, tracked, "every tracked event is stored");
    assert_eq!(twice, 0, "none is stored twice");
    assert_eq!(tracked.len(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_during_an_outage_leaves_the_rest_in_the_spool_and_reports_it() {
    let first = emulator_with(|b| b).await;
    let addr = first.addr();
    let spool = temp_path("outage-shutdown", "redb");
    let tracker = tracker_for(first.base_url(), &spool);
    let mut tracked = BTreeSet::new();
    for n in 0..30 {
        tracked.insert(
            tracker
                .track(&user(&format!("s{}", n % 3)), login())
                .await
                .unwrap()
                .to_string(),
        );
    }
    assert!(tracker.flush().await.unwrap().is_complete());
    let before = ids(&first);
    first.shutdown().await;
    for n in 0..40 {
        tracked.insert(
            tracker
                .track(&user(&format!("t{}", n % 4)), login())
                .await
                .unwrap()
                .to_string(),
        );
    }
    let report = tracker
        .shutdown_within(Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(
        report.left_in_spool, 40,
        "the shutdown says what it left: {report:?}"
    );
    drop(tracker);

    let second = start_on(addr).await;
    let again = tracker_for(second.base_url(), &spool);
    let recovered = again.metrics().recovered;
    let final_report = again
        .shutdown_within(Duration::from_secs(60))
        .await
        .unwrap();
    let after = ids(&second);
    let counts = counts(&[before.clone(), after.clone()]);
    let stored: BTreeSet<String> = counts.keys().cloned().collect();
    println!(
        "shutdown during an outage: tracked 70, delivered {} before, shutdown left {} in the \
         spool (timed out: {}), next tracker recovered {recovered} and delivered {}",
        before.len(),
        report.left_in_spool,
        report.timed_out,
        after.len()
    );
    assert_eq!(final_report.left_in_spool, 0, "{final_report:?}");
    assert_eq!(stored, tracked);
    assert!(counts.values().all(|&c| c == 1), "none stored twice");
}
