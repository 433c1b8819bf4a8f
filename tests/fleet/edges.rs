//! The shared budget at its edges: keys left in Redis by another tool or an old version, and a
//! Redis URL that does not parse.

use std::time::Duration;

use dfinery::ratelimit::{Api, RateBudget, RedisBudget};

use crate::support::{redis_for, unique_prefix};

const MS: Duration = Duration::from_millis(1);

/// A budget of 10 Event calls per second, one at a time, no headroom, a generous timeout.
fn budget(url: &str, prefix: &str) -> RedisBudget {
    RedisBudget::builder(url, "svc")
        .key_prefix(prefix)
        .limit(Api::Event, 10, Duration::from_secs(1))
        .lease(Api::Event, 1)
        .headroom_permille(0)
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap()
}

async fn redis(url: &str, args: &[&str]) -> redis::Value {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let mut cmd = redis::cmd(args[0]);
    for arg in &args[1..] {
        cmd.arg(*arg);
    }
    cmd.query_async(&mut conn).await.unwrap()
}

/// Fields of the Event key holding what no version of the script writes: not numbers, NaN,
/// infinities, or times centuries ahead. Each must read as a fresh budget, not stall the
/// fleet (no permit for years, or a busy loop on Redis) nor make every call fail.
#[tokio::test]
async fn garbage_in_a_budget_key_is_ignored_not_obeyed() {
    let Some((url, _server)) = redis_for("garbage_in_a_budget_key") else {
        return;
    };
    let far = "99999999999999999"; // milliseconds: about three million years ahead
    let cases: [&[&str]; 8] = [
        &["tat", "not a number"],
        &["tat", "nan"],
        &["tat", "inf"],
        &["tat", far],
        &["tat", "1e300"],
        &["block", far],
        &["wend", far, "wcount", "5", "wcap", "0"],
        &["wend", "1", "wlen", "0"],
    ];
    for fields in cases {
        let prefix = unique_prefix("garbage");
        let key = format!("{prefix}:svc:event");
        let mut hset = vec!["HSET", key.as_str()];
        hset.extend_from_slice(fields);
        redis(&url, &hset).await;
        let budget = budget(&url, &prefix);
        let (granted, wait) = budget
            .try_acquire(Api::Event, 1)
            .await
            .unwrap_or_else(|e| panic!("{fields:?}: {e}"));
        assert_eq!(granted, 1, "{fields:?}: wait {wait:?}");
        // The pace holds again from there: the next permit is one interval (100 ms) away.
        let (granted, wait) = budget.try_acquire(Api::Event, 1).await.unwrap();
        assert_eq!(granted, 0, "{fields:?}");
        assert!(
            wait > Duration::ZERO && wait <= 100 * MS,
            "{fields:?}: {wait:?}"
        );
        // Through the trait too: a permit comes, from Redis, not from the fallback.
        tokio::time::timeout(Duration::from_secs(5), budget.acquire(Api::Event))
            .await
            .unwrap_or_else(|_| panic!("{fields:?}: acquire hung"));
        let stats = budget.stats();
        assert_eq!((stats.fallbacks, stats.redis_errors), (0, 0), "{fields:?}");
        let ttl = redis(&url, &["PTTL", key.as_str()]).await;
        assert!(
            matches!(ttl, redis::Value::Int(ms) if ms > 0 && ms <= 601_000),
            "{fields:?}: the key expires when idle again: PTTL {ttl:?}"
        );
    }
}

/// A key of the budget's name holding another type (a string, a list) is replaced: the
/// budget keeps sharing through Redis instead of falling back on every call.
#[tokio::test]
async fn a_budget_key_of_another_type_is_replaced() {
    let Some((url, _server)) = redis_for("a_budget_key_of_another_type") else {
        return;
    };
    let prefix = unique_prefix("wrongtype");
    let event = format!("{prefix}:svc:event");
    let slots = format!("{prefix}:svc:export:slots");
    redis(&url, &["SET", event.as_str(), "left by an old version"]).await;
    redis(&url, &["RPUSH", slots.as_str(), "a", "b"]).await;
    let budget = budget(&url, &prefix);
    let (granted, _) = budget
        .try_acquire(Api::Event, 1)
        .await
        .expect("a key of another type is replaced, not an error");
    assert_eq!(granted, 1);
    let slot = tokio::time::timeout(Duration::from_secs(5), budget.export_slot())
        .await
        .expect("an export slot");
    assert!(
        slot.is_some(),
        "a slot taken through Redis, not the fallback"
    );
    let stats = budget.stats();
    assert_eq!((stats.fallbacks, stats.redis_errors), (0, 0), "{stats:?}");
}

/// A URL that does not parse fails the build with an error naming it, its password hidden.
#[test]
fn a_bad_url_is_named_without_its_password() {
    for url in [
        "redis://:hunter2@redis.internal:notaport/0",
        "http://user:hunter2@redis.internal:6379",
        "redis://:hun?ter2/x@redis.internal:6379",
        // A unix socket's password is a query parameter.
        "unix:///run/redis.internal.sock?pass=hunter2&db=x",
    ] {
        let error = RedisBudget::builder(url, "svc").build().unwrap_err();
        let text = error.to_string();
        assert!(
            !text.contains("hunter2") && !text.contains("ter2"),
            "{text}"
        );
        assert!(text.contains("redis.internal"), "the URL is named: {text}");
        assert!(text.contains("redis://127.0.0.1:6379/0"), "{text}");
    }
}

/// A `rediss://` URL (TLS, as a managed Redis requires) builds a budget: it was refused, no TLS
/// support being built in, so such a Redis could not be used and any Redis off loopback got its
/// password in cleartext. The budget connects on first use: no server is needed here.
#[test]
fn a_rediss_url_builds_a_budget() {
    let budget = RedisBudget::builder("rediss://:p@127.0.0.1:6380/0", "svc").build();
    assert!(budget.is_ok(), "{:?}", budget.err());
}

