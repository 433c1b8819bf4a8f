//! [`DeadLetter`]: a message DFINERY refused for good, with the reason, kept in the spool's
//! dead-letter table or handed to the callback set with
//! [`TrackerBuilder::on_dead_letter`](super::TrackerBuilder::on_dead_letter).

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::message::Message;
use crate::encode::identity::Identity;
use crate::encode::value::Datetime;

/// A message that will not be sent again: DFINERY refused it for good (validation, token,
/// service id, an undocumented answer), a retry limit ran out, or, without a spool, the
/// shutdown deadline passed before it was delivered, or the runtime running the tracker
/// stopped while a handle was still alive.
///
/// One kind is a notice, not a drop: `not_durable`, handed to the
/// callback (never to the spool's dead-letter table, never counted in
/// [`TrackerMetrics::dead_lettered`](super::TrackerMetrics::dead_lettered)) when a message
/// accepted by a `try_` call ([`Tracker::try_track`](super::Tracker::try_track), …) could not
/// be written to the spool (a full or failing disk). That message is still queued in memory
/// and delivered; only a crash before its delivery would lose it. Tell the two apart with
/// [`still_delivered`](DeadLetter::still_delivered).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeadLetter {
    /// The message's sequence number (its key in the spool).
    pub seq: u64,
    /// The user it was about.
    #[serde(deserialize_with = "crate::encode::identity::deserialize_stored")]
    pub identity: Identity,
    /// The message, as queued.
    pub message: Message,
    /// Why, in words: the error of the last attempt.
    pub reason: String,
    /// The error's short name (`validation`, `auth`, `service_id`, `unexpected`, …, or
    /// `shutdown_deadline`, `retry_limit`, `runtime_stopped` (without a spool, the Tokio
    /// runtime running the tracker stopped before it was delivered); or `not_durable` for a
    /// message still delivered, see [`still_delivered`](DeadLetter::still_delivered)).
    pub kind: String,
    /// Sends made.
    pub attempts: u32,
    /// When it was dead-lettered.
    pub at: Datetime,
}

impl DeadLetter {
    /// The [`kind`](DeadLetter::kind) of a notice that a `try_` message could not be made
    /// durable (see [`still_delivered`](DeadLetter::still_delivered)).
    pub(crate) const NOT_DURABLE: &'static str = "not_durable";

    /// Whether the message is still being delivered: `true` for a notice (kind `not_durable`)
    /// that a `try_` message could not be made durable. Such a message was **not** dropped, it
    /// is still queued in memory and delivered, but it is not on disk, so a crash before its
    /// delivery loses it; its `reason` names the spool file and the failure, `attempts` is 0,
    /// and the writer writes it again once the disk recovers. `false` for every message
    /// dropped for good.
    pub fn still_delivered(&self) -> bool {
        self.kind == DeadLetter::NOT_DURABLE
    }
}

/// The dead-letter callback.
#[derive(Clone)]
pub(crate) struct DeadLetterHook(pub(crate) Arc<dyn Fn(DeadLetter) + Send + Sync>);

impl DeadLetterHook {
    /// Calls the callback with `letter`. A callback that panics (the app's own code) must not
    /// stop the worker, and with it every later delivery: the panic is caught and logged with
    /// the letter in full, which the callback did not get to keep.
    pub(crate) fn call(&self, letter: DeadLetter) {
        let seq = letter.seq;
        let record = serde_json::to_string(&letter).unwrap_or_default();
        let hook = &self.0;
        if let Err(panic) = std::panic::catch_unwind(AssertUnwindSafe(|| hook(letter))) {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_owned());
            tracing::error!(
                seq,
                dead_letter = %record,
                "the `on_dead_letter` callback panicked ({why}); the tracker goes on, and the letter it was given is logged here: fix the callback so that it does not panic"
            );
        }
    }
}

impl fmt::Debug for DeadLetterHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeadLetterHook")
    }
}
