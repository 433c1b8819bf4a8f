//! [`RedisBudget`]: one service's rate budget shared by every instance through Redis
//! (feature `redis`). See `docs/fleet.md` for the design and its failure behaviour.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use dfinery_schema::protocol::MAX_CONCURRENT_EXPORTS;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::time::Instant;

use super::{Api, BudgetFuture, Feedback, LocalGcra, RateBudget, SlotGuard};

/// The Lua script run in Redis (GCRA, the mirrored server window and the export leases).
const SCRIPT: &str = include_str!("budget.lua");

/// Why a [`RedisBudget`] could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedisBudgetError {
    /// The Redis URL did not parse.
    #[error(
        "invalid Redis URL `{url}` for the shared rate budget; write e.g. redis://127.0.0.1:6379/0, rediss://… for TLS, or unix:///run/redis.sock"
    )]
    Url {
        /// The URL as given, its password replaced by `***`.
        url: String,
        /// Why it did not parse.
        #[source]
        source: redis::RedisError,
    },
    /// A setting is out of range.
    #[error("invalid shared-budget setting `{setting}`: {reason}")]
    InvalidSetting {
        /// The setting's builder method.
        setting: &'static str,
        /// What is wrong and what to give instead.
        reason: &'static str,
    },
}

/// What a [`RedisBudget`] did since it was built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BudgetStats {
    /// Permits granted by Redis (a lease of several counts each permit).
    pub shared_permits: u64,
    /// Round trips to Redis (acquire, feedback, export slots).
    pub redis_calls: u64,
    /// Redis calls that failed or timed out.
    pub redis_errors: u64,
    /// Times the budget switched to local pacing because Redis could not be reached.
    pub fallbacks: u64,
    /// Permits given by local pacing while Redis was unreachable.
    pub fallback_permits: u64,
    /// Answers passed on to Redis as feedback.
    pub feedback_sent: u64,
    /// Whether Redis was unreachable when the stats were taken (the budget paces locally, or
    /// waits).
    pub degraded: bool,
}

/// One API's limit as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Limit {
    count: u64,
    period: Duration,
    /// Permits taken from Redis per round trip (a local lease) and allowed at once.
    lease: u32,
}

/// Builds a [`RedisBudget`]; see [`RedisBudget::builder`].
#[derive(Clone)]
#[must_use]
pub struct RedisBudgetBuilder {
    url: String,
    service_id: String,
    key_prefix: String,
    limits: [Limit; 4],
    export_concurrency: u32,
    expected_instances: u32,
    fail_closed: bool,
    timeout: Duration,
    retry_interval: Duration,
    headroom_permille: u32,
    idle_ttl: Duration,
    export_lease_ttl: Duration,
}

impl fmt::Debug for RedisBudgetBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password: it is not shown.
        f.debug_struct("RedisBudgetBuilder")
            .field("service_id", &self.service_id)
            .field("key_prefix", &self.key_prefix)
            .field("limits", &self.limits)
            .field("expected_instances", &self.expected_instances)
            .field("fail_closed", &self.fail_closed)
            .finish_non_exhaustive()
    }
}

impl RedisBudgetBuilder {
    /// The limit of `api`: `count` calls per `period`. Defaults are DFINERY's: Event
    /// 1,000,000/min, Identity and Profile 10,000/min, Export 100/hour. Set them to what
    /// DFINERY granted the service (higher limits on request). `period` is at least 1 ms and
    /// at most 7 days.
    pub fn limit(mut self, api: Api, count: u64, period: Duration) -> Self {
        let limit = &mut self.limits[api.index()];
        limit.count = count;
        limit.period = period;
        self
    }

    /// Permits of `api` taken from Redis in one round trip and handed out locally (at most
    /// this many calls go out at once after a pause). Default: 16 for Event, 1 otherwise. A
    /// lease above the limit (less the headroom) counts as the limit. Export's hourly budget
    /// lets at least [`export_concurrency`](Self::export_concurrency) exports start at once
    /// after a pause whatever its lease (each still takes one permit per round trip).
    pub fn lease(mut self, api: Api, permits: u32) -> Self {
        self.limits[api.index()].lease = permits;
        self
    }

    /// Exports allowed at once across every instance, at least 1. Default: 5 (DFINERY's
    /// limit).
    pub fn export_concurrency(mut self, exports: u32) -> Self {
        self.export_concurrency = exports;
        self
    }

    /// How many instances share the budget: while Redis cannot be reached, each paces itself
    /// locally at the limit divided by this, going on from the permits it took from Redis
    /// before (not afresh), and runs at most the
    /// [`export_concurrency`](Self::export_concurrency) divided by this (at least 1) exports
    /// at once, beside those it held through Redis. Default: 1.
    pub fn expected_instances(mut self, instances: u32) -> Self {
        self.expected_instances = instances;
        self
    }

    /// While Redis cannot be reached, send nothing (wait for Redis) instead of pacing locally.
    /// Default: `false` (fail open: DFINERY still enforces its limit, and a Tracker's spool
    /// keeps what a 429 delays).
    pub fn fail_closed(mut self, fail_closed: bool) -> Self {
        self.fail_closed = fail_closed;
        self
    }

    /// How long a round trip to Redis may take before Redis counts as unreachable; connecting
    /// (TCP, TLS, authentication) may take four times it. Default: 250 ms.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How often Redis is tried again, in the background, while unreachable. Default: 500 ms.
    pub fn retry_interval(mut self, interval: Duration) -> Self {
        self.retry_interval = interval;
        self
    }

    /// The share of each limit left unused, in permille, against clock jitter between a
    /// permit and its request reaching DFINERY. Default: 50 (5 %).
    pub fn headroom_permille(mut self, permille: u32) -> Self {
        self.headroom_permille = permille;
        self
    }

    /// How long an unused budget key lives in Redis. Default: 10 minutes (at least two
    /// periods of the API, in any case); at most 30 days.
    pub fn idle_ttl(mut self, ttl: Duration) -> Self {
        self.idle_ttl = ttl;
        self
    }

    /// How long an export slot stays taken without being renewed (a holder that crashed frees
    /// it after this); held slots are renewed every third of it. Default: 60 s; at least 1 s
    /// and at most a day.
    pub fn export_lease_ttl(mut self, ttl: Duration) -> Self {
        self.export_lease_ttl = ttl;
        self
    }