/// Redis not there at the start: permits come at once from the fallback pace (limit / expected
/// instances), and sharing starts as soon as Redis answers. Fail-closed waits for it instead.
#[tokio::test]
async fn redis_unreachable_at_start_paces_locally_then_shares() {
    let Some(mut server) = crate::support::RedisServer::start("redis_unreachable_at_start") else {
        return;
    };
    server.kill();
    let make = |fail_closed| {
        RedisBudget::builder(server.url(), "svc")
            .key_prefix(unique_prefix("unreachable"))
            .limit(Api::Event, 100, Duration::from_secs(1))
            .expected_instances(4)
            .timeout(200 * MS)
            .retry_interval(100 * MS)
            .fail_closed(fail_closed)
            .build()
            .unwrap()
    };
    let open = make(false);
    let closed = make(true);
    for _ in 0..5 {
        tokio::time::timeout(Duration::from_secs(10), open.acquire(Api::Event))
            .await
            .expect("fail-open gives permits while Redis is away");
    }
    let stats = open.stats();
    assert!(stats.degraded, "{stats:?}");
    assert_eq!(
        (stats.fallbacks, stats.fallback_permits),
        (1, 5),
        "{stats:?}"
    );
    assert!(
        tokio::time::timeout(Duration::from_secs(1), closed.acquire(Api::Event))
            .await
            .is_err(),
        "fail-closed sends nothing while Redis is away"
    );
    server.restart();
    tokio::time::timeout(Duration::from_secs(20), closed.acquire(Api::Event))
        .await
        .expect("fail-closed goes on once Redis is back");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while open.stats().degraded {
        assert!(tokio::time::Instant::now() < deadline, "sharing resumes");
        tokio::time::sleep(50 * MS).await;
    }
    open.acquire(Api::Event).await;
    let stats = open.stats();
    assert!(stats.shared_permits >= 1 && !stats.degraded, "{stats:?}");
}

/// While Redis is away, each instance runs at most its share of the exports at once (the
/// concurrency, 5, divided by the expected instances, 2 here: 2), as its fallback pace is its
/// share of the limit: each ran the client's own 5, so a fleet of 4 could run 20 exports at
/// once where DFINERY allows 5.
#[tokio::test]
async fn while_redis_is_away_each_instance_runs_its_share_of_the_exports_at_once() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let budget = RedisBudget::builder(format!("redis://127.0.0.1:{port}/0"), "svc")
        .expected_instances(2)
        .timeout(200 * MS)
        .retry_interval(100 * MS)
        .build()
        .unwrap();
    let slot = || tokio::time::timeout(Duration::from_secs(10), budget.export_slot());
    let one = slot().await.expect("no hang on an unreachable Redis");
    let two = slot().await.expect("no hang on an unreachable Redis");
    assert!(one.is_some() && two.is_some(), "this instance's 2 slots");
    assert!(budget.stats().degraded, "{:?}", budget.stats());
    assert!(
        tokio::time::timeout(Duration::from_secs(1), budget.export_slot())
            .await
            .is_err(),
        "a third export at once waits"
    );
    drop(one);
    let three = slot().await.expect("a slot freed is taken");
    assert!(three.is_some());
    drop((two, three));
}

/// Redis lost right after this instance took the whole window's budget from it (4 calls a
/// minute, one lease of 4): the fallback pace goes on from what the instance took, so the next
/// permit waits for the minute to pass instead of coming at once on top of the 4 (a fresh
/// fallback pace, which DFINERY would answer with HTTP 429).
#[tokio::test]
async fn redis_lost_after_the_window_is_spent_does_not_start_a_fresh_fallback_pace() {
    let Some(mut server) = crate::support::RedisServer::start("redis_lost_after_the_window") else {
        return;
    };
    let budget = RedisBudget::builder(server.url(), "svc")
        .key_prefix(unique_prefix("lost-mid-window"))
        .limit(Api::Event, 4, Duration::from_secs(60))
        .lease(Api::Event, 4)
        .headroom_permille(0)
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    for _ in 0..4 {
        tokio::time::timeout(Duration::from_secs(10), budget.acquire(Api::Event))
            .await
            .expect("the window's 4 permits come at once from Redis");
    }
    assert_eq!(budget.stats().shared_permits, 4, "{:?}", budget.stats());
    server.kill();
    assert!(
        tokio::time::timeout(Duration::from_secs(3), budget.acquire(Api::Event))
            .await
            .is_err(),
        "a fifth permit within the minute after Redis was lost: {:?}",
        budget.stats()
    );
    let stats = budget.stats();
    assert!(stats.degraded && stats.fallbacks == 1, "{stats:?}");
}

/// A Redis that accepts connections and never answers (a blocked server, a black hole)
/// counts as unreachable after the timeout: no call waits for it longer.
#[tokio::test]
async fn a_redis_that_never_answers_times_out_into_the_fallback() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let budget = RedisBudget::builder(format!("redis://127.0.0.1:{port}/0"), "svc")
        .limit(Api::Event, 100, Duration::from_secs(1))
        .timeout(200 * MS)
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    for _ in 0..3 {
        tokio::time::timeout(Duration::from_secs(10), budget.acquire(Api::Event))
            .await
            .expect("no hang on a silent Redis");
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(budget.stats().fallbacks, 1, "{:?}", budget.stats());
    let error = budget.try_acquire(Api::Event, 1).await.unwrap_err();
    assert!(
        error.is_timeout() || error.to_string().contains("timeout"),
        "{error}"
    );
    held.abort();
}

/// Calls made at once while Redis is unreachable all fall back within about one connect
/// timeout: they waited in turn for the connection, each connecting anew, so the last of
/// sixteen fell back sixteen connect timeouts (here 0.8 s each) late.
#[tokio::test]
async fn calls_made_at_once_to_an_unreachable_redis_fall_back_together() {
    // A Redis behind a firewall that drops the packets.
    let hole = crate::blackhole::BlackHole::new();
    let budget = RedisBudget::builder(format!("redis://{}/0", hole.addr), "svc")
        .limit(Api::Event, 1_000, Duration::from_secs(1))
        .timeout(200 * MS)
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let calls = (0..16).map(|_| budget.acquire(Api::Event));
    tokio::time::timeout(
        Duration::from_secs(60),
        futures_util::future::join_all(calls),
    )
    .await
    .expect("no hang on an unreachable Redis");
    // Well under 16 x 0.8 s, even on a loaded machine.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(budget.stats().degraded, "{:?}", budget.stats());
}

