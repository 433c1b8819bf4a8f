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

/// Tracks 30 logins, awaited, spread over the users `{prefix}0`..`{prefix}2`; their
/// `event_log_id`s.
async fn track_30(tracker: &Tracker, prefix: &str) -> BTreeSet<String> {
    let mut accepted = BTreeSet::new();
    for n in 0..30 {
        let id = tracker
            .track(&user(&format!("{prefix}{}", n % 3)), login())
            .await;
        accepted.insert(id.unwrap().to_string());
    }
    accepted
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

/// A tracker whose DFINERY is down, on a spool at a fresh path under `name` whose disk
/// faults the returned [`Faults`] switch on (none yet), and that path.
fn down_on_a_faulty_spool(name: &str) -> (Tracker, Arc<Faults>, std::path::PathBuf) {
    let path = temp_path(name, "redb");
    let faults = Arc::new(Faults::default());
    let spool = open_spool(&path, &faults).expect("the spool opens before the fault");
    let tracker = Tracker::builder(client_to(DOWN).build().unwrap())
        .spool_opened(spool)
        .build()
        .unwrap();
    (tracker, faults, path)
}

/// The scenario of a fault on the write path: 40 messages tracked durably, then the fault is
/// switched on and 20 `track` and 10 `try_track` calls are made, then the disk recovers and
/// 40 more are tracked. DFINERY is down all along, so everything accepted must be in the file;
/// a tracker started later delivers it.
async fn write_fault(name: &str, switch_on: impl Fn(&Faults)) -> Figures {
    let (tracker, faults, path) = down_on_a_faulty_spool(name);
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
    let (tracker, faults, path) = down_on_a_faulty_spool("short-read");
    let accepted = track_30(&tracker, "s").await;
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

/// A full disk when the spool is opened is no damage: the error says to free space (or give a
/// path on another disk), not to move the file aside, which would lose what it holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_at_open_is_named_with_its_fix_not_the_damaged_file_advice() {
    // A new spool: the store cannot write the file's first pages.
    let path = temp_path("full-at-open", "redb");
    let faults = Arc::new(Faults::default());
    Faults::set(&faults.write, ENOSPC);
    let error = open_spool(&path, &faults).expect_err("nothing can be written");
    let text = chain(&error);
    println!("a new spool on a full disk: {text}");
    assert!(
        matches!(error, dfinery::SpoolError::Path { .. }),
        "a path problem, nothing lost: {text}"
    );
    assert!(
        text.contains(&*path.to_string_lossy()) && text.contains("free space"),
        "the error names the file and the fix: {text}"
    );
    assert!(
        !text.contains("move it aside"),
        "no advice that would lose the messages: {text}"
    );
    // The disk has room again: the spool opens. (The test's backend made the file at the
    // path before its first write failed; `Spool::open` makes it aside and links it whole.)
    faults.clear();
    if std::fs::metadata(&path).is_ok_and(|meta| meta.len() == 0) {
        std::fs::remove_file(&path).unwrap();
    }
    let spool = open_spool(&path, &faults).expect("the spool opens once there is room");
    drop(spool);
    let _ = std::fs::remove_file(&path);
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
    let mut accepted = track_30(&tracker, "g").await;
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

/// The file deleted or replaced while open, with DFINERY down, so that everything accepted is
/// still pending at shutdown: the writer follows its path (a new spool there with everything
/// the old file held; a foreign file moved aside, never written), so a tracker started later
/// on the path delivers every accepted message. Returns the foreign file's new path, if any.
async fn file_gone_while_down(name: &str, foreign: Option<&[u8]>) -> Option<std::path::PathBuf> {
    let path = temp_path(name, "redb");
    let tracker = Tracker::builder(client_to(DOWN).build().unwrap())
        .spool(&path)
        .build()
        .unwrap();
    let mut accepted = track_30(&tracker, "g").await;
    match foreign {
        Some(bytes) => {
            let other = temp_path(&format!("{name}-other"), "bin");
            std::fs::write(&other, bytes).unwrap();
            std::fs::rename(&other, &path).unwrap();
        }
        None => std::fs::remove_file(&path).unwrap(),
    }
    for n in 0..30 {
        let id = tracker.track(&user(&format!("h{}", n % 3)), login()).await;
        accepted.insert(
            id.unwrap_or_else(|e| panic!("{name}: track after the move: {}", chain(&e)))
                .to_string(),
        );
        let id = tracker
            .try_track(&user(&format!("i{}", n % 3)), login())
            .unwrap();
        accepted.insert(id.to_string());
    }
    let report = tracker.shutdown_within(Duration::ZERO).await.unwrap();
    let metrics = report.metrics;
    assert_eq!(metrics.spool_recreated, 1, "{name}: {metrics:?}");
    assert_eq!(metrics.not_durable, 0, "{name}: {metrics:?}");
    assert_eq!(report.left_in_spool, 90, "{name}: {report:?}");
    drop(tracker);
    // What is beside the spool now: the foreign file, moved aside.
    let prefix = format!("{}.foreign-", path.file_name().unwrap().to_string_lossy());
    let aside: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&prefix)
        })
        .collect();
    let (stored, events) = deliver_spool(&path).await;
    let lost = accepted.difference(&stored).count();
    println!(
        "{name}: accepted {}, refused 0, recreated {}, delivered after restart {}, lost {lost}, \
         stored {events} events, moved aside {aside:?}",
        accepted.len(),
        metrics.spool_recreated,
        stored.intersection(&accepted).count(),
    );
    assert_eq!(lost, 0, "{name}: accepted messages lost at the next start");
    assert_eq!((stored.len(), events), (90, 90), "{name}");
    match foreign {
        Some(bytes) => {
            assert_eq!(aside.len(), 1, "{name}: {aside:?}");
            assert_eq!(
                std::fs::read(&aside[0]).unwrap(),
                bytes,
                "{name}: the foreign file is never written"
            );
            Some(aside[0].clone())
        }
        None => {
            assert!(aside.is_empty(), "{name}: {aside:?}");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spool_deleted_while_open_is_recreated_so_nothing_accepted_is_lost_at_restart() {
    file_gone_while_down("deleted-down", None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_file_over_the_spool_is_moved_aside_unwritten_and_nothing_accepted_is_lost() {
    let foreign = b"another program's file, not a spool".to_vec();
    let aside = file_gone_while_down("replaced-down", Some(&foreign)).await;
    assert!(aside.is_some());
}

/// `try_track` while the disk fails, DFINERY up: each message is counted as not durable and
/// told to the dead-letter callback as a notice (kind `not_durable`, still delivered), never
/// counted as dead-lettered; every one is delivered; and once delivered it is not written to
/// the file when the disk recovers (the writer's list of inserts to write again drops it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_track_not_made_durable_is_told_to_the_dead_letter_callback_and_still_delivered() {
    let emulator = emulator_with(|b| b).await;
    let path = temp_path("not-durable-notice", "redb");
    let faults = Arc::new(Faults::default());
    let letters = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&letters);
    let tracker = Tracker::builder(client_to(emulator.base_url()).build().unwrap())
        .spool_opened(open_spool(&path, &faults).unwrap())
        .on_dead_letter(move |letter| seen.lock().unwrap().push(letter))
        .build()
        .unwrap();
    Faults::set(&faults.write, EIO);
    let mut accepted = BTreeSet::new();
    for n in 0..20 {
        let id = tracker
            .try_track(&user(&format!("n{}", n % 4)), login())
            .expect("try_track hands the message over while the disk fails");
        accepted.insert(id.to_string());
    }
    let not_durable = wait_not_durable(&tracker, 20).await;
    let flush = tracker.flush().await.unwrap();
    assert!(flush.is_complete(), "{flush:?}");
    faults.clear();
    let last = tracker.track(&user("n0"), login()).await;
    accepted.insert(
        last.expect("spooling resumes once the disk recovers")
            .to_string(),
    );
    let report = tracker
        .shutdown_within(Duration::from_secs(60))
        .await
        .unwrap();
    let metrics = report.metrics;
    let letters = letters.lock().unwrap().clone();
    let stored = crate::support::stored_ids(&emulator);
    let lost = accepted.difference(&stored).count();
    let spooled = tracker.spool().map(|s| s.pending_len());
    println!(
        "not durable under try_track: accepted {}, not durable {not_durable}, told to the \
         callback {}, delivered {}, dead-lettered {}, lost {lost}, left in the file {spooled:?}",
        accepted.len(),
        letters.len(),
        metrics.delivered,
        metrics.dead_lettered,
    );
    assert_eq!(not_durable, 20, "{metrics:?}");
    assert_eq!(letters.len(), 20, "one notice per message: {letters:?}");
    let noticed: BTreeSet<u64> = letters.iter().map(|l| l.seq).collect();
    assert_eq!(noticed.len(), 20, "{letters:?}");
    for letter in &letters {
        assert_eq!(letter.kind, "not_durable", "{letter:?}");
        assert!(letter.still_delivered(), "{letter:?}");
        assert_eq!(letter.attempts, 0, "{letter:?}");
        assert!(
            letter.reason.contains("not made durable")
                && letter
                    .reason
                    .contains("still queued in memory and delivered")
                && letter.reason.contains(&*path.to_string_lossy()),
            "the reason names the file and says the message is still delivered: {}",
            letter.reason
        );
    }
    assert_eq!(
        metrics.dead_lettered, 0,
        "a notice is not a drop: {metrics:?}"
    );
    assert_eq!((metrics.delivered, lost), (21, 0), "{metrics:?}");
    assert!(metrics.balanced(), "{metrics:?}");
    assert_eq!(
        spooled,
        Some(0),
        "delivered messages are not written to the file once the disk recovers"
    );
}

/// Two faults at once: a write fails (the store then refuses the open file), and the file is
/// deleted before the writer opens it again. The writer starts a new spool at the path and
/// copies what the old file's synced commits hold (the store still reads it after a failed
/// write; were it to refuse, the loss would be logged with its count: RELIABILITY.md, "Known
/// limits"). DFINERY is down, so the file is all there is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spool_deleted_after_a_failed_write_is_recreated_at_its_path() {
    let (tracker, faults, path) = down_on_a_faulty_spool("deleted-after-failure");
    let before = track_30(&tracker, "f").await;
    Faults::set(&faults.write, EIO);
    let refused = tracker.track(&user("f0"), login()).await;
    assert!(matches!(refused, Err(TrackError::Spool(_))), "{refused:?}");
    std::fs::remove_file(&path).unwrap();
    faults.clear();
    let mut after = BTreeSet::new();
    for n in 0..30 {
        let id = tracker.track(&user(&format!("e{}", n % 3)), login()).await;
        after.insert(
            id.unwrap_or_else(|e| panic!("spooling resumes at the path: {}", chain(&e)))
                .to_string(),
        );
    }
    let report = tracker.shutdown_within(Duration::ZERO).await.unwrap();
    drop(tracker);
    let (stored, _) = deliver_spool(&path).await;
    println!(
        "deleted after a failed write: accepted {} + {}, refused 1, recreated {}, delivered after \
         restart {} + {}, failed writes {}",
        before.len(),
        after.len(),
        report.metrics.spool_recreated,
        stored.intersection(&before).count(),
        stored.intersection(&after).count(),
        faults.writes_failed.load(Ordering::SeqCst),
    );
    assert_eq!(report.metrics.spool_recreated, 1, "{report:?}");
    // The store still reads the old file after the failed write, so nothing accepted is lost,
    // and the refused message (not in any synced commit) is not delivered.
    let accepted: BTreeSet<String> = before.union(&after).cloned().collect();
    assert_eq!(stored, accepted, "lost or refused-yet-stored");
}

/// `try_track` on a failing disk: the first message not made durable is logged, with how the
/// rest are counted; the others are not logged one by one (a line per message on a full
/// disk flooded the log at the call rate), and the failed commits are logged by the spool.
#[tokio::test]
async fn try_track_on_a_failing_disk_logs_the_first_message_not_made_durable_not_each() {
    // The line is written where the commit is answered (another thread): read through the
    // process-wide subscriber, keeping the lines naming this test's file.
    let capture = crate::security::capture();
    let (tracker, faults, path) = down_on_a_faulty_spool("not-durable-logged");
    Faults::set(&faults.write, EIO);
    for n in 0..20 {
        tracker
            .try_track(&user(&format!("n{}", n % 4)), login())
            .expect("try_track hands the message over while the disk fails");
    }
    assert_eq!(wait_not_durable(&tracker, 20).await, 20);
    let file = path.display().to_string();
    let logs = capture.text();
    let lines: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("not on disk") && l.contains(&file))
        .collect();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(
        lines[0].contains("TrackerMetrics::not_durable"),
        "{}",
        lines[0]
    );
    faults.clear();
    let _ = tracker.shutdown_within(Duration::from_millis(200)).await;
}

