//! Storage faults under the spool (see `fault_backend.rs`): a full disk, `EIO` on write and on
//! sync, a disk remounted read-only, a short read on open, the file deleted or replaced while
//! open. Each test checks the rules of RELIABILITY.md ("Faults at the edges") and prints its
//! figures: messages accepted, refused with an error, delivered after recovery, lost.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use dfinery::{Spool, TrackError, Tracker};

use crate::fault_backend::{EIO, ENOSPC, EROFS, Faults, open_spool};
use crate::support::{DOWN, client_to, emulator_with, login, temp_path, user};

/// An error with its sources, as a reporter prints it.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// What one fault scenario counted.
#[derive(Debug, Default)]
struct Figures {
    /// `track` calls that returned `Ok` (durable) and `try_track` calls that returned `Ok`.
    accepted: usize,
    /// `track` calls refused with a spool error saying the message was not made durable.
    refused: usize,
    /// `try_track` messages whose spool write failed (the `not_durable` metric).
    not_durable: u64,
    /// Accepted messages DFINERY stored after the disk recovered (from the spool, by a
    /// tracker started later on the file).
    delivered_after_recovery: usize,
    /// Accepted messages never stored.
    lost: usize,
    /// Events stored more than once, or stored without having been accepted.
    extra: usize,
    /// Writes and syncs of the file the fault made fail.
    failed_io: (u64, u64),
}

/// Delivers what the spool at `path` holds to a fresh emulator; the `event_log_id`s it
/// stored, and how many events it stored in all.
async fn deliver_spool(path: &Path) -> (BTreeSet<String>, usize) {
    let emulator = emulator_with(|b| b).await;
    let tracker = Tracker::builder(client_to(emulator.base_url()).build().unwrap())
        .spool(path)
        .build()
        .expect("the spool opens once the disk has recovered");
    let report = tracker
        .shutdown_within(Duration::from_secs(60))
        .await
        .unwrap();
    assert!(!report.timed_out, "{report:?}");
    assert_eq!(report.left_in_spool, 0, "{report:?}");
    let events = emulator.events();
    let ids = events.iter().map(|e| e.event_log_id.clone()).collect();
    (ids, events.len())
}