/// A Redis that answers PING but refuses the script's writes (out of memory here; a read-only
/// replica is the same): one outage, logged and counted once, not a fall back and forth at
/// every retry; sharing resumes when the writes are taken again.
#[tokio::test]
async fn a_redis_that_refuses_writes_is_one_outage_until_it_takes_them() {
    let Some(server) = crate::support::RedisServer::start("a_redis_that_refuses_writes") else {
        return;
    };
    let url = server.url();
    let budget = RedisBudget::builder(url.as_str(), "svc")
        .key_prefix(unique_prefix("oom"))
        .limit(Api::Event, 1_000, Duration::from_secs(1))
        .timeout(Duration::from_secs(2))
        .retry_interval(20 * MS)
        .build()
        .unwrap();
    redis(&url, &["CONFIG", "SET", "maxmemory", "1"]).await;
    let started = tokio::time::Instant::now();
    while started.elapsed() < Duration::from_millis(600) {
        tokio::time::timeout(Duration::from_secs(5), budget.acquire(Api::Event))
            .await
            .expect("permits from the fallback");
        tokio::time::sleep(5 * MS).await;
    }
    let stats = budget.stats();
    assert!(stats.degraded && stats.fallback_permits > 0, "{stats:?}");
    assert_eq!(stats.fallbacks, 1, "one outage: {stats:?}");
    redis(&url, &["CONFIG", "SET", "maxmemory", "0"]).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while budget.stats().degraded {
        assert!(tokio::time::Instant::now() < deadline, "sharing resumes");
        tokio::time::sleep(20 * MS).await;
    }
    let before = budget.stats().shared_permits;
    budget.acquire(Api::Event).await;
    assert!(
        budget.stats().shared_permits > before,
        "{:?}",
        budget.stats()
    );
    drop(server);
}

/// Durations far beyond anything DFINERY or Redis takes (`Duration::MAX` as "forever"), and an
/// export lease of zero, are refused at build, naming the setting, instead of a panic in
/// `build` (a period doubled past `Duration::MAX`), an expiry Redis refuses on every call, or
/// a held export slot renewed in a loop without pause.
#[test]
fn durations_out_of_range_are_refused_at_build() {
    let url = "redis://127.0.0.1:6379/0";
    let builders = [
        (
            "limit",
            RedisBudget::builder(url, "svc").limit(Api::Event, 10, Duration::MAX),
        ),
        (
            "idle_ttl",
            RedisBudget::builder(url, "svc").idle_ttl(Duration::MAX),
        ),
        (
            "export_lease_ttl",
            RedisBudget::builder(url, "svc").export_lease_ttl(Duration::MAX),
        ),
        (
            "export_lease_ttl",
            RedisBudget::builder(url, "svc").export_lease_ttl(Duration::ZERO),
        ),
        // Renewed every third of it: 100 ms would renew a held slot every 33 ms.
        (
            "export_lease_ttl",
            RedisBudget::builder(url, "svc").export_lease_ttl(Duration::from_millis(100)),
        ),
        // 0 ms in the script's milliseconds: the permits would not be spaced at all.
        (
            "limit",
            RedisBudget::builder(url, "svc").limit(Api::Event, 10, Duration::from_micros(500)),
        ),
        // Each named for itself: a zero retry interval was refused as a bad `timeout`.
        (
            "timeout",
            RedisBudget::builder(url, "svc").timeout(Duration::ZERO),
        ),
        (
            "retry_interval",
            RedisBudget::builder(url, "svc").retry_interval(Duration::ZERO),
        ),
    ];
    for (setting, builder) in builders {
        let error = builder.build().expect_err(setting).to_string();
        assert!(error.contains(&format!("`{setting}`")), "{error}");
    }
}

/// A count near `u64::MAX` (what `--rate-limit event=18446744073709551615/1m` gives) builds
/// a budget: the fallback's share of it less the headroom overflowed (a panic in a debug build,
/// a share wrapped to almost nothing in a release one).
#[test]
fn the_largest_count_builds_a_budget() {
    let budget = RedisBudget::builder("redis://127.0.0.1:6379/0", "svc")
        .limit(Api::Event, u64::MAX, Duration::from_secs(60))
        .build();
    assert!(budget.is_ok(), "{:?}", budget.err());
}

/// A lease larger than the limit itself (a setting meant for a higher limit, or a limit lowered
/// later) grants at most the limit at once, not the whole lease.
#[tokio::test]
async fn a_lease_above_the_limit_grants_at_most_the_limit_at_once() {
    let Some((url, _server)) = redis_for("a_lease_above_the_limit") else {
        return;
    };
    let budget = RedisBudget::builder(url.as_str(), "svc")
        .key_prefix(unique_prefix("lease"))
        .limit(Api::Event, 100, Duration::from_secs(60))
        .lease(Api::Event, 1_000)
        .headroom_permille(0)
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let (granted, _) = budget.try_acquire(Api::Event, 1_000).await.unwrap();
    assert_eq!(granted, 100, "the minute's limit at most");
    assert_eq!(budget.try_acquire(Api::Event, 1_000).await.unwrap().0, 0);
}

/// No export at once can never be granted: refused at build, rather than every export waiting
/// for a slot forever.
#[test]
fn an_export_concurrency_of_zero_is_refused_at_build() {
    let error = RedisBudget::builder("redis://127.0.0.1:6379/0", "svc")
        .export_concurrency(0)
        .build()
        .expect_err("0 exports at once")
        .to_string();
    assert!(error.contains("`export_concurrency`"), "{error}");
}

/// Export slots held "forever" (an expiry of +inf or millions of years, no TTL on the set), as
/// no holder writes: dropped, so exports go on instead of waiting for ever.
#[tokio::test]
async fn export_slots_that_never_expire_are_dropped() {
    let Some((url, _server)) = redis_for("export_slots_that_never_expire") else {
        return;
    };
    let prefix = unique_prefix("ghosts");
    let slots = format!("{prefix}:svc:export:slots");
    redis(
        &url,
        &["ZADD", slots.as_str(), "+inf", "ghost-1", "1e17", "ghost-2"],
    )
    .await;
    let budget = RedisBudget::builder(url.as_str(), "svc")
        .key_prefix(prefix.as_str())
        .export_concurrency(2)
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let slot = tokio::time::timeout(Duration::from_secs(5), budget.export_slot())
        .await
        .expect("a slot, not a wait for ever");
    assert!(
        slot.is_some(),
        "a slot taken through Redis, not the fallback"
    );
    assert_eq!(budget.stats().fallbacks, 0, "{:?}", budget.stats());
}