    /// The prefix of every key. Default: `dfinery:budget`. Keys are
    /// `<prefix>:<service id>:<api>` and `<prefix>:<service id>:export:slots`.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// Checks the settings and parses the URL; connects lazily, on first use.
    ///
    /// # Errors
    ///
    /// [`RedisBudgetError`] when the URL does not parse or a setting is out of range.
    pub fn build(self) -> Result<RedisBudget, RedisBudgetError> {
        let invalid = |setting, reason| Err(RedisBudgetError::InvalidSetting { setting, reason });
        if self.expected_instances == 0 {
            return invalid("expected_instances", "is 0; give at least 1");
        }
        if self.export_concurrency == 0 {
            return invalid(
                "export_concurrency",
                "is 0; give at least 1 (DFINERY allows 5)",
            );
        }
        if self.headroom_permille >= 1000 {
            return invalid("headroom_permille", "must be below 1000");
        }
        if self
            .limits
            .iter()
            .any(|l| l.count == 0 || l.period.is_zero())
        {
            return invalid("limit", "count and period must be above 0");
        }
        // The script counts in milliseconds: a shorter period would be 0 there, and space the
        // permits by nothing.
        if self
            .limits
            .iter()
            .any(|l| l.period < Duration::from_millis(1))
        {
            return invalid("limit", "period must be at least 1 ms");
        }
        // Far beyond DFINERY's windows (a minute, an hour) and what Redis takes as an expiry
        // in milliseconds; `Duration::MAX` would overflow the arithmetic on it.
        const DAY: Duration = Duration::from_secs(86_400);
        if self.limits.iter().any(|l| l.period > 7 * DAY) {
            return invalid("limit", "period must be at most 7 days");
        }
        if self.idle_ttl > 30 * DAY {
            return invalid("idle_ttl", "must be at most 30 days");
        }
        // A held slot is renewed every third of it: a shorter lease would renew it in a loop.
        if self.export_lease_ttl < Duration::from_secs(1) || self.export_lease_ttl > DAY {
            return invalid("export_lease_ttl", "must be at least 1 s and at most a day");
        }
        if self.timeout.is_zero() {
            return invalid(
                "timeout",
                "is 0; give the longest a Redis round trip may take",
            );
        }
        if self.retry_interval.is_zero() {
            return invalid(
                "retry_interval",
                "is 0; give how often to try Redis again while it is down (default 500 ms)",
            );
        }
        // The schemes the budget connects with, said as such: the redis crate's "Redis URL did
        // not parse" named neither the scheme nor the ones it takes.
        let scheme = self
            .url
            .trim_start()
            .split_once("://")
            .map(|(scheme, _)| scheme.to_ascii_lowercase());
        let unsupported = match scheme.as_deref() {
            // The redis crate's (Valkey's names included).
            Some(
                "redis" | "rediss" | "unix" | "redis+unix" | "valkey" | "valkeys" | "valkey+unix",
            ) => None,
            Some(other) => Some(format!(
                "unsupported scheme `{other}`: write redis://host:port/db, rediss://… for TLS, or \
                 unix:///path/to/redis.sock"
            )),
            None => Some(
                "no scheme: write redis://host:port/db, rediss://… for TLS, or \
                 unix:///path/to/redis.sock"
                    .to_owned(),
            ),
        };
        if let Some(detail) = unsupported {
            return Err(RedisBudgetError::Url {
                url: redacted(&self.url),
                source: redis::RedisError::from((
                    redis::ErrorKind::InvalidClientConfig,
                    "unsupported Redis URL",
                    detail,
                )),
            });
        }
        let client =
            redis::Client::open(self.url.as_str()).map_err(|source| RedisBudgetError::Url {
                url: redacted(&self.url),
                source,
            })?;
        // Redis numbers its databases from 0: a negative one failed every call, at connect.
        let db = client.get_connection_info().redis_settings().db();
        if db < 0 {
            return Err(RedisBudgetError::Url {
                url: redacted(&self.url),
                source: redis::RedisError::from((
                    redis::ErrorKind::InvalidClientConfig,
                    "negative database number",
                    format!(
                        "database number {db}: give 0 or above (after the URL's last `/`), \
                         below the server's `databases` setting (16 by default)"
                    ),
                )),
            });
        }
        let local = self.limits.map(|limit| {
            // This instance's share, as the time between two calls: the period times the
            // instances over the count less the headroom, rounded up. A whole count of calls
            // per period, as before, was at least 1: with more instances than the count, each
            // took one call a period, together a multiple of the limit. In u128: a count near
            // `u64::MAX` times 1,000 would overflow.
            let spread = limit.period.as_nanos() * u128::from(self.expected_instances) * 1000;
            let calls = u128::from(limit.count) * u128::from(1000 - self.headroom_permille);
            let interval = spread.div_ceil(calls.max(1));
            let interval = Duration::from_nanos(u64::try_from(interval).unwrap_or(u64::MAX));
            // No burst while Redis is away: instances that fall back at once must not add up
            // their bursts on top of the shared pace.
            Mutex::new(LocalGcra::spaced(interval, limit.period))
        });
        let keys = Api::ALL.map(|api| format!("{}:{}:{api}", self.key_prefix, self.service_id));
        let slots_key = format!("{}:{}:export:slots", self.key_prefix, self.service_id);
        // Redis is back when the script runs, writes included: asking for no permit of the
        // Event API changes nothing but is refused as the real calls would be (a Redis out of
        // memory or read-only still answers PING).
        let mut probe = vec!["acquire".to_owned()];
        probe.extend(common_args(&self, Api::Event));
        probe.push("0".to_owned());
        Ok(RedisBudget {
            shared: Arc::new(Shared {
                client,
                url: redacted(&self.url),
                conn: tokio::sync::Mutex::new(None),
                script: redis::Script::new(SCRIPT),
                down: AtomicBool::new(false),
                dropped: AtomicBool::new(false),
                retry: std::sync::Mutex::new(None),
                counters: Counters::default(),
                timeout: self.timeout,
                retry_interval: self.retry_interval,
                slots_key,
                key_prefix: self.key_prefix.clone(),
                probe: (keys[Api::Event.index()].clone(), probe),
            }),
            keys,
            local,
            leases: Default::default(),
            outage_slots: Arc::new(tokio::sync::Semaphore::new(
                usize::try_from((self.export_concurrency / self.expected_instances).max(1))
                    .unwrap_or(usize::MAX)
                    .min(tokio::sync::Semaphore::MAX_PERMITS),
            )),
            settings: self,
        })
    }
}

#[derive(Debug, Default)]
struct Counters {
    shared_permits: AtomicU64,
    redis_calls: AtomicU64,
    redis_errors: AtomicU64,
    fallbacks: AtomicU64,
    fallback_permits: AtomicU64,
    feedback_sent: AtomicU64,
}

