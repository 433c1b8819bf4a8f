//! Bounded memory and backpressure: with DFINERY down and no spool, tracking far past the cap
//! holds no more memory and every event `try_track` refuses is an error to its caller;
//! `track(...).await` waits for room instead; an oversized, invalid or late message is refused
//! with a reason. Nothing is ever dropped silently.

use std::time::Duration;

use dfinery::TrackError;
use dfinery::{DfineryEvent, Tracker};

use crate::alloc_meter::net_bytes;
use crate::support::{DOWN, Letters, Recorder, emulator, login, sign_up, tracker_to, user};

/// The custom `app_review` event; `comment` holds at most 20 characters.
#[derive(DfineryEvent)]
#[dfinery(registry = "tests/dfinery.toml")]
struct AppReview {
    rating: i64,
    comment: Option<String>,
}

#[tokio::test(start_paused = true)]
async fn with_dfinery_down_and_no_spool_memory_stays_bounded_and_every_refusal_is_reported() {
    const CAP: usize = 1_000;
    const CAP_BYTES: usize = 1 << 20;
    let letters = Letters::default();
    let tracker = letters
        .hook(tracker_to(DOWN).queue_cap(CAP, CAP_BYTES))
        .build()
        .unwrap();
    let who = user("eve");
    // The meter sees this thread's allocations.
    let before = net_bytes();
    let probe = vec![1_u8; 1 << 20];
    assert!(
        net_bytes() - before >= 1 << 20,
        "the allocation meter counts"
    );
    drop(probe);
    let (mut accepted, mut refused) = (0_u64, 0_u64);
    let mut baseline = 0;
    for round in 0..100 {
        for _ in 0..1_000 {
            match tracker.try_track(&who, login()) {
                Ok(_) => accepted += 1,
                Err(TrackError::QueueFull { cap, cap_bytes, .. }) => {
                    assert_eq!((cap, cap_bytes), (CAP, CAP_BYTES));
                    refused += 1;
                }
                Err(other) => panic!("unexpected refusal: {other}"),
            }
        }
        // The worker runs between rounds: it takes the messages in and keeps failing to send.
        tokio::time::sleep(Duration::from_millis(50)).await;
        if round == 9 {
            baseline = net_bytes();
        }
        let metrics = tracker.metrics();
        assert!(
            metrics.queued + metrics.in_flight <= CAP as u64,
            "{metrics:?}"
        );
        assert!(metrics.queued_bytes <= CAP_BYTES as u64, "{metrics:?}");
    }
    let grown = net_bytes() - baseline;
    println!(
        "100,000 tracked with DFINERY down: {accepted} accepted, {refused} refused, {grown} bytes held by the last 90,000"
    );
    assert_eq!(accepted, CAP as u64, "the queue took exactly its cap");
    assert_eq!(
        refused,
        100_000 - CAP as u64,
        "every other event was refused to its caller"
    );
    // 90,000 more events held in memory would be about 27 MB.
    assert!(grown < 512 * 1024, "memory grew by {grown} bytes");
    let metrics = tracker.metrics();
    assert_eq!(metrics.rejected, refused);
    assert_eq!(metrics.delivered, 0);

    let report = tracker
        .shutdown_within(Duration::from_secs(1))
        .await
        .unwrap();
    assert!(report.timed_out);
    assert_eq!(report.dead_lettered, CAP as u64);
    let letters = letters.all();
    assert_eq!(letters.len(), CAP);
    assert!(letters.iter().all(|l| l.kind == "shutdown_deadline"));
    // Why the first one was not delivered: DFINERY could not be reached, or (on a loaded
    // machine, when the deadline comes while its send is retried) its request was under way.
    assert!(
        letters[0].reason.contains("could not reach")
            || letters[0]
                .reason
                .contains("under way at the shutdown deadline"),
        "{}",
        letters[0].reason
    );
    assert!(report.metrics.balanced(), "{:?}", report.metrics);
}

#[tokio::test(start_paused = true)]
async fn an_awaited_call_waits_for_room_and_nothing_is_refused() {
    let emulator = emulator().await;
    let tracker = tracker_to(emulator.base_url())
        .queue_cap(10, 1 << 20)
        .build()
        .unwrap();
    let who = user("frank");
    for _ in 0..10 {
        tracker.track(&who, login()).await.unwrap();
    }
    // Full: the `try_` call does not wait and is refused; the awaited one gets room once the
    // interval sends the first ten.
    assert!(matches!(
        tracker.try_track(&who, login()),
        Err(TrackError::QueueFull { queued: 10, .. })
    ));
    for _ in 0..40 {
        tracker.track(&who, login()).await.unwrap();
    }
    let report = tracker.shutdown().await.unwrap();
    assert_eq!(report.delivered, 50);
    assert_eq!(report.metrics.rejected, 1);
    assert_eq!(emulator.events().len(), 50);
}

