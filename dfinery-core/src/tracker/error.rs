//! The tracker's errors: [`TrackError`] (a message was not queued), [`SpoolError`] (the spool
//! failed, with the store's [`StoreError`] as its source) and [`TrackerBuildError`] (a tracker
//! could not be built).

use std::path::PathBuf;

use crate::encode::record::ValidationError;

/// Why a message was not queued. When a call that queues ([`track`](super::Tracker::track),
/// [`try_track`](super::Tracker::try_track), …) returns one of these, nothing of it was queued
/// or spooled (except for a [`track_many`](super::Tracker::track_many) committed in several
/// batches, whose earlier batches stay queued), and the
/// [`rejected`](super::TrackerMetrics::rejected) counter went up by one.
/// [`flush`](super::Tracker::flush) and [`shutdown`](super::Tracker::shutdown) return
/// [`Closed`](TrackError::Closed) without counting it: they queue nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrackError {
    /// The queue holds as many messages or bytes as its cap allows, and the call (a `try_`
    /// form) does not wait.
    #[error(
        "the tracker queue is full ({}, {queued_bytes} bytes queued; the cap is {}, {cap_bytes} bytes), nothing was queued; retry later, raise `TrackerBuilder::queue_cap`, or call the awaited form (`track(...).await`), which waits for room",
        messages(*queued),
        messages(*cap)
    )]
    QueueFull {
        /// Messages queued when the call was refused, with the room of delivered messages
        /// not given back yet (while the queue is full, room comes back in steps: see
        /// `docs/tracker.md`, "A full queue").
        queued: usize,
        /// Bytes queued when the call was refused, counted the same way.
        queued_bytes: usize,
        /// The cap in messages.
        cap: usize,
        /// The cap in bytes.
        cap_bytes: usize,
    },
    /// One message larger than the whole byte cap: it could never be queued.
    #[error(
        "a message of {bytes} bytes is larger than the queue's whole cap of {cap_bytes} bytes, nothing was queued; raise `TrackerBuilder::queue_cap`"
    )]
    TooLarge {
        /// The message's size.
        bytes: usize,
        /// The cap in bytes.
        cap_bytes: usize,
    },
    /// The event or the user properties break a rule. Its message is the validation
    /// error's, which names the event, the property and the rule.
    #[error(transparent)]
    Invalid(ValidationError),
    /// The tracker was shut down, or the Tokio runtime it was built in has stopped (its worker
    /// task stopped with it; see [`Tracker`](super::Tracker) for what became of what it held).
    #[error(
        "the tracker is shut down, or the Tokio runtime it was built in has stopped; nothing was queued; after `shutdown` this is expected (call it once, and track, flush and update before it); if the runtime stopped, build a new `Tracker` inside a runtime that outlives it"
    )]
    Closed,
    /// The spool could not store the message; why is the
    /// [`source`](std::error::Error::source).
    #[error("nothing was queued: the spool could not store the message")]
    Spool(#[source] SpoolError),
}

/// A failure of the spool file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpoolError {
    /// The file could not be opened as a spool: it is damaged, or not a spool; or its journal
    /// beside it, `<name>-journal`, is not one, and `path` names the journal. The store's (or
    /// the journal's) own error is the [`source`](std::error::Error::source).
    #[error(
        "could not open the spool `{}`; if the file is damaged, move it aside and start again (the messages in it are lost)",
        path.display()
    )]
    Open {
        /// The spool file.
        path: PathBuf,
        /// The store's error.
        #[source]
        source: StoreError,
    },
    /// The path cannot hold a spool file: it names a folder or something else than a regular
    /// file (a device, a pipe), its folder (or a symbolic link's target's) does not exist, it
    /// is empty, this process may not write the file, its journal (`<name>-journal`, named in
    /// `problem`) or its folder (permissions, a read-only file system), its disk is too full
    /// to create them, something else than a file (a folder, say) is at its journal's path,
    /// or it holds another application's redb database. No message was changed or lost: fix what `problem` says
    /// and open it again.
    #[error("cannot keep a spool at `{}`: {problem}", path.display())]
    Path {
        /// The path given.
        path: PathBuf,
        /// What is wrong with it, and what to do instead.
        problem: String,
    },
    /// The file is already open, in this process or another.
    #[error(
        "the spool `{}` is already open, in this process or another; give each tracker its own spool file (a `Tracker` dropped without `shutdown().await` keeps its spool open until its worker has drained: shut it down before opening the file again)",
        path.display()
    )]
    InUse {
        /// The spool file.
        path: PathBuf,
    },
    /// The file was written in a spool format this version cannot read.
    #[error(
        "the spool `{}` has format {found}, this dfinery reads format {expected}; open it with the dfinery version that wrote it",
        path.display()
    )]
    Format {
        /// The spool file.
        path: PathBuf,
        /// The format found in the file.
        found: u64,
        /// The format this version writes.
        expected: u64,
    },
    /// Reading or writing failed in the store (disk full, I/O error, a damaged page); the
    /// store's own error is the [`source`](std::error::Error::source).
    #[error("the spool `{}` failed while {operation}; check the disk", path.display())]
    Store {
        /// The spool file.
        path: PathBuf,
        /// What the spool was doing, e.g. `reading the dead letters`.
        operation: &'static str,
        /// The store's error.
        #[source]
        source: StoreError,
    },
    /// Reading or writing failed where only a description of the failure is left: a group
    /// commit that failed for several callers at once, or an entry that does not decode.
    #[error("the spool `{}` failed: {reason}; check the disk", path.display())]
    Storage {
        /// The spool file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

/// An error of the store under the spool (redb), kept as it was raised so that a reporter can
/// read it through [`source`](std::error::Error::source). Its `Display` is the store's message.
#[derive(Debug)]
pub struct StoreError(Box<dyn std::error::Error + Send + Sync>);

impl StoreError {
    /// Wraps the store's error.
    pub(crate) fn new(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StoreError {
        StoreError(error.into())
    }
}

impl StoreError {
    /// Whether the store refused the operation because an earlier I/O call of this open file
    /// failed (it refuses every later one until the file is opened again).
    pub(crate) fn is_previous_io(&self) -> bool {
        matches!(
            self.0.downcast_ref::<redb::Error>(),
            Some(redb::Error::PreviousIo)
        ) || matches!(
            self.0.downcast_ref::<redb::StorageError>(),
            Some(redb::StorageError::PreviousIo)
        )
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Why a [`Tracker`](super::Tracker) could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrackerBuildError {
    /// `build` was called outside a Tokio runtime, which the worker task needs.
    #[error(
        "no Tokio runtime to run the tracker's worker in; build the tracker inside a runtime (e.g. in `#[tokio::main]`)"
    )]
    NoRuntime,
    /// A setting out of range.
    #[error("`{setting}` {reason}")]
    InvalidSetting {
        /// The setting, e.g. `max_batch_events`.
        setting: &'static str,
        /// What is wrong, with the fix.
        reason: &'static str,
    },
    /// The spool could not be opened.
    #[error(transparent)]
    Spool(#[from] SpoolError),
}

/// `1 message`, `2 messages`.
fn messages(n: usize) -> String {
    dfinery_schema::names::counted(n as u64, "message", "messages")
}
