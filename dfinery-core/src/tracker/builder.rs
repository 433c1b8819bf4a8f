//! [`TrackerBuilder`]: every setting of a [`Tracker`] with its default, checked once in
//! [`build`](TrackerBuilder::build).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::Tracker;
use super::dead_letter::{DeadLetter, DeadLetterHook};
use super::error::TrackerBuildError;
use super::spool::Spool;
use crate::client::Client;
use crate::clock::LONGEST;
use crate::limits::MAX_EVENTS_PER_REQUEST;

/// The settings the worker runs with.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) max_batch_events: usize,
    pub(crate) max_batch_bytes: usize,
    pub(crate) flush_interval: Duration,
    pub(crate) max_in_flight: usize,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) initial_backoff: Duration,
    pub(crate) max_backoff: Duration,
    pub(crate) give_up_after: Option<u32>,
    pub(crate) on_dead_letter: Option<DeadLetterHook>,
}

/// Settings of a [`Tracker`]. Each method's documentation states its default.
///
/// ```no_run
/// use std::time::Duration;
/// use dfinery_core::Client;
/// use dfinery_core::Tracker;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::builder().from_env().build()?;
/// let tracker = Tracker::builder(client)
///     .spool("/var/lib/my-app/dfinery.spool")
///     .queue_cap(50_000, 64 << 20)
///     .flush_interval(Duration::from_millis(500))
///     .build()?;
/// # Ok(()) }
/// ```
#[must_use]
pub struct TrackerBuilder {
    client: Client,
    settings: Settings,
    queue_cap: usize,
    queue_cap_bytes: usize,
    spool: Option<PathBuf>,
    opened_spool: Option<Spool>,
}

/// The fewest bytes [`TrackerBuilder::queue_cap`] accepts: below, no message fits (each weighs
/// 64 bytes besides its identity and content).
const MIN_QUEUE_BYTES: usize = 128;

impl TrackerBuilder {
    pub(crate) fn new(client: Client) -> TrackerBuilder {
        TrackerBuilder {
            client,
            settings: Settings {
                max_batch_events: MAX_EVENTS_PER_REQUEST,
                max_batch_bytes: 512 * 1024,
                flush_interval: Duration::from_secs(1),
                max_in_flight: 4,
                shutdown_timeout: Duration::from_secs(30),
                initial_backoff: Duration::from_secs(1),
                max_backoff: Duration::from_secs(60),
                give_up_after: None,
                on_dead_letter: None,
            },
            queue_cap: 10_000,
            queue_cap_bytes: 16 * 1024 * 1024,
            spool: None,
            opened_spool: None,
        }
    }

    /// The most events of one user in one request, 1 to 100: a user's queue is sent as soon as
    /// it holds that many. Default: 100 (DFINERY's maximum). Whatever this says, a request
    /// carries at most 100 items, all its events together (DFINERY's limit): a queue holding
    /// that many items is sent too.
    pub fn max_batch_events(mut self, events: usize) -> Self {
        self.settings.max_batch_events = events;
        self
    }

    /// The most bytes of events in one request (an event larger than that goes alone): a
    /// user's queue is sent as soon as it holds that many. Default: 512 KiB.
    pub fn max_batch_bytes(mut self, bytes: usize) -> Self {
        self.settings.max_batch_bytes = bytes;
        self
    }

    /// How often everything queued is sent, however little (at most about 100 years: a longer
    /// interval, such as `Duration::MAX`, means never). Default: 1 s. A user's full request, a
    /// queue more than half full (see [`queue_cap`](TrackerBuilder::queue_cap)) and
    /// [`flush`](Tracker::flush) send without waiting for it.
    pub fn flush_interval(mut self, interval: Duration) -> Self {
        self.settings.flush_interval = interval.min(LONGEST);
        self
    }

