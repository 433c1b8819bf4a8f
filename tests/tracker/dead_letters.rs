//! Dead letters: what DFINERY refuses for good is never retried forever nor dropped: one bad
//! event in a batch is isolated and only it is dead-lettered, a refused token dead-letters
//! without a retry, a retry limit can be set, and with a spool the letters are kept in its
//! table with their reasons.

use std::time::Duration;

use dfinery::Tracker;
use dfinery::{Message, Spool};
use dfinery_emulator::{FaultConfig, Latency};
use tracing::Level;

use crate::support::{
    DOWN, Letters, client_to, emulator, emulator_with, login, spool_path, tracker_to, unregistered,
    user,
};

#[tokio::test(start_paused = true)]
async fn one_bad_event_in_a_batch_is_isolated_and_only_it_is_dead_lettered() {
    let emulator = emulator().await;
    let letters = Letters::default();
    let tracker = letters
        .hook(tracker_to(emulator.base_url()))
        .build()
        .unwrap();
    let kim = user("kim");
    let mut good = Vec::new();
    let mut bad = None;
    for i in 0..10 {
        if i == 4 {
            bad = Some(tracker.try_track(&kim, unregistered()).unwrap());
        } else {
            good.push(tracker.try_track(&kim, login()).unwrap().to_string());
        }
    }
    let report = tracker.flush().await.unwrap();
    assert_eq!(
        (report.delivered, report.dead_lettered),
        (9, 1),
        "{report:?}"
    );
    let mut stored: Vec<String> = emulator
        .events()
        .into_iter()
        .map(|e| e.event_log_id)
        .collect();
    stored.sort();
    good.sort();
    assert_eq!(stored, good);
    let letters = letters.all();
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!(letter.kind, "validation");
    assert!(letter.reason.contains("40001"), "{}", letter.reason);
    assert_eq!(letter.identity, kim);
    let Message::Event(record) = &letter.message else {
        panic!("an event was dead-lettered: {:?}", letter.message);
    };
    assert_eq!(Some(record.event_log_id()), bad);
    // One request for the batch, then one per event.
    assert_eq!(emulator.stats().requests, 11);
    let report = tracker.shutdown().await.unwrap();
    assert!(report.metrics.balanced(), "{:?}", report.metrics);
}

/// Without a spool, a callback or a tracing subscriber, the reports are where a refusal shows:
/// the flush and the shutdown say why the last dead letter was refused.
#[tokio::test(start_paused = true)]
async fn the_reports_say_why_the_last_dead_letter_was_refused() {
    let emulator = emulator().await;
    let tracker = tracker_to(emulator.base_url()).build().unwrap();
    tracker.try_track(&user("ona"), login()).unwrap();
    let report = tracker.flush().await.unwrap();
    assert_eq!(report.last_dead_letter, None, "{report:?}");
    tracker.try_track(&user("ona"), unregistered()).unwrap();
    let report = tracker.flush().await.unwrap();
    assert_eq!(report.dead_lettered, 1, "{report:?}");
    assert_eq!(report.error, None, "nothing to retry: {report:?}");
    let reason = report.last_dead_letter.expect("the refusal's reason");
    assert!(reason.contains("40001"), "{reason}");
    assert!(reason.contains("never_registered"), "{reason}");
    tracker.try_track(&user("ona"), login()).unwrap();
    let report = tracker.flush().await.unwrap();
    assert_eq!(
        report.last_dead_letter, None,
        "only this flush's: {report:?}"
    );
    let report = tracker.shutdown().await.unwrap();
    assert_eq!(report.last_error, None, "{report:?}");
    assert_eq!(report.last_dead_letter.as_deref(), Some(reason.as_str()));
}

