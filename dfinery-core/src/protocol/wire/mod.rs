//! The request and response bodies of every endpoint of `docs/protocol.md` §1.5, as serde types
//! that serialise to exactly the documented JSON, and the endpoints themselves ([`Endpoint`],
//! from DFINERY's protocol table in `dfinery_schema::protocol`).

mod events;
mod export;
mod identity;
mod profile;
mod response;

pub use dfinery_schema::protocol::{Endpoint, TokenKind};
pub use events::{BatchSizeError, Common, EventBatchRequest};
pub use export::{ConditionType, EventExportRequest, ProfileExportRequest, UnknownConditionType};
pub use identity::{DeleteIdentity, DeleteIdentityRequest, IdentityRequest};
pub use profile::UserProfileRequest;
pub use response::{ExportErrorBody, ImportResponse};
