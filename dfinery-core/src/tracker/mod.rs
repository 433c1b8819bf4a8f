//! [`Tracker`]: background batching with a durable spool; the user-facing documentation is on
//! [`Tracker`] (this module is private: its types are re-exported at the crate root).

mod builder;
mod capacity;
mod dead_letter;
mod error;
mod message;
mod metrics;
mod report;
mod spool;
#[cfg(test)]
mod test_files;
mod worker;

pub use builder::TrackerBuilder;
pub use dead_letter::DeadLetter;
pub use error::{SpoolError, StoreError, TrackError, TrackerBuildError};
pub use message::Message;
pub use metrics::TrackerMetrics;
pub use report::{FlushReport, ShutdownReport};
pub use spool::{Spool, Unreadable, UnreadableKind};

use std::fmt;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use bytes::BufMut;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::client::{Client, IntoEventRecord, IntoUserProperties};
use crate::encode::identity::Identity;
use crate::encode::record::chunk;
use crate::encode::value::Datetime;
use builder::Settings;
use capacity::Capacity;
use dead_letter::DeadLetterHook;
use message::{Envelope, EnvelopeRef, identity_weight};
use metrics::Counters;
use spool::{Mode, Write};
use worker::{Command, Incoming, Worker};

/// Sends events, identity updates and profile updates in the background. Build one with
/// [`Tracker::builder`]; clones are cheap and share the same queue and worker.
///
/// Every call comes in two forms (see the table below): `try_…` is
/// synchronous and never waits (a full queue is an error at once; the spool write is started,
/// not awaited), the plain `async` form waits for room and, with a spool, until the message is
/// synced. Neither waits for the network.
///
/// When every clone is dropped without [`shutdown`](Tracker::shutdown), the worker still
/// drains what is queued, within [`shutdown_timeout`](TrackerBuilder::shutdown_timeout), as
/// long as the runtime runs; messages still undelivered then are logged (a warning without a
/// spool, since they are lost if the runtime stops first). When the runtime the tracker was
/// built in stops first, while a handle is still alive, the worker stops with it: without a
/// spool what it held is lost, each message dead-lettered with kind `runtime_stopped` (to the
/// [dead-letter callback](TrackerBuilder::on_dead_letter), counted in
/// [`TrackerMetrics::dead_lettered`]) and the loss logged as an error; with one it stays in the
/// spool for the next start (counted in [`TrackerMetrics::left_in_spool`]). Every later call
/// returns [`TrackError::Closed`].
///
/// Use it to send from a hot path without waiting for DFINERY. One worker task batches
/// messages per user, delivers them in order, retries what can be retried, dead-letters what
/// DFINERY refuses for good, and, with a [spool](TrackerBuilder::spool), keeps every message
/// on disk until DFINERY confirms it.
///
/// ```no_run
/// use dfinery_core::{Client, EventRecord, Identifier, Identity};
/// use dfinery_core::Tracker;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::builder().from_env().build()?;
/// let tracker = Tracker::builder(client).spool("dfinery.spool").build()?;
/// let user = Identity::new(Identifier::ExternalId, "dfn-user-123")?;
/// tracker.identify(&user).await?; // on disk when this returns; delivered before what follows
/// tracker.track(&user, EventRecord::builder("df_login").build()?).await?;
/// tracker.try_track(&user, EventRecord::builder("df_logout").build()?)?; // never waits
/// let report = tracker.shutdown().await?; // drains, within `shutdown_timeout`
/// assert_eq!(report.left_in_spool, 0);
/// # Ok(()) }
/// ```
///
/// # Two forms of every call
///
/// As Tokio's `mpsc::Sender::{try_send, send}`:
///
/// | form | queue full | with a spool, `Ok` means | a crash after `Ok` loses |
/// |------|------------|--------------------------|--------------------------|
/// | `try_…` ([`try_track`](Tracker::try_track), [`try_identify`](Tracker::try_identify), [`try_update_profile`](Tracker::try_update_profile), [`try_send`](Tracker::try_send)): sync | [`TrackError::QueueFull`] at once | handed to the spool's writer, in its next commit | what no synced commit holds yet: the commit under way and what was handed over while it runs ([`Spool::unsynced`] counts them; see below) |
/// | `….await` ([`track`](Tracker::track), [`identify`](Tracker::identify), [`update_profile`](Tracker::update_profile), [`send`](Tracker::send), [`track_many`](Tracker::track_many), [`send_many`](Tracker::send_many)) | waits for room | synced to disk | nothing |
///
/// What a `try_` call can lose, precisely: the spool's writer thread starts a commit as soon
/// as something is handed to it and it is not already committing, and takes into that commit
/// everything handed over so far, up to 4,096 hand-overs. A message handed over by a `try_`
/// call is therefore on disk once, at the latest, the commit after the one under way has
/// synced: the window is two commits, each a disk sync (a few milliseconds on an idle local
/// SSD; longer on a busy disk, and no setting can make a sync shorter). Of a burst of more
/// than 4,096 hand-overs during one commit, the rest wait for the commits after, one more
/// sync per 4,096. In count it is exactly
/// what [`Spool::unsynced`] says at the moment of the crash, never more than the queue's cap,
/// and it is always a tail: everything handed over before it survives.
///
/// Neither form waits for DFINERY, and neither blocks its thread: the spool is written by a
/// dedicated thread that commits what callers hand it in groups and wakes awaited callers
/// through a channel. Without a spool, a crash loses whatever is queued, with either form.
///
/// # Guarantees
///
/// - **Order per user**: a user's messages are delivered in the order queued, one request at
///   a time (so an identity update queued before a profile update before events arrives in that
///   order, as `docs/protocol.md` §8.3 asks). An awaited call queues its message once its commit
///   is synced: await it before making the next call that must come after it. A user is an
///   [`Identity`] as given: two that differ in any identifier (one with an e-mail attached, one
///   without) are queued apart, and their order is not kept.
/// - **Bounded memory**: at most [`queue_cap`](TrackerBuilder::queue_cap) messages and bytes;
///   when full, a `try_` call returns [`TrackError::QueueFull`] and an awaited call waits.
///   Nothing is dropped silently: every message is delivered, dead-lettered, left in the spool,
///   or refused with an error to the caller, and [`TrackerMetrics`] counts each outcome.
/// - **At least once, with the spool**: a message is written to the spool (synced before an
///   awaited call returns; in the next commit for a `try_` call) and deleted only after
///   DFINERY confirms it (the deletes of confirmed messages are committed together, within
///   about 250 ms, and before `flush` answers); a crash means what was not yet deleted is sent
///   again, with the same `event_log_id`, which DFINERY de-duplicates.
#[derive(Clone)]
pub struct Tracker {
    inner: Arc<Shared>,
}

/// What every handle shares; the worker holds [`Core`] only, so that dropping every handle
/// closes its channel.
struct Shared {
    tx: mpsc::UnboundedSender<Command>,
    closed: AtomicBool,
    /// Numbers the messages of a tracker without a spool (with one, the spool's counter does).
    next_seq: AtomicU64,
    shutdown_timeout: Duration,
    core: Arc<Core>,
}