/// A Redis server of its own (`None` where none can start), on TCP whatever
/// `DFINERY_TEST_REDIS_URL` is (CI's is a unix socket), behind a [`slow_proxy`] that holds each
/// piece of its answers 150 ms: the server (stopped when dropped) and the proxy's URL.
async fn slow_redis(name: &str) -> Option<(crate::support::RedisServer, String)> {
    let server = crate::support::RedisServer::start(name)?;
    let target = server
        .url()
        .trim_start_matches("redis://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let slow = slow_proxy(target, Duration::from_millis(150)).await;
    Some((server, slow))
}

/// A TCP proxy on loopback to `target` (`host:port`) that holds each piece of the answers
/// `delay` before passing it on: a Redis slow to answer. Runs until the runtime stops.
async fn slow_proxy(target: String, delay: Duration) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = tokio::net::TcpStream::connect(&target).await else {
                continue;
            };
            let (mut client_read, mut client_write) = client.into_split();
            let (mut server_read, mut server_write) = server.into_split();
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
            });
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n) = server_read.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    tokio::time::sleep(delay).await;
                    if client_write.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    format!("redis://{address}/0")
}

/// A Redis answering a second late (through [`slow_proxy`]) and a budget of one export slot on
/// it (a 60 s lease, a 10 s timeout), keyed under a fresh prefix from `name`; with the key of
/// the slots taken. `None` where no `redis-server` runs the tests.
async fn one_slot_behind_a_slow_redis(
    name: &str,
) -> Option<(crate::support::RedisServer, RedisBudget, String)> {
    let server = crate::support::RedisServer::start(name)?;
    let target = server
        .url()
        .trim_start_matches("redis://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let slow = slow_proxy(target, Duration::from_secs(1)).await;
    let prefix = unique_prefix(name);
    let budget = RedisBudget::builder(slow.as_str(), "svc")
        .key_prefix(prefix.as_str())
        .export_concurrency(1)
        .export_lease_ttl(Duration::from_secs(60))
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    Some((server, budget, format!("{prefix}:svc:export:slots")))
}

/// How many export slots are taken under `slots`, asked of Redis at `url` directly.
async fn slots_taken(url: &str, slots: &str) -> i64 {
    match redis(url, &["ZCARD", slots]).await {
        redis::Value::Int(n) => n,
        other => panic!("ZCARD: {other:?}"),
    }
}

/// An export that stops waiting for its slot (a caller's timeout, a cancelled job) while the
/// call taking it is on its way frees the slot: Redis took it, its answer never reached the
/// budget, and the slot stayed taken for its whole lease (60 s by default), one export fewer
/// for the fleet. Redis answers a second late here, so the caller gives up between the two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_that_stops_waiting_while_its_slot_is_taken_frees_it() {
    let Some((server, budget, slots)) =
        one_slot_behind_a_slow_redis("slot_taken_for_a_caller_gone").await
    else {
        return;
    };
    let budget = std::sync::Arc::new(budget);
    // Connected, the script loaded: the slot's call below is one round trip.
    budget.try_acquire(Api::Export, 1).await.unwrap();
    let url = server.url();
    let held = || slots_taken(&url, &slots);
    let waiting = tokio::spawn({
        let budget = std::sync::Arc::clone(&budget);
        async move { budget.export_slot().await }
    });
    // Redis took the slot; its answer is on its way back. The caller gives up.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while held().await == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no slot taken in Redis"
        );
        tokio::time::sleep(10 * MS).await;
    }
    waiting.abort();
    // Given up, or (a machine too loaded to give up within the second) the slot came and is
    // dropped here: either way it is free within seconds, not after its lease.
    drop(waiting.await);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while held().await != 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the slot of a caller gone is still taken 20 s on (its lease is 60 s)"
        );
        tokio::time::sleep(50 * MS).await;
    }
}

/// The lease of permits a Redis answers with lasts from the answer's arrival: it ran from the
/// request, so a Redis slower to answer than the lease lasts (at least 100 ms) handed over
/// leases already run out, every call took one permit of each and threw the rest away, and the
/// Event API got a sixteenth of its budget.
#[tokio::test]
async fn a_lease_from_a_slow_redis_lasts_from_its_arrival() {
    let Some((_server, slow)) = slow_redis("a_lease_from_a_slow_redis").await else {
        return;
    };
    // The lease's 16 permits span 1 ms at this pace: the lease lasts its floor, 100 ms.
    let budget = RedisBudget::builder(slow.as_str(), "svc")
        .key_prefix(unique_prefix("slow-lease"))
        .limit(Api::Event, 1_000_000, Duration::from_secs(60))
        .lease(Api::Event, 16)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    // A call made 80 ms or more after the lease arrived (a machine too loaded to tell) starts
    // the run again.
    'runs: for _ in 0..3 {
        let before = budget.stats().shared_permits;
        budget.acquire(Api::Event).await;
        // Up to 16: the pace may grant fewer at once.
        let granted = budget.stats().shared_permits - before;
        assert!(granted > 1, "one round trip grants a lease: {granted}");
        let arrived = std::time::Instant::now();
        for call in 1..granted {
            let after = arrived.elapsed();
            let shared = budget.stats().shared_permits;
            budget.acquire(Api::Event).await;
            if budget.stats().shared_permits > shared {
                if after >= Duration::from_millis(80) {
                    continue 'runs;
                }
                panic!(
                    "call {call} of {granted}, {after:?} after the lease arrived, went to Redis instead of the lease: {:?}",
                    budget.stats()
                );
            }
        }
        assert!(!budget.stats().degraded, "{:?}", budget.stats());
        return;
    }
    panic!("the machine was too loaded to take the leased permits within 80 ms three times");
}

/// A Redis 150 ms away, each round trip well within the default timeout (250 ms), is shared
/// through, not taken for unreachable: one timeout covered connecting, the connection's setup
/// and the script's round trips (on a fresh Redis: EVALSHA, SCRIPT LOAD, EVALSHA again), and
/// the retry connected afresh before every probe, so such a Redis was down for good ("cannot
/// be reached"). A round trip slowed past the timeout by a loaded machine may still count as
/// an outage: sharing must come back within the time.
#[tokio::test]
async fn a_redis_150_ms_away_is_shared_with_the_default_timeout() {
    let Some((server, slow)) = slow_redis("a_redis_150_ms_away").await else {
        return;
    };
    let budget = RedisBudget::builder(slow.as_str(), "svc")
        .key_prefix(unique_prefix("far-redis"))
        .limit(Api::Event, 1_000, Duration::from_secs(1))
        .lease(Api::Event, 1)
        .build()
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        tokio::time::timeout(Duration::from_secs(10), budget.acquire(Api::Event))
            .await
            .expect("no hang");
        let stats = budget.stats();
        if stats.shared_permits >= 3 && !stats.degraded {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no shared permits from a Redis 150 ms away: {stats:?}"
        );
        tokio::time::sleep(10 * MS).await;
    }
    drop(server);
}

