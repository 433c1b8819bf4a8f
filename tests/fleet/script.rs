//! The budget script's rules, one at a time, against a real redis-server.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use dfinery::ratelimit::{Api, Feedback, RateBudget, RateLimitSnapshot, RedisBudget};
use dfinery::{Client, Error, Identifier, Identity, RetryPolicy};

use crate::support::{redis_for, unique_prefix};

const MS: Duration = Duration::from_millis(1);

/// A budget of `limit` Event calls per `period`, up to `burst` at once, no headroom.
fn event_budget(url: &str, prefix: &str, limit: u64, period: Duration, burst: u32) -> RedisBudget {
    RedisBudget::builder(url, "svc")
        .key_prefix(prefix)
        .limit(Api::Event, limit, period)
        .lease(Api::Event, burst)
        .headroom_permille(0)
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap()
}

/// An answer with `remaining` calls left until a reset `until` from now, in a `window`.
fn answer(remaining: u64, until: Duration, window: &str, rate_limited: bool) -> Feedback {
    let received = SystemTime::now();
    let mut feedback = Feedback::new(received);
    feedback.snapshot = Some(RateLimitSnapshot::new(
        Some(window),
        Some(remaining),
        Some(received + until),
    ));
    feedback.rate_limited = rate_limited;
    feedback
}

#[tokio::test]
async fn a_burst_is_granted_at_once_then_permits_are_spaced() {
    let Some((url, _server)) = redis_for("a_burst_is_granted_at_once") else {
        return;
    };
    // One permit every 2 s: a test descheduled for a second between two calls (a loaded
    // machine) still makes them within one interval.
    let budget = event_budget(
        &url,
        &unique_prefix("burst"),
        10,
        Duration::from_secs(20),
        5,
    );
    let (granted, wait) = budget.try_acquire(Api::Event, 10).await.unwrap();
    assert_eq!((granted, wait), (5, Duration::ZERO));
    // The burst is spent: the next permit comes one interval (2 s) after the burst's end.
    let (granted, wait) = budget.try_acquire(Api::Event, 10).await.unwrap();
    assert_eq!(granted, 0);
    assert!(wait > Duration::ZERO && wait <= 2_000 * MS, "{wait:?}");
    tokio::time::sleep(wait + 5 * MS).await;
    assert_eq!(budget.try_acquire(Api::Event, 10).await.unwrap().0, 1);
}

/// With DFINERY's default limits (100 exports an hour, 5 at once) as many exports may start
/// together after a pause as may run together, across instances: the hourly budget's burst was
/// Export's lease, 1, so its permits were spaced 38 s apart even in an unused hour and the
/// fleet could start one export every 38 s.
#[tokio::test]
async fn exports_may_start_together_up_to_the_concurrency_by_default() {
    let Some((url, _server)) = redis_for("exports_start_together") else {
        return;
    };
    let prefix = unique_prefix("export-burst");
    let make = || {
        RedisBudget::builder(url.as_str(), "svc")
            .key_prefix(prefix.as_str())
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap()
    };
    let (a, b) = (make(), make());
    assert_eq!(a.try_acquire(Api::Export, 1).await.unwrap().0, 1);
    let (granted, wait) = b.try_acquire(Api::Export, 1).await.unwrap();
    assert_eq!(
        granted, 1,
        "a second export start right after the first: wait {wait:?}"
    );
    for budget in [&a, &b, &a] {
        assert_eq!(budget.try_acquire(Api::Export, 1).await.unwrap().0, 1);
    }
    // Five at once, no more: the sixth waits for the hourly pace (3,600 s / 95).
    let (granted, wait) = b.try_acquire(Api::Export, 1).await.unwrap();
    assert_eq!(granted, 0);
    assert!(wait > Duration::from_secs(30), "{wait:?}");
}