/// What the background tasks share with the budget.
struct Shared {
    client: redis::Client,
    /// The Redis URL, its password replaced by `***`, for the warnings.
    url: String,
    /// `None` until connected, and again after a failure (a new connection is made).
    conn: tokio::sync::Mutex<Option<ConnectionManager>>,
    script: redis::Script,
    /// Redis is unreachable: pace locally (or wait, fail-closed) until a retry succeeds.
    down: AtomicBool,
    /// The budget was dropped: Redis is not tried again for it.
    dropped: AtomicBool,
    counters: Counters,
    timeout: Duration,
    retry_interval: Duration,
    slots_key: String,
    /// The prefix of every key (for the ACL a refused user is told to have).
    key_prefix: String,
    /// The key and arguments of the script call that tells whether Redis is back.
    probe: (String, Vec<String>),
    /// The task that tries Redis again while it is down: it runs on the runtime of the call
    /// that found Redis down, and stops with it.
    retry: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Shared {
    /// The database the URL names (0 unless it names another).
    fn db(&self) -> i64 {
        self.client.get_connection_info().redis_settings().db()
    }

    /// How long connecting may take: TCP, TLS, authentication and the connection's setup are
    /// several round trips, where every other round trip gets the timeout alone.
    fn connect_timeout(&self) -> Duration {
        self.timeout.saturating_mul(CONNECT_ROUND_TRIPS)
    }

    /// The connection, made if needed (within the connect timeout), and whether it was made
    /// by this call.
    async fn connection(&self) -> Result<(ConnectionManager, bool), redis::RedisError> {
        let mut conn = self.conn.lock().await;
        if let Some(conn) = conn.as_ref() {
            return Ok((conn.clone(), false));
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.connect_timeout()))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1)
            .set_max_delay(self.retry_interval);
        let made = within(
            self.connect_timeout(),
            ConnectionManager::new_with_config(self.client.clone(), config),
        )
        .await?;
        *conn = Some(made.clone());
        Ok((made, true))
    }

    /// Runs the script with `keys` and `args`: connects if needed (within the connect timeout),
    /// then each round trip within the timeout (`EVALSHA`; on a Redis that does not hold the
    /// script yet, `SCRIPT LOAD` and `EVALSHA` again).
    async fn run(&self, keys: &[&str], args: &[String]) -> Result<Vec<i64>, redis::RedisError> {
        self.counters.redis_calls.fetch_add(1, Ordering::Relaxed);
        let result = self.call(keys, args).await;
        if result.is_err() {
            self.counters.redis_errors.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    async fn call(&self, keys: &[&str], args: &[String]) -> Result<Vec<i64>, redis::RedisError> {
        // The wait for the connection, whoever is making it, within the connect timeout too:
        // calls queued behind one connecting to a Redis that drops the packets each connected
        // in turn, so the sixteenth fell back to local pacing sixteen connect timeouts late.
        let (mut conn, fresh) = within(self.connect_timeout(), self.connection()).await?;
        match self.eval(&mut conn, keys, args).await {
            // A connection Redis closed while it was idle (its `timeout` setting, a proxy's
            // idle timeout, `CLIENT KILL`): the call goes out again, once, on the new
            // connection the manager makes. Without it, the first call after every idle spell
            // failed ("broken pipe") and the instance fell back to local pacing as if Redis
            // could not be reached. A call Redis ran before the connection broke runs twice:
            // an acquire then takes permits nobody uses (the budget is underused, never
            // overrun), a feedback only tightens again, a lease is taken again by its holder.
            Err(error) if !fresh && error.is_connection_dropped() => {
                self.eval(&mut conn, keys, args).await
            }
            result => result,
        }
    }

    /// The script's round trips on `conn`, each within the timeout.
    async fn eval(
        &self,
        conn: &mut ConnectionManager,
        keys: &[&str],
        args: &[String],
    ) -> Result<Vec<i64>, redis::RedisError> {
        let mut evalsha = redis::cmd("EVALSHA");
        evalsha
            .arg(self.script.get_hash())
            .arg(keys.len())
            .arg(keys)
            .arg(args);
        match within(self.timeout, evalsha.query_async(conn)).await {
            // A fresh Redis, or one restarted or flushed since the script was loaded.
            Err(error) if error.code() == Some("NOSCRIPT") => {
                let mut load = redis::cmd("SCRIPT");
                load.arg("LOAD").arg(SCRIPT);
                within(self.timeout, load.query_async::<String>(conn)).await?;
                within(self.timeout, evalsha.query_async(conn)).await
            }
            result => result,
        }
    }

    /// Switches to local pacing (once per outage: logs, counts, starts the background retry).
    fn went_down(self: &Arc<Self>, error: &redis::RedisError) {
        if self.down.swap(true, Ordering::AcqRel) {
            return;
        }
        self.counters.fallbacks.fetch_add(1, Ordering::Relaxed);
        if refused_credentials(error) {
            // Redis is up: "cannot be reached" sent the reader to the network, not the URL.
            tracing::warn!(
                error = %error,
                "the shared rate budget's Redis refused this instance's credentials; check the \
                 user and password in the Redis URL {}; pacing locally until Redis accepts them",
                self.url
            );
        } else if error.to_string().contains("switch database")
            && error.to_string().contains("no permissions")
        {
            // The URL names a database other than 0, and the user's ACL refuses the `SELECT`
            // each connection runs for it: the database exists, the ACL is at fault.
            tracing::warn!(
                error = %error,
                "the shared rate budget's Redis at {} refuses its user (the URL's, else \
                 `default`) the switch to the URL's database {} (`SELECT`); allow it, and the \
                 budget's commands, with `ACL SETUSER <user> {}`; pacing locally until it can",
                self.url,
                self.db(),
                acl_rules(&self.key_prefix, self.db())
            );
        } else if error.to_string().contains("switch database") {
            // The URL names a database the server does not have: the script is not at fault.
            tracing::warn!(
                error = %error,
                "the shared rate budget's Redis at {} has no database {}: give one below the \
                 server's `databases` setting (16 by default, 0 to 15) after the URL's last \
                 `/`; pacing locally until the URL is changed",
                self.url,
                self.db()
            );
        } else if error.to_string().contains("certificate") {
            // Redis is up, its TLS certificate refused: "cannot be reached" sent the reader to
            // the network.
            tracing::warn!(
                error = %error,
                "the shared rate budget's Redis at {} presented a TLS certificate this instance \
                 does not trust: the budget trusts the Mozilla roots, so the server's \
                 certificate must chain to a public CA and name the URL's host (a Redis whose \
                 certificate comes from a CA of its own cannot be used); pacing locally \
                 meanwhile",
                self.url
            );
        } else if let Some(code) = error.code() {
            // Redis is up and answers, but refuses the script: an ACL without it (`NOPERM`), a
            // Redis too old for it, out of memory, a read-only replica, a cluster.
            tracing::warn!(
                error = %error,
                "the shared rate budget's Redis refuses the budget's script ({code}) at {}: {}; \
                 pacing locally until it takes it",
                self.url,
                refusal_hint(code, &self.key_prefix, self.db())
            );
        } else if self.url.starts_with("redis://")
            && error.is_connection_dropped()
            && !error.is_connection_refusal()
        {
            // Something listens, and closed the plain connection: a Redis that takes TLS only
            // does so (as a managed Redis may), and "cannot be reached" did not say to use TLS.
            tracing::warn!(
                error = %error,
                "the shared rate budget's Redis at {} cannot be reached: the connection was \
                 closed; if that Redis takes TLS only, write the URL as rediss://…; pacing \
                 locally until it can be reached",
                self.url
            );
        } else {
            tracing::warn!(
                error = %error,
                "the shared rate budget's Redis at {} cannot be reached; pacing locally until it \
                 can",
                self.url
            );
        }
        self.keep_retrying();
    }

    /// While Redis is down, makes sure a task tries it again: the one started when it went
    /// down stops with its runtime, and a budget used on from another runtime (each test of a
    /// suite has its own) would otherwise pace locally, or fail closed, for good. Outside a
    /// runtime, nothing is started.
    fn keep_retrying(self: &Arc<Self>) {
        if !self.down.load(Ordering::Acquire) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let mut retry = self.retry.lock().unwrap_or_else(PoisonError::into_inner);
        // Under the lock the budget's drop takes the task under: none is started after it.
        if self.dropped.load(Ordering::Acquire)
            || retry.as_ref().is_some_and(|task| !task.is_finished())
        {
            return;
        }
        let shared = Arc::clone(self);
        *retry = Some(runtime.spawn(async move {
            loop {
                tokio::time::sleep(shared.retry_interval).await;
                let (key, args) = &shared.probe;
                let error = match shared.run(&[key], args).await {
                    Ok(_) => {
                        shared.down.store(false, Ordering::Release);
                        tracing::info!("the shared rate budget's Redis is back; sharing again");
                        return;
                    }
                    Err(error) => error,
                };
                // Connect afresh for the next probe after no answer: this connection may lead
                // to a Redis gone, or belong to a runtime gone. One Redis answered on (a
                // refused script: out of memory, an ACL) works, and is kept: each probe
                // connected anew, every retry interval from every instance, to a Redis already
                // in trouble. Except after `READONLY`: a failover behind the URL's name (a
                // managed Redis's primary endpoint) leaves this connection on the old primary,
                // now a replica, where a new one reaches the primary.
                if !answered(&error) || error.code() == Some("READONLY") {
                    *shared.conn.lock().await = None;
                }
            }
        }));
    }
}

/// The ACL rules a Redis user needs for the budget whose keys start with `key_prefix`, on
/// database `db`: the script's loading and calls, and every command it runs, on its keys alone,
/// and `SELECT`, which each connection runs for a database other than 0.
fn acl_rules(key_prefix: &str, db: i64) -> String {
    let select = if db == 0 { "" } else { "+select " };
    format!(
        "{select}+evalsha +script|load +time +type +unlink +hmget +hset +pexpire +zadd +zcard \
         +zrange +zrem +zremrangebyscore +zscore {}",
        key_pattern(key_prefix)
    )
}

/// The ACL key pattern of the keys starting with `key_prefix:`, as one word of
/// `redis-cli`: the prefix's glob characters (`*`, `?`, `[`, `]`, `\`) escaped, so a prefix
/// holding one allows its own keys and not more; in single quotes when the prefix holds
/// white space or a quote (a `'` in it written `\'`), so the rule stays one argument.
fn key_pattern(key_prefix: &str) -> String {
    let mut pattern = String::from("~");
    for c in key_prefix.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push_str(":*");
    if key_prefix
        .chars()
        .any(|c| c.is_whitespace() || c == '\'' || c == '"')
    {
        format!("'{}'", pattern.replace('\'', "\\'"))
    } else {
        pattern
    }
}

/// What a Redis refusing the budget's script with the error `code` needs, for its warning
/// (`key_prefix`: the budget's keys; `db`: the URL's database).
fn refusal_hint(code: &str, key_prefix: &str, db: i64) -> String {
    let hint = match code {
        // The script is loaded (SCRIPT LOAD) and called (EVALSHA), and what it runs is checked
        // against the ACL too: "EVAL and EVALSHA", as this said, were not enough.
        "NOPERM" => {
            return format!(
                "its user (the URL's, else `default`) may not run a command the budget runs or \
                 touch its keys; allow them with `ACL SETUSER <user> {}`",
                acl_rules(key_prefix, db)
            );
        }
        "READONLY" => {
            "it is a read-only replica; point the URL at the primary (the budget writes on every \
             call)"
        }
        "OOM" => {
            "it is out of memory (its `maxmemory`); raise it, or free memory or set an eviction \
             policy (the budget's keys are small and expire when idle)"
        }
        "MOVED" | "ASK" | "CROSSSLOT" | "CLUSTERDOWN" | "TRYAGAIN" => {
            "it is a Redis Cluster, which the budget does not support (a script call uses two \
             keys in different hash slots); point the URL at a standalone Redis or a primary"
        }
        "LOADING" => "it is still loading its data after a restart",
        "MISCONF" => {
            "it refuses writes since it could not save its snapshot (see its log, and \
             `stop-writes-on-bgsave-error`)"
        }
        _ => "it needs Redis 5.0 or later, writable, and a user allowed EVALSHA and SCRIPT LOAD",
    };
    hint.to_owned()
}

/// Whether `error` is Redis's answer (an error reply, with its code: `OOM`, `READONLY`,
/// `NOPERM`), not a failure to reach it.
fn answered(error: &redis::RedisError) -> bool {
    error.code().is_some()
}

/// Whether Redis answered but refused to authenticate: a wrong password (`WRONGPASS`, or
/// `AUTH` to a Redis without one), or none given to a Redis that requires one (`NOAUTH`, or
/// the protocol error Redis gives an unauthenticated client sending a long command such as
/// the budget's script).
fn refused_credentials(error: &redis::RedisError) -> bool {
    error.kind() == redis::ErrorKind::AuthenticationFailed
        || matches!(error.code(), Some("NOAUTH" | "WRONGPASS"))
        || error.to_string().contains("unauthenticated")
}

/// The round trips connecting may take (TCP, TLS, authentication, setup), each within the
/// timeout: the bound of the whole connect in timeouts.
const CONNECT_ROUND_TRIPS: u32 = 4;

/// `call`'s result, or a timeout error after `bound`.
async fn within<T>(
    bound: Duration,
    call: impl Future<Output = Result<T, redis::RedisError>>,
) -> Result<T, redis::RedisError> {
    tokio::time::timeout(bound, call)
        .await
        .unwrap_or_else(|_| Err(timed_out()))
}

fn timed_out() -> redis::RedisError {
    redis::RedisError::from(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        "Redis did not answer within the shared budget's timeout",
    ))
}

