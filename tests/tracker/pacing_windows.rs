//! The tracker's paced sends over several rate-limit windows of more calls than the pacing
//! threshold (10), in Tokio's paused time: many users tracking more events than three windows'
//! worth of requests carry meet no 429 (the worker's gate holds each window's batches until the
//! window starts), and every event is delivered once, in order per user, without a resend.
//! Under the default limit nothing waits. Identity updates go through their own API's gate: a
//! tight Identity limit meets no 429 and holds back no other user's events.
//!
//! Before, once a window was spent, the gate was open for the next one when it was believed to
//! allow more calls than the threshold: the batches went at once into the spent window, came
//! back as 429s and were sent again.

use std::collections::BTreeMap;
use std::time::Duration;

use dfinery::Tracker;
use dfinery::ratelimit::PacingStats;
use tokio::time::Instant;

use crate::support::{client_to, login, user};
use crate::windows::{MINUTE, Windowed};

/// What a run did.
struct Run {
    limit: u64,
    events: usize,
    stats: dfinery_emulator::Stats,
    pacing: PacingStats,
    retried: u64,
    /// Events stored in each window, in order.
    per_window: Vec<(u64, usize)>,
    /// Tokio's (virtual) time until every event was stored.
    elapsed: Duration,
}

impl Run {
    fn describe(&self) -> String {
        format!(
            "{} events at {}/min: {} answered 429, {} requests, {} resent, {} calls paced \
             for {:?}, stored per window {:?}, {:?} virtual",
            self.events,
            self.limit,
            self.stats.rate_limited,
            self.stats.requests,
            self.retried,
            self.pacing.paced_calls,
            self.pacing.paced_wait,
            self.per_window.iter().map(|w| w.1).collect::<Vec<_>>(),
            self.elapsed
        )
    }
}

/// How a run's events reach the emulator.
#[derive(Clone, Copy)]
enum Ending {
    /// The worker sends them on its own (no flush or shutdown): waited for, then shut down.
    Delivered,
    /// A shutdown (with 30 min to drain) once the first answers have told the limit, most
    /// batches still queued.
    Drained,
}

