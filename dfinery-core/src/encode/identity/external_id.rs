//! [`ExternalId`]: a non-empty external id, the only identifier that can delete a profile.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

use super::IdentityError;
use super::check::non_empty;

/// A non-empty `external_id`: your own stable user id (`docs/protocol.md` §3.1). Deleting a
/// unified profile (`POST /api/v1/identities/delete`) takes only this identifier.
///
/// ```
/// use dfinery_core::ExternalId;
///
/// let id = ExternalId::new("dfn-user-123").unwrap();
/// let text: &str = id.as_ref(); // or `id.to_string()`, through `Display`
/// assert_eq!(text, "dfn-user-123");
/// assert!(ExternalId::new("  ").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ExternalId(String);

impl ExternalId {
    /// The id, checked.
    ///
    /// # Errors
    ///
    /// [`IdentityError::Empty`] when `id` is empty or only white space.
    pub fn new(id: impl Into<String>) -> Result<Self, IdentityError> {
        non_empty("external_id", id.into()).map(ExternalId)
    }

    /// The id as a `String`.
    pub(crate) fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for ExternalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ExternalId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for ExternalId {
    type Err = IdentityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ExternalId::new(s)
    }
}

impl TryFrom<String> for ExternalId {
    type Error = IdentityError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        ExternalId::new(value)
    }
}

impl TryFrom<&str> for ExternalId {
    type Error = IdentityError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        ExternalId::new(value)
    }
}

impl<'de> Deserialize<'de> for ExternalId {
    /// Deserialises from a non-empty string.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ExternalId::new(String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}