#[tokio::test(start_paused = true)]
async fn a_refused_token_dead_letters_everything_without_a_retry() {
    let emulator = emulator().await;
    let letters = Letters::default();
    let client = client_to(emulator.base_url())
        .import_token("not-the-token")
        .build()
        .unwrap();
    let tracker = letters.hook(Tracker::builder(client)).build().unwrap();
    let lee = user("lee");
    tracker.try_identify(&lee).unwrap();
    for _ in 0..5 {
        tracker.try_track(&lee, login()).unwrap();
    }
    let report = tracker.shutdown().await.unwrap();
    assert_eq!((report.delivered, report.dead_lettered), (0, 6));
    assert!(!report.timed_out);
    assert_eq!(
        emulator.stats().requests,
        2,
        "one identity and one events request"
    );
    let letters = letters.all();
    assert!(letters.iter().all(|l| l.kind == "auth" && l.attempts == 1));
    assert!(letters[0].reason.contains("refused the token"));
    assert!(
        !letters[0].reason.contains("not-the-token"),
        "no token in a reason"
    );
}

#[tokio::test(start_paused = true)]
async fn give_up_after_dead_letters_once_the_sends_are_spent() {
    let letters = Letters::default();
    let tracker = letters
        .hook(tracker_to(DOWN).give_up_after(2))
        .build()
        .unwrap();
    tracker.try_track(&user("max"), login()).unwrap();
    let report = tracker
        .shutdown_within(Duration::from_secs(60))
        .await
        .unwrap();
    assert!(!report.timed_out, "{report:?}");
    assert_eq!(report.dead_lettered, 1);
    let letters = letters.all();
    assert_eq!(letters[0].kind, "retry_limit");
    assert_eq!(letters[0].attempts, 2);
    assert!(
        letters[0]
            .reason
            .starts_with("gave up after 2 failed sends: could not reach")
    );
}

#[tokio::test(start_paused = true)]
async fn with_a_spool_dead_letters_are_kept_in_its_table() {
    let emulator = emulator().await;
    let path = spool_path("dead");
    let tracker = tracker_to(emulator.base_url())
        .spool(&path)
        .build()
        .unwrap();
    let nia = user("nia");
    let bad = tracker.try_track(&nia, unregistered()).unwrap();
    tracker.try_track(&user("other"), login()).unwrap();
    let report = tracker.flush().await.unwrap();
    assert_eq!((report.delivered, report.dead_lettered), (1, 1));
    let letters = tracker.spool().unwrap().dead_letters().unwrap();
    assert_eq!(letters.len(), 1);
    let Message::Event(record) = &letters[0].message else {
        panic!("not an event: {:?}", letters[0].message);
    };
    assert_eq!(record.event_log_id(), bad);
    tracker.shutdown().await.unwrap();
    drop(tracker);

    let spool = Spool::open(&path).unwrap();
    assert_eq!(spool.pending_len(), 0);
    let letters = spool.dead_letters().unwrap();
    assert_eq!(letters.len(), 1, "kept across restarts");
    assert_eq!(letters[0].kind, "validation");
    assert_eq!(letters[0].identity, nia);
    assert_eq!(spool.clear_dead_letters().unwrap(), 1);
    assert_eq!(spool.dead_letters().unwrap().len(), 0);
}

/// A dead-letter callback that panics (an `unwrap` in the app's own code) does not take the
/// tracker down with it: the panic is logged with the letter, and what is queued after it is
/// still delivered.
#[tokio::test(start_paused = true)]
async fn a_panicking_dead_letter_callback_does_not_stop_the_tracker() {
    let capture = crate::capture::this_thread(Level::INFO);
    let emulator = emulator().await;
    let tracker = tracker_to(emulator.base_url())
        .on_dead_letter(|_| panic!("the app's callback broke"))
        .build()
        .unwrap();
    let kim = user("kim");
    let bad = tracker.try_track(&kim, unregistered()).unwrap();
    let report = tracker.flush().await.unwrap();
    assert_eq!(report.dead_lettered, 1, "{report:?}");
    let later = tracker.try_track(&kim, login()).unwrap();
    let report = tracker.flush().await.unwrap();
    assert_eq!(report.delivered, 1, "{report:?}");
    let stored: Vec<String> = emulator
        .events()
        .into_iter()
        .map(|e| e.event_log_id)
        .collect();
    assert_eq!(stored, [later.to_string()]);
    let text = capture.text();
    assert!(
        text.contains("the `on_dead_letter` callback panicked (the app's callback broke)"),
        "{text}"
    );
    assert!(
        text.contains(&bad.to_string()),
        "the letter is logged in full: {text}"
    );
    let report = tracker.shutdown().await.unwrap();
    assert!(report.metrics.balanced(), "{:?}", report.metrics);
}