/// Many callers waiting on a full queue at once (room comes back in steps then, see
/// `docs/tracker.md`, "A full queue"): each gets room, none is refused, the queue never holds
/// more than its cap, and everything is delivered once.
#[tokio::test(start_paused = true)]
async fn many_callers_waiting_on_a_full_queue_all_get_room_in_turn() {
    const CAP: usize = 100;
    const TASKS: usize = 50;
    const EACH: usize = 40;
    let emulator = emulator().await;
    let tracker = tracker_to(emulator.base_url())
        .queue_cap(CAP, 1 << 20)
        .build()
        .unwrap();
    let callers: Vec<_> = (0..TASKS)
        .map(|task| {
            let tracker = tracker.clone();
            tokio::spawn(async move {
                let who = user(&format!("caller-{task}"));
                for _ in 0..EACH {
                    tracker.track(&who, login()).await.unwrap();
                    let metrics = tracker.metrics();
                    assert!(
                        metrics.queued + metrics.in_flight <= CAP as u64,
                        "the queue holds no more than its cap: {metrics:?}"
                    );
                }
            })
        })
        .collect();
    // Paused time: if room held back were never given back, the clock would jump to this
    // deadline instead of the test hanging.
    let all = async {
        for caller in callers {
            caller.await.unwrap();
        }
    };
    tokio::time::timeout(Duration::from_secs(600), all)
        .await
        .expect("every waiting caller got room");
    let report = tracker.shutdown().await.unwrap();
    assert_eq!(report.delivered, (TASKS * EACH) as u64);
    assert_eq!(report.metrics.rejected, 0);
    assert!(report.metrics.balanced(), "{:?}", report.metrics);
    assert_eq!(emulator.events().len(), TASKS * EACH);
}

/// The bytes `event` takes in the queue for an identity of one external id of one character.
async fn weight_of(event: dfinery::EventRecord) -> usize {
    let probe = tracker_to(DOWN).build().unwrap();
    probe.try_track(&user("a"), event).unwrap();
    let bytes = probe.metrics().queued_bytes as usize;
    probe.shutdown_within(Duration::ZERO).await.unwrap();
    bytes
}