/// Permits taken from Redis and not used yet.
#[derive(Debug, Default, Clone, Copy)]
struct Lease {
    permits: u32,
    until: Option<Instant>,
}

/// One service's rate budget, shared by every instance that points at the same Redis (feature
/// `redis`).
///
/// Each API has one key in Redis holding a GCRA state (time from Redis `TIME`, so hosts need
/// no common clock); a Lua script grants up to `n` permits per round trip. The `x-ratelimit-*`
/// headers, HTTP 429 and `40401` only ever tighten the shared state: a window used up blocks
/// every instance until its reset, and what other clients of the service spend is reserved.
/// Export also shares its concurrency (5 at once) through a lease set whose entries expire, so
/// a crashed holder frees its slot.
///
/// When Redis cannot be reached (an error, or no answer within the
/// [`timeout`](RedisBudgetBuilder::timeout)) each instance paces itself at the limit divided by
/// [`expected_instances`](RedisBudgetBuilder::expected_instances), logs it once, counts it in
/// [`stats`](Self::stats), and retries Redis in the background; with
/// [`fail_closed`](RedisBudgetBuilder::fail_closed) it waits for Redis instead.
///
/// ```no_run
/// use std::sync::Arc;
/// use std::time::Duration;
/// use dfinery_core::Client;
/// use dfinery_core::ratelimit::{Api, RedisBudget};
///
/// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let budget = RedisBudget::builder("redis://127.0.0.1:6379/0", "my-service")
///     .limit(Api::Event, 1_000_000, Duration::from_secs(60))
///     .expected_instances(8)
///     .build()?;
/// let client = Client::builder().from_env().rate_budget(Arc::new(budget)).build()?;
/// # Ok(()) }
/// ```
pub struct RedisBudget {
    shared: Arc<Shared>,
    settings: RedisBudgetBuilder,
    keys: [String; 4],
    local: [Mutex<LocalGcra>; 4],
    leases: [Mutex<Lease>; 4],
    /// The export slots of this instance while Redis is unreachable: the export concurrency
    /// divided by the expected instances, at least 1.
    outage_slots: Arc<tokio::sync::Semaphore>,
}

