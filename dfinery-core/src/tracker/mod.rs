//! [`Tracker`]: send events, identity updates and profile updates from a hot path without
//! waiting for DFINERY. One worker task batches them per user, delivers them in order, retries
//! what can be retried, dead-letters what DFINERY refuses for good, and, with a
//! [spool](TrackerBuilder::spool), keeps every message on disk until DFINERY confirms it.
//!
//! ```no_run
//! use dfinery_core::{Client, EventRecord, Identity};
//! use dfinery_core::tracker::Tracker;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::builder().from_env().build()?;
//! let tracker = Tracker::builder(client).spool("dfinery.spool").build()?;
//! let user = Identity::from_external_id("dfn-user-123")?;
//! tracker.identify(&user)?; // delivered before the events queued after it
//! tracker.track(&user, EventRecord::builder("df_login").build()?)?; // returns at once
//! let report = tracker.shutdown().await?; // drains, within `shutdown_timeout`
//! assert_eq!(report.left_in_spool, 0);
//! # Ok(()) }
//! ```
//!
//! # Guarantees
//!
//! - **Order per user**: a user's messages are delivered in the order queued, one request at
//!   a time (so an identity update queued before a profile update before events arrives in that
//!   order, as `docs/protocol.md` §8.3 asks).
//! - **Bounded memory**: at most [`queue_cap`](TrackerBuilder::queue_cap) messages and bytes;
//!   when full, a call returns [`TrackError::QueueFull`] or waits ([`Backpressure`]). Nothing is
//!   dropped silently: every message is delivered, dead-lettered, left in the spool, or refused
//!   with an error to the caller, and [`TrackerMetrics`] counts each outcome.
//! - **At least once, with the spool**: a message is synced to the spool before the call
//!   returns and deleted only after DFINERY confirms it; a crash means it is sent again, with
//!   the same `event_log_id`, which DFINERY de-duplicates.

mod builder;
mod capacity;
mod dead_letter;
mod error;
mod message;
mod metrics;
mod report;
mod spool;
mod worker;

pub use builder::TrackerBuilder;
pub use capacity::Backpressure;
pub use dead_letter::DeadLetter;
pub use error::{SpoolError, StoreError, TrackError, TrackerBuildError};
pub use message::Message;
pub use metrics::TrackerMetrics;
pub use report::{FlushReport, ShutdownReport};
pub use spool::{SPOOL_FORMAT, Spool};

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::client::{Client, IntoEventRecord, IntoUserProperties};
use crate::identity::Identity;
use crate::value::Datetime;
use builder::Settings;
use capacity::Capacity;
use message::{EnvelopeRef, identity_weight};
use metrics::Counters;
use spool::{Mode, Write};
use worker::{Command, Incoming, Worker};

/// Sends events, identity updates and profile updates in the background. Build one with
/// [`Tracker::builder`]; clones are cheap and share the same queue and worker.
///
/// The plain calls ([`track`](Tracker::track), [`identify`](Tracker::identify),
/// [`update_profile`](Tracker::update_profile)) never wait for the network: they check the
/// message, take room in the queue (or return [`TrackError::QueueFull`]), write it to the
/// spool when there is one (a disk sync, measured in the `tracker` benchmark), and return.
///
/// When every clone is dropped without [`shutdown`](Tracker::shutdown), the worker still
/// drains what is queued, within [`shutdown_timeout`](TrackerBuilder::shutdown_timeout), as
/// long as the runtime runs.
#[derive(Clone)]
pub struct Tracker {
    inner: Arc<Shared>,
}

/// What every handle shares; the worker holds [`Core`] only, so that dropping every handle
/// closes its channel.
struct Shared {
    tx: mpsc::UnboundedSender<Command>,
    closed: AtomicBool,
    next_seq: AtomicU64,
    backpressure: Backpressure,
    shutdown_timeout: Duration,
    core: Arc<Core>,
}