/// Without a spool, what the shutdown deadline cuts off is dead-lettered; a message whose
/// request was already on the wire is not said to be undelivered (DFINERY may have stored
/// it), only one never sent is.
#[tokio::test(start_paused = true)]
async fn a_message_on_the_wire_at_the_shutdown_deadline_is_not_called_undelivered() {
    let emulator = emulator_with(|b| {
        b.faults(FaultConfig {
            latency: Latency::fixed(Duration::from_secs(5)),
            ..FaultConfig::default()
        })
    })
    .await;
    let letters = Letters::default();
    let tracker = letters
        .hook(tracker_to(emulator.base_url()))
        .build()
        .unwrap();
    let kim = user("kim");
    let sent = tracker.track(&kim, login()).await.unwrap();
    // The first request goes out, and is answered only after 5 s.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Queued behind it: one request at a time per user.
    let never_sent = tracker.track(&kim, login()).await.unwrap();
    let report = tracker
        .shutdown_within(Duration::from_secs(1))
        .await
        .unwrap();
    assert!(report.timed_out, "{report:?}");
    let letters = letters.all();
    let reason_of = |id: dfinery::Uuid| {
        letters
            .iter()
            .find(|l| matches!(&l.message, Message::Event(r) if r.event_log_id() == id))
            .map(|l| l.reason.clone())
            .unwrap_or_else(|| panic!("no letter for {id}: {letters:?}"))
    };
    let on_the_wire = reason_of(sent);
    assert!(
        on_the_wire.contains(
            "its request was under way at the shutdown deadline (sent and not answered, or \
             waiting for a rate-limit permit or a retry): DFINERY may have stored it"
        ),
        "{on_the_wire}"
    );
    assert!(!on_the_wire.contains("not delivered"), "{on_the_wire}");
    assert!(
        reason_of(never_sent).starts_with("not delivered before the shutdown deadline"),
        "{letters:?}"
    );
}

/// A rate budget that never grants a call: every request waits for its permit forever.
#[derive(Debug)]
struct NeverGrants;

impl dfinery::ratelimit::RateBudget for NeverGrants {
    fn acquire(&self, _: dfinery::ratelimit::Api) -> dfinery::ratelimit::BudgetFuture<'_, ()> {
        Box::pin(std::future::pending())
    }

    fn feedback(&self, _: dfinery::ratelimit::Api, _: &dfinery::ratelimit::Feedback) {}
}

/// A batch taken for sending but still waiting for a rate-limit permit at the shutdown
/// deadline was never sent: its dead letter must not say that it was (nor that DFINERY may
/// have it for a request it got), only that its request was under way.
#[tokio::test(start_paused = true)]
async fn a_message_waiting_for_a_permit_at_the_deadline_is_not_said_to_have_been_sent() {
    let emulator = emulator().await;
    let letters = Letters::default();
    let client = client_to(emulator.base_url())
        .rate_budget(std::sync::Arc::new(NeverGrants))
        .build()
        .unwrap();
    let tracker = letters.hook(Tracker::builder(client)).build().unwrap();
    let waiting = tracker.track(&user("kim"), login()).await.unwrap();
    // Taken for sending at the first interval, then held by the budget.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let report = tracker
        .shutdown_within(Duration::from_secs(1))
        .await
        .unwrap();
    assert!(report.timed_out, "{report:?}");
    assert_eq!(emulator.stats().requests, 0, "nothing was sent");
    let letters = letters.all();
    let reason = letters
        .iter()
        .find(|l| matches!(&l.message, Message::Event(r) if r.event_log_id() == waiting))
        .map(|l| l.reason.clone())
        .unwrap_or_else(|| panic!("no letter for {waiting}: {letters:?}"));
    assert!(!reason.contains("was sent"), "{reason}");
    assert!(
        reason.contains("its request was under way at the shutdown deadline"),
        "{reason}"
    );
}