impl RedisBudget {
    /// A builder for the budget of `service_id` in the Redis at `url` (e.g.
    /// `redis://127.0.0.1:6379/0`, `rediss://:password@redis.example:6380/0` for TLS with
    /// rustls and the Mozilla roots, `unix:///run/redis.sock`); DFINERY's default limits.
    pub fn builder(url: impl Into<String>, service_id: impl Into<String>) -> RedisBudgetBuilder {
        let limits = Api::ALL.map(|api| {
            let (count, unit) = api.default_limit();
            Limit {
                count,
                period: Duration::from_secs(unit.seconds()),
                lease: if api == Api::Event { 16 } else { 1 },
            }
        });
        RedisBudgetBuilder {
            url: url.into(),
            service_id: service_id.into(),
            key_prefix: "dfinery:budget".to_owned(),
            limits,
            export_concurrency: MAX_CONCURRENT_EXPORTS as u32,
            expected_instances: 1,
            fail_closed: false,
            timeout: Duration::from_millis(250),
            retry_interval: Duration::from_millis(500),
            headroom_permille: 50,
            idle_ttl: Duration::from_secs(600),
            export_lease_ttl: Duration::from_secs(60),
        }
    }

    /// What the budget did so far.
    pub fn stats(&self) -> BudgetStats {
        let c = &self.shared.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        BudgetStats {
            shared_permits: get(&c.shared_permits),
            redis_calls: get(&c.redis_calls),
            redis_errors: get(&c.redis_errors),
            fallbacks: get(&c.fallbacks),
            fallback_permits: get(&c.fallback_permits),
            feedback_sent: get(&c.feedback_sent),
            degraded: self.is_degraded(),
        }
    }

    /// Whether Redis is currently unreachable (the budget paces locally, or waits).
    fn is_degraded(&self) -> bool {
        let down = self.shared.down.load(Ordering::Acquire);
        if down {
            self.shared.keep_retrying();
        }
        down
    }

    /// Asks Redis for up to `wanted` permits of `api` at once: `(granted, wait)`, where
    /// `wait` is how long until the next permit may be had when none was granted.
    ///
    /// # Errors
    ///
    /// The Redis error, or a timeout.
    pub async fn try_acquire(
        &self,
        api: Api,
        wanted: u32,
    ) -> Result<(u32, Duration), redis::RedisError> {
        let mut args = vec!["acquire".to_owned()];
        args.extend(self.common_args(api));
        args.push(wanted.max(1).to_string());
        let reply = self.shared.run(&[&self.keys[api.index()]], &args).await?;
        let granted = reply.first().copied().unwrap_or(0).max(0);
        let wait = reply.get(1).copied().unwrap_or(0).max(0);
        let granted = u32::try_from(granted).unwrap_or(u32::MAX);
        self.took_shared(api, granted, Instant::now());
        Ok((granted, Duration::from_millis(wait.unsigned_abs())))
    }

    /// Passes what an answer said to Redis and waits for it to be applied.
    ///
    /// # Errors
    ///
    /// The Redis error, or a timeout.
    pub async fn send_feedback(
        &self,
        api: Api,
        feedback: &Feedback,
    ) -> Result<(), redis::RedisError> {
        let args = self.feedback_args(api, feedback);
        self.shared
            .counters
            .feedback_sent
            .fetch_add(1, Ordering::Relaxed);
        self.shared
            .run(&[&self.keys[api.index()]], &args)
            .await
            .map(drop)
    }

    fn common_args(&self, api: Api) -> Vec<String> {
        common_args(&self.settings, api)
    }

    fn feedback_args(&self, api: Api, feedback: &Feedback) -> Vec<String> {
        let mut args = vec!["feedback".to_owned()];
        args.extend(self.common_args(api));
        let snapshot = feedback.snapshot.as_ref();
        let remaining = snapshot
            .and_then(|s| s.remaining)
            .map_or(-1, |r| i64::try_from(r).unwrap_or(i64::MAX));
        let until = feedback
            .reset_after()
            .map_or(-1, |d| i64::try_from(millis(d)).unwrap_or(i64::MAX));
        let window = snapshot
            .and_then(|s| s.window_duration())
            .map_or(-1, |d| i64::try_from(millis(d)).unwrap_or(i64::MAX));
        let retry_after = feedback
            .retry_after
            .map_or(-1, |d| i64::try_from(millis(d)).unwrap_or(i64::MAX));
        args.extend([
            remaining.to_string(),
            until.to_string(),
            window.to_string(),
            u8::from(feedback.rate_limited).to_string(),
            millis(feedback.latency).to_string(),
            retry_after.to_string(),
        ]);
        args
    }

    /// Counts `granted` permits of `api` that Redis gave this instance at `now`, in the stats
    /// and against the fallback pace: an outage in the middle of a window then goes on from
    /// what this instance already took in it, not with a fresh budget on top.
    fn took_shared(&self, api: Api, granted: u32, now: Instant) {
        self.shared
            .counters
            .shared_permits
            .fetch_add(u64::from(granted), Ordering::Relaxed);
        self.local[api.index()]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .charge(now, granted);
    }

    /// A permit from the local lease, if one is left.
    fn take_leased(&self, api: Api, now: Instant) -> bool {
        let mut lease = self.leases[api.index()]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if lease.permits > 0 && lease.until.is_some_and(|until| now < until) {
            lease.permits -= 1;
            return true;
        }
        *lease = Lease::default();
        false
    }

