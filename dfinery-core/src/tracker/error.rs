//! The tracker's errors: [`TrackError`] (a message was not queued), [`SpoolError`] (the spool
//! failed) and [`TrackerBuildError`] (a tracker could not be built).

use std::path::PathBuf;

use crate::record::ValidationError;

/// Why a message was not queued. Nothing was queued or spooled when one of these is returned,
/// and the [`rejected`](super::TrackerMetrics::rejected) counter went up by one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrackError {
    /// The queue holds as many messages or bytes as its cap allows, and the call (a `try_`
    /// form) does not wait.
    #[error(
        "the tracker queue is full ({queued} messages, {queued_bytes} bytes queued; the cap is {cap} messages, {cap_bytes} bytes), nothing was queued; retry later, raise `TrackerBuilder::queue_cap`, or call the awaited form (`track(...).await`), which waits for room"
    )]
    QueueFull {
        /// Messages queued when the call was refused.
        queued: usize,
        /// Bytes queued when the call was refused.
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
    /// The event or the user properties break a rule.
    #[error("nothing was queued: {0}")]
    Invalid(#[source] ValidationError),
    /// The tracker was shut down.
    #[error("the tracker is shut down, nothing was queued; build a new `Tracker`")]
    Closed,
    /// The spool could not store the message.
    #[error("nothing was queued: {0}")]
    Spool(#[source] SpoolError),
}

/// A failure of the spool file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpoolError {
    /// The file could not be opened as a spool: it is damaged, or not a spool.
    #[error(
        "could not open the spool `{}`: {reason}; if the file is damaged, move it aside and start again (the messages in it are lost)",
        path.display()
    )]
    Open {
        /// The spool file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The file is already open, in this process or another.
    #[error(
        "the spool `{}` is already open, in this process or another; give each tracker its own spool file",
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
    /// Reading or writing failed (disk full, I/O error, a damaged page).
    #[error("the spool `{}` failed: {reason}; check the disk", path.display())]
    Storage {
        /// The spool file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
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
