//! [`DeadLetter`]: a message DFINERY refused for good, with the reason, kept in the spool's
//! dead-letter table or handed to the callback set with
//! [`TrackerBuilder::on_dead_letter`](super::TrackerBuilder::on_dead_letter).

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::message::Message;
use crate::identity::Identity;
use crate::value::Datetime;

/// A message that will not be sent again: DFINERY refused it for good (validation, token,
/// service id, an undocumented answer), a retry limit ran out, or, without a spool, the
/// shutdown deadline passed before it was delivered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeadLetter {
    /// The message's sequence number (its key in the spool).
    pub seq: u64,
    /// The user it was about.
    pub identity: Identity,
    /// The message, as queued.
    pub message: Message,
    /// Why, in words: the error of the last attempt.
    pub reason: String,
    /// The error's short name (`validation`, `auth`, `service_id`, `unexpected`, …, or
    /// `shutdown_deadline`, `retry_limit`).
    pub kind: String,
    /// Sends made.
    pub attempts: u32,
    /// When it was dead-lettered.
    pub at: Datetime,
}

/// The dead-letter callback.
#[derive(Clone)]
pub(crate) struct DeadLetterHook(pub(crate) Arc<dyn Fn(DeadLetter) + Send + Sync>);

impl fmt::Debug for DeadLetterHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeadLetterHook")
    }
}