    async fn acquire_inner(&self, api: Api) {
        let limit = self.settings.limits[api.index()];
        loop {
            let now = Instant::now();
            if self.take_leased(api, now) {
                return;
            }
            if self.is_degraded() {
                if self.settings.fail_closed {
                    tokio::time::sleep(self.settings.retry_interval).await;
                    continue;
                }
                let wait = self.local[api.index()]
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take(now);
                self.shared
                    .counters
                    .fallback_permits
                    .fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(wait).await;
                return;
            }
            let mut args = vec!["acquire".to_owned()];
            args.extend(self.common_args(api));
            args.push(limit.lease.max(1).to_string());
            match self.shared.run(&[&self.keys[api.index()]], &args).await {
                Ok(reply) => {
                    let granted = u32::try_from(reply.first().copied().unwrap_or(0).max(0))
                        .unwrap_or(u32::MAX);
                    if granted > 0 {
                        self.took_shared(api, granted, now);
                        if granted > 1 {
                            // Leased permits are used within the time they cover, or lost.
                            let per = limit.period / u32::try_from(limit.count).unwrap_or(u32::MAX);
                            let mut lease = self.leases[api.index()]
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner);
                            lease.permits += granted - 1;
                            // From the answer's arrival, not the request's: a Redis slower to
                            // answer than the lease lasts would otherwise hand over leases
                            // already run out, and each call would take one permit of them.
                            lease.until = Some(
                                Instant::now() + (per * granted).max(Duration::from_millis(100)),
                            );
                        }
                        return;
                    }
                    let wait = reply.get(1).copied().unwrap_or(1).max(1).unsigned_abs();
                    // Look again at least once a second: a limit may have changed.
                    let wait = Duration::from_millis(wait.min(1_000));
                    tokio::time::sleep(wait + spread(limit.period, limit.count)).await;
                }
                Err(error) => self.shared.went_down(&error),
            }
        }
    }

    async fn export_slot_inner(&self) -> Option<SlotGuard> {
        let member = uuid::Uuid::new_v4().to_string();
        let ttl = self.settings.export_lease_ttl;
        let mut args = vec!["lease".to_owned()];
        args.extend(self.common_args(Api::Export));
        args.extend([
            member.clone(),
            millis(ttl).to_string(),
            self.settings.export_concurrency.to_string(),
        ]);
        let keys = [
            self.keys[Api::Export.index()].as_str(),
            &self.shared.slots_key,
        ];
        let mut unlease = args.clone();
        unlease[0] = "unlease".to_owned();
        let release = SlotRelease {
            shared: Arc::clone(&self.shared),
            keys: keys.map(str::to_owned),
            args: unlease,
        };
        loop {
            if self.is_degraded() {
                if self.settings.fail_closed {
                    tokio::time::sleep(self.settings.retry_interval).await;
                    continue;
                }
                // This instance's share of the exports at once, as its fallback pace is its
                // share of the limit: each taking the client's own 5 would let a fleet run
                // 5 times as many as DFINERY allows. Redis is looked at again meanwhile.
                let slot = Arc::clone(&self.outage_slots).acquire_owned();
                tokio::select! {
                    permit = slot => return permit.ok().map(SlotGuard::new),
                    () = tokio::time::sleep(self.settings.retry_interval) => continue,
                }
            }
            // Until its answer comes, Redis may have taken the slot for this call: a caller
            // that stops waiting meanwhile (its timeout, a cancelled job) frees it, and so does
            // a call that failed (no answer within the timeout from a Redis that took it all
            // the same). Before, such a slot stayed taken for its whole lease, held by no one.
            let mut in_doubt = InDoubt(Some(release.clone()));
            let result = self.shared.run(&keys, &args).await;
            if result.is_ok() {
                in_doubt.0 = None;
            }
            match result {
                Ok(reply) if reply.first() == Some(&1) => break,
                Ok(reply) => {
                    let wait = reply.get(1).copied().unwrap_or(100).max(1).unsigned_abs();
                    tokio::time::sleep(slot_wait(wait)).await;
                }
                Err(error) => {
                    self.shared.went_down(&error);
                    drop(in_doubt);
                }
            }
        }
        // Renew the lease while held; free it when dropped.
        let most = self.settings.export_concurrency;
        let renew = tokio::spawn({
            let shared = Arc::clone(&self.shared);
            let [key, slots_key] = release.keys.clone();
            async move {
                let mut lost = false;
                loop {
                    tokio::time::sleep(ttl / 3).await;
                    match shared.run(&[&key, &slots_key], &args).await {
                        // Renewed, or taken again while a slot was free.
                        Ok(reply) if reply.first() == Some(&1) => {
                            if lost {
                                tracing::info!(
                                    "an export's shared slot, lost earlier, is held again"
                                );
                            }
                            lost = false;
                        }
                        Ok(_) if !lost => {
                            lost = true;
                            tracing::warn!(
                                lease_ttl = ?ttl,
                                "an export's shared slot was lost: no renewal reached Redis \
                                 within its lease and other holders took every slot, so this \
                                 export runs beyond the fleet's {most} at once (DFINERY may \
                                 refuse exports with 429 meanwhile); it takes a slot again when \
                                 one frees"
                            );
                        }
                        // Still lost (told already), or Redis away (the lease may yet hold).
                        Ok(_) | Err(_) => {}
                    }
                }
            }
        });
        Some(SlotGuard::new(ExportSlot {
            renew,
            release: Some(release),
        }))
    }
}

/// A lease call sent to Redis and not answered yet: dropped so (its caller gone, or the call
/// failed), it frees the slot Redis may have taken for it.
struct InDoubt(Option<SlotRelease>);

impl Drop for InDoubt {
    fn drop(&mut self) {
        if let Some(release) = self.0.take() {
            release.run();
        }
    }
}

/// A held export slot: renewed in the background, freed on drop.
struct ExportSlot {
    renew: tokio::task::JoinHandle<()>,
    release: Option<SlotRelease>,
}

impl Drop for ExportSlot {
    fn drop(&mut self) {
        self.renew.abort();
        if let Some(release) = self.release.take() {
            release.run();
        }
    }
}

/// The script call that frees a held export slot.
#[derive(Clone)]
struct SlotRelease {
    shared: Arc<Shared>,
    keys: [String; 2],
    args: Vec<String>,
}

