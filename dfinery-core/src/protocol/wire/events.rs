//! The body of `POST /api/v1/events` (`docs/protocol.md` §3.2).

use serde::{Deserialize, Serialize};

use crate::encode::identity::Identity;
use crate::encode::record::EventRecord;

/// The body of `POST /api/v1/events`: one identity and 1 to 100 events. The client writes
/// this body itself, straight from the records' pre-serialised JSON; this type is the serde
/// model its unit tests and the golden tests check that writing against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct EventBatchRequest {
    /// What every event of the request shares: the user.
    pub(crate) common: Common,
    /// The events, 1 to `MAX_EVENTS_PER_REQUEST` (100).
    pub(crate) events: Vec<EventRecord>,
}

/// The `common` object of the body: the user every event of the request is about (the client
/// writes it as `{"identity":…}` itself; this is its serde model, for the same tests).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Common {
    /// The user every event is about.
    pub(crate) identity: Identity,
}