/// What the handles and the worker share.
pub(crate) struct Core {
    pub(crate) capacity: Capacity,
    pub(crate) counters: Counters,
    pub(crate) spool: Option<Arc<Spool>>,
    /// The dead-letter callback, also told of `try_` messages that could not be made durable
    /// (kind [`DeadLetter::NOT_DURABLE`]); normally through the worker, directly once it has
    /// stopped.
    pub(crate) on_dead_letter: Option<DeadLetterHook>,
    /// A `try_` message not made durable was logged and no spool write has succeeded since:
    /// the next ones are counted, not logged (a failing disk would log one line per call).
    pub(crate) not_durable_logged: AtomicBool,
    /// Awaited commits whose messages are not handed to the worker yet (see [`Committing`]).
    committing: AtomicU64,
    /// Told when [`committing`](Core::committing) drops to 0.
    committed: tokio::sync::Notify,
}

impl Core {
    pub(crate) fn new(
        capacity: Capacity,
        spool: Option<Arc<Spool>>,
        on_dead_letter: Option<DeadLetterHook>,
    ) -> Core {
        Core {
            capacity,
            counters: Counters::default(),
            spool,
            on_dead_letter,
            not_durable_logged: AtomicBool::new(false),
            committing: AtomicU64::new(0),
            committed: tokio::sync::Notify::new(),
        }
    }

    /// Every counter now, with the spool's.
    pub(crate) fn metrics(&self) -> TrackerMetrics {
        let (spooled, spooled_bytes, recreated) = self.spool.as_ref().map_or((0, 0, 0), |s| {
            (s.pending_len(), s.pending_bytes(), s.recreated())
        });
        self.counters.snapshot(spooled, spooled_bytes, recreated)
    }

    /// Waits until every awaited commit counted in [`committing`](Core::committing) has handed
    /// its messages over (or given their room back): the worker's last step, so that its report
    /// counts what those commits leave in the spool once the worker has stopped.
    pub(crate) async fn commits_ended(&self) {
        loop {
            let ended = self.committed.notified();
            if self.committing.load(Ordering::SeqCst) == 0 {
                return;
            }
            // Told after the load, the permit `notify_one` left wakes this at once.
            ended.await;
        }
    }
}

/// An awaited commit in progress, counted in [`Core::committing`] from before the call checks
/// that the tracker is open until its callback has handed its messages over (or given their
/// room back), or is dropped uncalled. A shutdown sets `closed` before the worker's last step
/// reads the count, so a commit either is counted by then or sees `closed` and is refused.
struct Committing(Arc<Core>);

impl Committing {
    fn enter(core: Arc<Core>) -> Committing {
        core.committing.fetch_add(1, Ordering::SeqCst);
        Committing(core)
    }
}

impl Drop for Committing {
    fn drop(&mut self) {
        if self.0.committing.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.committed.notify_one();
        }
    }
}

/// What an awaited commit queues once it is synced: one message, or a group.
// `One` is every awaited call's: boxing it would cost an allocation per call to save a few
// bytes of the callback that moves it (its entry was taken out before it is made).
#[allow(clippy::large_enum_variant)]
enum Held {
    /// One message (no list to allocate).
    One(Ready),
    /// Messages queued together, in order.
    Group(Vec<Ready>),
}

impl Held {
    /// Counts the messages as accepted and hands them to the worker (see [`hand_over`]); their
    /// entries are synced, so when the worker has stopped they stay in the spool.
    fn hand_over(self, core: &Core, tx: &mpsc::UnboundedSender<Command>) -> Result<(), TrackError> {
        let entries = match core.spool.as_deref() {
            Some(spool) => Entries::Synced(spool),
            None => Entries::None,
        };
        match self {
            Held::One(ready) => hand_over_one(&core.counters, &core.capacity, entries, tx, ready),
            Held::Group(group) => hand_over(&core.counters, &core.capacity, entries, tx, group),
        }
    }

    /// Gives the messages' room back (their commit failed).
    fn give_back(&self, capacity: &Capacity) {
        match self {
            Held::One(ready) => capacity.give_back(ready.incoming.weight),
            Held::Group(group) => {
                for ready in group {
                    capacity.give_back(ready.incoming.weight);
                }
            }
        }
    }
}

/// A message with its room taken and its sequence number, ready to spool and queue.
struct Ready {
    incoming: Incoming,
    /// Its spool entry, when there is a spool.
    stored: Option<spool::Stored>,
}

impl Tracker {
    /// A builder for a tracker sending through `client`; see [`TrackerBuilder`] for the
    /// settings and their defaults.
    pub fn builder(client: Client) -> TrackerBuilder {
        TrackerBuilder::new(client)
    }

    pub(crate) fn start(
        runtime: &tokio::runtime::Handle,
        client: Client,
        settings: Settings,
        queue_cap: usize,
        queue_cap_bytes: usize,
        spool: Option<Arc<Spool>>,
    ) -> Tracker {
        let next_seq = spool.as_ref().map_or(0, |s| s.last_seq()) + 1;
        let core = Arc::new(Core::new(
            Capacity::new(queue_cap, queue_cap_bytes),
            spool,
            settings.on_dead_letter.clone(),
        ));
        let (tx, rx) = mpsc::unbounded_channel();
        let shutdown_timeout = settings.shutdown_timeout;
        let worker = Worker::new(client, settings, Arc::clone(&core), rx, next_seq - 1);
        runtime.spawn(worker.task());
        Tracker {
            inner: Arc::new(Shared {
                tx,
                closed: AtomicBool::new(false),
                next_seq: AtomicU64::new(next_seq),
                shutdown_timeout,
                core,
            }),
        }
    }

    /// Queues an event of `identity` if there is room now and returns its `event_log_id`,
    /// without waiting for anything: a typed event (`&purchase`) or an
    /// [`EventRecord`](crate::EventRecord).
    ///
    /// With a spool, the event is handed to the spool's writer, which syncs it in its next
    /// commit; `Ok` does not mean it is on disk yet. A crash can lose what no synced commit
    /// held yet: the commit under way and the hand-overs behind it, about two disk syncs'
    /// worth (more for a burst of over 4,096 hand-overs during one commit), counted by [`Spool::unsynced`] (see [`Tracker`]); use
    /// [`track`](Tracker::track)`.await` when losing none matters more than not waiting. When
    /// the disk fails (full, I/O error, read-only), the event is not dropped: it stays queued
    /// in memory and is delivered. The failure is counted in [`TrackerMetrics::not_durable`],
    /// logged with `tracing::error!`, and told to the
    /// [dead-letter callback](TrackerBuilder::on_dead_letter), when one is set, as a
    /// [`DeadLetter`] of kind `not_durable` (its
    /// [`still_delivered`](DeadLetter::still_delivered) is `true`: a notice, not a drop); the
    /// writer writes the event again once the disk recovers.
    ///
    /// # Errors
    ///
    /// [`TrackError::Invalid`] for an event that breaks a rule, [`TrackError::QueueFull`] or
    /// [`TrackError::TooLarge`] when it does not fit, [`TrackError::Spool`] when the message
    /// cannot be encoded for the spool, [`TrackError::Closed`] after shutdown. Nothing was
    /// queued then. A spool write that fails later (the disk, or a writer thread that has
    /// stopped) is not an error here: the event is delivered from memory, as said above.
    pub fn try_track(
        &self,
        identity: &Identity,
        event: impl IntoEventRecord,
    ) -> Result<Uuid, TrackError> {
        let record = event
            .into_event_record()
            .map_err(|e| self.refuse(TrackError::Invalid(e)))?;
        let id = record.event_log_id();
        self.try_send(identity, Message::Event(record))?;
        Ok(id)
    }