impl SlotRelease {
    /// Frees the slot on a thread of its own, over a blocking connection of its own, and waits
    /// for it up to the timeout (not at all while Redis is down). A task spawned on the
    /// runtime, as before, never ran when the runtime stopped right after (a process ending
    /// with its export), and none was spawned outside a runtime: the slot stayed taken for its
    /// whole lease. A slow Redis holds the dropping thread (a runtime's, maybe) for one timeout
    /// at most; the release goes on behind it, and the lease expires by itself if it fails.
    fn run(self) {
        let counters = &self.shared.counters;
        counters.redis_calls.fetch_add(1, Ordering::Relaxed);
        let wait = if self.shared.down.load(Ordering::Acquire) {
            Duration::ZERO
        } else {
            self.shared.timeout
        };
        let (done, finished) = std::sync::mpsc::sync_channel(1);
        let spawned = std::thread::Builder::new()
            .name("dfinery-export-release".to_owned())
            .spawn(move || {
                // A process stopped and continued (Ctrl-Z then `fg`, a debugger) fails a
                // blocking read that has a timeout with `EINTR` on Linux: an I/O error is tried
                // again once, on a new connection (the release is a `ZREM` of this holder's
                // member, the same done twice). Not tried again, the slot stayed taken for its
                // lease.
                let released = self.call().or_else(|error| {
                    if error.is_io_error() {
                        self.call()
                    } else {
                        Err(error)
                    }
                });
                if released.is_err() {
                    let counters = &self.shared.counters;
                    counters.redis_errors.fetch_add(1, Ordering::Relaxed);
                }
                let _ = done.send(());
            });
        if spawned.is_ok() && !wait.is_zero() {
            let _ = finished.recv_timeout(wait);
        }
    }

    fn call(&self) -> Result<(), redis::RedisError> {
        let shared = &self.shared;
        let mut conn = shared
            .client
            .get_connection_with_timeout(shared.connect_timeout())?;
        conn.set_read_timeout(Some(shared.timeout))?;
        conn.set_write_timeout(Some(shared.timeout))?;
        let mut invocation = shared.script.prepare_invoke();
        for key in &self.keys {
            invocation.key(key.as_str());
        }
        for arg in &self.args {
            invocation.arg(arg.as_str());
        }
        invocation.invoke::<Vec<i64>>(&mut conn).map(drop)
    }
}

impl RateBudget for RedisBudget {
    fn acquire(&self, api: Api) -> BudgetFuture<'_, ()> {
        Box::pin(self.acquire_inner(api))
    }

    fn feedback(&self, api: Api, feedback: &Feedback) {
        if self.is_degraded() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let args = self.feedback_args(api, feedback);
        let key = self.keys[api.index()].clone();
        let shared = Arc::clone(&self.shared);
        shared
            .counters
            .feedback_sent
            .fetch_add(1, Ordering::Relaxed);
        runtime.spawn(async move {
            if let Err(error) = shared.run(&[&key], &args).await {
                shared.went_down(&error);
            }
        });
    }

    fn export_slot(&self) -> BudgetFuture<'_, Option<SlotGuard>> {
        Box::pin(self.export_slot_inner())
    }
}

impl Drop for RedisBudget {
    /// Stops trying Redis again: the task doing it held the budget's state and went on, a new
    /// connection every retry interval, until Redis answered (for ever, when it never would).
    /// Export slots still held keep renewing and are freed when dropped.
    fn drop(&mut self) {
        self.shared.dropped.store(true, Ordering::Release);
        let retry = self
            .shared
            .retry
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(task) = retry {
            task.abort();
        }
    }
}

impl fmt::Debug for RedisBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password: only the key prefix and service are shown.
        f.debug_struct("RedisBudget")
            .field("key_prefix", &self.settings.key_prefix)
            .field("service_id", &self.settings.service_id)
            .field("expected_instances", &self.settings.expected_instances)
            .field("fail_closed", &self.settings.fail_closed)
            .field("degraded", &self.is_degraded())
            .finish_non_exhaustive()
    }
}

/// The script's arguments after the op for `api`: limit, period, burst, headroom, idle TTL.
fn common_args(settings: &RedisBudgetBuilder, api: Api) -> Vec<String> {
    let limit = settings.limits[api.index()];
    let ttl = settings.idle_ttl.max(limit.period * 2);
    vec![
        limit.count.to_string(),
        millis(limit.period).to_string(),
        burst(settings, api).to_string(),
        settings.headroom_permille.to_string(),
        millis(ttl).to_string(),
    ]
}

/// How many permits of `api` the script grants at once after a pause: the lease, and for
/// Export at least the exports allowed at once, so that as many exports may start together as
/// may run together (with the default lease of 1, the hourly budget's permits were spaced
/// 38 s apart even in an unused hour: one export start in the fleet every 38 s).
fn burst(settings: &RedisBudgetBuilder, api: Api) -> u32 {
    let lease = settings.limits[api.index()].lease.max(1);
    if api == Api::Export {
        lease.max(settings.export_concurrency)
    } else {
        lease
    }
}