/// A rotated token dead-letters every message: the log says so once, at ERROR, not once per
/// message (50 WARN lines here, 10,000 in an outage) nor once per user's batch (10 here).
#[tokio::test(start_paused = true)]
async fn a_refused_token_is_one_error_line_not_one_per_message_or_batch() {
    let capture = crate::capture::this_thread(Level::INFO);
    let emulator = emulator().await;
    let letters = Letters::default();
    let client = client_to(emulator.base_url())
        .import_token("not-the-token")
        .build()
        .unwrap();
    let tracker = letters.hook(Tracker::builder(client)).build().unwrap();
    for n in 0..50 {
        tracker
            .try_track(&user(&format!("lee{}", n % 10)), login())
            .unwrap();
    }
    let report = tracker.shutdown().await.unwrap();
    assert_eq!(report.dead_lettered, 50);
    assert_eq!(
        letters.all().len(),
        50,
        "every letter still reaches the callback"
    );
    let logs = capture.text();
    let lines: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("dead-lettered"))
        .collect();
    assert_eq!(lines.len(), 1, "{logs}");
    assert!(lines[0].contains(" ERROR "), "{}", lines[0]);
    assert!(lines[0].contains("messages="), "{}", lines[0]);
    assert!(lines[0].contains("kind=\"auth\""), "{}", lines[0]);
    assert!(
        !logs.contains("not-the-token"),
        "no token in the logs: {logs}"
    );
    // Nor a WARN per refused request from the client: that line is the only one.
    let loud = logs
        .lines()
        .filter(|l| l.contains(" WARN ") || l.contains(" ERROR "))
        .count();
    assert_eq!(loud, 1, "{logs}");
}

/// After a delivery, the same refusal is news again and logged again.
#[tokio::test(start_paused = true)]
async fn a_refusal_after_a_delivery_is_logged_again() {
    let capture = crate::capture::this_thread(Level::INFO);
    let emulator = emulator().await;
    let tracker = Tracker::builder(client_to(emulator.base_url()).build().unwrap())
        .on_dead_letter(|_| {})
        .build()
        .unwrap();
    let kim = user("kim");
    tracker.try_track(&kim, unregistered()).unwrap();
    tracker.flush().await.unwrap();
    tracker.try_track(&kim, login()).unwrap();
    tracker.flush().await.unwrap();
    tracker.try_track(&kim, unregistered()).unwrap();
    let report = tracker.shutdown().await.unwrap();
    assert_eq!(
        (report.delivered, report.dead_lettered),
        (1, 2),
        "{report:?}"
    );
    let logs = capture.text();
    let lines = logs
        .lines()
        .filter(|l| l.contains("dead-lettered 1 message"))
        .count();
    assert_eq!(lines, 2, "{logs}");
}

