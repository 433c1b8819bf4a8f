//! The durable spool: a message is on disk before `track` returns and leaves it only once
//! DFINERY confirmed it; what a stopped tracker left is delivered first by the next one; a
//! damaged file or one already open is an error, never a panic.

use std::time::Duration;

use dfinery::{Identifier, Identity, TrackError, Tracker};
use dfinery::{Spool, SpoolError, TrackerBuildError};
use tracing::Level;

use crate::support::{DOWN, Recorder, client_to, emulator, login, spool_path, tracker_to, user};

#[tokio::test(start_paused = true)]
async fn what_a_stopped_tracker_left_is_delivered_first_by_the_next() {
    let path = spool_path("left");
    let ivy = user("ivy");
    let mut first_ids = Vec::new();
    {
        let tracker = tracker_to(DOWN).spool(&path).build().unwrap();
        tracker.identify(&ivy).await.unwrap();
        for _ in 0..5 {
            first_ids.push(tracker.track(&ivy, login()).await.unwrap().to_string());
        }
        // On disk before anything was sent.
        let metrics = tracker.metrics();
        assert_eq!((metrics.spooled, metrics.accepted), (6, 6));
        assert!(metrics.spooled_bytes > 6 * 100, "{metrics:?}");
        let report = tracker
            .shutdown_within(Duration::from_millis(300))
            .await
            .unwrap();
        assert!(report.timed_out);
        assert_eq!((report.left_in_spool, report.dead_lettered), (6, 0));
        assert!(report.metrics.balanced(), "{:?}", report.metrics);
    }
    {
        let spool = Spool::open(&path).unwrap();
        assert_eq!(spool.pending_len(), 6);
        assert_eq!(spool.dead_letters().unwrap().len(), 0);
    }

    let (_emulator, proxy, tracker) = recorded_tracker_on(&path).await;
    let new_ids: Vec<String> = (0..2)
        .map(|_| tracker.try_track(&ivy, login()).unwrap().to_string())
        .collect();
    let report = tracker.flush().await.unwrap();
    assert_eq!(report.delivered, 8, "{report:?}");
    let seen = proxy.seen();
    let paths: Vec<&str> = seen.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths,
        ["/api/v1/identities", "/api/v1/events", "/api/v1/events"]
    );
    assert_eq!(seen[1].event_ids(), first_ids, "the old events first");
    assert_eq!(seen[2].event_ids(), new_ids, "then the new ones");
    let metrics = tracker.metrics();
    assert_eq!((metrics.recovered, metrics.accepted), (6, 2));
    assert_eq!((metrics.spooled, metrics.spooled_bytes), (0, 0));
    let report = tracker.shutdown().await.unwrap();
    assert!(report.metrics.balanced(), "{:?}", report.metrics);
    drop(tracker);
    assert_eq!(Spool::open(&path).unwrap().pending_len(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_spool_in_use_is_refused() {
    let path = spool_path("busy");
    let _open = Spool::open(&path).unwrap();
    let error = tracker_to(DOWN).spool(&path).build().unwrap_err();
    assert!(
        matches!(error, TrackerBuildError::Spool(SpoolError::InUse { .. })),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("give each tracker its own spool file"),
        "{error}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_spool_reopened_after_a_drop_without_shutdown_names_shutdown() {
    // "give each tracker its own spool file" alone misled: there was one tracker, dropped
    // without `shutdown` while its worker still held the file.
    let path = spool_path("dropped-then-reopened");
    let tracker = tracker_to(DOWN).spool(&path).build().unwrap();
    tracker.track(&user("kim"), login()).await.unwrap();
    drop(tracker);
    let error = tracker_to(DOWN).spool(&path).build().unwrap_err();
    assert!(
        matches!(error, TrackerBuildError::Spool(SpoolError::InUse { .. })),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("dropped without `shutdown().await` keeps its spool open"),
        "{error}"
    );
}

/// Another application's redb database given as the spool's path is refused, and no table is
/// added to it (it was given the spool's tables and format).
#[tokio::test(start_paused = true)]
async fn another_application_s_redb_database_is_refused_and_left_untouched() {
    const ORDERS: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("orders");
    let path = spool_path("foreign-redb");
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(ORDERS).unwrap().insert("o-1", 7).unwrap();
        txn.commit().unwrap();
    }
    let error = tracker_to(DOWN).spool(&path).build().unwrap_err();
    assert!(
        matches!(error, TrackerBuildError::Spool(SpoolError::Path { .. })),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("a redb database of another application (tables `orders`), not a spool"),
        "{error}"
    );
    let db = redb::Database::open(&path).unwrap();
    let txn = redb::ReadableDatabase::begin_read(&db).unwrap();
    use redb::TableHandle;
    let tables: Vec<String> = txn
        .list_tables()
        .unwrap()
        .map(|t| t.name().to_owned())
        .collect();
    assert_eq!(tables, ["orders"], "no spool table was added");
}

#[tokio::test(start_paused = true)]
async fn a_damaged_file_is_an_error_never_a_panic() {
    // Not a spool at all.
    let path = spool_path("garbage");
    let noise: Vec<u8> = (0..64 * 1024_u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, &noise).unwrap();
    let error = tracker_to(DOWN).spool(&path).build().unwrap_err();
    assert!(
        matches!(error, TrackerBuildError::Spool(SpoolError::Open { .. })),
        "{error:?}"
    );
    assert!(error.to_string().contains("move it aside"), "{error}");

    // A real spool, cut short or with pages overwritten: opening either fails with an error
    // naming the file, or succeeds holding every one of the 200 records (a record whose bytes
    // were hit is still counted, and set aside as unreadable when read); never a panic, never
    // a spool opened with records silently gone.
    let path = spool_path("real");
    {
        let tracker = tracker_to(DOWN).spool(&path).build().unwrap();
        for i in 0..200 {
            tracker
                .track(&user(&format!("u{i}")), login())
                .await
                .unwrap();
        }
        tracker.shutdown_within(Duration::ZERO).await.unwrap();
    }
    let whole = std::fs::read(&path).unwrap();
    let damaged = [
        whole[..whole.len() / 2].to_vec(),
        whole[..100].to_vec(),
        Vec::new(),
        {
            let mut flipped = whole.clone();
            let middle = flipped.len() / 2;
            for byte in &mut flipped[middle..middle + 4096] {
                *byte ^= 0x5a;
            }
            flipped
        },
        {
            let mut header = whole.clone();
            for byte in &mut header[..512] {
                *byte = 0xff;
            }
            header
        },
    ];
    let mut outcomes = Vec::new();
    for (n, bytes) in damaged.iter().enumerate() {
        let path = spool_path(&format!("damaged-{n}"));
        std::fs::write(&path, bytes).unwrap();
        match Spool::open(&path) {
            Ok(spool) => {
                assert_eq!(
                    spool.pending_len(),
                    200,
                    "damaged copy {n} lost records silently"
                );
                assert_eq!(spool.dead_letters().unwrap().len(), 0);
                outcomes.push("opened");
            }
            Err(error) => {
                let text = error.to_string();
                assert!(text.contains(&*path.to_string_lossy()), "{text}");
                assert!(matches!(error, SpoolError::Open { .. }), "{error:?}");
                outcomes.push("refused");
            }
        }
    }
    println!(
        "damaged copies (half, 100 bytes, empty, 4 KB flipped, header overwritten): {outcomes:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_message_is_removed_from_the_spool_only_once_confirmed() {
    let emulator = emulator().await;
    let path = spool_path("confirm");
    // Every send fails at first: the messages stay in the spool.
    emulator
        .set_faults(dfinery_emulator::FaultConfig {
            error_rate: 1.0,
            ..Default::default()
        })
        .unwrap();
    let tracker = tracker_to(emulator.base_url())
        .spool(&path)
        .build()
        .unwrap();
    let who = Identity::new(Identifier::Email, "jo@example.com").unwrap();
    // One call, one commit: the three are queued together and fail together.
    tracker
        .track_many((0..3).map(|_| (who.clone(), login())))
        .await
        .unwrap();
    let report = tracker.flush().await.unwrap();
    assert_eq!((report.delivered, report.pending), (0, 3), "{report:?}");
    assert!(report.error.unwrap().contains("failed on the server"));
    assert_eq!(tracker.metrics().spooled, 3);

    emulator
        .set_faults(dfinery_emulator::FaultConfig::none())
        .unwrap();
    // A resend the worker started before the faults were lifted may still fail once; the next
    // flush delivers. Nothing leaves the spool before DFINERY confirms it.
    let mut delivered = 0;
    for _ in 0..5 {
        let report = tracker.flush().await.unwrap();
        delivered += report.delivered;
        if delivered == 3 {
            break;
        }
        assert_eq!(tracker.metrics().spooled, 3 - delivered, "{report:?}");
    }
    assert_eq!(delivered, 3, "{:?}", tracker.metrics());
    assert_eq!(tracker.metrics().spooled, 0);
    assert!(tracker.metrics().retried >= 3, "{:?}", tracker.metrics());
    tracker.shutdown().await.unwrap();
}

/// An operator reads the logs of a process stopped (SIGTERM) while DFINERY was down: one line
/// says how many messages were kept, in which file, and why they were not delivered.
#[tokio::test(start_paused = true)]
async fn a_shutdown_that_leaves_messages_in_the_spool_says_how_many_where_and_why() {
    let capture = crate::capture::this_thread(Level::INFO);
    let path = spool_path("left-logged");
    let tracker = tracker_to(DOWN).spool(&path).build().unwrap();
    let kim = user("kim");
    for _ in 0..4 {
        tracker.track(&kim, login()).await.unwrap();
    }
    let report = tracker
        .shutdown_within(Duration::from_millis(300))
        .await
        .unwrap();
    assert_eq!(report.left_in_spool, 4);
    let logs = capture.text();
    let line = logs
        .lines()
        .find(|l| l.contains("shut down with 4 messages undelivered"))
        .unwrap_or_else(|| panic!("no line on what was left:\n{logs}"));
    assert!(line.contains(" WARN "), "{line}");
    assert!(line.contains(&path.display().to_string()), "{line}");
    assert!(
        line.contains("left_in_spool=4"),
        "a field to filter on: {line}"
    );
    assert!(line.contains("last_error="), "{line}");
    assert!(
        !line.contains("last_error=\"none\""),
        "the connection error is named: {line}"
    );
}

/// Without a spool, the messages undelivered at the deadline are lost: one line says so, with
/// their count, besides the dead letters themselves.
#[tokio::test(start_paused = true)]
async fn a_shutdown_deadline_without_a_spool_says_how_many_were_dead_lettered() {
    let capture = crate::capture::this_thread(Level::INFO);
    let tracker = tracker_to(DOWN).build().unwrap();
    let kim = user("kim");
    for _ in 0..3 {
        tracker.track(&kim, login()).await.unwrap();
    }
    let report = tracker
        .shutdown_within(Duration::from_millis(300))
        .await
        .unwrap();
    assert_eq!(report.dead_lettered, 3);
    let logs = capture.text();
    let line = logs
        .lines()
        .find(|l| l.contains("the shutdown deadline passed with 3 messages undelivered"))
        .unwrap_or_else(|| panic!("no summary line:\n{logs}"));
    assert!(line.contains(" ERROR "), "{line}");
    assert!(line.contains("dead_lettered=3"), "{line}");
}

/// A second shutdown call while one is under way (a second Ctrl-C, say) brings the deadline
/// forward and gets the same report, taken once the spool holds what is left. It answered
/// `Closed` at once before: the first shutdown went on sending for its whole deadline, so a
/// caller that gave up waiting read counters still moving, and a process ending then lost the
/// deletes of what was delivered meanwhile (`dfinery send` sent those again on `--resume`).
#[tokio::test]
async fn a_second_shutdown_brings_the_deadline_forward_and_both_get_the_report() {
    let path = spool_path("second-shutdown");
    let tracker = std::sync::Arc::new(tracker_to(DOWN).spool(&path).build().unwrap());
    for _ in 0..3 {
        tracker.track(&user("ada"), login()).await.unwrap();
    }
    let first = tokio::spawn({
        let tracker = std::sync::Arc::clone(&tracker);
        async move { tracker.shutdown_within(Duration::from_secs(3600)).await }
    });
    // The first shutdown is under way (DFINERY is down: it would retry for an hour).
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!first.is_finished());
    // Generous bounds: the deadline is 100 ms; a loaded machine may take seconds.
    let second = tokio::time::timeout(
        Duration::from_secs(60),
        tracker.shutdown_within(Duration::from_millis(100)),
    )
    .await
    .expect("the second call ends the shutdown at its own deadline")
    .expect("it joins the shutdown under way rather than answering `Closed`");
    assert!(second.timed_out, "{second:?}");
    assert_eq!(
        (second.left_in_spool, second.delivered),
        (3, 0),
        "{second:?}"
    );
    let first = tokio::time::timeout(Duration::from_secs(60), first)
        .await
        .expect("the first call ends with the second")
        .unwrap()
        .unwrap();
    assert_eq!(first, second);
    // The shutdown has ended: a later call is refused.
    assert!(matches!(tracker.shutdown().await, Err(TrackError::Closed)));
    drop(tracker);
    assert_eq!(Spool::open(&path).unwrap().pending_len(), 3);
}

/// What a previous process left for many users goes out in batches of several events each,
/// not a page's share of each user: pages of 1,000 entries of 300 users made requests of
/// about 3 events, which a rate limit of a few calls a second makes slow to deliver.
#[tokio::test]
async fn what_many_users_left_is_delivered_in_full_batches() {
    let path = spool_path("many-users");
    let (users, each) = (300_u64, 10_u64);
    {
        let tracker = tracker_to(DOWN).spool(&path).build().unwrap();
        for round in 0..each {
            for n in 0..users {
                tracker
                    .try_track(&user(&format!("u{n}")), login())
                    .unwrap_or_else(|e| panic!("round {round}, user {n}: {e}"));
            }
        }
        let report = tracker
            .shutdown_within(Duration::from_millis(100))
            .await
            .unwrap();
        assert_eq!(report.left_in_spool, users * each, "{report:?}");
    }
    let (_emulator, proxy, tracker) = recorded_tracker_on(&path).await;
    let report = tracker.shutdown().await.unwrap();
    assert_eq!(report.delivered, users * each, "{report:?}");
    let requests = proxy
        .seen()
        .iter()
        .filter(|s| s.path == "/api/v1/events")
        .count() as u64;
    // One request per user when the whole spool is read at once (it fits one page); the
    // pages of 1,000 made 740.
    assert!(
        requests <= users + users / 10,
        "{requests} requests for {users} users"
    );
}

/// A tracker on the spool at `path` sending to an emulator through a [`Recorder`]: the
/// emulator (kept alive by the caller), the recorder and the tracker.
async fn recorded_tracker_on(
    path: &std::path::Path,
) -> (
    dfinery_emulator::EmulatorHandle,
    std::sync::Arc<Recorder>,
    Tracker,
) {
    let emulator = emulator().await;
    let (url, proxy) = Recorder::start(emulator.base_url()).await;
    let tracker = Tracker::builder(client_to(&url).build().unwrap())
        .spool(path)
        .build()
        .unwrap();
    (emulator, proxy, tracker)
}
