//! [`Identity`]: the `identity` object of every Import API call.

use serde::{Deserialize, Deserializer, Serialize};

use super::check::{non_empty, phone_no};
use super::{ExternalId, IdentityError};

/// The `identity` object of every Import API call (`docs/protocol.md` §3.1): at least one of
/// `external_id`, `phone_no`, `email`, `kakao_user_id` and `line_user_id`.
///
/// It cannot be built empty: every constructor starts from one identifier and checks it, and
/// every `with_*` adder checks the next. All of them are fallible, because every identifier
/// must be non-empty (a blank `external_id` would silently target no user) and `phone_no` must
/// be 8 to 15 digits with the country code and no `+` (`821012345678`).
///
/// ```
/// use dfinery_core::Identity;
///
/// let identity = Identity::from_external_id("dfn-user-123")?
///     .with_phone_no("821012345678")?;
/// assert_eq!(identity.phone_no(), Some("821012345678"));
/// assert!(Identity::from_phone_no("+82 10-1234-5678").is_err());
/// # Ok::<(), dfinery_core::IdentityError>(())
/// ```
///
/// It serialises with the absent identifiers left out, and deserialises with the same checks
/// (unknown keys such as `unified_id`, which the Open API does not accept, are rejected).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Identity {
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kakao_user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line_user_id: Option<String>,
}

const EMPTY: Identity = Identity {
    external_id: None,
    phone_no: None,
    email: None,
    kakao_user_id: None,
    line_user_id: None,
};

impl Identity {
    /// An identity with your own stable user id.
    ///
    /// # Errors
    ///
    /// [`IdentityError::Empty`] when `id` is empty or only white space.
    pub fn from_external_id(id: impl Into<String>) -> Result<Self, IdentityError> {
        EMPTY.with_external_id(id)
    }

    /// An identity with a phone number: country code and number, digits only, e.g.
    /// `821012345678`.
    ///
    /// # Errors
    ///
    /// [`IdentityError::PhoneNo`] unless the number is 8 to 15 digits.
    pub fn from_phone_no(phone_no: impl Into<String>) -> Result<Self, IdentityError> {
        EMPTY.with_phone_no(phone_no)
    }

    /// An identity with an e-mail address.
    ///
    /// # Errors
    ///
    /// [`IdentityError::Empty`] when `email` is empty or only white space.
    pub fn from_email(email: impl Into<String>) -> Result<Self, IdentityError> {
        EMPTY.with_email(email)
    }

    /// An identity with a Kakao user id.
    ///
    /// # Errors
    ///
    /// [`IdentityError::Empty`] when `id` is empty or only white space.
    pub fn from_kakao_user_id(id: impl Into<String>) -> Result<Self, IdentityError> {
        EMPTY.with_kakao_user_id(id)
    }

    /// An identity with a LINE user id.
    ///
    /// # Errors
    ///
    /// [`IdentityError::Empty`] when `id` is empty or only white space.
    pub fn from_line_user_id(id: impl Into<String>) -> Result<Self, IdentityError> {
        EMPTY.with_line_user_id(id)
    }

    /// Adds (or replaces) the external id.
    ///
    /// # Errors
    ///
    /// [`IdentityError::Empty`] when `id` is empty or only white space.
    pub fn with_external_id(mut self, id: impl Into<String>) -> Result<Self, IdentityError> {
        self.external_id = Some(non_empty("external_id", id.into())?);
        Ok(self)
    }

    /// Adds (or replaces) the phone number.
    ///
    /// # Errors
    ///
    /// [`IdentityError::PhoneNo`] unless the number is 8 to 15 digits.
    pub fn with_phone_no(mut self, phone_no_: impl Into<String>) -> Result<Self, IdentityError> {
        self.phone_no = Some(phone_no(phone_no_.into())?);
        Ok(self)
    }

    /// Adds (or replaces) the e-mail address.
    ///
    /// # Errors
    ///
    /// [`IdentityError::Empty`] when `email` is empty or only white space.
    pub fn with_email(mut self, email: impl Into<String>) -> Result<Self, IdentityError> {
        self.email = Some(non_empty("email", email.into())?);
        Ok(self)
    }

    /// Adds (or replaces) the Kakao user id.
    ///
    /// # Errors
    ///
    /// [`IdentityError::Empty`] when `id` is empty or only white space.
    pub fn with_kakao_user_id(mut self, id: impl Into<String>) -> Result<Self, IdentityError> {
        self.kakao_user_id = Some(non_empty("kakao_user_id", id.into())?);
        Ok(self)
    }

    /// Adds (or replaces) the LINE user id.
    ///
    /// # Errors
    ///
    /// [`IdentityError::Empty`] when `id` is empty or only white space.
    pub fn with_line_user_id(mut self, id: impl Into<String>) -> Result<Self, IdentityError> {
        self.line_user_id = Some(non_empty("line_user_id", id.into())?);
        Ok(self)
    }

    /// The external id.
    pub fn external_id(&self) -> Option<&str> {
        self.external_id.as_deref()
    }

    /// The phone number.
    pub fn phone_no(&self) -> Option<&str> {
        self.phone_no.as_deref()
    }

    /// The e-mail address.
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    /// The Kakao user id.
    pub fn kakao_user_id(&self) -> Option<&str> {
        self.kakao_user_id.as_deref()
    }

    /// The LINE user id.
    pub fn line_user_id(&self) -> Option<&str> {
        self.line_user_id.as_deref()
    }

    /// The identifiers it has, in the order of the wire body's keys.
    #[cfg(feature = "client")]
    pub(crate) fn present(&self) -> impl Iterator<Item = &str> {
        [
            self.external_id(),
            self.phone_no(),
            self.email(),
            self.kakao_user_id(),
            self.line_user_id(),
        ]
        .into_iter()
        .flatten()
    }
}

impl From<ExternalId> for Identity {
    /// An identity with only the external id.
    fn from(id: ExternalId) -> Self {
        Identity {
            external_id: Some(id.into_string()),
            ..EMPTY
        }
    }
}

/// The identity object as it arrives, before the checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Unchecked {
    external_id: Option<String>,
    phone_no: Option<String>,
    email: Option<String>,
    kakao_user_id: Option<String>,
    line_user_id: Option<String>,
}

impl TryFrom<Unchecked> for Identity {
    type Error = IdentityError;

    fn try_from(raw: Unchecked) -> Result<Self, Self::Error> {
        let check = |field, value: Option<String>| value.map(|v| non_empty(field, v)).transpose();
        let identity = Identity {
            external_id: check("external_id", raw.external_id)?,
            phone_no: raw.phone_no.map(phone_no).transpose()?,
            email: check("email", raw.email)?,
            kakao_user_id: check("kakao_user_id", raw.kakao_user_id)?,
            line_user_id: check("line_user_id", raw.line_user_id)?,
        };
        if identity == EMPTY {
            Err(IdentityError::NoIdentifier)
        } else {
            Ok(identity)
        }
    }
}

impl<'de> Deserialize<'de> for Identity {
    /// Deserialises with the same checks as the constructors: at least one identifier, none
    /// empty, a valid `phone_no`, no unknown key.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Identity::try_from(Unchecked::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}
