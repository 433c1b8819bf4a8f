//! A crash: a child process (this test binary, run again on one ignored test) tracks 10,000
//! events with the spool from 20 threads and is killed with SIGKILL while it delivers them to
//! an emulator this process runs; a tracker opened here on the same spool delivers the rest.
//! The emulator then holds all 10,000 distinct `event_log_id`s.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use dfinery::Tracker;
use dfinery_emulator::{FaultConfig, Latency};

use crate::support::{client_to, emulator_with, login, spool_path, stored_ids, user};

const URL_VAR: &str = "DFINERY_CRASH_CHILD_URL";
const SPOOL_VAR: &str = "DFINERY_CRASH_CHILD_SPOOL";
const DONE: &str = "crash-child: tracked";
const THREADS: usize = 20;
const PER_THREAD: usize = 500;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_mid_flight_loses_no_event() {
    // Slow answers keep most batches waiting when the child is killed.
    let emulator = emulator_with(|b| {
        b.faults(FaultConfig {
            latency: Latency::fixed(Duration::from_millis(200)),
            ..FaultConfig::default()
        })
    })
    .await;
    let spool = spool_path("crash");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "crash::child_tracks_until_killed",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(URL_VAR, emulator.base_url())
        .env(SPOOL_VAR, &spool)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the test binary runs again as the child");
    let stdout = child.stdout.take().unwrap();
    let reader = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            // libtest writes `test … ... ` before the child's own output on the same line.
            .find_map(|line| line.find(DONE).map(|at| line[at..].to_owned()))
    });
    // A guard against a child that hangs, not a wait: the child normally answers in seconds.
    let line = tokio::time::timeout(Duration::from_secs(120), reader)
        .await
        .ok()
        .and_then(Result::ok)
        .flatten();
    let at_kill = emulator.stats().accepted;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(
        line.as_deref(),
        Some("crash-child: tracked 10000"),
        "the child tracked every event before it was killed"
    );
    assert!(
        at_kill < 10_000,
        "killed mid-flight, {at_kill} events stored"
    );

    emulator.set_faults(FaultConfig::none()).unwrap();
    let tracker = Tracker::builder(client_to(emulator.base_url()).build().unwrap())
        .spool(&spool)
        .build()
        .unwrap();
    let recovered = tracker.metrics().recovered;
    let report = tracker.shutdown().await.unwrap();
    let stats = emulator.stats();
    println!(
        "killed with {at_kill} of 10,000 stored; the next tracker found {recovered} in the spool and delivered {}; {} duplicates dropped by event_log_id",
        report.delivered, stats.duplicates
    );
    assert!(!report.timed_out, "{report:?}");
    assert_eq!(report.left_in_spool, 0);
    assert_eq!(report.dead_lettered, 0);
    assert!(
        recovered >= 10_000 - at_kill,
        "everything not stored was in the spool"
    );
    assert_eq!(report.delivered, recovered);
    let stored = stored_ids(&emulator);
    assert_eq!(stored.len(), 10_000, "all 10,000 distinct event_log_ids");
    assert_eq!(emulator.events().len(), 10_000, "each stored once");
    drop(tracker);
    assert_eq!(dfinery::Spool::open(&spool).unwrap().pending_len(), 0);
}

/// The child: tracks 10,000 events with the spool, says so, and keeps delivering until killed.
#[test]
#[ignore = "run as a child process by `a_process_killed_mid_flight_loses_no_event`"]
fn child_tracks_until_killed() {
    let (Ok(url), Ok(spool)) = (std::env::var(URL_VAR), std::env::var(SPOOL_VAR)) else {
        eprintln!("crash-child: run by the crash test only");
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let tracker = {
        let _entered = runtime.enter();
        Tracker::builder(client_to(&url).build().unwrap())
            .spool(spool)
            .max_in_flight(1)
            .queue_cap(20_000, 64 << 20)
            .build()
            .unwrap()
    };
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let (tracker, handle) = (&tracker, runtime.handle());
            scope.spawn(move || {
                let who = user(&format!("crash-{t}"));
                for _ in 0..PER_THREAD {
                    // A plain thread, not a runtime worker: it may block on the future.
                    handle
                        .block_on(tracker.track(&who, login()))
                        .expect("spooled");
                }
            });
        }
    });
    println!("{DONE} {}", tracker.metrics().accepted);
    runtime.block_on(std::future::pending::<()>());
}