/// A full disk under a busy service: every commit fails. The spool logs the failure once (not
/// once per commit, which flooded the log at the commit rate, with a WARN of its reopening
/// beside each), then one line when commits succeed again, with how many failed.
#[tokio::test]
async fn a_full_disk_logs_its_failed_commits_once_and_their_end_once() {
    let capture = crate::security::capture();
    let (tracker, faults, path) = down_on_a_faulty_spool("enospc-logged");
    Faults::set(&faults.write, ENOSPC);
    for n in 0..20 {
        let refused = tracker.track(&user(&format!("d{}", n % 5)), login()).await;
        assert!(matches!(refused, Err(TrackError::Spool(_))), "{refused:?}");
    }
    faults.clear();
    tracker
        .track(&user("d0"), login())
        .await
        .expect("spooling resumes once the disk recovers");
    let file = path.display().to_string();
    let logs = capture.text();
    let ours: Vec<&str> = logs.lines().filter(|l| l.contains(&file)).collect();
    let failed = ours
        .iter()
        .filter(|l| l.contains("spool commit failed"))
        .count();
    assert_eq!(failed, 1, "{ours:#?}");
    let reopened = ours
        .iter()
        .filter(|l| l.contains("WARN") && l.contains("spool opened again"))
        .count();
    assert_eq!(reopened, 0, "{ours:#?}");
    let back: Vec<&&str> = ours
        .iter()
        .filter(|l| l.contains("succeed again"))
        .collect();
    assert_eq!(back.len(), 1, "{ours:#?}");
    assert!(back[0].contains("failed_commits=20"), "{}", back[0]);
    let _ = tracker.shutdown_within(Duration::ZERO).await;
}

