//! Spool integrity: a spool as a crashed process leaves it, one with a record corrupted on
//! purpose, one cut short and one with bytes flipped at random are opened safely. A damaged
//! spool is either refused with an error naming the file, or every record it still holds is
//! delivered and each one lost is reported (set aside in `Spool::unreadable`, counted as
//! dead-lettered, or left in the spool with the reason in the shutdown's report): it is never
//! opened with records silently missing. The figures
//! RELIABILITY.md quotes are asserted here.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use dfinery::Tracker;
use dfinery::{Spool, TrackerBuildError};

use crate::support::{DOWN, client_to, emulator_with, login, stored_ids, temp_path, user};

/// Tracks `good` events and one for `marker` into a new spool with DFINERY down, stops, and
/// returns the ids of the good events.
async fn left_spool(path: &Path, good: usize, marker: Option<&str>) -> BTreeSet<String> {
    let tracker = Tracker::builder(client_to(DOWN).build().unwrap())
        .spool(path)
        .build()
        .unwrap();
    let mut ids = BTreeSet::new();
    for n in 0..good {
        let id = tracker
            .track(&user(&format!("good-{}", n % 5)), login())
            .await
            .unwrap();
        ids.insert(id.to_string());
    }
    if let Some(marker) = marker {
        tracker.track(&user(marker), login()).await.unwrap();
    }
    let report = tracker.shutdown_within(Duration::ZERO).await.unwrap();
    assert_eq!(
        report.left_in_spool as usize,
        good + usize::from(marker.is_some())
    );
    ids
}

/// The journal beside the spool file at `path`: `<name>-journal`.
fn journal_of(path: &Path) -> std::path::PathBuf {
    let mut name = path.file_name().unwrap().to_os_string();
    name.push("-journal");
    path.with_file_name(name)
}

/// The xorshift state the flipped copies start from (RELIABILITY.md's figures are for it).
const FLIP_STATE: u64 = 0x9e37_79b9_7f4a_7c15;

/// `rounds` copies of `whole`, each with 16 bytes flipped at random positions, drawn by an
/// xorshift generator from `state`: the same copies for the same state.
fn flipped_copies(whole: &[u8], mut state: u64, rounds: usize) -> impl Iterator<Item = Vec<u8>> {
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..rounds).map(move |_| {
        let mut bytes = whole.to_vec();
        for _ in 0..16 {
            let at = (next() % bytes.len() as u64) as usize;
            bytes[at] ^= (next() % 255 + 1) as u8;
        }
        bytes
    })
}

/// How many of the `ids` written in `whole` have a byte that differs in `flipped`.
fn ids_flipped(whole: &[u8], flipped: &[u8], ids: &BTreeSet<String>) -> usize {
    let changed: Vec<usize> = (0..whole.len())
        .filter(|&at| whole[at] != flipped[at])
        .collect();
    ids.iter()
        .filter(|id| {
            let id = id.as_bytes();
            whole
                .windows(id.len())
                .enumerate()
                .filter(|(_, window)| *window == id)
                .any(|(start, _)| {
                    changed
                        .iter()
                        .any(|at| (start..start + id.len()).contains(at))
                })
        })
        .count()
}

/// What opening a (possibly damaged) spool and delivering from it gave.
#[derive(Debug)]
enum Opened {
    /// It opened: what was delivered, and the entries set aside as unreadable.
    Delivered {
        stored: BTreeSet<String>,
        unreadable: usize,
        dead: u64,
    },
    /// It was refused with this message.
    Refused(String),
}

/// Asserts the promise for a damaged spool of `tracked` records that opened: only tracked
/// events were delivered, and every record not delivered is reported as lost.
fn assert_nothing_lost_silently(
    tracked: &BTreeSet<String>,
    stored: &BTreeSet<String>,
    unreadable: usize,
    dead: u64,
) {
    assert!(stored.is_subset(tracked), "only tracked events are sent");
    let missing = tracked.len() - stored.len();
    assert!(
        unreadable >= missing && dead >= missing as u64,
        "{missing} of {} records were neither delivered nor reported lost \
         ({unreadable} set aside as unreadable, {dead} dead-lettered)",
        tracked.len()
    );
}