#[tokio::test]
async fn a_request_for_more_than_is_left_gets_what_is_left() {
    let Some((url, _server)) = redis_for("partial_grants") else {
        return;
    };
    let budget = event_budget(
        &url,
        &unique_prefix("partial"),
        10,
        Duration::from_secs(10),
        5,
    );
    assert_eq!(budget.try_acquire(Api::Event, 3).await.unwrap().0, 3);
    assert_eq!(budget.try_acquire(Api::Event, 5).await.unwrap().0, 2);
    assert_eq!(budget.try_acquire(Api::Event, 5).await.unwrap().0, 0);
    // Two instances share the key: the second one sees the first one's grants.
    let other = event_budget(
        &url,
        &budget_prefix(&budget),
        10,
        Duration::from_secs(10),
        5,
    );
    assert_eq!(other.try_acquire(Api::Event, 1).await.unwrap().0, 0);
    assert_eq!(budget.stats().shared_permits, 5);
}

/// The key prefix a budget was built with (from its `Debug`, which shows it).
fn budget_prefix(budget: &RedisBudget) -> String {
    let debug = format!("{budget:?}");
    let start = debug.find("key_prefix: \"").unwrap() + "key_prefix: \"".len();
    debug[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn server_feedback_only_tightens_and_stale_answers_cannot_loosen() {
    let Some((url, _server)) = redis_for("tighten_only") else {
        return;
    };
    let budget = event_budget(
        &url,
        &unique_prefix("tighten"),
        100,
        Duration::from_secs(10),
        100,
    );
    // The server says 20 left in a window that resets in 8 s: at most 20 more go out.
    let fed = std::time::Instant::now();
    budget
        .send_feedback(Api::Event, &answer(20, 8_000 * MS, "10s", false))
        .await
        .unwrap();
    assert_eq!(budget.try_acquire(Api::Event, 100).await.unwrap().0, 20);
    // A later answer of the same window claiming more left does not enlarge the budget.
    budget
        .send_feedback(Api::Event, &answer(90, 8_000 * MS, "10s", false))
        .await
        .unwrap();
    assert_eq!(budget.try_acquire(Api::Event, 100).await.unwrap().0, 0);
    // Nor does a late answer from the window before (its reset has passed).
    budget
        .send_feedback(Api::Event, &answer(100, Duration::ZERO, "10s", false))
        .await
        .unwrap();
    let (granted, wait) = budget.try_acquire(Api::Event, 100).await.unwrap();
    let since = fed.elapsed();
    assert_eq!(granted, 0);
    // The wait is until the reset: 8 s after the first answer, less the time since (however
    // long a loaded machine took; 50 ms for Redis's clock against this one's).
    assert!(
        wait <= 8_000 * MS && wait + since + 50 * MS >= 8_000 * MS,
        "{wait:?} {since:?}"
    );
}

#[tokio::test]
async fn a_spent_window_the_mirror_rolled_past_early_still_blocks_until_its_reset() {
    // The mirror's window ended early (its first reset read 1 s off, or DFINERY's windows not
    // where the mirror guessed): a 429 whose reset was still ahead was thrown away as an
    // answer of a past window, and the fleet went on spending into the spent window.
    let Some((url, _server)) = redis_for("rolled_early") else {
        return;
    };
    let budget = event_budget(
        &url,
        &unique_prefix("rolled"),
        100,
        Duration::from_secs(10),
        100,
    );
    budget
        .send_feedback(Api::Event, &answer(50, 1_000 * MS, "10s", false))
        .await
        .unwrap();
    // Past the mirror's reset: it rolls to a window that ends 9 s from now.
    tokio::time::sleep(1_500 * MS).await;
    assert!(budget.try_acquire(Api::Event, 1).await.unwrap().0 > 0);
    budget
        .send_feedback(Api::Event, &answer(0, 3_000 * MS, "10s", true))
        .await
        .unwrap();
    let (granted, wait) = budget.try_acquire(Api::Event, 1).await.unwrap();
    assert_eq!(granted, 0, "the spent window stops the fleet");
    assert!(wait > Duration::ZERO && wait <= 3_000 * MS, "{wait:?}");
}

#[tokio::test]
async fn a_rate_limited_answer_blocks_every_holder_until_the_reset() {
    let Some((url, _server)) = redis_for("block_until_reset") else {
        return;
    };
    let prefix = unique_prefix("block");
    // A reset 5 s ahead: seconds of margin for a loaded machine between the answer and the
    // next call, which must still fall before the reset.
    let first = event_budget(&url, &prefix, 100, Duration::from_secs(10), 10);
    let second = event_budget(&url, &prefix, 100, Duration::from_secs(10), 10);
    assert_eq!(first.try_acquire(Api::Event, 1).await.unwrap().0, 1);
    let fed = std::time::Instant::now();
    first
        .send_feedback(Api::Event, &answer(0, 5_000 * MS, "10s", true))
        .await
        .unwrap();
    let (granted, wait) = second.try_acquire(Api::Event, 1).await.unwrap();
    let since = fed.elapsed();
    assert_eq!(granted, 0, "another instance is blocked too");
    // Until the reset: 5 s after the answer, less the time since (50 ms for Redis's clock).
    assert!(
        wait <= 5_000 * MS && wait + since + 50 * MS >= 5_000 * MS,
        "{wait:?} {since:?}"
    );
    tokio::time::sleep(wait + 20 * MS).await;
    assert_eq!(
        second.try_acquire(Api::Event, 5).await.unwrap().0,
        5,
        "a new window after the reset"
    );
}

/// A rate limit with no reset but a `Retry-After` (a gateway's in front of DFINERY) holds every
/// holder back as long as it asked, as the instance that got it waits that long: the shared
/// block was a second at most, so the other instances went on into the same refusal for the
/// rest of the wait. Through a client, as its answers reach the budget.
#[tokio::test]
async fn a_rate_limit_with_a_retry_after_and_no_reset_blocks_every_holder_that_long() {
    let Some((url, _server)) = redis_for("retry_after_blocks_every_holder") else {
        return;
    };
    let prefix = unique_prefix("retry-after");
    let make = || {
        RedisBudget::builder(url.as_str(), "svc")
            .key_prefix(prefix.as_str())
            .limit(Api::Identity, 100_000, Duration::from_secs(60))
            .lease(Api::Identity, 1_000)
            .headroom_permille(0)
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap()
    };
    let (first, second) = (Arc::new(make()), make());
    let base = refusing_gateway("429 Too Many Requests", "retry-after: 10\r\n").await;
    let mut retry = RetryPolicy::default();
    retry.max_attempts = 1;
    let client = Client::builder()
        .service_id("svc")
        .import_token("import-token")
        .base_url(base)
        .allow_insecure_http(true)
        .retry(retry)
        .rate_budget(first)
        .build()
        .unwrap();
    let user = Identity::new(Identifier::ExternalId, "u").unwrap();
    let error = client.identify(&user).await.unwrap_err();
    assert!(matches!(error, Error::RateLimited { .. }), "{error}");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(10)));
    let answered = std::time::Instant::now();
    // The answer reaches Redis off the request's path: another holder is blocked once it has.
    let wait = loop {
        let (granted, wait) = second.try_acquire(Api::Identity, 1).await.unwrap();
        if granted == 0 {
            break wait;
        }
        assert!(
            answered.elapsed() < Duration::from_secs(5),
            "no holder blocked after the rate limit"
        );
        tokio::time::sleep(10 * MS).await;
    };
    let since = answered.elapsed();
    // Until 10 s after the answer, less the time since (50 ms for Redis's clock).
    assert!(
        wait <= 10_000 * MS && wait + since + 50 * MS >= 10_000 * MS,
        "{wait:?} {since:?}"
    );
}