/// A run of failed commits whose fault changes (an I/O error, then a full disk): the new
/// reason is logged too, once. Logging only the first hid the second fault until commits
/// succeeded again, which they may never do.
#[tokio::test]
async fn a_new_reason_for_failed_commits_is_logged_not_hidden_behind_the_first() {
    let capture = crate::security::capture();
    let (tracker, faults, path) = down_on_a_faulty_spool("new-reason-logged");
    for errno in [EIO, ENOSPC] {
        Faults::set(&faults.write, errno);
        for n in 0..5 {
            let refused = tracker.track(&user(&format!("r{n}")), login()).await;
            assert!(matches!(refused, Err(TrackError::Spool(_))), "{refused:?}");
        }
    }
    faults.clear();
    let file = path.display().to_string();
    let logs = capture.text();
    let failed: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains(&file) && l.contains("spool commit failed"))
        .collect();
    assert_eq!(failed.len(), 2, "one line per reason: {failed:#?}");
    assert!(
        failed[0].contains("Input/output error") || failed[0].contains("os error 5"),
        "{}",
        failed[0]
    );
    assert!(
        failed[1].contains("No space left") || failed[1].contains("os error 28"),
        "{}",
        failed[1]
    );
    let _ = tracker.shutdown_within(Duration::ZERO).await;
}

