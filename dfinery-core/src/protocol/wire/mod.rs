//! The request and response bodies of every endpoint of `docs/protocol.md` §1.5, as serde types
//! that serialise to exactly the documented JSON, and the endpoints themselves ([`Endpoint`],
//! from DFINERY's protocol table in `dfinery_schema::protocol`).
//!
//! Only the export requests are public: `Client::export_events` and `export_profiles` take
//! them (build them with `export::EventQuery::to_request` / `ProfileQuery::to_request`). The
//! import bodies and the response envelopes are the client's own: it builds and reads them,
//! so no user writes a raw body.

// The events body is written by the client itself (`client/events.rs`); its serde model is
// for the tests that check that writing.
#[cfg(test)]
mod events;
mod export;
#[cfg(any(test, feature = "client"))]
mod identity;
#[cfg(any(test, feature = "client"))]
mod profile;
mod response;

pub use dfinery_schema::protocol::{Endpoint, TokenKind};
#[cfg(test)]
pub(crate) use events::Common;
#[cfg(test)]
pub(crate) use events::EventBatchRequest;
pub use export::{ConditionType, EventExportRequest, ProfileExportRequest, UnknownConditionType};
#[cfg(any(test, feature = "client"))]
pub(crate) use identity::{DeleteIdentity, DeleteIdentityRequest, IdentityRequest};
#[cfg(any(test, feature = "client"))]
pub(crate) use profile::UserProfileRequest;
pub(crate) use response::ExportErrorBody;
#[cfg(test)]
pub(crate) use response::ImportResponse;

#[cfg(test)]
mod golden;