    /// The queue's cap: messages and bytes in memory, not yet confirmed (in flight included).
    /// Default: 10,000 messages and 16 MiB. Once more than half of either is taken, what is
    /// queued is sent without waiting for the [`flush_interval`](TrackerBuilder::flush_interval). The bytes are the messages' own; a queued event
    /// also keeps alive the 16 KiB block its JSON was cut from (see [`EventRecord`]), so the
    /// memory held can exceed the byte cap when few events of each block are still queued.
    ///
    /// While the queue is at its message cap and requests come back quickly, the room of
    /// delivered messages is given back in steps (half the cap, or what came back within
    /// 10 ms), so the callers waiting for room wake once for several messages: see
    /// `docs/tracker.md`, "A full queue".
    ///
    /// [`EventRecord`]: crate::EventRecord
    pub fn queue_cap(mut self, messages: usize, bytes: usize) -> Self {
        self.queue_cap = messages;
        self.queue_cap_bytes = bytes;
        self
    }

    /// Requests on the wire at once (for different users; one user's messages go one request
    /// at a time, in order). Default: 4.
    pub fn max_in_flight(mut self, requests: usize) -> Self {
        self.settings.max_in_flight = requests;
        self
    }

    /// How long [`shutdown`](Tracker::shutdown) (and dropping every handle) keeps delivering
    /// before it gives up (at most about 100 years: a longer timeout, such as `Duration::MAX`,
    /// means no limit). Default: 30 s.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.settings.shutdown_timeout = timeout.min(LONGEST);
        self
    }

    /// The pause after a send fails with an error worth retrying (after the client's own
    /// retries): `initial`, doubling up to `max`, with full jitter, and at least until a
    /// rate-limit reset (up to `max`), or, when the failed answer sent no readable reset, at
    /// least its `Retry-After` ([`Error::retry_after`](crate::Error::retry_after), up to
    /// `max`). Sending pauses for every user, as DFINERY is down or rate limited for all.
    /// During a shutdown's drain a pause ends by half the time left before its deadline
    /// (unless the answer asked for longer), so the drain tries again before it gives up.
    /// Either duration is at most about 100 years (a longer one, such as `Duration::MAX`, is
    /// taken as that). Default: 1 s up to 60 s.
    pub fn redelivery_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.settings.initial_backoff = initial.min(LONGEST);
        self.settings.max_backoff = max.min(LONGEST);
        self
    }

    /// Dead-letter a message after this many failed sends worth retrying (each one after the
    /// client's own retries), with kind `retry_limit`. Default: none, a message is retried
    /// until it is delivered or the tracker shuts down.
    pub fn give_up_after(mut self, sends: u32) -> Self {
        self.settings.give_up_after = Some(sends);
        self
    }

    /// Keep every accepted message in a spool file until DFINERY confirms it: `track` returns
    /// only once the message is synced to disk, and a tracker opened later on the same file
    /// delivers first what this one left. The file is created if needed (not its folder), with
    /// its journal beside it, `<name>-journal` (see [`Spool`]). Default: no spool, messages
    /// live in memory only.
    pub fn spool(mut self, path: impl Into<PathBuf>) -> Self {
        self.spool = Some(path.into());
        self
    }

    /// Use a spool that is already open (e.g. by [`Spool::open_with_backend`] in the
    /// fault-injection tests) instead of opening [`spool`](TrackerBuilder::spool)'s path. Not
    /// part of the stable API.
    #[doc(hidden)]
    pub fn spool_opened(mut self, spool: Spool) -> Self {
        self.opened_spool = Some(spool);
        self
    }

    /// Called with every [`DeadLetter`], on the worker task (keep it quick; hand heavy work to
    /// a channel). With a spool, dead letters are also kept in its dead-letter table. Default:
    /// none; without a spool either, each dead letter is logged with `tracing::error!`, in full.
    ///
    /// With a spool it is also called, with kind `not_durable`, for each message
    /// a `try_` call accepted whose spool write then failed: that message is not dropped (it
    /// is still delivered from memory, [`DeadLetter::still_delivered`] says so), it is only not
    /// on disk. Such a notice is not a dead letter in the spool's table or in the metrics'
    /// `dead_lettered`.
    ///
    /// A callback that panics does not stop the tracker: the panic is caught and logged with
    /// `tracing::error!`, with the letter in full, and delivery goes on.
    pub fn on_dead_letter(mut self, hook: impl Fn(DeadLetter) + Send + Sync + 'static) -> Self {
        self.settings.on_dead_letter = Some(DeadLetterHook(Arc::new(hook)));
        self
    }

    /// Checks every setting, opens the spool and starts the worker task on the current Tokio
    /// runtime.
    ///
    /// The spool is opened on the calling thread, which blocks on the disk meanwhile: opening
    /// reads every message a previous process left and moves its journal (up to 64 MiB) into
    /// the file. With a large backlog, where other tasks must not wait, call `build` inside
    /// [`spawn_blocking`](tokio::task::spawn_blocking), which still runs in the runtime.
    ///
    /// # Errors
    ///
    /// [`TrackerBuildError::NoRuntime`] outside a Tokio runtime,
    /// [`TrackerBuildError::InvalidSetting`] for a setting out of range, and
    /// [`TrackerBuildError::Spool`] when the spool cannot be opened (a damaged file is an
    /// error, never a panic).
    pub fn build(mut self) -> Result<Tracker, TrackerBuildError> {
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| TrackerBuildError::NoRuntime)?;
        self.check()?;
        let spool = match (self.opened_spool.take(), &self.spool) {
            (Some(spool), _) => Some(Arc::new(spool)),
            (None, Some(path)) => Some(Arc::new(Spool::open(path)?)),
            (None, None) => None,
        };
        Ok(Tracker::start(
            &runtime,
            self.client,
            self.settings,
            self.queue_cap,
            self.queue_cap_bytes,
            spool,
        ))
    }

    fn check(&self) -> Result<(), TrackerBuildError> {
        let invalid = |setting, reason| Err(TrackerBuildError::InvalidSetting { setting, reason });
        let s = &self.settings;
        if !(1..=MAX_EVENTS_PER_REQUEST).contains(&s.max_batch_events) {
            return invalid("max_batch_events", "is out of range; give 1 to 100");
        }
        if s.max_batch_bytes == 0 {
            return invalid("max_batch_bytes", "is 0; give at least 1 (e.g. 512 KiB)");
        }
        if s.flush_interval.is_zero() {
            return invalid("flush_interval", "is zero; give e.g. 1 s");
        }
        if s.max_in_flight == 0 {
            return invalid("max_in_flight", "is 0; give at least 1");
        }
        if s.initial_backoff.is_zero() || s.initial_backoff > s.max_backoff {
            return invalid(
                "redelivery_backoff",
                "needs 0 < initial <= max; give e.g. 1 s and 60 s",
            );
        }
        if s.give_up_after == Some(0) {
            return invalid("give_up_after", "is 0; give at least 1 send");
        }
        if self.queue_cap == 0 || self.queue_cap_bytes == 0 {
            return invalid(
                "queue_cap",
                "is 0; give room for at least 1 message and 1 byte",
            );
        }
        // The semaphores behind the cap hold at most `usize::MAX >> 3` permits.
        if self.queue_cap_bytes < MIN_QUEUE_BYTES {
            return invalid(
                "queue_cap",
                "holds fewer bytes than the smallest message (64 bytes plus its identity and content); give e.g. 16 MiB",
            );
        }
        // Every message goes to the Import API: without its token each would be dead-lettered,
        // though every call had returned `Ok`.
        if !self.client.has_import_token() {
            return invalid(
                "import_token",
                "is not set on the client, and the tracker sends with the Import API; give the client `.import_token(...)` (or set `DFINERY_IMPORT_TOKEN`)",
            );
        }
        if self.queue_cap > usize::MAX >> 4 || self.queue_cap_bytes > usize::MAX >> 4 {
            return invalid(
                "queue_cap",
                "is too large; give a number that fits in memory",
            );
        }
        Ok(())
    }
}