/// A budget that found Redis down on one runtime, used on from another once that one stopped
/// (each test of a suite has its own runtime), shares again when Redis is back: only the task
/// that retried Redis cleared the outage, and it stopped with its runtime, so the budget
/// paced locally (or, failing closed, sent nothing) for good.
#[test]
fn a_budget_used_on_from_another_runtime_shares_again_once_redis_is_back() {
    let Some(mut server) = crate::support::RedisServer::start("another_runtime") else {
        return;
    };
    server.kill();
    let budget = RedisBudget::builder(server.url(), "svc")
        .key_prefix(unique_prefix("another-runtime"))
        .limit(Api::Event, 100, Duration::from_secs(1))
        .timeout(200 * MS)
        .retry_interval(100 * MS)
        .build()
        .unwrap();
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    runtime().block_on(async {
        budget.acquire(Api::Event).await;
        assert!(budget.stats().degraded, "{:?}", budget.stats());
    });
    // That runtime, and its task retrying Redis, are gone.
    server.restart();
    runtime().block_on(async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while budget.stats().degraded {
            assert!(
                tokio::time::Instant::now() < deadline,
                "sharing resumes: {:?}",
                budget.stats()
            );
            budget.acquire(Api::Event).await;
            tokio::time::sleep(20 * MS).await;
        }
        let before = budget.stats().shared_permits;
        budget.acquire(Api::Event).await;
        assert!(
            budget.stats().shared_permits > before,
            "{:?}",
            budget.stats()
        );
    });
}

/// A process stopped and continued (Ctrl-Z then `fg`, a debugger) while an export slot's
/// release waits for Redis's answer frees the slot all the same. Linux fails a blocking socket
/// read that has a timeout with `EINTR` once a stopped process continues, even without a signal
/// handler; the release was not tried again, and the slot stayed taken for its lease (60 s),
/// one export fewer for the fleet. Redis answers a second late here (through a slow proxy), and
/// the process is stopped for 300 ms within that second.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_interrupted_by_a_stop_and_continue_still_frees_the_slot() {
    let Some((server, budget, slots)) =
        one_slot_behind_a_slow_redis("release_stopped_and_continued").await
    else {
        return;
    };
    let url = server.url();
    let held = || slots_taken(&url, &slots);
    let slot = tokio::time::timeout(Duration::from_secs(20), budget.export_slot())
        .await
        .expect("a slot within 20 s")
        .expect("the budget shares export slots");
    assert_eq!(held().await, 1);
    // Stopped 300 ms into the release's wait for its answer, continued 300 ms later.
    let pid = std::process::id();
    let mut stopper = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "sleep 0.3; kill -STOP {pid}; sleep 0.3; kill -CONT {pid}"
        ))
        .spawn()
        .expect("sh runs");
    // The release: its call's answer comes a second later, through the proxy.
    drop(slot);
    assert!(stopper.wait().expect("sh ends").success());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while held().await != 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the released slot is still taken 20 s on (its lease is 60 s)"
        );
        tokio::time::sleep(50 * MS).await;
    }
}

/// A Redis that closes this instance's connection while it is idle (its `timeout` setting, a
/// proxy's or a load balancer's idle timeout, `CLIENT KILL`) is not an outage: the next call
/// goes out again on a new connection. It failed with "broken pipe", and the instance fell
/// back to local pacing with a warning that Redis could not be reached, after every idle spell
/// longer than the server's timeout.
#[tokio::test]
async fn a_connection_closed_by_redis_while_idle_is_not_an_outage() {
    // A server of its own: every client of it is disconnected.
    let Some(server) = crate::support::RedisServer::start("a_connection_closed_while_idle") else {
        return;
    };
    let url = server.url();
    let budget = RedisBudget::builder(url.as_str(), "svc")
        .key_prefix(unique_prefix("idle-closed"))
        .limit(Api::Event, 1_000, Duration::from_secs(1))
        .lease(Api::Event, 1)
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    for round in 0..3 {
        tokio::time::timeout(Duration::from_secs(10), budget.acquire(Api::Event))
            .await
            .expect("no hang");
        // Every client connection but the one sending this (a fresh one per call).
        redis(&url, &["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]).await;
        tokio::time::sleep(50 * MS).await;
        let stats = budget.stats();
        assert_eq!(
            (stats.fallbacks, stats.fallback_permits, stats.degraded),
            (0, 0, false),
            "round {round}: {stats:?}"
        );
    }
    let (granted, _) = budget
        .try_acquire(Api::Event, 1)
        .await
        .expect("the call goes out on a new connection");
    assert_eq!(granted, 1);
    let stats = budget.stats();
    assert_eq!((stats.fallbacks, stats.shared_permits), (0, 4), "{stats:?}");
}

/// A URL naming a database the server does not have (`/16` on a Redis of 16, 0 to 15) is a
/// mistake in the URL: the warning says so, names the URL and what to give. It said that
/// Redis refused the budget's script and that its user needs EVAL and EVALSHA on a writable
/// Redis 5.0 or later, none of which was the matter.
#[tokio::test]
async fn a_database_the_server_does_not_have_is_named_in_the_warning() {
    // A server of its own, on TCP: the URL's database is changed (the one CI names is a unix
    // socket's URL).
    let Some(server) = crate::support::RedisServer::start("a_database_the_server_does_not_have")
    else {
        return;
    };
    let logs = crate::capture::this_thread(tracing::Level::WARN);
    let wrong = server.url().replace("/0", "/16");
    let budget = RedisBudget::builder(wrong.as_str(), "svc")
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), budget.acquire(Api::Event))
        .await
        .expect("a permit from the fallback");
    assert_eq!(budget.stats().fallbacks, 1, "{:?}", budget.stats());
    let text = logs.text();
    assert!(
        text.contains("has no database 16") && text.contains(&wrong),
        "the database and the URL are named: {text}"
    );
    assert!(text.contains("`databases`"), "how to fix it: {text}");
    assert!(!text.contains("EVALSHA"), "not the script's fault: {text}");
}

