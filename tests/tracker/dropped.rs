//! A tracker dropped without `shutdown`: what is still undelivered is logged, a warning
//! without a spool (it is lost if the runtime stops first), so that returning from `main`
//! without a shutdown does not lose events silently; after a shutdown, nothing is logged.

use std::time::Duration;

use tracing::Level;

use crate::support::{DOWN, Letters, login, spool_path, tracker_to, user};

const DROPPED: &str =
    "every `Tracker` handle was dropped without `shutdown` with 3 messages undelivered";

#[tokio::test(start_paused = true)]
async fn dropped_without_shutdown_with_undelivered_messages_warns_that_they_can_be_lost() {
    let capture = crate::capture::this_thread(Level::INFO);
    let tracker = tracker_to(DOWN).build().unwrap();
    let kim = user("kim");
    for _ in 0..3 {
        tracker.track(&kim, login()).await.unwrap();
    }
    let clone = tracker.clone();
    drop(tracker);
    assert!(
        !capture.text().contains("dropped without"),
        "one handle is left"
    );
    drop(clone);
    let text = capture.text();
    assert!(text.contains(" WARN "), "{text}");
    assert!(text.contains(DROPPED), "{text}");
    assert!(
        text.contains("call `tracker.shutdown().await` before exiting"),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn dropped_without_shutdown_with_a_spool_says_where_the_messages_wait() {
    let capture = crate::capture::this_thread(Level::INFO);
    let path = spool_path("dropped-without-shutdown");
    let tracker = tracker_to(DOWN).spool(&path).build().unwrap();
    let kim = user("kim");
    for _ in 0..3 {
        tracker.track(&kim, login()).await.unwrap();
    }
    drop(tracker);
    let text = capture.text();
    assert!(text.contains(DROPPED), "{text}");
    assert!(
        text.contains(&format!("stays in the spool `{}`", path.display())),
        "{text}"
    );
    assert!(
        text.contains(&format!("spool={}", path.display())),
        "the path is a field a log pipeline can filter on: {text}"
    );
}

#[tokio::test(start_paused = true)]
async fn dropped_after_shutdown_logs_nothing_about_it() {
    let capture = crate::capture::this_thread(Level::INFO);
    let tracker = tracker_to(DOWN)
        .shutdown_timeout(std::time::Duration::from_millis(10))
        .build()
        .unwrap();
    tracker.track(&user("kim"), login()).await.unwrap();
    let report = tracker.shutdown().await.unwrap();
    assert_eq!(report.dead_lettered, 1, "{report:?}");
    drop(tracker);
    let text = capture.text();
    assert!(!text.contains("dropped without"), "{text}");
}

/// A current-thread runtime with paused time, whose tasks are dropped on this thread (where
/// [`capture`] listens) when it is dropped.
fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap()
}

/// Without a spool, the messages a stopped runtime takes with it are lost: each is
/// dead-lettered (before, only a log line said so: no letter reached the callback, and
/// `queued` kept counting them), and later calls say why they are refused.
#[test]
fn a_runtime_stopped_under_a_live_tracker_reports_the_lost_messages_and_later_calls_say_why() {
    let capture = crate::capture::this_thread(Level::INFO);
    let runtime = paused_runtime();
    let kim = user("kim");
    let letters = Letters::default();
    let tracker = runtime.block_on(async {
        let tracker = letters.hook(tracker_to(DOWN)).build().unwrap();
        for _ in 0..3 {
            tracker.track(&kim, login()).await.unwrap();
        }
        // The worker takes them.
        tokio::time::sleep(Duration::from_millis(10)).await;
        tracker
    });
    // Handed over after the runtime last ran its worker: still in the channel when it stops.
    tracker.try_track(&kim, login()).unwrap();
    // The handle lives on; the runtime its worker ran on does not.
    drop(runtime);
    let letters = letters.all();
    assert_eq!(letters.len(), 4, "{letters:?}");
    for letter in &letters {
        assert_eq!(letter.kind, "runtime_stopped", "{letter:?}");
        assert!(!letter.still_delivered(), "{letter:?}");
        assert!(
            letter.reason.starts_with(
                "not delivered: the Tokio runtime running the tracker's worker stopped"
            ) || letter.reason.starts_with("its request was under way when"),
            "{letter:?}"
        );
    }
    let metrics = tracker.metrics();
    assert_eq!(
        (metrics.dead_lettered, metrics.queued, metrics.in_flight),
        (4, 0, 0),
        "{metrics:?}"
    );
    assert!(metrics.balanced(), "{metrics:?}");
    let text = capture.text();
    assert!(text.contains(" ERROR "), "{text}");
    assert!(
        text.contains(
            "the Tokio runtime running the tracker's worker stopped with 4 messages undelivered; they are lost, and dead-lettered with kind `runtime_stopped`"
        ),
        "{text}"
    );
    let refused = tracker.try_track(&kim, login()).unwrap_err();
    assert!(
        matches!(refused, dfinery::TrackError::Closed),
        "{refused:?}"
    );
    assert!(
        refused
            .to_string()
            .contains("or the Tokio runtime it was built in has stopped"),
        "{refused}"
    );
}

#[test]
fn a_runtime_stopped_with_the_queue_full_refuses_later_calls_instead_of_waiting_forever() {
    // Nobody gives room back once the worker is gone: `track().await` waited for room forever,
    // and `try_track` said the queue was full.
    let runtime = paused_runtime();
    let kim = user("kim");
    let tracker = runtime.block_on(async {
        let tracker = tracker_to(DOWN).queue_cap(3, 1 << 20).build().unwrap();
        for _ in 0..3 {
            tracker.track(&kim, login()).await.unwrap();
        }
        tracker
    });
    drop(runtime);
    let refused = tracker.try_track(&kim, login()).unwrap_err();
    assert!(
        matches!(refused, dfinery::TrackError::Closed),
        "{refused:?}"
    );
    let later = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let awaited = later.block_on(async {
        tokio::time::timeout(Duration::from_secs(60), tracker.track(&kim, login())).await
    });
    assert!(
        matches!(awaited, Ok(Err(dfinery::TrackError::Closed))),
        "{awaited:?}"
    );
}

#[test]
fn a_runtime_stopped_under_a_live_tracker_with_a_spool_says_where_the_messages_wait() {
    let capture = crate::capture::this_thread(Level::INFO);
    let path = spool_path("runtime-stopped-under-tracker");
    let runtime = paused_runtime();
    let tracker = runtime.block_on(async {
        let tracker = tracker_to(DOWN).spool(&path).build().unwrap();
        for _ in 0..3 {
            tracker.track(&user("kim"), login()).await.unwrap();
        }
        tracker
    });
    drop(runtime);
    let text = capture.text();
    assert!(
        text.contains(&format!(
            "the Tokio runtime running the tracker's worker stopped with 3 messages undelivered; they stay in the spool `{}`",
            path.display()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("spool={}", path.display())),
        "the path is a field a log pipeline can filter on: {text}"
    );
    let metrics = tracker.metrics();
    assert_eq!(
        (metrics.left_in_spool, metrics.queued, metrics.in_flight),
        (3, 0, 0),
        "{metrics:?}"
    );
    assert!(metrics.balanced(), "{metrics:?}");
    drop(tracker);
}

/// A panic of the app's own that unwinds through the runtime of a live tracker (a failing
/// `#[tokio::test]`, a `main` that panics) stops the worker with the runtime: the log says the
/// runtime stopped, and does not blame the tracker's worker for a panic that was not its own.
#[test]
fn a_panic_of_the_app_stopping_the_runtime_is_not_called_a_panic_of_the_worker() {
    let capture = crate::capture::this_thread(Level::INFO);
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let runtime = paused_runtime();
        let tracker = runtime.block_on(async {
            let tracker = tracker_to(DOWN).build().unwrap();
            for _ in 0..3 {
                tracker.track(&user("kim"), login()).await.unwrap();
            }
            tracker
        });
        // The runtime is dropped while this panic unwinds.
        runtime.block_on(async move {
            let _tracker = tracker;
            panic!("the app's own bug");
        });
    }));
    assert!(unwound.is_err());
    let text = capture.text();
    assert!(!text.contains("the tracker's worker panicked"), "{text}");
    assert!(
        text.contains(
            "the Tokio runtime running the tracker's worker stopped with 3 messages undelivered; they are lost"
        ),
        "{text}"
    );
}