/// A server on loopback answering every request with `status`, `headers` (each ending in
/// `\r\n`) and an empty body: a gateway in front of DFINERY. Its base URL.
async fn refusing_gateway(status: &'static str, headers: &'static str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                // The head, then the body its length announces.
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                let end = loop {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                    if let Some(at) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                        break at + 4;
                    }
                };
                let head = String::from_utf8_lossy(&seen[..end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                while seen.len() < end + length {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let answer = format!(
                    "HTTP/1.1 {status}\r\n{headers}content-length: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn a_rate_limited_answer_with_calls_left_blocks_no_one() {
    // An export refused because 5 exports ran at once (another process's): its window still
    // has 94 calls. Blocking every holder until the hourly reset would stop every export for
    // up to an hour.
    let Some((url, _server)) = redis_for("room_left_blocks_no_one") else {
        return;
    };
    let prefix = unique_prefix("room");
    // A reset 5 s ahead, so that the last call comes before it even on a loaded machine.
    let first = event_budget(&url, &prefix, 100, Duration::from_secs(10), 10);
    let second = event_budget(&url, &prefix, 100, Duration::from_secs(10), 10);
    assert_eq!(first.try_acquire(Api::Event, 1).await.unwrap().0, 1);
    first
        .send_feedback(Api::Event, &answer(94, 5_000 * MS, "10s", true))
        .await
        .unwrap();
    let (granted, wait) = second.try_acquire(Api::Event, 1).await.unwrap();
    assert_eq!((granted, wait), (1, Duration::ZERO), "no one is blocked");
    // The same answer with none left is a spent window: everyone waits for the reset.
    first
        .send_feedback(Api::Event, &answer(0, 5_000 * MS, "10s", true))
        .await
        .unwrap();
    assert_eq!(second.try_acquire(Api::Event, 1).await.unwrap().0, 0);
}

#[tokio::test]
async fn a_lower_limit_announced_by_the_server_applies_at_once() {
    let Some((url, _server)) = redis_for("limit_change_announced") else {
        return;
    };
    // A 5 s window, with seconds of margin for a loaded machine between the calls within it,
    // and 1,000 calls in it, so that the permits granted in it (5 ms apart) are paid off long
    // before its end and the window alone decides the last grant.
    let budget = event_budget(
        &url,
        &unique_prefix("change"),
        1_000,
        Duration::from_secs(5),
        1_000,
    );
    // A fresh window: 1,000 left, 4.5 s to go; the fleet takes 30.
    budget
        .send_feedback(Api::Event, &answer(1_000, 4_500 * MS, "5s", false))
        .await
        .unwrap();
    assert_eq!(budget.try_acquire(Api::Event, 30).await.unwrap().0, 30);
    // The server says 40 left, not 970: its limit is now 70 (or others spent 930 at once).
    // The fleet gets those 40 and no more, until the reset.
    budget
        .send_feedback(Api::Event, &answer(40, 4_250 * MS, "5s", false))
        .await
        .unwrap();
    assert_eq!(budget.try_acquire(Api::Event, 100).await.unwrap().0, 40);
    let (granted, wait) = budget.try_acquire(Api::Event, 100).await.unwrap();
    assert_eq!(granted, 0);
    assert!(wait <= 4_500 * MS, "{wait:?}");
    // A lower limit configured on any instance applies to the current window at once.
    tokio::time::sleep(wait + 20 * MS).await;
    let lowered = RedisBudget::builder(url.as_str(), "svc")
        .key_prefix(budget_prefix(&budget))
        .limit(Api::Event, 10, Duration::from_secs(5))
        .lease(Api::Event, 100)
        .headroom_permille(0)
        .build()
        .unwrap();
    assert_eq!(lowered.try_acquire(Api::Event, 100).await.unwrap().0, 10);
}

#[tokio::test]
async fn the_pace_of_other_clients_is_reserved_in_the_next_window() {
    let Some((url, _server)) = redis_for("others_pace") else {
        return;
    };
    // A 10 s window: the pace measured over the 2 s below stays above the whole window's
    // limit even if a loaded machine stretches them to 6 s, and the last wait keeps seconds
    // of margin.
    let budget = event_budget(
        &url,
        &unique_prefix("others"),
        100,
        Duration::from_secs(10),
        10,
    );
    budget
        .send_feedback(Api::Event, &answer(100, 5_500 * MS, "10s", false))
        .await
        .unwrap();
    // 2 s later someone else has spent 70: at that pace the rest of the window is theirs.
    tokio::time::sleep(2_000 * MS).await;
    budget
        .send_feedback(Api::Event, &answer(30, 3_500 * MS, "10s", false))
        .await
        .unwrap();
    let (granted, wait) = budget.try_acquire(Api::Event, 100).await.unwrap();
    assert_eq!(granted, 0, "30 left, all reserved for the other client");
    tokio::time::sleep(wait + 20 * MS).await;
    // The next window starts with their pace reserved: a tenth of the limit (the least a
    // window starts with, so that answers keep correcting the estimate), then nothing until
    // its end, where the pace alone would allow a permit every 100 ms.
    assert_eq!(budget.try_acquire(Api::Event, 100).await.unwrap().0, 10);
    let (granted, wait) = budget.try_acquire(Api::Event, 100).await.unwrap();
    assert_eq!(granted, 0);
    assert!(wait > 5_000 * MS, "{wait:?}");
}

#[tokio::test]
async fn idle_keys_expire() {
    let Some((url, _server)) = redis_for("idle_keys_expire") else {
        return;
    };
    let prefix = unique_prefix("expiry");
    let budget = RedisBudget::builder(url.as_str(), "svc")
        .key_prefix(prefix.as_str())
        .limit(Api::Event, 10, 1_000 * MS)
        .idle_ttl(2_000 * MS)
        .build()
        .unwrap();
    assert_eq!(budget.try_acquire(Api::Event, 1).await.unwrap().0, 1);
    let key = format!("{prefix}:svc:event");
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    // 2 s of idle time after the permit's interval (about 100 ms): seconds of margin for a
    // loaded machine between the two calls.
    assert!(
        ttl > 0 && ttl <= 2_200,
        "the key expires when idle: PTTL {ttl}"
    );
    tokio::time::sleep(Duration::from_millis(ttl.unsigned_abs()) + 100 * MS).await;
    let exists: i64 = redis::cmd("EXISTS")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(exists, 0);
}

#[tokio::test]
async fn export_slots_are_shared_and_a_crashed_holder_frees_its_slot() {
    let Some((url, _server)) = redis_for("export_slots") else {
        return;
    };
    let prefix = unique_prefix("slots");
    let make = {
        let (url, prefix) = (url.clone(), prefix.clone());
        move || {
            Arc::new(
                RedisBudget::builder(url.as_str(), "svc")
                    .key_prefix(prefix.as_str())
                    .export_concurrency(2)
                    // Long enough that the crashed holder's slot is still held when the test
                    // checks that a third export waits and that a released slot is free, even
                    // on a loaded machine; it frees itself 10 s after the crash.
                    .export_lease_ttl(10_000 * MS)
                    .build()
                    .unwrap(),
            )
        }
    };
    // A holder that crashes: its runtime (and the renewal) stops, the slot is never released
    // (its guard is never dropped).
    let crashed = make.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let budget = crashed();
        let guard = runtime.block_on(budget.export_slot());
        assert!(guard.is_some());
        drop(runtime);
        std::mem::forget(guard);
    })
    .join()
    .unwrap();
    let budget = make();
    let one = budget.export_slot().await.expect("the second slot");
    // Both slots are taken: a third export waits.
    assert!(
        tokio::time::timeout(300 * MS, budget.export_slot())
            .await
            .is_err(),
        "a third export must wait"
    );
    // A slot released by its holder is free at once: within a waiter's next poll (at most
    // 1.5 s), long before the crashed holder's lease runs out.
    drop(one);
    let two = tokio::time::timeout(5_000 * MS, budget.export_slot())
        .await
        .expect("a released slot is free")
        .expect("a slot");
    // The crashed holder's slot frees itself when its lease expires.
    let three = tokio::time::timeout(30_000 * MS, budget.export_slot())
        .await
        .expect("an expired slot is free");
    assert!(three.is_some());
    drop((two, three));
}

/// A process that ends right after its export frees its slot: the release was a task spawned
/// on the runtime, which never ran once the runtime stopped (and none was spawned when the
/// slot was dropped outside a runtime), so the slot stayed taken for its whole lease and, after
/// as many short jobs as slots, the next job waited for a lease to run out.
#[test]
fn an_export_slot_dropped_as_its_process_ends_is_freed_at_once() {
    let Some((url, _server)) = redis_for("slot_dropped_as_its_process_ends") else {
        return;
    };
    let prefix = unique_prefix("slot-release");
    let make = || {
        RedisBudget::builder(url.as_str(), "svc")
            .key_prefix(prefix.as_str())
            .export_concurrency(1)
            .export_lease_ttl(Duration::from_secs(10))
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap()
    };
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    // Another instance, on a runtime of its own that lives on (its connection belongs to it),
    // gets the one slot within 2 s (its lease would free it after 10 s).
    let other = make();
    let other_runtime = runtime();
    let next_gets_the_slot = |how: &str| {
        other_runtime.block_on(async {
            let slot = tokio::time::timeout(Duration::from_secs(2), other.export_slot())
                .await
                .unwrap_or_else(|_| panic!("{how}: the slot is still taken"));
            assert!(slot.is_some(), "{how}: a slot through Redis");
        });
    };
    // Dropped at the end of the runtime's main future, then the runtime stops (a
    // `#[tokio::main(flavor = "current_thread")]` that returns).
    let budget = make();
    runtime().block_on(async {
        let slot = budget.export_slot().await;
        assert!(slot.is_some());
        drop(slot);
    });
    next_gets_the_slot("dropped as the runtime ends");
    // Dropped after its runtime, outside any.
    let budget = make();
    let rt = runtime();
    let slot = rt.block_on(budget.export_slot());
    assert!(slot.is_some());
    drop(rt);
    drop(slot);
    next_gets_the_slot("dropped outside a runtime");
}

/// A spent window whose reset lies more than two periods ahead (an answer without a window
/// header, so its window is taken for the period, 10 s here, and a reset a minute ahead) holds
/// every holder back until the reset: the block was written, then read back as garbage
/// (further ahead than the script's state ever lies), so nobody was held back and the fleet
/// kept collecting 429s.
#[tokio::test]
async fn a_spent_window_without_a_window_header_blocks_until_its_reset() {
    let Some((url, _server)) = redis_for("spent_window_without_a_window_header") else {
        return;
    };
    let budget = event_budget(
        &url,
        &unique_prefix("no-window"),
        10,
        Duration::from_secs(10),
        1,
    );
    let received = SystemTime::now();
    let mut spent = Feedback::new(received);
    spent.snapshot = Some(RateLimitSnapshot::new(
        None,
        Some(0),
        Some(received + Duration::from_secs(60)),
    ));
    spent.rate_limited = true;
    budget.send_feedback(Api::Event, &spent).await.unwrap();
    for _ in 0..2 {
        let (granted, wait) = budget.try_acquire(Api::Event, 1).await.unwrap();
        assert_eq!(granted, 0, "a permit in a window spent for another minute");
        assert!(
            wait > Duration::from_secs(40) && wait <= Duration::from_secs(60),
            "{wait:?}"
        );
    }
}

/// A holder whose export slot was lost (no renewal reached Redis within its lease, and others
/// took every slot meanwhile) says so: it ran on beyond the fleet's limit without a word.
#[tokio::test]
async fn a_holder_whose_export_slot_was_lost_says_so() {
    let Some((url, _server)) = redis_for("a_holder_whose_export_slot_was_lost") else {
        return;
    };
    let logs = crate::capture::this_thread(tracing::Level::WARN);
    let prefix = unique_prefix("lost-slot");
    let make = || {
        RedisBudget::builder(url.as_str(), "svc")
            .key_prefix(prefix.as_str())
            .export_concurrency(1)
            .export_lease_ttl(Duration::from_secs(1))
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap()
    };
    let (holder, other) = (make(), make());
    let held = holder.export_slot().await;
    assert!(held.is_some());
    // Its lease gone (as when it ran out unrenewed), and the one slot taken by another.
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let slots = format!("{prefix}:svc:export:slots");
    let _: i64 = redis::cmd("DEL")
        .arg(&slots)
        .query_async(&mut conn)
        .await
        .unwrap();
    let taken = tokio::time::timeout(Duration::from_secs(5), other.export_slot())
        .await
        .expect("the slot, free in Redis");
    assert!(taken.is_some());
    // The holder's next renewal (every third of a second) finds every slot taken.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !logs.text().contains("an export's shared slot was lost") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "nothing said of the lost slot: {}",
            logs.text()
        );
        tokio::time::sleep(50 * MS).await;
    }
    assert!(
        logs.text().contains("beyond the fleet's 1 at once"),
        "{}",
        logs.text()
    );
    drop((held, taken));
}
