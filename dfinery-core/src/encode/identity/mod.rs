//! Who an Import API call is about: [`Identity`] (at least one of the five identifiers) and
//! [`ExternalId`] (for deleting a unified profile). Neither can be built empty or malformed.

mod check;
mod error;
mod external_id;
mod identifiers;

pub use error::IdentityError;
pub use external_id::ExternalId;
pub use identifiers::Identity;
#[cfg(feature = "tracker")]
pub(crate) use identifiers::deserialize_stored;

// The foundation tests of identities (moved from `tests/foundation`: they reach `ExternalId::into_string`).
#[cfg(test)]
mod foundation;