    /// Queues an event of `identity` and returns its `event_log_id`, waiting for room when the
    /// queue is full and, with a spool, until the event is synced to disk: once this returns
    /// `Ok`, a crash loses nothing. It waits by awaiting; no thread blocks. Like Tokio's
    /// channels it spends the task's cooperative budget, so a loop of calls that never have to
    /// wait still lets the runtime's other tasks (and the tracker's worker) run.
    ///
    /// Dropping the future while it waits for room queues nothing; dropping it once it has
    /// room (while the commit runs) still queues the event, which is then on disk as soon as
    /// the commit ends. When the tracker has stopped by the time that commit ends (it was shut
    /// down meanwhile, or its runtime stopped), the event stays in the spool for the next
    /// start, counted in [`TrackerMetrics::left_in_spool`] (and the call, if still awaited,
    /// returns `Ok`).
    ///
    /// With a spool, calls that wait at the same time share one commit and its disk sync, so
    /// many concurrent callers (a web server's handlers) are fast; one task awaiting this in a
    /// loop pays a whole commit per call. For a backlog, use
    /// [`track_many`](Tracker::track_many) (one commit per call) or
    /// [`try_track`](Tracker::try_track).
    ///
    /// # Errors
    ///
    /// [`TrackError::Invalid`] for an event that breaks a rule, [`TrackError::TooLarge`] when
    /// it can never fit, [`TrackError::Spool`] when the commit failed, [`TrackError::Closed`]
    /// after shutdown. Nothing was queued then.
    pub async fn track(
        &self,
        identity: &Identity,
        event: impl IntoEventRecord,
    ) -> Result<Uuid, TrackError> {
        let record = event
            .into_event_record()
            .map_err(|e| self.refuse(TrackError::Invalid(e)))?;
        let id = record.event_log_id();
        self.send(identity, Message::Event(record)).await?;
        Ok(id)
    }

    /// Queues events, each with its user, waiting for room and, with a spool, until they are
    /// synced: one commit for all of them (or, when the queue has no room for all of them at
    /// once, one per batch of room the call gets). Returns their `event_log_id`s in order.
    ///
    /// Every event is checked before any is queued.
    ///
    /// # Errors
    ///
    /// As [`track`](Tracker::track). An invalid or too large event fails the call before
    /// anything is queued; a spool failure or a shutdown part way through a call committed in
    /// several batches leaves the events of the earlier commits queued (and on disk).
    pub async fn track_many<E: IntoEventRecord>(
        &self,
        events: impl IntoIterator<Item = (Identity, E)>,
    ) -> Result<Vec<Uuid>, TrackError> {
        let mut ids = Vec::new();
        let mut messages = Vec::new();
        for (identity, event) in events {
            let record = event
                .into_event_record()
                .map_err(|e| self.refuse(TrackError::Invalid(e)))?;
            ids.push(record.event_log_id());
            messages.push((identity, Message::Event(record)));
        }
        self.send_many(messages).await?;
        Ok(ids)
    }

    /// Queues an identity update of `identity` (`POST /api/v1/identities`), stamped now, if
    /// there is room now; with a spool, not yet on disk when this returns (as
    /// [`try_track`](Tracker::try_track)).
    ///
    /// # Errors
    ///
    /// As [`try_track`](Tracker::try_track).
    pub fn try_identify(&self, identity: &Identity) -> Result<(), TrackError> {
        self.try_send(identity, identify_now())
    }

    /// Queues an identity update of `identity` (`POST /api/v1/identities`), stamped now,
    /// waiting for room and, with a spool, until it is synced (as [`track`](Tracker::track)).
    ///
    /// # Errors
    ///
    /// As [`track`](Tracker::track).
    pub async fn identify(&self, identity: &Identity) -> Result<(), TrackError> {
        self.send(identity, identify_now()).await
    }

    /// Queues a user-property update of `identity` (`POST /api/v1/user-profile`), stamped
    /// now, if there is room now: a typed profile (`&member`) or
    /// [`UserProperties`](crate::UserProperties). An empty update queues nothing. With a
    /// spool, not yet on disk when this returns (as [`try_track`](Tracker::try_track)).
    ///
    /// # Errors
    ///
    /// As [`try_track`](Tracker::try_track).
    pub fn try_update_profile(
        &self,
        identity: &Identity,
        profile: impl IntoUserProperties,
    ) -> Result<(), TrackError> {
        match self.profile_now(profile)? {
            Some(message) => self.try_send(identity, message),
            None => Ok(()),
        }
    }

    /// Queues a user-property update of `identity` (`POST /api/v1/user-profile`), stamped
    /// now, waiting for room and, with a spool, until it is synced (as
    /// [`track`](Tracker::track)). An empty update queues nothing.
    ///
    /// # Errors
    ///
    /// As [`track`](Tracker::track).
    pub async fn update_profile(
        &self,
        identity: &Identity,
        profile: impl IntoUserProperties,
    ) -> Result<(), TrackError> {
        match self.profile_now(profile)? {
            Some(message) => self.send(identity, message).await,
            None => Ok(()),
        }
    }

    /// Queues any [`Message`] for `identity` (e.g. one stamped with the time it happened) if
    /// there is room now, without waiting, as [`try_track`](Tracker::try_track).
    ///
    /// # Errors
    ///
    /// As [`try_track`](Tracker::try_track).
    pub fn try_send(&self, identity: &Identity, message: Message) -> Result<(), TrackError> {
        self.check_open()?;
        self.check_items(&message)?;
        let weight = message.weight() + identity_weight(identity);
        let core = &*self.inner.core;
        core.capacity.try_take(weight).map_err(|e| self.refuse(e))?;
        let mut ready = self
            .prepare(identity.clone(), message, weight)
            .inspect_err(|_| core.capacity.give_back(weight))
            .map_err(|e| self.refuse(e))?;
        let insert = match (&core.spool, ready.stored.take()) {
            (Some(spool), Some(bytes)) => {
                let seq = ready.incoming.seq;
                // Nobody waits: a failed commit is logged by the writer, counted as not durable
                // and told to the dead-letter callback (which needs the message: a copy of its
                // entry, kept only when there is a callback); the message is still delivered
                // from memory (it just is not on disk). Only once the worker took it: the
                // commit may end before or after the hand-over below (see `TryInsert`).
                let insert = Arc::new(TryInsert {
                    core: Arc::clone(&self.inner.core),
                    seq,
                    notice: core
                        .on_dead_letter
                        .is_some()
                        .then(|| (bytes.clone(), self.inner.tx.clone())),
                    state: AtomicU8::new(0),
                    error: OnceLock::new(),
                });
                let done: spool::Done = Box::new({
                    let insert = Arc::clone(&insert);
                    move |result| insert.committed(result)
                });
                spool.enqueue(Write::Insert { seq, bytes }, Mode::Soon, Some(done));
                Some((insert, spool))
            }
            _ => None,
        };
        let entries = match &insert {
            Some((_, spool)) => Entries::Unsynced(spool),
            None => Entries::None,
        };
        let handed_over = hand_over_one(
            &core.counters,
            &core.capacity,
            entries,
            &self.inner.tx,
            ready,
        );
        if let Some((insert, _)) = insert {
            insert.decided(handed_over.is_ok());
        }
        handed_over.map_err(|e| self.refuse(e))
    }