/// What the handles and the worker share.
pub(crate) struct Core {
    pub(crate) capacity: Capacity,
    pub(crate) counters: Counters,
    pub(crate) spool: Option<Arc<Spool>>,
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
        backpressure: Backpressure,
        spool: Option<Arc<Spool>>,
    ) -> Tracker {
        let next_seq = spool.as_ref().map_or(0, |s| s.last_seq()) + 1;
        let core = Arc::new(Core {
            capacity: Capacity::new(queue_cap, queue_cap_bytes),
            counters: Counters::default(),
            spool,
        });
        let (tx, rx) = mpsc::unbounded_channel();
        let shutdown_timeout = settings.shutdown_timeout;
        let worker = Worker::new(client, settings, Arc::clone(&core), rx, next_seq - 1);
        runtime.spawn(worker.run());
        Tracker {
            inner: Arc::new(Shared {
                tx,
                closed: AtomicBool::new(false),
                next_seq: AtomicU64::new(next_seq),
                backpressure,
                shutdown_timeout,
                core,
            }),
        }
    }

    /// Queues an event of `identity` and returns its `event_log_id` at once: a typed event
    /// (`&purchase`) or an [`EventRecord`](crate::EventRecord).
    ///
    /// # Errors
    ///
    /// [`TrackError::Invalid`] for an event that breaks a rule, [`TrackError::QueueFull`] or
    /// [`TrackError::TooLarge`] when it does not fit, [`TrackError::Spool`] when the spool
    /// cannot store it, [`TrackError::Closed`] after shutdown. Nothing was queued then.
    pub fn track(
        &self,
        identity: &Identity,
        event: impl IntoEventRecord,
    ) -> Result<Uuid, TrackError> {
        let record = event
            .into_event_record()
            .map_err(|e| self.refuse(TrackError::Invalid(e)))?;
        let id = record.event_log_id();
        self.queue_now(identity, Message::Event(record))?;
        Ok(id)
    }

    /// [`track`](Tracker::track), waiting for room when the queue is full and the policy is
    /// [`Backpressure::Wait`].
    ///
    /// # Errors
    ///
    /// As [`track`](Tracker::track).
    pub async fn track_wait(
        &self,
        identity: &Identity,
        event: impl IntoEventRecord,
    ) -> Result<Uuid, TrackError> {
        let record = event
            .into_event_record()
            .map_err(|e| self.refuse(TrackError::Invalid(e)))?;
        let id = record.event_log_id();
        self.queue_wait(identity, Message::Event(record)).await?;
        Ok(id)
    }

    /// Queues an identity update of `identity` (`POST /api/v1/identities`), stamped now.
    ///
    /// # Errors
    ///
    /// As [`track`](Tracker::track).
    pub fn identify(&self, identity: &Identity) -> Result<(), TrackError> {
        self.queue_now(
            identity,
            Message::Identify {
                request_datetime: Datetime::now(),
            },
        )
    }

    /// Queues a user-property update of `identity` (`POST /api/v1/user-profile`), stamped
    /// now: a typed profile (`&member`) or [`UserProperties`](crate::UserProperties). An
    /// empty update queues nothing.
    ///
    /// # Errors
    ///
    /// As [`track`](Tracker::track).
    pub fn update_profile(
        &self,
        identity: &Identity,
        profile: impl IntoUserProperties,
    ) -> Result<(), TrackError> {
        let user_properties = profile
            .into_user_properties()
            .map_err(|e| self.refuse(TrackError::Invalid(e)))?;
        if user_properties.is_empty() {
            return Ok(());
        }
        self.queue_now(
            identity,
            Message::Profile {
                user_properties,
                request_datetime: Datetime::now(),
            },
        )
    }

    /// Queues any [`Message`] for `identity`, e.g. one stamped with the time it happened.
    ///
    /// # Errors
    ///
    /// As [`track`](Tracker::track).
    pub fn send(&self, identity: &Identity, message: Message) -> Result<(), TrackError> {
        self.queue_now(identity, message)
    }

    /// [`send`](Tracker::send), waiting for room when the queue is full and the policy is
    /// [`Backpressure::Wait`].
    ///
    /// # Errors
    ///
    /// As [`track`](Tracker::track).
    pub async fn send_wait(&self, identity: &Identity, message: Message) -> Result<(), TrackError> {
        self.queue_wait(identity, message).await
    }

    /// Sends everything queued now, without waiting for the interval, and returns once each
    /// of those messages is delivered or dead-lettered, or a send failed with an error worth
    /// retrying (those stay queued and are retried later).
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
    /// `shutdown_deadline`. Later calls return [`TrackError::Closed`].
    ///
    /// # Errors
    ///
    /// [`TrackError::Closed`] when the tracker was already shut down.
    pub async fn shutdown(&self) -> Result<ShutdownReport, TrackError> {
        self.shutdown_within(self.inner.shutdown_timeout).await
    }

    /// [`shutdown`](Tracker::shutdown) with its own deadline.
    ///
    /// # Errors
    ///
    /// [`TrackError::Closed`] when the tracker was already shut down.
    pub async fn shutdown_within(&self, timeout: Duration) -> Result<ShutdownReport, TrackError> {
        if self.inner.closed.swap(true, Ordering::SeqCst) {
            return Err(TrackError::Closed);
        }
        self.inner.core.capacity.close();
        let (reply, answer) = oneshot::channel();
        self.inner
            .tx
            .send(Command::Shutdown { timeout, reply })
            .map_err(|_| TrackError::Closed)?;
        answer.await.map_err(|_| TrackError::Closed)
    }

    /// Every counter now; see [`TrackerMetrics`].
    pub fn metrics(&self) -> TrackerMetrics {
        let core = &self.inner.core;
        let (spooled, spooled_bytes) = core
            .spool
            .as_ref()
            .map_or((0, 0), |s| (s.pending_len(), s.pending_bytes()));
        core.counters.snapshot(spooled, spooled_bytes)
    }

    /// The spool, when there is one: its size and its dead letters.
    pub fn spool(&self) -> Option<&Spool> {
        self.inner.core.spool.as_deref()
    }

    /// Queues `message` if there is room now.
    fn queue_now(&self, identity: &Identity, message: Message) -> Result<(), TrackError> {
        self.check_open()?;
        let weight = message.weight() + identity_weight(identity);
        self.inner
            .core
            .capacity
            .try_take(weight)
            .map_err(|e| self.refuse(e))?;
        self.enqueue(identity, message, weight)
    }

    /// Queues `message`, waiting for room under [`Backpressure::Wait`].
    async fn queue_wait(&self, identity: &Identity, message: Message) -> Result<(), TrackError> {
        if self.inner.backpressure == Backpressure::Reject {
            return self.queue_now(identity, message);
        }
        self.check_open()?;
        let weight = message.weight() + identity_weight(identity);
        self.inner
            .core
            .capacity
            .take(weight)
            .await
            .map_err(|e| self.refuse(e))?;
        self.enqueue(identity, message, weight)
    }

    fn check_open(&self) -> Result<(), TrackError> {
        if self.inner.closed.load(Ordering::SeqCst) {
            Err(self.refuse(TrackError::Closed))
        } else {
            Ok(())
        }
    }

    /// Spools (when there is a spool) and hands `message` to the worker; its room is taken.
    fn enqueue(
        &self,
        identity: &Identity,
        message: Message,
        weight: usize,
    ) -> Result<(), TrackError> {
        let inner = &*self.inner;
        let core = &*inner.core;
        let seq = inner.next_seq.fetch_add(1, Ordering::Relaxed);
        if let Some(spool) = &core.spool {
            let stored = serde_json::to_vec(&EnvelopeRef {
                identity,
                message: &message,
            })
            .map_err(|e| SpoolError::Storage {
                path: spool.path().to_path_buf(),
                reason: format!("could not encode the message: {e}"),
            })
            .and_then(|bytes| spool.submit(vec![Write::Insert { seq, bytes }], Mode::Wait));
            if let Err(error) = stored {
                core.capacity.give_back(weight);
                return Err(self.refuse(TrackError::Spool(error)));
            }
        }
        let counters = &core.counters;
        Counters::add(&counters.accepted, 1);
        Counters::add(&counters.queued, 1);
        Counters::add(&counters.queued_bytes, weight as u64);
        let incoming = Incoming {
            seq,
            identity: identity.clone(),
            message,
            weight,
        };
        if inner.tx.send(Command::Message(incoming)).is_err() {
            // The worker has stopped (shut down, or its runtime ended): take the message back.
            Counters::sub(&counters.accepted, 1);
            Counters::sub(&counters.queued, 1);
            Counters::sub(&counters.queued_bytes, weight as u64);
            core.capacity.give_back(weight);
            if let Some(spool) = &core.spool {
                let _ = spool.submit(vec![Write::Remove(seq)], Mode::Wait);
            }
            return Err(self.refuse(TrackError::Closed));
        }
        Ok(())
    }

    /// Counts a refused call.
    fn refuse(&self, error: TrackError) -> TrackError {
        Counters::add(&self.inner.core.counters.rejected, 1);
        error
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