async fn open_and_deliver(path: &Path) -> Opened {
    let emulator = emulator_with(|b| b).await;
    let built = Tracker::builder(client_to(emulator.base_url()).build().unwrap())
        .spool(path)
        .build();
    let tracker = match built {
        Ok(tracker) => tracker,
        Err(error) => {
            assert!(matches!(error, TrackerBuildError::Spool(_)), "{error:?}");
            return Opened::Refused(error.to_string());
        }
    };
    let report = tracker
        .shutdown_within(Duration::from_secs(30))
        .await
        .unwrap();
    assert!(!report.timed_out, "{report:?}");
    drop(tracker);
    let spool = Spool::open(path).unwrap();
    Opened::Delivered {
        stored: stored_ids(&emulator),
        unreadable: spool.unreadable().unwrap().len(),
        dead: report.dead_lettered,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spool_as_a_killed_process_left_it_is_delivered_in_full() {
    let live = temp_path("live", "redb");
    let copy = temp_path("copy", "redb");
    let tracker = Tracker::builder(client_to(DOWN).build().unwrap())
        .spool(&live)
        .build()
        .unwrap();
    let mut ids = BTreeSet::new();
    for n in 0..150 {
        let id = tracker
            .track(&user(&format!("u{}", n % 7)), login())
            .await
            .unwrap();
        ids.insert(id.to_string());
    }
    // The files as they are on disk while its process still runs: what a SIGKILL would leave
    // (the spool file and its journal, `<name>-journal`, where the newest messages are).
    std::fs::copy(&live, &copy).unwrap();
    std::fs::copy(journal_of(&live), journal_of(&copy)).unwrap();
    tracker.shutdown_within(Duration::ZERO).await.unwrap();
    match open_and_deliver(&copy).await {
        Opened::Delivered {
            stored,
            unreadable,
            dead,
        } => {
            assert_eq!(stored, ids);
            assert_eq!((unreadable, dead), (0, 0));
        }
        Opened::Refused(error) => panic!("a crashed process's spool was refused: {error}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_corrupted_on_purpose_is_set_aside_and_the_rest_delivered() {
    const MARKER: &str = "zz-corrupt-me";
    let path = temp_path("corrupt-record", "redb");
    let good = left_spool(&path, 40, Some(MARKER)).await;
    let mut bytes = std::fs::read(&path).unwrap();
    let mut hits = 0;
    let needle = MARKER.as_bytes();
    for at in 0..bytes.len().saturating_sub(needle.len()) {
        if &bytes[at..at + needle.len()] == needle {
            // Same length, no longer JSON: `"zz-corrupt"me"`.
            bytes[at + 10] = b'"';
            hits += 1;
        }
    }
    assert!(hits > 0, "the record is stored as plain bytes");
    std::fs::write(&path, &bytes).unwrap();
    match open_and_deliver(&path).await {
        Opened::Delivered {
            stored,
            unreadable,
            dead,
        } => {
            assert_eq!(stored, good, "every good record delivered");
            assert_eq!(unreadable, 1, "the damaged record set aside");
            assert_eq!(dead, 1, "and counted as dead-lettered");
        }
        Opened::Refused(error) => panic!("a spool with one bad record was refused: {error}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spool_cut_short_is_refused_with_an_error_naming_it() {
    let path = temp_path("whole", "redb");
    let good = left_spool(&path, 120, None).await;
    let whole = std::fs::read(&path).unwrap();
    let cuts = [whole.len() * 9 / 10, whole.len() / 2, 4096, 100, 0];
    let mut refused = Vec::new();
    for keep in cuts {
        let cut = temp_path(&format!("cut-{keep}"), "redb");
        std::fs::write(&cut, &whole[..keep]).unwrap();
        let outcome = open_and_deliver(&cut).await;
        println!("spool cut to {keep} of {} bytes: {outcome:?}", whole.len());
        match outcome {
            Opened::Delivered {
                stored,
                unreadable,
                dead,
            } => assert_nothing_lost_silently(&good, &stored, unreadable, dead),
            Opened::Refused(error) => {
                assert!(error.contains(&*cut.to_string_lossy()), "{error}");
                assert!(error.contains("move it aside"), "{error}");
                refused.push(keep);
            }
        }
    }
    // RELIABILITY.md: cut to 90 %, 50 %, 4 KB, 100 bytes and 0 bytes, the file is refused with
    // an error naming it.
    assert_eq!(refused, cuts, "every cut spool is refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_flipped_at_random_are_refused_or_lose_nothing_silently() {
    let path = temp_path("flip-source", "redb");
    let good = left_spool(&path, 60, None).await;
    let whole = std::fs::read(&path).unwrap();
    let (mut opened, mut refused) = (0, 0);
    for (round, bytes) in flipped_copies(&whole, FLIP_STATE, 12).enumerate() {
        let flipped = temp_path(&format!("flip-{round}"), "redb");
        std::fs::write(&flipped, &bytes).unwrap();
        match open_and_deliver(&flipped).await {
            Opened::Delivered {
                stored,
                unreadable,
                dead,
            } => {
                println!(
                    "round {round}: opened, {} of 60 delivered, {unreadable} unreadable, {dead} dead-lettered",
                    stored.len()
                );
                assert_nothing_lost_silently(&good, &stored, unreadable, dead);
                opened += 1;
            }
            Opened::Refused(error) => {
                println!("round {round}: refused: {error}");
                assert!(error.contains(&*flipped.to_string_lossy()), "{error}");
                refused += 1;
            }
        }
    }
    println!(
        "12 spools with 16 random bytes flipped: {opened} opened and delivered, {refused} refused with an error"
    );
    // RELIABILITY.md's figures for these seeds.
    assert_eq!((opened, refused), (7, 5));
}

/// More damaged copies than the test above, each counted against the shutdown's report: every
/// record is delivered, dead-lettered (set aside as unreadable, or refused by DFINERY when a
/// flipped byte changed a value) or left in the spool, and records left because a damaged page
/// could not be read come with the reason in `last_error` (the next tracker cannot read that
/// page either, so the report must say so rather than promise a later delivery).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_of_a_damaged_spool_is_delivered_or_reported_with_the_reason() {
    let path = temp_path("flip-report-source", "redb");
    let good = left_spool(&path, 60, None).await;
    let whole = std::fs::read(&path).unwrap();
    let (mut opened, mut refused, mut unread) = (0, 0, 0);
    for seed in 1..=5_u64 {
        let state = FLIP_STATE ^ seed.wrapping_mul(0x1234_5678_9abc_def1);
        for (round, bytes) in flipped_copies(&whole, state, 12).enumerate() {
            let flipped = temp_path(&format!("flip-report-{seed}-{round}"), "redb");
            std::fs::write(&flipped, &bytes).unwrap();
            let emulator = emulator_with(|b| b).await;
            let built = Tracker::builder(client_to(emulator.base_url()).build().unwrap())
                .spool(&flipped)
                .build();
            let tracker = match built {
                Ok(tracker) => tracker,
                Err(error) => {
                    assert!(matches!(error, TrackerBuildError::Spool(_)), "{error:?}");
                    refused += 1;
                    continue;
                }
            };
            let report = tracker
                .shutdown_within(Duration::from_secs(30))
                .await
                .unwrap();
            drop(tracker);
            let stored = stored_ids(&emulator);
            // A flip inside a record's id can leave a valid id: that record is delivered under
            // it (the store checks its pages' structure, not every byte of a record), so it
            // counts as delivered, not as missing. Only an id a flip landed in can change (the
            // ids are random, so which flips leave a valid one differs from run to run).
            let changed = stored.difference(&good).count();
            let flipped = ids_flipped(&whole, &bytes, &good);
            assert!(
                changed <= flipped,
                "seed {seed} round {round}: {changed} unknown ids, {flipped} ids flipped"
            );
            let missing = (good.len() - (stored.len() - changed)) as u64;
            assert!(
                report.dead_lettered + report.left_in_spool + changed as u64 >= missing,
                "seed {seed} round {round}: {missing} of 60 neither delivered nor reported: {report:?}"
            );
            if report.left_in_spool > 0 {
                let reason = report.last_error.as_deref().unwrap_or_default();
                assert!(
                    reason.contains("stay in the spool, unread"),
                    "seed {seed} round {round}: {} left without a reason: {report:?}",
                    report.left_in_spool
                );
                unread += 1;
            }
            opened += 1;
        }
    }
    println!(
        "60 spools with 16 random bytes flipped: {opened} opened ({unread} with records left \
         unread, the reason reported), {refused} refused with an error"
    );
    // These seeds exercise both outcomes of opening (if the store's layout changes, pick seeds
    // that do). Records left unread no longer occur here: since spool format 2 every row is
    // read when the spool opens (a row that cannot be read refuses the open), so a tracker that
    // opened never meets an unreadable row later; format 1 met some (4 of 60 copies with these
    // seeds), and the check above still holds any that do to their reported reason.
    assert!(
        opened > 0 && refused > 0,
        "{opened} opened, {refused} refused, {unread} left unread"
    );
}