    /// Queues any [`Message`] for `identity`, waiting for room and, with a spool, until it is
    /// synced, as [`track`](Tracker::track).
    ///
    /// # Errors
    ///
    /// As [`track`](Tracker::track).
    pub async fn send(&self, identity: &Identity, message: Message) -> Result<(), TrackError> {
        self.check_items(&message)?;
        // A loop of calls that never wait (room to spare, no spool) would otherwise keep its
        // runtime thread, and the worker that sends, from running other tasks: this yields
        // once the task's cooperative budget is spent, as Tokio's channels do. Nothing is
        // queued yet when the future is dropped here.
        tokio::task::consume_budget().await;
        self.check_open()?;
        let weight = message.weight() + identity_weight(identity);
        let capacity = &self.inner.core.capacity;
        if capacity.try_take(weight).is_err() {
            // Full (wait for room) or too large (`take` says so).
            capacity.take(weight).await.map_err(|e| self.refuse(e))?;
        }
        let ready = self
            .prepare(identity.clone(), message, weight)
            .inspect_err(|_| capacity.give_back(weight))
            .map_err(|e| self.refuse(e))?;
        if self.inner.core.spool.is_some() {
            return self.commit_one(ready).await;
        }
        // In memory: handed over at once, as one message (no list to allocate).
        let core = &*self.inner.core;
        hand_over_one(
            &core.counters,
            capacity,
            Entries::None,
            &self.inner.tx,
            ready,
        )
        .map_err(|e| self.refuse(e))
    }

    /// Queues messages, each with its user, waiting for room and, with a spool, until they are
    /// synced: one commit for all of them (or, when the queue has no room for all of them at
    /// once, one per batch of room the call gets). Returns how many were queued. Bulk senders
    /// (imports, backfills) pay one disk sync per call instead of one per message.
    ///
    /// # Errors
    ///
    /// As [`track_many`](Tracker::track_many).
    pub async fn send_many(
        &self,
        messages: impl IntoIterator<Item = (Identity, Message)>,
    ) -> Result<usize, TrackError> {
        self.check_open()?;
        let core = &*self.inner.core;
        let weighed: Vec<(Identity, Message, usize)> = messages
            .into_iter()
            .map(|(identity, message)| {
                let weight = message.weight() + identity_weight(&identity);
                (identity, message, weight)
            })
            .collect();
        for (_, message, weight) in &weighed {
            self.check_items(message)?;
            core.capacity.fits(*weight).map_err(|e| self.refuse(e))?;
        }
        let total = weighed.len();
        let mut group: Vec<Ready> = Vec::new();
        for (identity, message, weight) in weighed {
            if core.capacity.try_take(weight).is_err() {
                // Out of room: commit and queue what holds room, so the worker can free some.
                self.commit_group(std::mem::take(&mut group)).await?;
                core.capacity
                    .take(weight)
                    .await
                    .map_err(|e| self.refuse(e))?;
            }
            match self.prepare(identity, message, weight) {
                Ok(ready) => group.push(ready),
                Err(error) => {
                    core.capacity.give_back(weight);
                    for ready in group {
                        core.capacity.give_back(ready.incoming.weight);
                    }
                    return Err(self.refuse(error));
                }
            }
        }
        self.commit_group(group).await?;
        Ok(total)
    }

    /// Sends everything queued now, without waiting for the interval, and returns once each
    /// of those messages is delivered or dead-lettered, or a send failed with an error worth
    /// retrying (those stay queued and are retried later), or a read of the messages a
    /// previous process left in the spool failed (it is tried again; the newer messages wait
    /// behind them): the report's `error` says which.
    ///
    /// # Errors
    ///
    /// [`TrackError::Closed`] when the worker has stopped.
    pub async fn flush(&self) -> Result<FlushReport, TrackError> {
        let (reply, answer) = oneshot::channel();
        self.inner
            .tx
            .send(Command::Flush(reply))
            .map_err(|_| TrackError::Closed)?;
        answer.await.map_err(|_| TrackError::Closed)
    }

    /// Stops accepting messages and delivers what is queued within
    /// [`shutdown_timeout`](TrackerBuilder::shutdown_timeout); what is still undelivered then
    /// stays in the spool for the next start or, without a spool, is dead-lettered with kind
    /// `shutdown_deadline`. The spool is synced before this returns; when that sync fails, the
    /// report's [`spool_error`](ShutdownReport::spool_error) says why. Later calls return
    /// [`TrackError::Closed`].
    ///
    /// # Errors
    ///
    /// [`TrackError::Closed`] when the tracker was already shut down, or the runtime it was
    /// built in has stopped (its worker with it).
    pub async fn shutdown(&self) -> Result<ShutdownReport, TrackError> {
        self.shutdown_within(self.inner.shutdown_timeout).await
    }

