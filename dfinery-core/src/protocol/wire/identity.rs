//! The bodies of `POST /api/v1/identities` and `POST /api/v1/identities/delete`
//! (`docs/protocol.md` §3.3, §3.4).

use serde::{Deserialize, Serialize};

use crate::encode::identity::{ExternalId, Identity};
use crate::encode::value::Datetime;

/// The body of `POST /api/v1/identities`: create or update the unified profile of `identity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct IdentityRequest {
    /// The identifiers to record.
    pub(crate) identity: Identity,
    /// When the change happened (UTC).
    pub(crate) request_datetime: Datetime,
}

/// The body of `POST /api/v1/identities/delete`: delete the unified profile of an external id
/// (irreversible).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DeleteIdentityRequest {
    /// The profile to delete.
    pub(crate) identity: DeleteIdentity,
    /// When the deletion was requested (UTC).
    pub(crate) request_datetime: Datetime,
}

/// The `identity` object of [`DeleteIdentityRequest`]: only `external_id` is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeleteIdentity {
    /// The external id of the profile to delete.
    pub(crate) external_id: ExternalId,
}
