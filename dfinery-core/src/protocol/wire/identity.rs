//! The bodies of `POST /api/v1/identities` and `POST /api/v1/identities/delete`
//! (`docs/protocol.md` §3.3, §3.4).

use serde::{Deserialize, Serialize};

use crate::encode::identity::{ExternalId, Identity};
use crate::encode::value::Datetime;

/// The body of `POST /api/v1/identities`: create or update the unified profile of `identity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentityRequest {
    /// The identifiers to record.
    pub identity: Identity,
    /// When the change happened (UTC).
    pub request_datetime: Datetime,
}

impl IdentityRequest {
    /// A request stamped with the current time.
    pub fn new(identity: Identity) -> Self {
        IdentityRequest {
            identity,
            request_datetime: Datetime::now(),
        }
    }
}

/// The body of `POST /api/v1/identities/delete`: delete the unified profile of an external id
/// (irreversible).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeleteIdentityRequest {
    /// The profile to delete.
    pub identity: DeleteIdentity,
    /// When the deletion was requested (UTC).
    pub request_datetime: Datetime,
}

/// The `identity` object of [`DeleteIdentityRequest`]: only `external_id` is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteIdentity {
    /// The external id of the profile to delete.
    pub external_id: ExternalId,
}

impl DeleteIdentityRequest {
    /// A request stamped with the current time.
    pub fn new(external_id: ExternalId) -> Self {
        DeleteIdentityRequest {
            identity: DeleteIdentity { external_id },
            request_datetime: Datetime::now(),
        }
    }
}