/// `url` with its password replaced by `***`: the one of its user information
/// (`user:password@`) and a `pass` or `password` query parameter (unix sockets).
fn redacted(url: &str) -> String {
    // The user information first, over the whole text: a password may hold a `?` or a `/`.
    let start = url.find("://").map_or(0, |i| i + 3);
    let url = match url[start..].rfind('@').map(|i| start + i) {
        Some(at) => match url[start..at].find(':') {
            Some(colon) => format!("{}:***{}", &url[..start + colon], &url[at..]),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    };
    let Some((head, query)) = url.split_once('?') else {
        return url;
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if matches!(key, "pass" | "password") => format!("{key}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{head}?{}", pairs.join("&"))
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A random part of one permit's spacing (`period / count`, at most a second), added to the
/// wait of a call that got no permit. Every instance refused at once is told the same wait, and
/// without the spread they would all ask again at the same instant, where the one whose process
/// runs first (the least loaded host) wins every time; spread over the spacing, each next permit
/// goes to a caller drawn at random, so a slower instance still gets its share. The permits
/// nobody takes during the spread are not lost: GCRA lets the next callers have them at once.
fn spread(period: Duration, count: u64) -> Duration {
    let spacing = period / u32::try_from(count.max(1)).unwrap_or(u32::MAX);
    jitter(spacing.min(Duration::from_secs(1)))
}

/// How long a caller refused an export slot waits before asking again, given Redis's wait
/// until the first held slot's lease expires (`wait_ms`): that wait, at least 1 ms and at most
/// a second (a slot freed early, at the end of an export, is seen within it), plus a random
/// part of up to half of it. Waiters refused together, told the same wait, would otherwise ask
/// again at the same instant, every second, and the slot would go to whichever asks first.
fn slot_wait(wait_ms: u64) -> Duration {
    let wait = Duration::from_millis(wait_ms.clamp(1, 1_000));
    wait + jitter(wait / 2)
}

/// A random duration from zero up to `max`.
fn jitter(max: Duration) -> Duration {
    max.mul_f64(rand::random::<f64>())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    use tokio::time::Instant;

    use super::{Api, RateBudget, RedisBudget, acl_rules, key_pattern, slot_wait, spread};

    /// How the instances took their shared permits before Redis was lost.
    #[derive(Debug, Clone, Copy)]
    enum Before {
        /// Evenly over each window.
        Spread,
        /// Each instance its whole share at the start of each window (a lease of 16, then the
        /// rest).
        AtTheStart,
    }

    /// Four instances of a budget of 100 Event calls per 1 s window (default headroom, 5 %)
    /// take their fair share of what Redis grants (95 a window: 24, 24, 24 and 23) through a
    /// whole window and the next one up to the outage; then Redis is lost and each takes every
    /// permit its fallback pace gives until that window ends. Whatever the instant of the
    /// outage, the window of the outage never holds more than the limit. Without counting the
    /// shared permits against the fallback pace, each instance started a fresh pace at the
    /// outage on top of what the window had spent: up to 183 in a window of 100, which DFINERY
    /// answers with HTTP 429. Paused time: every instant is exact.
    #[tokio::test(start_paused = true)]
    async fn losing_redis_mid_window_never_overruns_the_window() {
        const LIMIT: u64 = 100;
        const WINDOW: Duration = Duration::from_secs(1);
        const SHARES: [u32; 4] = [24, 24, 24, 23];
        for before in [Before::Spread, Before::AtTheStart] {
            for outage_ms in (0..1_000).step_by(50) {
                let fleet: Vec<Arc<RedisBudget>> = SHARES
                    .iter()
                    .map(|_| {
                        let budget = RedisBudget::builder("redis://127.0.0.1:1/0", "svc")
                            .limit(Api::Event, LIMIT, WINDOW)
                            .expected_instances(4)
                            .build()
                            .unwrap();
                        Arc::new(budget)
                    })
                    .collect();
                let first = Instant::now();
                let window = first + WINDOW;
                let outage = window + Duration::from_millis(outage_ms);
                // (when, instance, permits) granted by Redis before the outage.
                let mut grants = Vec::new();
                for start in [first, window] {
                    for (i, &share) in SHARES.iter().enumerate() {
                        match before {
                            Before::Spread => grants
                                .extend((0..share).map(|k| (start + WINDOW / share * k, i, 1))),
                            Before::AtTheStart => {
                                grants.push((start, i, 16));
                                grants.push((start + Duration::from_millis(1), i, share - 16));
                            }
                        }
                    }
                }
                grants.retain(|&(at, _, _)| at < outage);
                grants.sort_by_key(|&(at, _, _)| at);
                let mut in_window = 0;
                for (at, i, permits) in grants {
                    tokio::time::sleep_until(at).await;
                    fleet[i].took_shared(Api::Event, permits, Instant::now());
                    in_window += u64::from(if at >= window { permits } else { 0 });
                }
                tokio::time::sleep_until(outage).await;
                let end = window + WINDOW;
                let fallbacks = fleet.iter().map(|budget| {
                    budget.shared.down.store(true, Ordering::Release);
                    let budget = Arc::clone(budget);
                    tokio::spawn(async move {
                        let mut taken = 0_u64;
                        loop {
                            budget.acquire(Api::Event).await;
                            if Instant::now() >= end {
                                return taken;
                            }
                            taken += 1;
                        }
                    })
                });
                for fallback in fallbacks.collect::<Vec<_>>() {
                    in_window += fallback.await.unwrap();
                }
                assert!(
                    in_window <= LIMIT,
                    "{before:?}, Redis lost {outage_ms} ms into the window: {in_window} permits \
                     in it, above the limit of {LIMIT}"
                );
            }
        }
    }

    /// More instances than the limit's count (10 calls a second, 20 instances): each falls
    /// back at its share, one call every 2 s (less the headroom), so that the 20 together stay
    /// within the limit. The share was rounded up to one call per period: 20 a second together,
    /// twice the limit.
    #[tokio::test(start_paused = true)]
    async fn a_fallback_share_below_one_call_per_period_is_kept() {
        let budget = RedisBudget::builder("redis://127.0.0.1:1/0", "svc")
            .limit(Api::Event, 10, Duration::from_secs(1))
            .expected_instances(20)
            .build()
            .unwrap();
        budget.shared.down.store(true, Ordering::Release);
        let start = Instant::now();
        let mut taken = 0;
        loop {
            budget.acquire(Api::Event).await;
            if Instant::now() >= start + Duration::from_secs(20) {
                break;
            }
            taken += 1;
        }
        // 20 s at one call per 2.1 s: 10 (the first at once).
        assert!(taken <= 10, "{taken} calls in 20 s, its share being 10");
        assert!(taken >= 9, "{taken} calls in 20 s");
    }

    /// The ACL rule printed for a `NOPERM` names the budget's keys alone, as one argument of
    /// `redis-cli`: a prefix's glob characters were printed as they are (`app*` allowed every
    /// key starting `app`), and a prefix with a space split the rule in two.
    #[test]
    fn the_acl_rules_key_pattern_names_the_prefix_alone_as_one_word() {
        assert!(acl_rules("dfinery:budget", 0).ends_with(" ~dfinery:budget:*"));
        assert!(acl_rules("dfinery:budget", 1).starts_with("+select "));
        assert_eq!(key_pattern("app*"), r"~app\*:*");
        assert_eq!(key_pattern("a?[1]\\b"), r"~a\?\[1\]\\b:*");
        assert_eq!(key_pattern("my app"), "'~my app:*'");
        assert_eq!(key_pattern("it's"), r"'~it\'s:*'");
    }

    #[test]
    fn the_spread_stays_within_one_spacing_capped_at_a_second() {
        for _ in 0..1_000 {
            assert!(spread(Duration::from_secs(5), 250) < Duration::from_millis(20));
            // Export: 100 an hour, a spacing of 36 s, capped.
            assert!(spread(Duration::from_secs(3_600), 100) <= Duration::from_secs(1));
            // A zero count is refused at build; here it must not divide by zero.
            assert!(spread(Duration::from_secs(1), 0) <= Duration::from_secs(1));
        }
        // Drawn, not fixed: a thousand draws over 20 ms are not all in its first half.
        assert!(
            (0..1_000).any(|_| spread(Duration::from_secs(5), 250) >= Duration::from_millis(10))
        );
    }

    #[test]
    fn export_slot_waits_are_spread_within_half_the_wait_again() {
        const MS: Duration = Duration::from_millis(1);
        // Told to wait 1 s (or more: capped): each waiter asks again between 1 s and 1.5 s.
        for told in [1_000, 60_000] {
            let waits: Vec<Duration> = (0..1_000).map(|_| slot_wait(told)).collect();
            let within = 1_000 * MS..=1_500 * MS;
            let outside: Vec<_> = waits.iter().filter(|w| !within.contains(*w)).collect();
            assert!(outside.is_empty(), "waits outside {within:?}: {outside:?}");
            // Not in lockstep: the waits differ, over the whole half second.
            let mut distinct = waits.clone();
            distinct.sort();
            distinct.dedup();
            assert!(distinct.len() > 900, "{} distinct waits", distinct.len());
            assert!(waits.iter().any(|w| *w < 1_100 * MS) && waits.iter().any(|w| *w > 1_400 * MS));
        }
        // A short wait, and none at all (asked again after 1 ms to 1.5 ms, not in a busy loop).
        assert!((0..1_000).all(|_| (20 * MS..=30 * MS).contains(&slot_wait(20))));
        assert!((0..1_000).all(|_| (MS..=MS * 3 / 2).contains(&slot_wait(0))));
    }
}