/// `users` users each tracking `events` events at once, sent in requests of `batch` events
/// (at most `in_flight` on the wire) to an emulator allowing `limit` Event API calls a minute;
/// waits in virtual time until every event is stored (`ending`), then checks each was stored
/// once, in the order its user tracked them, and no batch was sent twice.
async fn track_through(
    limit: u64,
    (users, events): (usize, usize),
    batch: usize,
    in_flight: usize,
    ending: Ending,
) -> Run {
    let windowed = Windowed::start(limit).await;
    let client = client_to(windowed.emulator.base_url())
        .clock(windowed.client_clock())
        .build()
        .unwrap();
    let tracker = Tracker::builder(client.clone())
        .max_batch_events(batch)
        .max_in_flight(in_flight)
        .build()
        .unwrap();
    let started = Instant::now();
    let mut tracked: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for _ in 0..events {
        for n in 0..users {
            let id = format!("windowed-{n}");
            let event = tracker.try_track(&user(&id), login()).unwrap();
            tracked.entry(id).or_default().push(event.to_string());
        }
    }
    let total = (users * events) as u64;
    let (elapsed, report) = match ending {
        Ending::Delivered => {
            let deadline = started + 30 * MINUTE;
            while windowed.emulator.stats().accepted < total {
                assert!(
                    Instant::now() < deadline,
                    "not delivered within 30 min: {:?}",
                    windowed.emulator.stats()
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            (Instant::now() - started, tracker.shutdown().await.unwrap())
        }
        Ending::Drained => {
            while windowed.emulator.stats().accepted == 0 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            let report = tracker.shutdown_within(30 * MINUTE).await.unwrap();
            (Instant::now() - started, report)
        }
    };
    let run = Run {
        limit,
        events: users * events,
        stats: windowed.emulator.stats(),
        pacing: client.pacing_stats(),
        retried: report.metrics.retried,
        per_window: windowed.stored_per_window(),
        elapsed,
    };
    let described = run.describe();
    println!("{described}");
    assert!(!report.timed_out, "{report:?}");
    assert_eq!(report.delivered, total, "{report:?}");
    assert_eq!(report.dead_lettered, 0, "{report:?}");
    let mut stored: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for event in windowed.emulator.events() {
        let id = event.identity.external_id.clone().unwrap_or_default();
        stored.entry(id).or_default().push(event.event_log_id);
    }
    assert_eq!(stored, tracked, "each once, in order per user: {described}");
    assert_eq!(run.stats.duplicates, 0, "{described}");
    run
}

/// No 429, no batch sent twice, over at least `windows` windows.
fn assert_no_429(run: &Run, windows: usize) {
    let described = run.describe();
    assert_eq!(run.stats.rate_limited, 0, "{described}");
    assert_eq!(run.pacing.rate_limited, 0, "{described}");
    assert_eq!(run.retried, 0, "nothing resent: {described}");
    assert!(run.per_window.len() >= windows, "{described}");
}

/// 24 users tracking 20 events each, in requests of 5: 96 requests at 30 a minute, more than
/// three windows' worth, starting 20 s before a reset.
#[tokio::test(start_paused = true)]
async fn many_users_through_windows_of_30_meet_no_429_and_keep_their_order() {
    let run = track_through(30, (24, 20), 5, 4, Ending::Delivered).await;
    assert_no_429(&run, 4);
    assert_eq!(run.stats.requests, 96, "{}", run.describe());
}

/// More requests on the wire at once (64) than a window of 30 allows: the worker hands the
/// client only as many batches at once as the window has calls left above the pacing
/// threshold, then paces the rest (it took 64 at once, and those past the next window waited
/// longer than the client's `max_wait`, so went at once and met 429s).
#[tokio::test(start_paused = true)]
async fn more_in_flight_than_a_window_allows_meets_no_429() {
    let run = track_through(30, (64, 10), 5, 64, Ending::Delivered).await;
    assert_no_429(&run, 4);
    assert_eq!(run.stats.requests, 128, "{}", run.describe());
}

/// One call above the threshold (11 a minute): 18 users, 36 requests, four windows.
#[tokio::test(start_paused = true)]
async fn many_users_through_windows_of_one_above_the_threshold_meet_no_429() {
    let run = track_through(11, (18, 10), 5, 4, Ending::Delivered).await;
    assert_no_429(&run, 4);
    assert_eq!(run.stats.requests, 36, "{}", run.describe());
}

/// The default Event API limit (1,000,000 a minute): the same 96 requests never wait for
/// pacing, and every event is stored within the first flush interval (1 s) of virtual time
/// (a wait for a window's start, or the 20 ms margin past a reset, per call would add up to
/// more).
#[tokio::test(start_paused = true)]
async fn under_the_default_limit_the_tracker_never_waits() {
    let run = track_through(1_000_000, (24, 20), 5, 4, Ending::Delivered).await;
    assert_no_429(&run, 1);
    assert_eq!(run.stats.requests, 96, "{}", run.describe());
    assert_eq!(run.pacing.paced_calls, 0, "{}", run.describe());
    assert_eq!(run.pacing.paced_wait, Duration::ZERO, "{}", run.describe());
    assert!(run.elapsed < Duration::from_secs(1), "{}", run.describe());
}

/// A shutdown under a tight limit, the events tracked just before it: the drain sends through
/// the same gate, so no batch goes into a spent window (with `max_in_flight(64)`, 30 a minute:
/// 166 answers of 429 in 294 requests when the drain handed every batch to the client at
/// once), and every event is delivered once, in order per user, before the drain's deadline.
#[tokio::test(start_paused = true)]
async fn a_shutdown_under_a_tight_limit_drains_through_the_windows_without_a_429() {
    let run = track_through(30, (64, 10), 5, 64, Ending::Drained).await;
    assert_no_429(&run, 4);
    assert_eq!(run.stats.requests, 128, "{}", run.describe());
}

/// On real time, not paused: under a limit low enough that every call is paced (10 a second,
/// at most the threshold left in any window), the worker sends one batch per slot and
/// everything is delivered. The worker asked the pacer for its gate at a later instant than the
/// one it compared the answer with, so a slot due at once always lay ahead of it: it waited
/// for it again and again and sent nothing after the first request (paused time, where the
/// two instants are one, did not show it; nor did `dfinery send`, whose drain skipped the gate).
#[tokio::test]
async fn on_real_time_every_paced_call_goes_when_its_slot_comes() {
    use dfinery_emulator::{Api, RateLimit, Window};
    let emulator = crate::support::emulator_with(|b| {
        b.rate_limit(Api::Event, RateLimit::new(10, Window::seconds(1)))
    })
    .await;
    let tracker = crate::support::tracker_to(emulator.base_url())
        .build()
        .unwrap();
    let (users, events) = (20, 30);
    for _ in 0..events {
        for n in 0..users {
            tracker
                .try_track(&user(&format!("real-time-{n}")), login())
                .unwrap();
        }
    }
    // 20 requests at 10 a second take about 2 s after the first interval (1 s); the bound is
    // for a loaded machine.
    let total = (users * events) as u64;
    let deadline = Instant::now() + Duration::from_secs(60);
    while emulator.stats().accepted < total {
        assert!(
            Instant::now() < deadline,
            "not delivered within 60 s: {:?}",
            emulator.stats()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let report = tracker.shutdown().await.unwrap();
    assert_eq!(report.delivered, total, "{report:?}");
}

/// A tight Identity API limit (30 a minute) for `identities` users' `try_identify`, with
/// `in_flight` requests on the wire at most, and `tracking` other users tracking 5 events each
/// (the Event API at its default limit); returns the run, and when every event was stored.
async fn identify_through(identities: usize, tracking: usize, in_flight: usize) -> (Run, Duration) {
    use dfinery_emulator::Api;
    let windowed = Windowed::start_for(Api::Identity, 30).await;
    let client = client_to(windowed.emulator.base_url())
        .clock(windowed.client_clock())
        .build()
        .unwrap();
    let tracker = Tracker::builder(client.clone())
        .max_in_flight(in_flight)
        .build()
        .unwrap();
    let started = Instant::now();
    for n in 0..identities {
        tracker
            .try_identify(&user(&format!("identified-{n}")))
            .unwrap();
    }
    for _ in 0..5 {
        for n in 0..tracking {
            tracker
                .try_track(&user(&format!("tracking-{n}")), login())
                .unwrap();
        }
    }
    let deadline = started + 30 * MINUTE;
    let events = (tracking * 5) as u64;
    let mut events_at = None;
    while events_at.is_none() || windowed.emulator.profiles().len() < identities + tracking {
        assert!(
            Instant::now() < deadline,
            "not delivered within 30 min: {:?}",
            windowed.emulator.stats()
        );
        if events_at.is_none() && windowed.emulator.stats().accepted == events {
            events_at = Some(Instant::now() - started);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let elapsed = Instant::now() - started;
    let report = tracker.shutdown().await.unwrap();
    let run = Run {
        limit: 30,
        events: tracking * 5,
        stats: windowed.emulator.stats(),
        pacing: client.pacing_stats(),
        retried: report.metrics.retried,
        per_window: windowed.stored_per_window(),
        elapsed,
    };
    println!("{}", run.describe());
    assert_eq!(
        report.delivered,
        (identities + tracking * 5) as u64,
        "{report:?}"
    );
    assert_eq!(report.dead_lettered, 0, "{report:?}");
    (run, events_at.expect("every event stored"))
}

/// Identity updates of more users than an Identity API window of 30 allows, 64 on the wire at
/// most, meet no 429: the worker's gate holds them as it holds batches of events. It held
/// only events: the 96 updates went to the client at once, which paced those that came
/// within its `max_wait` and sent the rest into the spent window (49 answered 429).
#[tokio::test(start_paused = true)]
async fn identity_updates_through_a_tight_limit_meet_no_429() {
    let (run, _) = identify_through(96, 0, 64).await;
    let described = run.describe();
    assert_eq!(run.stats.rate_limited, 0, "{described}");
    assert_eq!(run.pacing.rate_limited, 0, "{described}");
    assert_eq!(run.retried, 0, "nothing resent: {described}");
    assert_eq!(run.stats.requests, 96, "{described}");
}

/// Identity updates paced by a tight Identity API limit hold back no other user's events,
/// whose API has room: the events go in the first interval (1 s). The updates went to the
/// client, which held each on the wire until its Identity API slot came, so the 4 requests
/// on the wire at most were all updates waiting, and the events waited 20 s behind them.
#[tokio::test(start_paused = true)]
async fn updates_paced_by_their_api_hold_back_no_events_of_other_users() {
    let (run, events_at) = identify_through(40, 20, 4).await;
    let described = run.describe();
    assert!(
        events_at < Duration::from_secs(2),
        "events stored after {events_at:?}: {described}"
    );
    assert_eq!(run.stats.rate_limited, 0, "{described}");
    assert_eq!(run.retried, 0, "nothing resent: {described}");
}

/// The other way round: events paced by a tight Event API limit (30 a minute, 96 users' worth
/// of requests waiting) hold back no identity update of another user, whose API has room. The
/// worker looks past the users their API holds only while an update could go (it counts the
/// updates queued): counted wrong, the updates would wait minutes, behind every window of
/// events.
#[tokio::test(start_paused = true)]
async fn events_paced_by_their_api_hold_back_no_updates_of_other_users() {
    use dfinery_emulator::Api;
    let windowed = Windowed::start_for(Api::Event, 30).await;
    let client = client_to(windowed.emulator.base_url())
        .clock(windowed.client_clock())
        .build()
        .unwrap();
    let tracker = Tracker::builder(client).build().unwrap();
    let started = Instant::now();
    for n in 0..96 {
        tracker
            .try_track(&user(&format!("tracking-{n}")), login())
            .unwrap();
    }
    for n in 0..20 {
        tracker
            .try_identify(&user(&format!("identified-{n}")))
            .unwrap();
    }
    let identified = |emulator: &dfinery_emulator::EmulatorHandle| {
        (0..20)
            .filter(|n| emulator.profile(&format!("identified-{n}")).is_some())
            .count()
    };
    let deadline = started + Duration::from_secs(60);
    while identified(&windowed.emulator) < 20 {
        assert!(
            Instant::now() < deadline,
            "{} of 20 updates stored after 60 s: {:?}",
            identified(&windowed.emulator),
            windowed.emulator.stats()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let updates_at = Instant::now() - started;
    assert!(
        updates_at < Duration::from_secs(5),
        "updates stored after {updates_at:?}"
    );
    // The events are still paced through their windows: far from all stored yet.
    assert!(
        windowed.emulator.stats().accepted < 96,
        "{:?}",
        windowed.emulator.stats()
    );
    let report = tracker.shutdown_within(Duration::ZERO).await.unwrap();
    assert_eq!(
        report.delivered + report.dead_lettered + report.left_in_spool,
        116,
        "{report:?}"
    );
}

/// A queue more than half full sends other users' events at once while identity updates wait
/// in the ready list for their API's slots. The worker schedules every user when the queue is
/// pressed and every due user went; it took a user its API held back for one still due, so
/// while updates waited for their Identity slots (the 10 past a window of 30 until it reset,
/// 20 s in), no event was scheduled (the interval is 60 s here) and the callers waited for
/// room: 300 `track` calls into a queue of 100 took 20 s before the fix, none now.
#[tokio::test(start_paused = true)]
async fn updates_held_by_their_api_do_not_keep_a_pressed_queue_waiting_for_the_interval() {
    use dfinery_emulator::Api;
    let windowed = Windowed::start_for(Api::Identity, 30).await;
    let client = client_to(windowed.emulator.base_url())
        .clock(windowed.client_clock())
        .build()
        .unwrap();
    let tracker = Tracker::builder(client)
        .queue_cap(100, 16 << 20)
        .flush_interval(MINUTE)
        .build()
        .unwrap();
    let started = Instant::now();
    for n in 0..40 {
        tracker
            .try_identify(&user(&format!("identified-{n}")))
            .unwrap();
    }
    for n in 0..300 {
        tracker
            .track(&user(&format!("tracking-{n}")), login())
            .await
            .unwrap();
    }
    let tracked_in = Instant::now() - started;
    assert!(
        tracked_in < Duration::from_secs(10),
        "300 events tracked in {tracked_in:?}: {:?}",
        windowed.emulator.stats()
    );
    let report = tracker.shutdown_within(30 * MINUTE).await.unwrap();
    assert_eq!(report.delivered, 340, "{report:?}");
    assert_eq!(windowed.emulator.stats().rate_limited, 0);
}