/// A negative database number is refused at build, naming the URL: it built, and every call
/// failed at connect.
#[test]
fn a_negative_database_number_is_refused_at_build() {
    let error = RedisBudget::builder("redis://:hunter2@redis.internal:6379/-1", "svc")
        .build()
        .unwrap_err();
    let text = format!(
        "{error}: {}",
        std::error::Error::source(&error).map_or(String::new(), ToString::to_string)
    );
    assert!(
        text.contains("redis.internal") && !text.contains("hunter2"),
        "{text}"
    );
    assert!(text.contains("database number -1"), "{text}");
}

/// Connections the server has accepted so far (`total_connections_received`).
async fn connections_received(url: &str) -> u64 {
    let redis::Value::BulkString(info) = redis(url, &["INFO", "stats"]).await else {
        panic!("INFO is a bulk string");
    };
    String::from_utf8_lossy(&info)
        .lines()
        .find_map(|line| line.strip_prefix("total_connections_received:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("total_connections_received in INFO stats")
}

/// While Redis answers but refuses the script (out of memory here; a read-only replica, an ACL
/// without EVALSHA are the same), the probes go on over the connection that carries the
/// refusals, as docs/fleet.md says: each probe connected afresh (every 20 ms here, 500 ms by
/// default, from every instance of the fleet), to a Redis already in trouble.
#[tokio::test]
async fn probes_of_a_redis_that_refuses_the_script_keep_their_connection() {
    // A server of its own: its count of connections is this test's alone.
    let Some(server) = crate::support::RedisServer::start("probes_keep_their_connection") else {
        return;
    };
    let url = server.url();
    let budget = RedisBudget::builder(url.as_str(), "svc")
        .key_prefix(unique_prefix("probe-conn"))
        .limit(Api::Event, 1_000, Duration::from_secs(1))
        .lease(Api::Event, 1)
        .timeout(Duration::from_secs(2))
        .retry_interval(20 * MS)
        .build()
        .unwrap();
    budget.acquire(Api::Event).await;
    redis(&url, &["CONFIG", "SET", "maxmemory", "1"]).await;
    tokio::time::timeout(Duration::from_secs(10), budget.acquire(Api::Event))
        .await
        .expect("a permit");
    let before = connections_received(&url).await;
    // A second of probes, 20 ms apart.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let stats = budget.stats();
    assert!(
        stats.degraded && stats.redis_errors >= 10,
        "probed: {stats:?}"
    );
    // This test's own INFO calls connect too: one each.
    let made = connections_received(&url).await - before - 1;
    assert!(made <= 2, "{made} connections made by the probes");
    redis(&url, &["CONFIG", "SET", "maxmemory", "0"]).await;
}

/// A Redis that answers but refuses the script says why, where, and what to do: a read-only
/// replica is named as one (point the URL at the primary), a Redis Cluster as unsupported
/// (its two keys of an export slot are in different hash slots), each with the URL. Every
/// refusal said only that the user needs EVAL and EVALSHA on a writable Redis 5.0 or later,
/// without the URL: a replica's URL or a cluster was not pointed at.
#[tokio::test]
async fn a_redis_refusing_the_script_is_named_with_the_reason() {
    let logs = crate::capture::this_thread(tracing::Level::WARN);
    // A replica of a primary that is not there: read-only.
    let Some(replica) = crate::support::RedisServer::start_with(
        "a_redis_refusing_the_script (replica)",
        &["--replicaof", "127.0.0.1", "1"],
    ) else {
        return;
    };
    let cluster_config = std::env::temp_dir().join(format!(
        "dfinery-test-nodes-{}.conf",
        uuid::Uuid::new_v4().simple()
    ));
    let Some(cluster) = crate::support::RedisServer::start_with(
        "a_redis_refusing_the_script (cluster)",
        &[
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            &cluster_config.display().to_string(),
        ],
    ) else {
        return;
    };
    // The one node serves every hash slot: the Event key works, the export slot's two keys
    // are refused together (CROSSSLOT).
    let _ = redis(&cluster.url(), &["CLUSTER", "ADDSLOTSRANGE", "0", "16383"]).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let redis::Value::BulkString(info) = redis(&cluster.url(), &["CLUSTER", "INFO"]).await
        else {
            panic!("CLUSTER INFO is a bulk string");
        };
        if String::from_utf8_lossy(&info).contains("cluster_state:ok") {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the cluster is up");
        tokio::time::sleep(50 * MS).await;
    }
    let make = |url: String| {
        RedisBudget::builder(url, "svc")
            .key_prefix(unique_prefix("refused"))
            .lease(Api::Event, 1)
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap()
    };
    let on_replica = make(replica.url());
    tokio::time::timeout(Duration::from_secs(10), on_replica.acquire(Api::Event))
        .await
        .expect("a permit from the fallback");
    let text = logs.text();
    assert!(
        text.contains("read-only replica")
            && text.contains("primary")
            && text.contains(&replica.url()),
        "{text}"
    );
    let on_cluster = make(cluster.url());
    let slot = tokio::time::timeout(Duration::from_secs(10), on_cluster.export_slot())
        .await
        .expect("a slot from the fallback");
    drop(slot);
    assert_eq!(on_cluster.stats().fallbacks, 1, "{:?}", on_cluster.stats());
    let text = logs.text();
    assert!(
        text.contains("CROSSSLOT")
            && text.contains("Redis Cluster")
            && text.contains(&cluster.url()),
        "{text}"
    );
    drop((replica, cluster));
    let _ = std::fs::remove_file(cluster_config);
}

/// A user whose ACL lacks what the budget runs is told the ACL that lets it, and that ACL
/// works. The warning asked for EVAL and EVALSHA: the budget runs no EVAL, a user given just
/// those two was refused all the same (SCRIPT LOAD, and the commands the script runs, HMGET,
/// TIME, ZADD…, are checked too), and was still told to allow EVAL and EVALSHA.
#[tokio::test]
async fn a_user_refused_by_its_acl_is_told_the_acl_that_lets_it() {
    // A server of its own: its users are changed.
    let Some(server) = crate::support::RedisServer::start("a_user_refused_by_its_acl") else {
        return;
    };
    let url = server.url();
    let logs = crate::capture::this_thread(tracing::Level::WARN);
    // What the warning asked for.
    redis(
        &url,
        &[
            "ACL", "SETUSER", "budget", "on", ">pw", "~*", "+eval", "+evalsha",
        ],
    )
    .await;
    let prefix = unique_prefix("acl");
    let budget = RedisBudget::builder(url.replace("//", "//budget:pw@"), "svc")
        .key_prefix(prefix.as_str())
        .lease(Api::Event, 1)
        .timeout(Duration::from_secs(2))
        .retry_interval(50 * MS)
        .build()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), budget.acquire(Api::Event))
        .await
        .expect("a permit from the fallback");
    assert_eq!(budget.stats().fallbacks, 1, "refused: {:?}", budget.stats());
    let text = logs.text();
    let advice = text
        .split("ACL SETUSER <user> ")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .unwrap_or_else(|| panic!("the ACL to give is named: {text}"));
    assert!(advice.contains(&format!("~{prefix}:*")), "{advice}");
    // As the warning says: from scratch (`reset`), then its rules.
    let mut acl = vec!["ACL", "SETUSER", "budget", "reset", "on", ">pw"];
    acl.extend(advice.split_whitespace());
    redis(&url, &acl).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while budget.stats().degraded {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the ACL `{advice}` lets the budget share: {:?}",
            budget.stats()
        );
        tokio::time::sleep(50 * MS).await;
    }
    // Every part of the script: permits, feedback, export slots.
    let (granted, _) = budget.try_acquire(Api::Event, 1).await.expect("a permit");
    assert_eq!(granted, 1);
    let slot = tokio::time::timeout(Duration::from_secs(10), budget.export_slot())
        .await
        .expect("a slot");
    assert!(slot.is_some());
    drop(slot);
    assert_eq!(budget.stats().fallbacks, 1, "{:?}", budget.stats());
}