/// Room held back after the last delivery (room comes back in steps while the queue is at its
/// message cap, see `docs/tracker.md`, "A full queue") comes back though no delivery follows.
/// Here the message cap is reached by callers that took a message's room and wait for bytes,
/// so when the last queued message is delivered nothing else is on its way: the held bytes
/// are what the first waiting caller needs, and holding them until the next delivery would
/// leave every caller waiting, and `try_track` refused, for good.
#[tokio::test(start_paused = true)]
async fn room_held_back_after_the_last_delivery_comes_back_with_nothing_else_in_flight() {
    let small = weight_of(login()).await;
    let base = weight_of(sign_up(0)).await;
    let big_text = 4 * small - base;
    assert_eq!(
        weight_of(sign_up(big_text)).await,
        4 * small,
        "all the bytes"
    );
    let emulator = emulator().await;
    let tracker = tracker_to(emulator.base_url())
        .queue_cap(4, 4 * small)
        .build()
        .unwrap();
    // Two users' messages, half the bytes and half the messages: not enough to send before the
    // interval (1 s).
    tracker.try_track(&user("a"), login()).unwrap();
    tracker.try_track(&user("b"), login()).unwrap();
    tokio::time::sleep(Duration::from_millis(1)).await;
    // In turn: a caller needing all the bytes takes a message's room and waits for bytes; so
    // does the next; the last waits for a message's room (the queue is at its message cap).
    let mut callers = Vec::new();
    for (id, event) in [("c", sign_up(big_text)), ("e", login()), ("f", login())] {
        let tracker = tracker.clone();
        callers.push(tokio::spawn(async move {
            tracker.track(&user(id), event).await
        }));
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert!(matches!(
        tracker.try_track(&user("g"), login()),
        Err(TrackError::QueueFull { queued: 4, .. })
    ));
    assert_eq!(
        tracker.metrics().delivered,
        0,
        "nothing sent before the interval"
    );
    // The interval sends both messages. The first delivery's room goes to the caller waiting
    // for a message's room; the second's is held back (the queue is at its message cap again),
    // and no other delivery comes to give it back.
    let all = async {
        for caller in callers {
            caller.await.unwrap().unwrap();
        }
    };
    tokio::time::timeout(Duration::from_secs(600), all)
        .await
        .expect("every waiting caller got room");
    tracker.try_track(&user("g"), login()).unwrap();
    let report = tracker.shutdown().await.unwrap();
    assert_eq!(report.delivered, 6, "{report:?}");
    assert_eq!(report.metrics.rejected, 1);
    assert!(report.metrics.balanced(), "{:?}", report.metrics);
    assert_eq!(emulator.events().len(), 6);
}

/// Room held back while a slow request is still on the wire comes back at the end of the hold
/// (`docs/tracker.md`: a waiting caller waits at most 10 ms longer), not when that request is
/// answered.
#[tokio::test(start_paused = true)]
async fn room_held_back_comes_back_while_a_slow_request_is_still_on_the_wire() {
    let emulator = emulator().await;
    // Below the client's timeout (30 s): the slow request is answered, it does not fail.
    let slow = Duration::from_secs(20);
    let (url, _proxy) = Recorder::start_slow_for(emulator.base_url(), Some(("slow", slow))).await;
    let tracker = tracker_to(&url).queue_cap(4, 1 << 20).build().unwrap();
    // The queue at its cap: two messages of a user whose requests are slow, one of two others.
    for id in ["slow", "slow", "a", "b"] {
        tracker.try_track(&user(id), login()).unwrap();
    }
    // Two callers wait for room: the first for the slow user (its message waits behind the
    // slow request), the second for a user of its own.
    let mut callers = Vec::new();
    for id in ["slow", "c"] {
        let tracker = tracker.clone();
        callers.push(tokio::spawn(async move {
            tracker.track(&user(id), login()).await.unwrap();
            tracker.metrics().delivered
        }));
    }
    // The first quick delivery's room goes to the first caller; the second's is held back
    // (the queue is at its cap again), and the next delivery is the slow one.
    let mut delivered_when_answered = Vec::new();
    for caller in callers {
        delivered_when_answered.push(caller.await.unwrap());
    }
    assert_eq!(
        delivered_when_answered[1], 2,
        "the second caller got room before the slow request was answered"
    );
    // The slow user's two requests take 40 s.
    let report = tracker
        .shutdown_within(Duration::from_secs(600))
        .await
        .unwrap();
    assert_eq!(report.delivered, 6, "{report:?}");
    assert!(report.metrics.balanced(), "{:?}", report.metrics);
}

#[tokio::test(start_paused = true)]
async fn on_a_full_queue_try_is_refused_at_once_and_an_abandoned_wait_queues_nothing() {
    let tracker = tracker_to(DOWN).queue_cap(2, 1 << 20).build().unwrap();
    let who = user("gina");
    tracker.track(&who, login()).await.unwrap();
    tracker.try_track(&who, login()).unwrap();
    let error = tracker.try_track(&who, login()).unwrap_err();
    assert!(matches!(error, TrackError::QueueFull { .. }));
    assert!(
        error
            .to_string()
            .contains("raise `TrackerBuilder::queue_cap`"),
        "{error}"
    );
    // DFINERY is down, so no room comes back: the awaited call waits until it is dropped.
    let waited = tokio::time::timeout(Duration::from_secs(5), tracker.track(&who, login())).await;
    assert!(waited.is_err(), "the awaited call waits for room");
    assert_eq!(
        tracker.metrics().accepted,
        2,
        "the abandoned call queued nothing"
    );
    tracker.shutdown_within(Duration::ZERO).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn oversized_invalid_and_late_messages_are_refused_with_a_reason() {
    let emulator = emulator().await;
    let tracker = tracker_to(emulator.base_url())
        .queue_cap(100, 2_000)
        .build()
        .unwrap();
    let who = user("hank");
    let error = tracker.try_track(&who, sign_up(3_000)).unwrap_err();
    assert!(
        matches!(error, TrackError::TooLarge { cap_bytes: 2_000, bytes } if bytes > 3_000),
        "{error:?}"
    );
    let review = AppReview {
        rating: 5,
        comment: Some("far longer than the twenty characters allowed".into()),
    };
    let error = tracker.try_track(&who, &review).unwrap_err();
    assert!(matches!(error, TrackError::Invalid(_)), "{error:?}");
    assert!(error.to_string().contains("comment"), "{error}");
    let ok = AppReview {
        rating: 4,
        comment: None,
    };
    tracker.try_track(&who, &ok).unwrap();

    let report = tracker.shutdown().await.unwrap();
    assert_eq!(report.delivered, 1);
    assert_eq!(emulator.events_named("app_review").len(), 1);
    assert!(matches!(
        tracker.try_track(&who, login()),
        Err(TrackError::Closed)
    ));
    assert!(matches!(tracker.flush().await, Err(TrackError::Closed)));
    let again = tracker.shutdown().await.unwrap_err();
    assert!(matches!(again, TrackError::Closed));
    // A second `shutdown` is no stopped runtime: the message says so (it told only to build a
    // new `Tracker` inside a runtime that outlives it).
    assert!(
        again
            .to_string()
            .contains("after `shutdown` this is expected"),
        "{again}"
    );
    assert_eq!(tracker.metrics().rejected, 3);
}

#[tokio::test]
async fn settings_out_of_range_are_refused_and_a_runtime_is_required() {
    let client = crate::support::client_to(DOWN).build().unwrap();
    let error = Tracker::builder(client.clone())
        .max_batch_events(101)
        .build()
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "`max_batch_events` is out of range; give 1 to 100"
    );
    assert!(
        Tracker::builder(client.clone())
            .queue_cap(0, 1)
            .build()
            .is_err()
    );
    assert!(
        Tracker::builder(client.clone())
            .flush_interval(Duration::ZERO)
            .build()
            .is_err()
    );
    // No message fits in 64 bytes: every call failed `TooLarge`.
    let error = Tracker::builder(client.clone())
        .queue_cap(10, 64)
        .build()
        .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("`queue_cap` holds fewer bytes than the smallest message"),
        "{error}"
    );
    // A client without the Import API's token: every message was dead-lettered, though every
    // call had returned `Ok`.
    let export_only = dfinery::Client::builder()
        .service_id("s")
        .export_token("e")
        .base_url(DOWN)
        .build()
        .unwrap();
    let error = Tracker::builder(export_only).build().unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("`import_token` is not set on the client"),
        "{error}"
    );
    let outside = std::thread::spawn(move || Tracker::builder(client).build().map(|_| ()))
        .join()
        .unwrap();
    assert!(
        outside
            .unwrap_err()
            .to_string()
            .starts_with("no Tokio runtime"),
    );
}