/// Waits (real time, bounded) until `tracker` counts `want` messages as not durable.
async fn wait_not_durable(tracker: &Tracker, want: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let seen = tracker.metrics().not_durable;
        if seen >= want || Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The scenario of a fault on the write path: 40 messages tracked durably, then the fault is
/// switched on and 20 `track` and 10 `try_track` calls are made, then the disk recovers and
/// 40 more are tracked. DFINERY is down all along, so everything accepted must be in the file;
/// a tracker started later delivers it.
async fn write_fault(name: &str, switch_on: impl Fn(&Faults)) -> Figures {
    let path = temp_path(name, "redb");
    let faults = Arc::new(Faults::default());
    let spool = open_spool(&path, &faults).expect("the spool opens before the fault");
    let tracker = Tracker::builder(client_to(DOWN).build().unwrap())
        .spool_opened(spool)
        .build()
        .unwrap();
    let mut accepted = BTreeSet::new();
    let mut figures = Figures::default();
    for n in 0..40 {
        let id = tracker.track(&user(&format!("b{}", n % 5)), login()).await;
        accepted.insert(id.expect("tracked before the fault").to_string());
    }
    switch_on(&faults);
    for n in 0..20 {
        match tracker.track(&user(&format!("d{}", n % 5)), login()).await {
            Ok(id) => panic!("{name}: track returned Ok ({id}) while the disk fails"),
            Err(error @ TrackError::Spool(_)) => {
                let text = chain(&error);
                assert!(
                    text.contains("not made durable") && text.contains(&*path.to_string_lossy()),
                    "{name}: the error names the file and says the message is not durable: {text}"
                );
                figures.refused += 1;
            }
            Err(other) => panic!("{name}: not a spool error: {other:?}"),
        }
    }
    for n in 0..10 {
        let id = tracker
            .try_track(&user(&format!("t{}", n % 5)), login())
            .expect("try_track hands the message over while the disk fails");
        accepted.insert(id.to_string());
    }
    figures.not_durable = wait_not_durable(&tracker, 10).await;
    assert_eq!(
        figures.not_durable, 10,
        "{name}: every failed try_track write is counted"
    );
    faults.clear();
    for n in 0..40 {
        let id = tracker.track(&user(&format!("a{}", n % 5)), login()).await;
        accepted.insert(
            id.unwrap_or_else(|e| panic!("{name}: spooling resumes once the disk recovers: {e}"))
                .to_string(),
        );
    }
    let metrics = tracker.metrics();
    assert_eq!(metrics.rejected, 20, "{name}: {metrics:?}");
    let report = tracker.shutdown_within(Duration::ZERO).await.unwrap();
    assert_eq!(report.left_in_spool, 90, "{name}: {report:?}");
    drop(tracker);
    figures.accepted = accepted.len();
    let (stored, events) = deliver_spool(&path).await;
    figures.delivered_after_recovery = stored.intersection(&accepted).count();
    figures.lost = accepted.difference(&stored).count();
    figures.extra = events - figures.delivered_after_recovery;
    figures.failed_io = (
        faults.writes_failed.load(Ordering::SeqCst),
        faults.syncs_failed.load(Ordering::SeqCst),
    );
    println!("{name}: {figures:?}");
    figures
}

fn assert_rules(name: &str, figures: &Figures) {
    assert_eq!(figures.accepted, 90, "{name}: {figures:?}");
    assert_eq!(figures.refused, 20, "{name}: {figures:?}");
    assert_eq!(
        figures.lost, 0,
        "{name}: an accepted message was lost: {figures:?}"
    );
    assert_eq!(figures.delivered_after_recovery, 90, "{name}: {figures:?}");
    assert_eq!(
        figures.extra, 0,
        "{name}: a refused message was delivered, or one was stored twice: {figures:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_track_loses_nothing_accepted_and_spooling_resumes() {
    let figures = write_fault("enospc", |f| Faults::set(&f.write, ENOSPC)).await;
    assert_rules("ENOSPC on write", &figures);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eio_on_write_refuses_track_loses_nothing_accepted_and_spooling_resumes() {
    let figures = write_fault("eio-write", |f| Faults::set(&f.write, EIO)).await;
    assert_rules("EIO on write", &figures);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eio_on_fsync_is_never_taken_as_durable() {
    let figures = write_fault("eio-fsync", |f| Faults::set(&f.sync, EIO)).await;
    // Writes went through and only the sync failed: had the writer retried the sync and
    // reported success, `track` would have returned Ok and `refused` would be below 20; had
    // it kept those pages, the refused messages would be delivered (`extra` above 0).
    assert_rules("EIO on fsync", &figures);
    assert_eq!(figures.failed_io.0, 0, "only syncs failed: {figures:?}");
    assert!(figures.failed_io.1 > 0, "syncs failed: {figures:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_remounted_read_only_refuses_track_and_spooling_resumes_when_writable() {
    let figures = write_fault("erofs", |f| {
        Faults::set(&f.write, EROFS);
        Faults::set(&f.sync, EROFS);
        Faults::set(&f.open, EROFS);
    })
    .await;
    assert_rules("read-only", &figures);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_read_on_open_is_an_error_and_the_file_opens_in_full_after() {
    let path = temp_path("short-read", "redb");
    let faults = Arc::new(Faults::default());
    let tracker = Tracker::builder(client_to(DOWN).build().unwrap())
        .spool_opened(open_spool(&path, &faults).unwrap())
        .build()
        .unwrap();
    let mut accepted = BTreeSet::new();
    for n in 0..30 {
        let id = tracker.track(&user(&format!("s{}", n % 3)), login()).await;
        accepted.insert(id.unwrap().to_string());
    }
    tracker.shutdown_within(Duration::ZERO).await.unwrap();
    drop(tracker);
    faults.short_read.store(true, Ordering::SeqCst);
    let refused = match open_spool(&path, &faults) {
        Ok(spool) => panic!("a short read opened the spool: {spool:?}"),
        Err(error) => chain(&error),
    };
    assert!(
        refused.contains(&*path.to_string_lossy()),
        "the error names the file: {refused}"
    );
    faults.clear();
    let spool = open_spool(&path, &faults).expect("the file opens once reads are whole");
    assert_eq!(spool.pending_len(), 30);
    drop(spool);
    let (stored, events) = deliver_spool(&path).await;
    let lost = accepted.difference(&stored).count();
    println!(
        "short read on open: accepted 30, open refused with `{refused}`, delivered after {}, lost {lost}",
        stored.len()
    );
    assert_eq!((stored, events), (accepted, 30));
}

/// The file removed (or replaced by another) while the tracker has it open: writes go on to
/// the open file, so every accepted message is still delivered by this tracker; no panic.
async fn file_gone(name: &str, replace: bool) {
    let emulator = emulator_with(|b| b).await;
    let path = temp_path(name, "redb");
    let tracker = Tracker::builder(client_to(emulator.base_url()).build().unwrap())
        .spool(&path)
        .build()
        .unwrap();
    let mut accepted = BTreeSet::new();
    for n in 0..30 {
        let id = tracker.track(&user(&format!("g{}", n % 3)), login()).await;
        accepted.insert(id.unwrap().to_string());
    }
    if replace {
        let other = temp_path(&format!("{name}-other"), "redb");
        drop(Spool::open(&other).unwrap());
        std::fs::rename(&other, &path).unwrap();
    } else {
        std::fs::remove_file(&path).unwrap();
    }
    for n in 0..30 {
        let id = tracker.track(&user(&format!("h{}", n % 3)), login()).await;
        accepted.insert(id.unwrap().to_string());
        let id = tracker
            .try_track(&user(&format!("i{}", n % 3)), login())
            .unwrap();
        accepted.insert(id.to_string());
    }
    let report = tracker
        .shutdown_within(Duration::from_secs(60))
        .await
        .unwrap();
    assert!(!report.timed_out, "{name}: {report:?}");
    let events = emulator.events();
    let stored: BTreeSet<String> = events.iter().map(|e| e.event_log_id.clone()).collect();
    let lost = accepted.difference(&stored).count();
    println!(
        "{name}: accepted {}, delivered {}, stored {} events, lost {lost}",
        accepted.len(),
        report.delivered,
        events.len()
    );
    assert_eq!(lost, 0, "{name}");
    assert_eq!((stored.len(), events.len()), (90, 90), "{name}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spool_deleted_while_open_loses_nothing_accepted() {
    file_gone("deleted", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spool_replaced_while_open_loses_nothing_accepted() {
    file_gone("replaced", true).await;
}