/// A URL naming a database other than 0 makes each connection run `SELECT`, which an ACL
/// checks too: a user without `+select` was told the server "has no database 1" (and to give
/// one below its `databases` setting, which 1 is), and the ACL it was told to give after that
/// lacked `+select`, so the user following it stayed refused. The warning now says the user
/// may not switch to the URL's database and gives an ACL with `+select`, which works.
#[tokio::test]
async fn a_user_refused_the_urls_database_by_its_acl_is_told_so() {
    // A server of its own: its users are changed.
    let Some(server) = crate::support::RedisServer::start("a_user_refused_the_urls_database")
    else {
        return;
    };
    let url = server.url();
    let logs = crate::capture::this_thread(tracing::Level::WARN);
    redis(
        &url,
        &[
            "ACL", "SETUSER", "budget", "on", ">pw", "~*", "+eval", "+evalsha",
        ],
    )
    .await;
    let prefix = unique_prefix("acl-select");
    let on_db_1 = url.replace("//", "//budget:pw@").replace("/0", "/1");
    let budget = RedisBudget::builder(on_db_1.as_str(), "svc")
        .key_prefix(prefix.as_str())
        .lease(Api::Event, 1)
        .timeout(Duration::from_secs(2))
        .retry_interval(50 * MS)
        .build()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), budget.acquire(Api::Event))
        .await
        .expect("a permit from the fallback");
    assert_eq!(budget.stats().fallbacks, 1, "refused: {:?}", budget.stats());
    let text = logs.text();
    assert!(
        !text.contains("has no database"),
        "the server has database 1: {text}"
    );
    let advice = text
        .split("ACL SETUSER <user> ")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .unwrap_or_else(|| panic!("the ACL to give is named: {text}"));
    assert!(advice.contains("+select"), "{advice}");
    let mut acl = vec!["ACL", "SETUSER", "budget", "reset", "on", ">pw"];
    acl.extend(advice.split_whitespace());
    redis(&url, &acl).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while budget.stats().degraded {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the ACL `{advice}` lets the budget share: {:?}",
            budget.stats()
        );
        tokio::time::sleep(50 * MS).await;
    }
    let (granted, _) = budget.try_acquire(Api::Event, 1).await.expect("a permit");
    assert_eq!(granted, 1);
}

/// A TCP proxy on loopback to the `host:port` in `target`, read for each new connection (a
/// name whose address a failover changes); returns its URL. Runs until the runtime stops.
async fn switching_proxy(target: std::sync::Arc<std::sync::Mutex<String>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let to = target.lock().unwrap().clone();
            let Ok(server) = tokio::net::TcpStream::connect(&to).await else {
                continue;
            };
            tokio::spawn(async move {
                let (mut client, mut server) = (client, server);
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            });
        }
    });
    format!("redis://{address}/0")
}

/// A failover behind the URL's name (a managed Redis's primary endpoint moved by DNS to
/// another node, the old primary now a replica): the connection the budget holds still leads
/// to the old node, which answers `READONLY`, while a new connection would reach the primary.
/// The probes kept every connection Redis answered on, so the budget stayed down for good on
/// that one (before the probes kept them, each probe connected afresh and found the primary);
/// a `READONLY` now has the next probe connect afresh.
#[tokio::test]
async fn a_failover_behind_the_url_is_followed_by_the_probes() {
    let Some(old) = crate::support::RedisServer::start_with(
        "a_failover_behind_the_url (old primary, now a replica)",
        &["--replicaof", "127.0.0.1", "1"],
    ) else {
        return;
    };
    let Some(new) = crate::support::RedisServer::start("a_failover_behind_the_url (primary)")
    else {
        return;
    };
    let address = |url: String| {
        url.trim_start_matches("redis://")
            .split('/')
            .next()
            .unwrap()
            .to_owned()
    };
    let target = std::sync::Arc::new(std::sync::Mutex::new(address(old.url())));
    let url = switching_proxy(std::sync::Arc::clone(&target)).await;
    let budget = RedisBudget::builder(url.as_str(), "svc")
        .key_prefix(unique_prefix("failover"))
        .lease(Api::Event, 1)
        .timeout(Duration::from_secs(2))
        .retry_interval(50 * MS)
        .build()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), budget.acquire(Api::Event))
        .await
        .expect("a permit from the fallback");
    assert!(budget.stats().degraded, "READONLY: {:?}", budget.stats());
    // The name now leads to the primary.
    *target.lock().unwrap() = address(new.url());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while budget.stats().degraded {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the probes reach the primary now behind the URL: {:?}",
            budget.stats()
        );
        tokio::time::sleep(50 * MS).await;
    }
    let (granted, _) = budget.try_acquire(Api::Event, 1).await.expect("a permit");
    assert_eq!(granted, 1);
    drop(old);
}