    /// [`shutdown`](Tracker::shutdown) with its own deadline (at most about 100 years: a
    /// longer one, such as `Duration::MAX`, means no limit, as for
    /// [`shutdown_timeout`](TrackerBuilder::shutdown_timeout)).
    ///
    /// Called while a shutdown is under way (from another task), it joins that shutdown: the
    /// deadline becomes this one when it is earlier, and both calls return the same report.
    /// A process that gave its queue a long drain can so cut it short on a second signal,
    /// and still get the report once the spool is synced:
    ///
    /// ```no_run
    /// # async fn stop(tracker: dfinery_core::Tracker, second_signal: impl std::future::Future<Output = ()>) {
    /// use std::time::Duration;
    ///
    /// let drain = tracker.shutdown_within(Duration::from_secs(60));
    /// tokio::pin!(drain);
    /// let report = tokio::select! {
    ///     report = &mut drain => report,
    ///     () = second_signal => tracker.shutdown_within(Duration::from_secs(2)).await,
    /// };
    /// # let _ = report;
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`TrackError::Closed`] when the tracker's shutdown has already ended, or the runtime
    /// it was built in has stopped (its worker with it).
    pub async fn shutdown_within(&self, timeout: Duration) -> Result<ShutdownReport, TrackError> {
        // A shutdown under way is not an error: this call joins it (the worker still takes
        // commands until it has finished, and refuses them after).
        if !self.inner.closed.swap(true, Ordering::SeqCst) {
            self.inner.core.capacity.close();
        }
        let (reply, answer) = oneshot::channel();
        // The worker adds it to the clock, which `Duration::MAX` would overflow.
        let timeout = timeout.min(crate::clock::LONGEST);
        self.inner
            .tx
            .send(Command::Shutdown { timeout, reply })
            .map_err(|_| TrackError::Closed)?;
        answer.await.map_err(|_| TrackError::Closed)
    }

    /// Every counter now; see [`TrackerMetrics`].
    pub fn metrics(&self) -> TrackerMetrics {
        self.inner.core.metrics()
    }

    /// The spool, when there is one: its size and its dead letters.
    pub fn spool(&self) -> Option<&Spool> {
        self.inner.core.spool.as_deref()
    }

    /// A profile update stamped now, or `None` when it sets nothing.
    fn profile_now(&self, profile: impl IntoUserProperties) -> Result<Option<Message>, TrackError> {
        let user_properties = profile
            .into_user_properties()
            .map_err(|e| self.refuse(TrackError::Invalid(e)))?;
        Ok((!user_properties.is_empty()).then(|| Message::Profile {
            user_properties,
            request_datetime: Datetime::now(),
        }))
    }

    /// Refuses an event with more items than one request carries (one made from JSON parts:
    /// the derives and the builder refuse it already), which DFINERY would refuse whole.
    fn check_items(&self, message: &Message) -> Result<(), TrackError> {
        match message {
            Message::Event(record) => {
                match crate::client::unsendable(record, record.item_count()) {
                    Some(error) => Err(self.refuse(TrackError::Invalid(error))),
                    None => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }

    fn check_open(&self) -> Result<(), TrackError> {
        if self.inner.closed.load(Ordering::SeqCst) {
            Err(self.refuse(TrackError::Closed))
        } else {
            Ok(())
        }
    }

    /// Numbers `message` (whose room is taken) and encodes its spool entry.
    fn prepare(
        &self,
        identity: Identity,
        message: Message,
        weight: usize,
    ) -> Result<Ready, TrackError> {
        let stored = match &self.inner.core.spool {
            Some(spool) => Some(stored_entry(&identity, &message, weight).map_err(|e| {
                TrackError::Spool(SpoolError::Storage {
                    path: spool.path().to_path_buf(),
                    reason: format!("could not encode the message: {e}"),
                })
            })?),
            None => None,
        };
        // With a spool, its counter: the spool numbers what it finds damaged from it too.
        let seq = match &self.inner.core.spool {
            Some(spool) => spool.next_seq(),
            None => self.inner.next_seq.fetch_add(1, Ordering::Relaxed),
        };
        Ok(Ready {
            incoming: Incoming {
                seq,
                identity,
                message,
                weight,
            },
            stored,
        })
    }

    /// Spools `group` in one synced commit (when there is a spool) and queues it once synced;
    /// waits by awaiting the writer's answer. The writer thread queues the group itself, so
    /// the group is queued even when this future is dropped.
    async fn commit_group(&self, mut group: Vec<Ready>) -> Result<(), TrackError> {
        if group.is_empty() {
            return Ok(());
        }
        let core = &*self.inner.core;
        let Some(spool) = core.spool.clone() else {
            return hand_over(
                &core.counters,
                &core.capacity,
                Entries::None,
                &self.inner.tx,
                group,
            )
            .map_err(|e| self.refuse(e));
        };
        let writes: Vec<Write> = group
            .iter_mut()
            .filter_map(|ready| {
                let bytes = ready.stored.take()?;
                Some(Write::Insert {
                    seq: ready.incoming.seq,
                    bytes,
                })
            })
            .collect();
        self.commit_then(spool, writes, Held::Group(group)).await
    }

    /// [`commit_group`](Tracker::commit_group) of one message, with no list to allocate: the
    /// path of every awaited call with a spool.
    async fn commit_one(&self, mut ready: Ready) -> Result<(), TrackError> {
        let (Some(spool), Some(bytes)) = (self.inner.core.spool.clone(), ready.stored.take())
        else {
            return self.commit_group(vec![ready]).await;
        };
        let write = Write::Insert {
            seq: ready.incoming.seq,
            bytes,
        };
        self.commit_then(spool, write, Held::One(ready)).await
    }

    /// Hands `writes` to the spool's writer in the next synced commit and waits for its
    /// answer. Once the commit ends, `held` is queued (or its room given back when the commit
    /// failed) on the runtime's answering task, so that happens even when this future is
    /// dropped; when the worker has stopped by then, the synced messages stay in the spool for
    /// the next start (see [`hand_over_command`]).
    async fn commit_then(
        &self,
        spool: Arc<Spool>,
        writes: impl Into<spool::Part>,
        held: Held,
    ) -> Result<(), TrackError> {
        let committing = Committing::enter(Arc::clone(&self.inner.core));
        if self.inner.closed.load(Ordering::SeqCst) {
            // Shut down since the call began: the worker's report may already be made.
            held.give_back(&self.inner.core.capacity);
            drop(committing);
            return Err(self.refuse(TrackError::Closed));
        }
        let tx = self.inner.tx.clone();
        let (reply, answer) = oneshot::channel();
        let done: spool::Done = Box::new(move |result| {
            let core = &*committing.0;
            let outcome = match result {
                Ok(()) => held.hand_over(core, &tx),
                Err(error) => {
                    held.give_back(&core.capacity);
                    Err(TrackError::Spool(error))
                }
            };
            let _ = reply.send(outcome);
            // Counted until here: the shutdown's report waits for this hand-over.
            drop(committing);
        });
        spool.enqueue_answered_in_runtime(writes, Mode::Wait, done);
        drop(spool);
        answer
            .await
            .unwrap_or(Err(TrackError::Closed))
            .map_err(|e| self.refuse(e))
    }

    /// Counts a refused call.
    fn refuse(&self, error: TrackError) -> TrackError {
        Counters::add(&self.inner.core.counters.rejected, 1);
        error
    }
}

/// The spool entry of `message` for `identity`: the envelope as `serde_json` writes it. An
/// event's is its head (the identity) cut from the thread's chunk, the record's own wire bytes
/// and the close, put together only where the spool writes them; another message's is written
/// whole in place (`weight` is the body's length and the identity's, with room for the keys).
fn stored_entry(
    identity: &Identity,
    message: &Message,
    weight: usize,
) -> Result<spool::Stored, serde_json::Error> {
    let mut result = Ok(());
    if let Message::Event(record) = message {
        let head = chunk::cut(identity_weight(identity) + 48, |out| {
            out.put_slice(br#"{"identity":"#);
            result = serde_json::to_writer(out.writer(), identity);
            out.put_slice(br#","message":{"event":"#);
        });
        result?;
        return Ok(spool::Stored::parts(head, record.wire(), b"}}"));
    }
    let bytes = chunk::cut(weight + 32, |out| {
        result = serde_json::to_writer(out.writer(), &EnvelopeRef { identity, message });
    });
    result?;
    Ok(bytes.into())
}

/// The spool insert of a `try_` message. Its commit may fail before or after the call learns
/// whether the worker took the message (a stopped worker refuses it, and the call returns
/// `Closed`): the failure is told (counted in `not_durable`, logged, and to the dead-letter
/// callback, as the message is still delivered from memory) only for a message the worker took,
/// by whichever of the two comes second. A refused message is not delivered: telling the
/// callback it is "still queued in memory and delivered" would be false.
struct TryInsert {
    core: Arc<Core>,
    seq: u64,
    /// The entry and the worker's channel, for the dead-letter callback, when there is one.
    notice: Option<(spool::Stored, mpsc::UnboundedSender<Command>)>,
    /// [`TryInsert::DECIDED`], [`TryInsert::ACCEPTED`] and [`TryInsert::FAILED`].
    state: AtomicU8,
    /// Why the commit failed; set before [`TryInsert::FAILED`] is.
    error: OnceLock<SpoolError>,
}

impl TryInsert {
    /// The call knows whether the worker took the message.
    const DECIDED: u8 = 1;
    /// It did.
    const ACCEPTED: u8 = 2;
    /// The insert's commit failed.
    const FAILED: u8 = 4;

    /// The insert's commit ended, on the writer thread.
    fn committed(&self, result: Result<(), SpoolError>) {
        let core = &*self.core;
        match result {
            Err(error) => {
                let _ = self.error.set(error);
                let before = self.state.fetch_or(TryInsert::FAILED, Ordering::AcqRel);
                if before & TryInsert::ACCEPTED != 0 {
                    self.not_durable();
                }
            }
            Ok(()) => {
                if core.not_durable_logged.load(Ordering::Relaxed) {
                    core.not_durable_logged.store(false, Ordering::Relaxed);
                }
            }
        }
    }

    /// The call handed the message over (`accepted`) or was refused.
    fn decided(&self, accepted: bool) {
        let bits = if accepted {
            TryInsert::DECIDED | TryInsert::ACCEPTED
        } else {
            TryInsert::DECIDED
        };
        let before = self.state.fetch_or(bits, Ordering::AcqRel);
        if accepted && before & TryInsert::FAILED != 0 {
            self.not_durable();
        }
    }

    /// Counts, logs (the first of a run) and tells the callback that the accepted message is
    /// not on disk.
    fn not_durable(&self) {
        let Some(error) = self.error.get() else {
            return;
        };
        let core = &*self.core;
        let seq = self.seq;
        Counters::add(&core.counters.not_durable, 1);
        if !core.not_durable_logged.swap(true, Ordering::Relaxed) {
            tracing::error!(
                seq,
                %error,
                "a message accepted by try_ is not on disk; it is delivered from memory; the \
                 next ones are counted in `TrackerMetrics::not_durable`, not logged each, until \
                 a spool write succeeds"
            );
        }
        if let Some((bytes, tx)) = &self.notice {
            tell_not_durable(core, tx, seq, &bytes.to_vec(), error);
        }
    }
}

/// Tells the dead-letter callback that the `try_` message `seq` (spooled as `bytes`) could not
/// be made durable: a [`DeadLetter`] of kind [`DeadLetter::NOT_DURABLE`], handed to the worker
/// (which calls the callback on its task, as for every dead letter), or called here once the
/// worker has stopped.
fn tell_not_durable(
    core: &Core,
    tx: &mpsc::UnboundedSender<Command>,
    seq: u64,
    bytes: &[u8],
    error: &SpoolError,
) {
    let Some(hook) = &core.on_dead_letter else {
        return;
    };
    let envelope: Envelope = match serde_json::from_slice(bytes) {
        Ok(envelope) => envelope,
        Err(decode) => {
            tracing::error!(seq, %decode, "could not decode a message to tell the dead-letter callback it is not durable");
            return;
        }
    };
    let letter = DeadLetter {
        seq,
        identity: envelope.identity,
        message: envelope.message,
        reason: format!(
            "{error}; the message is still queued in memory and delivered, \
             but a crash before its delivery loses it"
        ),
        kind: DeadLetter::NOT_DURABLE.to_owned(),
        attempts: 0,
        at: Datetime::now(),
    };
    if let Err(mpsc::error::SendError(Command::NotDurable(letter))) =
        tx.send(Command::NotDurable(Box::new(letter)))
    {
        hook.call(*letter);
    }
}

/// An identity update stamped now.
fn identify_now() -> Message {
    Message::Identify {
        request_datetime: Datetime::now(),
    }
}

/// The spool entries of messages handed to the worker, which decide what a hand-over the
/// worker refuses (it has stopped) does with them.
#[derive(Clone, Copy)]
enum Entries<'a> {
    /// None: no spool. The messages are taken back and the call refused.
    None,
    /// Handed to the spool's writer, maybe not synced yet (a `try_` call, which is refused):
    /// removed.
    Unsynced(&'a Spool),
    /// Synced (an awaited call's commit ended): kept for the next start, counted in
    /// `left_in_spool`, and the call accepted. Its caller may be gone (a future dropped while
    /// its commit ran), so a refusal would tell nobody, and removing the entries would lose
    /// messages the docs promise are queued.
    Synced(&'a Spool),
}

/// Counts `group` as accepted and hands it to the worker; when the worker has stopped, takes
/// it back (its room, and its spool entries) and says so, or leaves it in the spool (see
/// [`Entries`]). One message goes alone, without a list.
fn hand_over(
    counters: &Counters,
    capacity: &Capacity,
    entries: Entries<'_>,
    tx: &mpsc::UnboundedSender<Command>,
    mut group: Vec<Ready>,
) -> Result<(), TrackError> {
    let count = group.len() as u64;
    let bytes: u64 = group.iter().map(|r| r.incoming.weight as u64).sum();
    let command = match group.pop() {
        Some(ready) if group.is_empty() => Command::Message(ready.incoming),
        last => Command::Messages(group.into_iter().chain(last).map(|r| r.incoming).collect()),
    };
    hand_over_command(counters, capacity, entries, tx, command, count, bytes)
}

/// [`hand_over`] of one message, which needs no list: the path of every in-memory `track`.
fn hand_over_one(
    counters: &Counters,
    capacity: &Capacity,
    entries: Entries<'_>,
    tx: &mpsc::UnboundedSender<Command>,
    ready: Ready,
) -> Result<(), TrackError> {
    let bytes = ready.incoming.weight as u64;
    let command = Command::Message(ready.incoming);
    hand_over_command(counters, capacity, entries, tx, command, 1, bytes)
}

/// Counts the `count` messages (of `bytes` in all) that `command` holds as accepted and hands
/// it to the worker; when the worker has stopped, takes them back (their room, and their
/// spool entries) and says so, or leaves them in the spool (see [`Entries`]).
fn hand_over_command(
    counters: &Counters,
    capacity: &Capacity,
    entries: Entries<'_>,
    tx: &mpsc::UnboundedSender<Command>,
    command: Command,
    count: u64,
    bytes: u64,
) -> Result<(), TrackError> {
    Counters::add(&counters.accepted, count);
    Counters::add(&counters.queued, count);
    Counters::add(&counters.queued_bytes, bytes);
    if let Err(mpsc::error::SendError(command)) = tx.send(command) {
        // The worker has stopped (shut down, or its runtime ended).
        Counters::sub(&counters.queued, count);
        Counters::sub(&counters.queued_bytes, bytes);
        let incoming = match command {
            Command::Message(incoming) => vec![incoming],
            Command::Messages(incoming) => incoming,
            _ => Vec::new(),
        };
        for message in &incoming {
            capacity.give_back(message.weight);
        }
        match entries {
            Entries::Synced(spool) => {
                // On disk: left there for the next start, and counted so.
                Counters::add(&counters.left_in_spool, count);
                tracing::warn!(
                    messages = count,
                    first_seq = incoming.first().map_or(0, |m| m.seq),
                    spool = %spool.path().display(),
                    "the tracker had stopped (shut down, or its runtime ended) when the spool \
                     synced {} of awaited calls; they stay in the spool `{}` and \
                     the next tracker opened on it delivers them",
                    dfinery_schema::names::counted(count, "message", "messages"),
                    spool.path().display()
                );
                return Ok(());
            }
            Entries::Unsynced(spool) => {
                Counters::sub(&counters.accepted, count);
                let removes: Vec<_> = incoming.iter().map(|m| Write::Remove(m.seq)).collect();
                spool.enqueue(removes, Mode::Soon, None);
            }
            Entries::None => Counters::sub(&counters.accepted, count),
        }
        return Err(TrackError::Closed);
    }
    Ok(())
}

/// The last handle gone without [`Tracker::shutdown`]: what is still undelivered is sent only
/// while the runtime runs, so say so; without a spool it is lost when the runtime stops first
/// (a program returning from `main`), and that must not be silent.
impl Drop for Shared {
    fn drop(&mut self) {
        if self.closed.load(Ordering::SeqCst) {
            return;
        }
        let metrics = self.core.metrics();
        let undelivered = metrics.queued + metrics.in_flight;
        if undelivered == 0 {
            return;
        }
        let messages = dfinery_schema::names::counted(undelivered, "message", "messages");
        match &self.core.spool {
            None => tracing::warn!(
                undelivered,
                "every `Tracker` handle was dropped without `shutdown` with {messages} undelivered; they are sent only while the runtime keeps running (for at most `shutdown_timeout`) and lost if it stops first: call `tracker.shutdown().await` before exiting"
            ),
            Some(spool) => tracing::info!(
                undelivered,
                spool = %spool.path().display(),
                "every `Tracker` handle was dropped without `shutdown` with {messages} undelivered; what is not sent before the runtime stops stays in the spool `{}` for the next start (call `tracker.shutdown().await` to send it now)",
                spool.path().display()
            ),
        }
    }
}

impl fmt::Debug for Tracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracker")
            .field("closed", &self.inner.closed.load(Ordering::Relaxed))
            .field("spool", &self.inner.core.spool)
            .field("metrics", &self.metrics())
            .finish_non_exhaustive()
    }
}

/// A client of a service where nothing listens (port 9 of loopback, refused at once), for the
/// unit tests of a tracker that must fail to send or never send.
#[cfg(test)]
pub(crate) fn client_to_nowhere() -> Client {
    Client::builder()
        .service_id("svc")
        .import_token("token")
        .base_url("http://127.0.0.1:9")
        .allow_insecure_http(true)
        .build()
        .expect("a valid client")
}

#[cfg(test)]
mod tests {
    use std::future::Future;

    use super::*;
    use crate::encode::record::{EventRecord, UserProperties};
    use crate::{Identifier, ItemBuilder};

    /// The spool at `path`, once the last holder of the tracker's spool has let go of it.
    fn reopen(path: &std::path::Path) -> Spool {
        let waiting = std::time::Instant::now();
        loop {
            match Spool::open(path) {
                Ok(spool) => return spool,
                Err(SpoolError::InUse { .. }) if waiting.elapsed() < Duration::from_secs(30) => {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(error) => panic!("{error}"),
            }
        }
    }

    /// The spool's writer thread held in the callback of a commit until the gate returned is
    /// dropped or sent to; returns once the writer is held.
    async fn hold_the_writer(spool: &Spool) -> std::sync::mpsc::Sender<()> {
        let (entered, held) = oneshot::channel();
        let (open, gate) = std::sync::mpsc::channel::<()>();
        spool.enqueue(
            Vec::new(),
            Mode::Wait,
            Some(Box::new(move |_| {
                let _ = entered.send(());
                let _ = gate.recv();
            })),
        );
        held.await.expect("the writer runs the callback");
        open
    }

    /// An awaited call dropped while its commit runs still queues its event, as its docs
    /// promise. When the tracker shuts down before that commit ends (nothing was queued, so the
    /// worker closes its channel at once), the event is on disk: it stays in the spool for the
    /// next start, and the shutdown's report counts it. Before, the refused hand-over removed
    /// the synced entry and told the dropped call: the event was gone without a trace.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_awaited_call_dropped_during_its_commit_stays_in_the_spool_when_the_tracker_stops() {
        let path = crate::tracker::test_files::path("dropped-during-commit");
        let tracker = Tracker::builder(client_to_nowhere())
            .spool(&path)
            .build()
            .unwrap();
        let spool = tracker.inner.core.spool.clone().expect("a spool");
        let gate = hold_the_writer(&spool).await;
        drop(spool);
        let user = Identity::new(Identifier::ExternalId, "u1").unwrap();
        {
            let call = tracker.track(&user, EventRecord::builder("df_login").build().unwrap());
            let mut call = std::pin::pin!(call);
            let polled =
                std::future::poll_fn(|cx| std::task::Poll::Ready(call.as_mut().poll(cx))).await;
            assert!(polled.is_pending(), "waits for its commit: {polled:?}");
        }
        let shutdown = tokio::spawn({
            let tracker = tracker.clone();
            async move { tracker.shutdown().await }
        });
        let waiting = std::time::Instant::now();
        while !tracker.inner.tx.is_closed() {
            assert!(
                waiting.elapsed() < Duration::from_secs(30),
                "the worker closes its channel"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        gate.send(()).unwrap();
        let report = shutdown.await.unwrap().unwrap();
        let metrics = tracker.metrics();
        drop(tracker);
        let spool = tokio::task::spawn_blocking(move || reopen(&path))
            .await
            .unwrap();
        let dead_letters = spool.dead_letters().unwrap().len() as u64;
        assert_eq!(
            spool.pending_len() + report.delivered + dead_letters,
            1,
            "the event is delivered, dead-lettered or in the spool: {report:?}"
        );
        assert_eq!(report.left_in_spool, 1, "{report:?}");
        assert_eq!((metrics.accepted, metrics.queued), (1, 0), "{metrics:?}");
        assert!(metrics.balanced(), "{metrics:?}");
    }

    /// A tracker on `spool` whose worker has stopped (its channel closed) while the checks of a
    /// call still pass: what a shutdown leaves a call that passed them just before it, or a
    /// runtime that stops, until the call hands its message over. Dead letters go to `letters`.
    fn with_a_stopped_worker(
        spool: Spool,
        letters: &Arc<std::sync::Mutex<Vec<DeadLetter>>>,
    ) -> Tracker {
        let letters = Arc::clone(letters);
        let core = Arc::new(Core::new(
            Capacity::new(100, 1 << 20),
            Some(Arc::new(spool)),
            Some(DeadLetterHook(Arc::new(move |letter| {
                letters.lock().unwrap().push(letter);
            }))),
        ));
        let (tx, rx) = mpsc::unbounded_channel();
        drop(rx);
        Tracker {
            inner: Arc::new(Shared {
                tx,
                closed: AtomicBool::new(false),
                next_seq: AtomicU64::new(1),
                shutdown_timeout: Duration::from_secs(1),
                core,
            }),
        }
    }

    /// A `try_` call the stopped worker refused (`Closed`: nothing accepted) had already handed
    /// its insert to the spool's writer; that insert's commit failing is no news for the
    /// dead-letter callback. Before, it was told the message was "still queued in memory and
    /// delivered" (kind `not_durable`), and `not_durable` counted a message never accepted.
    #[tokio::test]
    async fn a_try_call_refused_by_a_stopped_worker_is_never_told_not_durable() {
        let path = crate::tracker::test_files::path("refused-not-durable");
        let (spool, disk) = spool::open_counted(&path);
        disk.fail_writes.store(true, Ordering::SeqCst);
        let letters = Arc::new(std::sync::Mutex::new(Vec::new()));
        let tracker = with_a_stopped_worker(spool, &letters);
        let user = Identity::new(Identifier::ExternalId, "u1").unwrap();
        let refused = tracker
            .try_track(&user, EventRecord::builder("df_login").build().unwrap())
            .unwrap_err();
        assert!(matches!(refused, TrackError::Closed), "{refused:?}");
        // Answered after the insert's commit, which failed.
        let _ = tracker.spool().expect("a spool").commit(Vec::new()).await;
        let metrics = tracker.metrics();
        assert_eq!(
            (metrics.accepted, metrics.rejected, metrics.not_durable),
            (0, 1, 0),
            "{metrics:?}"
        );
        let letters = letters.lock().unwrap();
        assert!(letters.is_empty(), "{letters:?}");
    }

    /// A `try_` message's failed insert is told once, whether its commit ends before or after
    /// the call knows the worker took the message, and never when the worker refused it.
    #[tokio::test]
    async fn a_failed_insert_is_told_once_for_an_accepted_message_whichever_ends_first() {
        let path = crate::tracker::test_files::path("told-once");
        let (spool, _disk) = spool::open_counted(&path);
        let letters = Arc::new(std::sync::Mutex::new(Vec::new()));
        let tracker = with_a_stopped_worker(spool, &letters);
        let core = &tracker.inner.core;
        let user = Identity::new(Identifier::ExternalId, "u1").unwrap();
        let message = Message::Event(EventRecord::builder("df_login").build().unwrap());
        let weight = message.weight() + identity_weight(&user);
        let bytes = stored_entry(&user, &message, weight).unwrap();
        let failure = || SpoolError::Storage {
            path: "spool".into(),
            reason: "injected".to_owned(),
        };
        let mut told = 0;
        for (n, (commit_first, accepted)) in
            [(true, true), (false, true), (true, false), (false, false)]
                .into_iter()
                .enumerate()
        {
            let insert = TryInsert {
                core: Arc::clone(core),
                seq: n as u64,
                notice: Some((bytes.clone(), tracker.inner.tx.clone())),
                state: AtomicU8::new(0),
                error: OnceLock::new(),
            };
            if commit_first {
                insert.committed(Err(failure()));
                insert.decided(accepted);
            } else {
                insert.decided(accepted);
                insert.committed(Err(failure()));
            }
            told += u64::from(accepted);
            assert_eq!(
                core.metrics().not_durable,
                told,
                "commit first: {commit_first}, accepted: {accepted}"
            );
            assert_eq!(letters.lock().unwrap().len() as u64, told);
        }
        assert!(
            letters
                .lock()
                .unwrap()
                .iter()
                .all(DeadLetter::still_delivered)
        );
    }

    /// A server on loopback that fails the first request to each path with HTTP 500 and
    /// confirms every later one; returns its URL.
    async fn failing_once() -> String {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let mut seen = std::collections::HashSet::new();
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                // The head, then the body its `content-length` announces.
                let mut request = Vec::new();
                let mut chunk = [0; 4096];
                let complete = loop {
                    let Ok(read @ 1..) = socket.read(&mut chunk).await else {
                        break false;
                    };
                    request.extend_from_slice(&chunk[..read]);
                    let text = String::from_utf8_lossy(&request).to_ascii_lowercase();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|l| l.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if request.len() >= end + 4 + length {
                            break true;
                        }
                    }
                };
                if !complete {
                    continue;
                }
                let path = String::from_utf8_lossy(&request)
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .split('?')
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                let answer: &[u8] = if seen.insert(path) {
                    b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                } else {
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 57\r\nconnection: close\r\n\r\n{\"status\":true,\"code\":\"20000\",\"message\":\"OK\",\"data\":true}"
                };
                let _ = socket.write_all(answer).await;
            }
        });
        url
    }

    /// `TrackerMetrics::retried` counts "the client's retries of a request that then
    /// succeeded": an identity or profile update the client sent twice counts as an event
    /// does. Before, only events were counted: the update's retry was not (`retried` 1 of 3).
    #[tokio::test]
    async fn the_client_s_retries_of_an_update_count_as_retried() {
        let url = failing_once().await;
        let retry = crate::RetryPolicy {
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(1),
            ..crate::RetryPolicy::default()
        };
        let client = Client::builder()
            .service_id("svc")
            .import_token("token")
            .base_url(url)
            .retry(retry)
            .build()
            .unwrap();
        let tracker = Tracker::builder(client).build().unwrap();
        let user = Identity::new(Identifier::ExternalId, "u1").unwrap();
        tracker.identify(&user).await.unwrap();
        tracker
            .update_profile(
                &user,
                UserProperties::builder()
                    .property("df_gender", "Female")
                    .build()
                    .unwrap(),
            )
            .await
            .unwrap();
        tracker
            .track(&user, EventRecord::builder("df_login").build().unwrap())
            .await
            .unwrap();
        let report = tracker.shutdown().await.unwrap();
        assert_eq!(report.delivered, 3, "{report:?}");
        assert_eq!(report.metrics.retried, 3, "{:?}", report.metrics);
    }

    /// An event's entry, put together from its parts, is byte for byte what `serde_json`
    /// writes for the envelope (what format 2 stored and the recovery decodes); so is every
    /// other message's.
    #[test]
    fn a_stored_entry_is_the_envelope_serde_json_writes() {
        let mut identity = Identity::new(Identifier::ExternalId, "u-\"1\"").unwrap();
        identity = identity.with(Identifier::Email, "a@b.kr").unwrap();
        let at = Datetime::from_unix_millis(1_719_208_908_501).unwrap();
        for message in [
            Message::Event(EventRecord::builder("df_login").build().unwrap()),
            Message::Event(
                EventRecord::builder("df_purchase")
                    .item(ItemBuilder::new().property("df_price", 1.5))
                    .property("df_keyword", "ä\n\"")
                    .build()
                    .unwrap(),
            ),
            Message::Identify {
                request_datetime: at,
            },
            Message::Profile {
                user_properties: UserProperties::builder()
                    .property("df_gender", "Female")
                    .build()
                    .unwrap(),
                request_datetime: at,
            },
        ] {
            let weight = message.weight() + identity_weight(&identity);
            let stored = stored_entry(&identity, &message, weight).unwrap();
            let expected = serde_json::to_vec(&EnvelopeRef {
                identity: &identity,
                message: &message,
            })
            .unwrap();
            assert_eq!(
                String::from_utf8(stored.to_vec()).unwrap(),
                String::from_utf8(expected).unwrap()
            );
            let back: Envelope = serde_json::from_slice(&stored.to_vec()).unwrap();
            assert_eq!(back.message, message);
        }
    }
}