/// The notice of messages not made durable re-arms once a spool write succeeds: a second
/// failing spell is logged too, not counted silently because the first was logged.
#[tokio::test]
async fn try_track_logs_a_second_failing_spell_after_the_disk_recovered() {
    let capture = crate::security::capture();
    let (tracker, faults, path) = down_on_a_faulty_spool("not-durable-rearmed");
    for spell in 0..2u64 {
        Faults::set(&faults.write, EIO);
        for n in 0..5 {
            tracker
                .try_track(&user(&format!("s{spell}n{n}")), login())
                .expect("try_track hands the message over while the disk fails");
        }
        assert_eq!(
            wait_not_durable(&tracker, 5 * (spell + 1)).await,
            5 * (spell + 1)
        );
        faults.clear();
        // A `try_` write that succeeds, then an awaited one: answered in commit order, so the
        // first one's answer has been given when the second returns.
        tracker.try_track(&user("ok"), login()).unwrap();
        tracker
            .track(&user("ok"), login())
            .await
            .expect("spooling resumes once the disk recovers");
    }
    let file = path.display().to_string();
    let logs = capture.text();
    let lines = logs
        .lines()
        .filter(|l| l.contains("not on disk") && l.contains(&file))
        .count();
    assert_eq!(lines, 2, "one line per failing spell:\n{logs}");
    let _ = tracker.shutdown_within(Duration::from_millis(200)).await;
}