/// Holders with different export leases (`export_lease_ttl`) share the slots: one with a short
/// lease taking a slot beside one with a long lease does not make the long lease's slot expire
/// with its own. Every taking set the whole set's expiry to the taker's lease, so the short
/// one's 1 s dropped the other's slot of a day after a second, and the fleet could run one
/// export more than its limit.
#[tokio::test]
async fn a_short_lease_beside_a_long_one_does_not_end_it() {
    let Some((url, _server)) = redis_for("a_short_lease_beside_a_long_one") else {
        return;
    };
    let prefix = unique_prefix("mixed-leases");
    let make = |ttl| {
        RedisBudget::builder(url.as_str(), "svc")
            .key_prefix(prefix.as_str())
            .export_concurrency(2)
            .export_lease_ttl(ttl)
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap()
    };
    let (long, short) = (
        make(Duration::from_secs(86_400)),
        make(Duration::from_secs(1)),
    );
    let held = long.export_slot().await;
    let brief = short.export_slot().await;
    assert!(held.is_some() && brief.is_some());
    drop(brief);
    // The short lease's second has passed.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let slots = format!("{prefix}:svc:export:slots");
    let taken = redis(&url, &["ZCARD", slots.as_str()]).await;
    assert_eq!(
        taken,
        redis::Value::Int(1),
        "the long lease's slot is still held"
    );
    let ttl = redis(&url, &["PTTL", slots.as_str()]).await;
    assert!(
        matches!(ttl, redis::Value::Int(ms) if ms > 86_000_000),
        "the set lives as long as its longest lease: PTTL {ttl:?}"
    );
    drop(held);
}

/// A redis-server of its own taking TLS only, on a free loopback port, with the self-signed
/// test certificate of `tests/fleet/tls`; `None` (the test skipped) as `RedisServer::start_with`.
fn tls_redis(name: &str) -> Option<(crate::support::RedisServer, u16)> {
    let tls = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fleet/tls");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let server = crate::support::RedisServer::start_with(
        name,
        &[
            "--tls-port",
            &port.to_string(),
            "--tls-cert-file",
            &tls.join("cert.pem").display().to_string(),
            "--tls-key-file",
            &tls.join("key.pem").display().to_string(),
            "--tls-auth-clients",
            "no",
        ],
    )?;
    Some((server, port))
}

/// A Redis over TLS whose certificate this instance does not trust (self-signed here, as a
/// managed Redis with a CA of its own) is named as such, with the URL and what the budget
/// trusts: the warning said Redis "cannot be reached", which sent the reader to the network.
#[tokio::test]
async fn a_redis_certificate_not_trusted_is_named_as_such() {
    let Some((server, port)) = tls_redis("a_redis_certificate_not_trusted") else {
        return;
    };
    let logs = crate::capture::this_thread(tracing::Level::WARN);
    let url = format!("rediss://127.0.0.1:{port}/0");
    let budget = RedisBudget::builder(url.as_str(), "svc")
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), budget.acquire(Api::Event))
        .await
        .expect("a permit from the fallback");
    assert_eq!(budget.stats().fallbacks, 1, "{:?}", budget.stats());
    let text = logs.text();
    assert!(
        text.contains("TLS certificate") && text.contains("public CA") && text.contains(&url),
        "{text}"
    );
    assert!(!text.contains("cannot be reached"), "{text}");
    drop(server);
}

/// A budget dropped while its Redis is down stops probing it: the task that tried Redis again
/// held the budget's state and went on (every retry interval, a new connection) until Redis
/// answered, for ever when it never would (a budget rebuilt with a corrected URL left the old
/// one's probe running beside it).
#[tokio::test]
async fn a_budget_dropped_while_redis_is_down_stops_probing_it() {
    // Takes every connection and closes it at once: each probe is one connection.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&accepted);
    let server = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(socket);
        }
    });
    let budget = RedisBudget::builder(format!("redis://127.0.0.1:{port}/0"), "svc")
        .timeout(Duration::from_secs(1))
        .retry_interval(20 * MS)
        .build()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), budget.acquire(Api::Event))
        .await
        .expect("a permit from the fallback");
    assert!(budget.stats().degraded, "{:?}", budget.stats());
    // Probing.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let first = accepted.load(std::sync::atomic::Ordering::SeqCst);
    while accepted.load(std::sync::atomic::Ordering::SeqCst) < first + 2 {
        assert!(tokio::time::Instant::now() < deadline, "the probes connect");
        tokio::time::sleep(10 * MS).await;
    }
    drop(budget);
    // A probe under way when it was dropped may still connect.
    tokio::time::sleep(200 * MS).await;
    let after_drop = accepted.load(std::sync::atomic::Ordering::SeqCst);
    tokio::time::sleep(500 * MS).await;
    let more = accepted.load(std::sync::atomic::Ordering::SeqCst) - after_drop;
    assert_eq!(more, 0, "{more} connections after the budget was dropped");
    server.abort();
}

/// A `redis://` URL to a Redis that takes TLS only (as a managed Redis may) is told to use
/// `rediss://`: the server closes the plain connection, and the warning said only that Redis
/// "cannot be reached".
#[tokio::test]
async fn a_plain_url_to_a_tls_redis_is_told_to_use_rediss() {
    let Some((server, port)) = tls_redis("a_plain_url_to_a_tls_redis") else {
        return;
    };
    let logs = crate::capture::this_thread(tracing::Level::WARN);
    let url = format!("redis://127.0.0.1:{port}/0");
    let budget = RedisBudget::builder(url.as_str(), "svc")
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), budget.acquire(Api::Event))
        .await
        .expect("a permit from the fallback");
    let text = logs.text();
    assert!(text.contains(&url) && text.contains("rediss://"), "{text}");
    drop(server);
}

/// Every scheme the redis crate connects with builds a budget (the check of the scheme turns
/// none of them away); any other is refused naming it.
#[test]
fn the_schemes_redis_takes_build_and_others_are_named() {
    for url in [
        "redis://127.0.0.1:6379/0",
        "REDIS://127.0.0.1:6379/0",
        "rediss://127.0.0.1:6380/0",
        "unix:///run/redis.sock",
        "redis+unix:///run/redis.sock",
        "valkey://127.0.0.1:6379/0",
    ] {
        let built = RedisBudget::builder(url, "svc").build();
        assert!(built.is_ok(), "{url}: {:?}", built.err());
    }
    let error = RedisBudget::builder("https://127.0.0.1:6379/0", "svc")
        .build()
        .unwrap_err();
    let source = std::error::Error::source(&error).unwrap().to_string();
    assert!(source.contains("unsupported scheme `https`"), "{source}");
}
