//! The body of `POST /api/v1/user-profile` (`docs/protocol.md` §3.5).

use serde::{Deserialize, Serialize};

use crate::encode::identity::Identity;
use crate::encode::record::UserProperties;
use crate::encode::value::Datetime;

/// The body of `POST /api/v1/user-profile`: create or update user properties of `identity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UserProfileRequest {
    /// The user.
    pub(crate) identity: Identity,
    /// The properties to set (`null` clears one).
    pub(crate) user_properties: UserProperties,
    /// When the change happened (UTC); the later change wins.
    pub(crate) request_datetime: Datetime,
}