/// A shutdown on a failing disk: the messages `try_track` accepted while the spool's writes
/// failed are in memory only, and the spool's last commit at shutdown fails too. The shutdown's
/// line must not tell the operator they stay in the spool for the next start: they are lost
/// with the process.
#[tokio::test]
async fn a_shutdown_whose_last_spool_commit_fails_does_not_say_the_messages_stay_in_it() {
    let capture = crate::security::capture();
    let (tracker, faults, path) = down_on_a_faulty_spool("left-not-durable");
    Faults::set(&faults.write, EIO);
    for n in 0..3 {
        tracker.try_track(&user(&format!("l{n}")), login()).unwrap();
    }
    assert_eq!(wait_not_durable(&tracker, 3).await, 3);
    let report = tracker
        .shutdown_within(Duration::from_millis(200))
        .await
        .unwrap();
    assert_eq!(report.left_in_spool, 3, "{report:?}");
    // The report itself says the spool's last commit failed, and why, for a program that
    // reads it without a tracing subscriber ("the spool is synced before this returns").
    let told = format!("{report:?}");
    assert!(
        told.contains("Input/output error") && told.contains(&*path.to_string_lossy()),
        "the report says the spool failed its last commit: {told}"
    );
    let spool_error = report.spool_error.as_deref().unwrap_or_default();
    assert!(spool_error.contains("Input/output error"), "{report:?}");
    drop(tracker);
    faults.clear();
    // Not in the file: the next start would find nothing of them.
    let pending = wait_for_pending(&path).await;
    assert_eq!(pending, 0, "the messages never reached the file");
    let file = path.display().to_string();
    let logs = capture.text();
    let line = logs
        .lines()
        .find(|l| l.contains(&file) && l.contains("messages undelivered"))
        .unwrap_or_else(|| panic!("no line on what was left:\n{logs}"));
    assert!(
        !line.contains("they stay in the spool"),
        "says they are kept: {line}"
    );
    assert!(line.contains(" ERROR "), "{line}");
    assert!(line.contains("may be lost"), "{line}");
}

/// The messages pending in the spool at `path`, once its last tracker let go of it.
async fn wait_for_pending(path: &std::path::Path) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match dfinery::Spool::open(path) {
            Ok(spool) => return spool.pending_len(),
            Err(error) if Instant::now() > deadline => panic!("{error}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}
