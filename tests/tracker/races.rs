//! Calls racing the worker's stop on other threads: every call that returned `Ok` is
//! delivered, dead-lettered or left in the spool, and counted so, whatever the timing. In real
//! time, on a multi-threaded runtime and plain threads: a race needs a real scheduler (see
//! CONTRIBUTING.md, "Tests that depend on wall-clock time").

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dfinery::{Spool, SpoolError, TrackError, Tracker};

use crate::support::{DOWN, client_to, login, spool_path, user};

/// Threads calling `try_track` at once, more than the machine's two cores: a thread is then
/// often stopped by the scheduler in the middle of a hand-over.
const PRODUCERS: usize = 4;

/// A `try_track` racing `shutdown_within(Duration::ZERO)` on another thread: the worker closed
/// its channel at the deadline and took what was in it with `try_recv`, which says "empty"
/// (not "closed") while a sender has counted its message but not yet written it. The worker
/// stopped, the sender then wrote its message and returned `Ok`, and the message was lost
/// without a dead letter (`queued` stuck at 1). Rounds of producers calling `try_track` until
/// `Closed`, each ended by a shutdown with no time to deliver: every `Ok` must be dead-lettered
/// (nothing listens at `DOWN`), each letter handed to the callback.
#[test]
fn a_hand_over_racing_a_zero_deadline_is_dead_lettered_never_lost() {
    race_the_deadline(None, 2000, Duration::from_secs(20));
}

/// [`a_hand_over_racing_a_zero_deadline_is_dead_lettered_never_lost`] with a spool: the lost
/// hand-over was on disk, but `left_in_spool` missed it and `queued` stayed at 1.
#[test]
fn a_hand_over_racing_a_zero_deadline_with_a_spool_is_counted_left_in_the_spool() {
    race_the_deadline(Some("race-deadline"), 500, Duration::from_secs(30));
}

/// Up to `rounds` rounds, for at most `budget` (fewer on a loaded machine: every round is a
/// chance of the race, and the assertions hold for any timing).
fn race_the_deadline(spool: Option<&str>, rounds: usize, budget: Duration) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let client = client_to(DOWN).build().unwrap();
    let started = Instant::now();
    let mut done = 0;
    while done < rounds && started.elapsed() < budget {
        done += 1;
        let letters = Arc::new(AtomicU64::new(0));
        let mut builder = Tracker::builder(client.clone()).on_dead_letter({
            let letters = Arc::clone(&letters);
            move |letter| {
                assert!(!letter.still_delivered(), "{letter:?}");
                letters.fetch_add(1, Ordering::Relaxed);
            }
        });
        let path = spool.map(spool_path);
        if let Some(path) = &path {
            builder = builder.spool(path);
        }
        let tracker = {
            let _in_runtime = runtime.enter();
            builder.build().unwrap()
        };
        let calls = Arc::new(AtomicU64::new(0));
        let (shut, shutdown) = std::sync::mpsc::channel();
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|n| {
                let tracker = tracker.clone();
                let calls = Arc::clone(&calls);
                let runtime = runtime.handle().clone();
                let shut = shut.clone();
                std::thread::spawn(move || {
                    let who = user(&format!("u{n}"));
                    let mut accepted = 0_u64;
                    loop {
                        // Once every producer is calling, one of them starts the shutdown on
                        // the runtime and calls on.
                        if calls.fetch_add(1, Ordering::Relaxed) == 4 * PRODUCERS as u64 {
                            let tracker = tracker.clone();
                            let _ = shut.send(runtime.spawn(async move {
                                tracker.shutdown_within(Duration::ZERO).await
                            }));
                        }
                        match tracker.try_track(&who, login()) {
                            Ok(_) => accepted += 1,
                            Err(TrackError::Closed) => return accepted,
                            Err(TrackError::QueueFull { .. }) => std::thread::yield_now(),
                            Err(other) => panic!("{other:?}"),
                        }
                    }
                })
            })
            .collect();
        drop(shut);
        let shutdown = shutdown
            .recv_timeout(Duration::from_secs(60))
            .expect("a producer starts the shutdown");
        let report = runtime.block_on(shutdown).unwrap().unwrap();
        let accepted: u64 = producers.into_iter().map(|p| p.join().unwrap()).sum();
        let metrics = tracker.metrics();
        let settled = report.delivered + report.dead_lettered + report.left_in_spool;
        assert_eq!(
            settled, accepted,
            "round {done}: {accepted} calls returned Ok, the report settled {settled}: \
             {report:?}, now {metrics:?}"
        );
        assert_eq!(
            (metrics.queued, metrics.in_flight, metrics.accepted),
            (0, 0, accepted),
            "round {done}: {metrics:?}"
        );
        assert!(metrics.balanced(), "round {done}: {metrics:?}");
        assert_eq!(
            letters.load(Ordering::Relaxed),
            report.dead_lettered,
            "round {done}: every dead letter reaches the callback"
        );
        drop(tracker);
        match path {
            Some(path) => {
                assert_eq!(report.dead_lettered, 0, "round {done}: {report:?}");
                let pending = reopen(&path).pending_len();
                assert_eq!(pending, report.left_in_spool, "round {done}: {report:?}");
                let mut journal = path.clone().into_os_string();
                journal.push("-journal");
                let _ = std::fs::remove_file(&path);
                let _ = std::fs::remove_file(journal);
            }
            None => assert_eq!(report.left_in_spool, 0, "round {done}: {report:?}"),
        }
    }
    eprintln!("{done} rounds in {:.1} s", started.elapsed().as_secs_f64());
}

/// The spool at `path`, once the tracker's writer thread has let go of it (the last callback of
/// a refused call may still hold it for a moment after the tracker is dropped).
fn reopen(path: &std::path::Path) -> Spool {
    let waiting = Instant::now();
    loop {
        match Spool::open(path) {
            Ok(spool) => return spool,
            Err(SpoolError::InUse { .. }) if waiting.elapsed() < Duration::from_secs(30) => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(error) => panic!("{error}"),
        }
    }
}
