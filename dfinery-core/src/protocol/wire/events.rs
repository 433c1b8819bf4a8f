//! The body of `POST /api/v1/events` (`docs/protocol.md` §3.2).

use serde::{Deserialize, Serialize};

use crate::encode::identity::Identity;
use crate::encode::record::EventRecord;
use crate::limits::MAX_EVENTS_PER_REQUEST;

/// The body of `POST /api/v1/events`: one identity and 1 to 100 events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventBatchRequest {
    /// What every event of the request shares: the user.
    pub common: Common,
    /// The events, 1 to [`MAX_EVENTS_PER_REQUEST`] (100).
    pub events: Vec<EventRecord>,
}

/// The `common` object of [`EventBatchRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Common {
    /// The user every event is about.
    pub identity: Identity,
}

/// A batch with no event or more than [`MAX_EVENTS_PER_REQUEST`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a batch holds 1 to {max} events, not {len}; split the events into several requests", max = MAX_EVENTS_PER_REQUEST)]
pub struct BatchSizeError {
    /// The number of events given.
    pub len: usize,
}

impl EventBatchRequest {
    /// A request for `events` of the user `identity`.
    ///
    /// # Errors
    ///
    /// [`BatchSizeError`] unless there are 1 to 100 events (more is `40402 TOO_MANY_EVENTS`).
    pub fn new(identity: Identity, events: Vec<EventRecord>) -> Result<Self, BatchSizeError> {
        if (1..=MAX_EVENTS_PER_REQUEST).contains(&events.len()) {
            Ok(EventBatchRequest {
                common: Common { identity },
                events,
            })
        } else {
            Err(BatchSizeError { len: events.len() })
        }
    }
}