#[tokio::test(start_paused = true)]
async fn durations_as_long_as_duration_max_mean_no_limit_instead_of_a_panic() {
    // `dfinery send --timeout 18446744073709551615` passes such a shutdown timeout: adding it to
    // the clock once panicked the worker, and the events it held were reported unconfirmed.
    let emulator = emulator().await;
    let tracker = tracker_to(emulator.base_url())
        .shutdown_timeout(Duration::MAX)
        .flush_interval(Duration::MAX)
        .redelivery_backoff(Duration::from_millis(100), Duration::MAX)
        .build()
        .unwrap();
    tracker.try_track(&user("u-max"), login()).unwrap();
    let report = tracker.shutdown().await.unwrap();
    assert_eq!(
        (report.delivered, report.timed_out),
        (1, false),
        "{report:?}"
    );
    assert_eq!(emulator.events().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_shutdown_within_duration_max_means_no_limit_instead_of_a_panic() {
    // As the builder's `shutdown_timeout`: adding `Duration::MAX` to the clock panicked the
    // worker, so the shutdown answered `Closed` and the event it held was lost.
    let emulator = emulator().await;
    let tracker = tracker_to(emulator.base_url()).build().unwrap();
    tracker.try_track(&user("u-max"), login()).unwrap();
    let report = tracker.shutdown_within(Duration::MAX).await.unwrap();
    assert_eq!(
        (report.delivered, report.timed_out),
        (1, false),
        "{report:?}"
    );
    assert_eq!(emulator.events().len(), 1);
}

/// A queue more than half full is sent without waiting for the interval, whatever its cap:
/// with room for one message, the one message queued fills it; with room for three, two are
/// more than half. Before, "more than half" was read as fewer than `cap / 2` free, rounded
/// down: a cap of 1 was never pressed (every awaited call waited a whole interval for the one
/// before it) and a cap of 3 only once full.
#[tokio::test(start_paused = true)]
async fn a_small_queue_more_than_half_full_is_sent_without_waiting_for_the_interval() {
    const INTERVAL: Duration = Duration::from_secs(30);
    let emulator = emulator().await;
    for (cap, calls) in [(1, 3), (3, 2)] {
        let tracker = tracker_to(emulator.base_url())
            .queue_cap(cap, 1 << 20)
            .flush_interval(INTERVAL)
            .build()
            .unwrap();
        let who = user(&format!("small-cap-{cap}"));
        let started = tokio::time::Instant::now();
        for _ in 0..calls {
            tracker.track(&who, login()).await.unwrap();
        }
        // The `calls` messages fill more than half of the queue: they go at once.
        let sent = async {
            while tracker.metrics().delivered < calls {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(INTERVAL / 2, sent)
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "cap {cap}: {calls} messages still undelivered after {:?}: {:?}",
                    started.elapsed(),
                    tracker.metrics()
                )
            });
        let report = tracker.shutdown().await.unwrap();
        assert_eq!(report.delivered, calls, "{report:?}");
    }
}
