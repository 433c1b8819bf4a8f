//! The body of `POST /api/v1/user-profile` (`docs/protocol.md` §3.5).

use serde::{Deserialize, Serialize};

use crate::encode::identity::Identity;
use crate::encode::record::UserProperties;
use crate::encode::value::Datetime;

/// The body of `POST /api/v1/user-profile`: create or update user properties of `identity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserProfileRequest {
    /// The user.
    pub identity: Identity,
    /// The properties to set (`null` clears one).
    pub user_properties: UserProperties,
    /// When the change happened (UTC); the later change wins.
    pub request_datetime: Datetime,
}

impl UserProfileRequest {
    /// A request stamped with the current time.
    pub fn new(identity: Identity, user_properties: UserProperties) -> Self {
        UserProfileRequest {
            identity,
            user_properties,
            request_datetime: Datetime::now(),
        }
    }
}