/// A flush that a shutdown's deadline cuts off, with a spool: what was left in the spool is
/// pending in its report, not complete (it read "complete": nothing delivered, nothing
/// dead-lettered, nothing pending). On real time: paused, the clock jumped ahead while the
/// spool's writer thread worked, and on a loaded machine answered the first request first.
#[tokio::test]
async fn a_flush_cut_off_by_the_shutdown_deadline_counts_what_was_left_in_the_spool() {
    let emulator = emulator_with(|b| {
        b.faults(FaultConfig {
            latency: Latency::fixed(Duration::from_secs(5)),
            ..FaultConfig::default()
        })
    })
    .await;
    let path = spool_path("flush-cut-off");
    let tracker = tracker_to(emulator.base_url())
        .spool(&path)
        .build()
        .unwrap();
    let kim = user("kim");
    for _ in 0..2 {
        tracker.track(&kim, login()).await.unwrap();
    }
    let flushing = tokio::spawn({
        let tracker = tracker.clone();
        async move { tracker.flush().await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let report = tracker
        .shutdown_within(Duration::from_secs(1))
        .await
        .unwrap();
    assert!(report.timed_out, "{report:?}");
    // Answered after 5 s, the first request is still under way at the deadline 1 s on.
    assert_eq!(report.left_in_spool, 2, "{report:?}");
    let flushed = flushing.await.unwrap().unwrap();
    assert_eq!((flushed.delivered, flushed.pending), (0, 2), "{flushed:?}");
    assert!(!flushed.is_complete(), "{flushed:?}");
}

/// A shutdown cuts short the pause after a failed send, as a flush does: the pause (here up to
/// 10 minutes, drawn at random) outlasted the deadline, and what was queued got no attempt at
/// all before it was dead-lettered.
#[tokio::test(start_paused = true)]
async fn a_shutdown_cuts_short_the_pause_after_a_failed_send() {
    let emulator = emulator().await;
    emulator.push_script([dfinery_emulator::ScriptedResponse::ServerError]);
    let client = client_to(emulator.base_url())
        .retry(crate::support::no_retry())
        .build()
        .unwrap();
    let tracker = Tracker::builder(client)
        .redelivery_backoff(Duration::from_secs(600), Duration::from_secs(600))
        .build()
        .unwrap();
    tracker.try_track(&user("dana"), login()).unwrap();
    // Its first send fails, and the pause begins.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let report = tracker
        .shutdown_within(Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(report.delivered, 1, "{report:?}");
    assert!(!report.timed_out, "{report:?}");
    assert_eq!(emulator.events().len(), 1);
}

/// `give_up_after` counts the sends that failed with an error worth retrying, not every send:
/// a message of a batch refused for one bad event is sent again alone, and that send counted,
/// so a single 500 on it spent `give_up_after(2)` and dead-lettered a good event.
#[tokio::test(start_paused = true)]
async fn give_up_after_counts_only_the_failed_sends_worth_retrying() {
    let emulator = emulator().await;
    // The batch of both is refused for the bad one (40001); the good one's send alone fails.
    emulator.push_script([
        dfinery_emulator::ScriptedResponse::Normal,
        dfinery_emulator::ScriptedResponse::ServerError,
    ]);
    let letters = Letters::default();
    // No retries of the client's own: the 500 reaches the tracker.
    let client = client_to(emulator.base_url())
        .retry(crate::support::no_retry())
        .build()
        .unwrap();
    let tracker = letters
        .hook(
            Tracker::builder(client)
                .redelivery_backoff(Duration::from_millis(100), Duration::from_secs(2))
                .give_up_after(2),
        )
        .build()
        .unwrap();
    let kim = user("kim");
    let good = tracker.try_track(&kim, login()).unwrap();
    let bad = tracker.try_track(&kim, unregistered()).unwrap();
    let report = tracker
        .shutdown_within(Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        (report.delivered, report.dead_lettered),
        (1, 1),
        "{report:?}"
    );
    let stored: Vec<String> = emulator
        .events()
        .into_iter()
        .map(|e| e.event_log_id)
        .collect();
    assert_eq!(stored, [good.to_string()]);
    let letters = letters.all();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0].kind, "validation");
    let Message::Event(record) = &letters[0].message else {
        panic!("an event was dead-lettered: {:?}", letters[0].message);
    };
    assert_eq!(record.event_log_id(), bad);
}
