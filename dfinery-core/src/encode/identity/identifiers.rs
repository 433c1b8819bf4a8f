//! [`Identity`]: the `identity` object of every Import API call.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};

use dfinery_schema::protocol::Identifier;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::check::{non_empty, phone_no};
use super::{ExternalId, IdentityError};

/// The `identity` object of every Import API call (`docs/protocol.md` §3.1): at least one of
/// `external_id`, `phone_no`, `email`, `kakao_user_id` and `line_user_id`.
///
/// It cannot be built empty: [`Identity::new`] starts from one [`Identifier`] and checks it,
/// and [`Identity::with`] checks the next. Both are fallible, because every identifier must be
/// non-empty (a blank `external_id` would silently target no user) and `phone_no` must be 8 to
/// 15 digits with the country code and no `+` (`821012345678`).
///
/// ```
/// use dfinery_core::{Identifier, Identity};
///
/// let identity = Identity::new(Identifier::ExternalId, "dfn-user-123")?
///     .with(Identifier::PhoneNo, "821012345678")?;
/// assert_eq!(identity.get(Identifier::PhoneNo), Some("821012345678"));
/// assert_eq!(identity.get(Identifier::Email), None);
/// assert!(Identity::new(Identifier::PhoneNo, "+82 10-1234-5678").is_err());
/// # Ok::<(), dfinery_core::IdentityError>(())
/// ```
///
/// It serialises with the absent identifiers left out, and deserialises with the same checks
/// (unknown keys such as `unified_id`, which the Open API does not accept, are rejected).
///
/// Cloning one is cheap: the clones share one copy of the identifiers (a tracker keeps a
/// clone of the identity of every message it queues).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Identity(Arc<Slots>);

/// The identifiers of an [`Identity`], shared by its clones.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename = "Identity")]
struct Slots {
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
    /// A hash of the identifiers, made with them (see `Identity::key`).
    #[serde(skip)]
    key: Key,
}

/// The hash of an identity's identifiers, kept with them: not part of the identity's value
/// (it follows from the identifiers), so equal and hashed alike whatever it holds.
#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "tracker"), allow(dead_code))]
struct Key(u64);

impl PartialEq for Key {
    fn eq(&self, _: &Key) -> bool {
        true
    }
}

impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, _: &mut H) {}
}

/// An identity without identifiers: where the constructors start (never handed out).
fn empty() -> Identity {
    Identity(Arc::new(Slots {
        external_id: None,
        phone_no: None,
        email: None,
        kakao_user_id: None,
        line_user_id: None,
        key: Key(0),
    }))
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let slots = &*self.0;
        f.debug_struct("Identity")
            .field("external_id", &slots.external_id)
            .field("phone_no", &slots.phone_no)
            .field("email", &slots.email)
            .field("kakao_user_id", &slots.kakao_user_id)
            .field("line_user_id", &slots.line_user_id)
            .finish()
    }
}

impl Serialize for Identity {
    /// The `identity` object, with the absent identifiers left out.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl Identity {
    /// An identity with one identifier.
    ///
    /// # Errors
    ///
    /// [`IdentityError::Empty`] when `value` is empty or only white space;
    /// [`IdentityError::PhoneNo`] when a [`Identifier::PhoneNo`] is not 8 to 15 digits,
    /// [`IdentityError::PhoneNoWithoutCountryCode`] when it starts with 0.
    pub fn new(identifier: Identifier, value: impl Into<String>) -> Result<Self, IdentityError> {
        empty().with(identifier, value)
    }

    /// The identity with `identifier` added, or replaced when it already has one.
    ///
    /// # Errors
    ///
    /// As [`Identity::new`].
    pub fn with(
        mut self,
        identifier: Identifier,
        value: impl Into<String>,
    ) -> Result<Self, IdentityError> {
        let value = value.into();
        let value = match identifier {
            Identifier::PhoneNo => phone_no(value)?,
            _ => non_empty(identifier.name(), value)?,
        };
        let slots = Arc::make_mut(&mut self.0);
        *slots.slot_mut(identifier) = Some(value);
        slots.rekey();
        Ok(self)
    }

    /// The value of `identifier`, if the identity has it.
    pub fn get(&self, identifier: Identifier) -> Option<&str> {
        let slots = &*self.0;
        match identifier {
            Identifier::ExternalId => slots.external_id.as_deref(),
            Identifier::PhoneNo => slots.phone_no.as_deref(),
            Identifier::Email => slots.email.as_deref(),
            Identifier::KakaoUserId => slots.kakao_user_id.as_deref(),
            Identifier::LineUserId => slots.line_user_id.as_deref(),
        }
    }

    /// The identifiers it has, in the order of the wire body's keys.
    #[cfg(feature = "client")]
    pub(crate) fn present(&self) -> impl Iterator<Item = &str> {
        Identifier::ALL.into_iter().filter_map(|i| self.get(i))
    }

    /// A hash of the identifiers under a key chosen at random once per process (so that
    /// callers cannot pick identities that collide), made with the identity and shared by its
    /// clones: what a tracker's worker keys its users by, without hashing the identity of
    /// every message again.
    #[cfg(feature = "tracker")]
    pub(crate) fn key(&self) -> u64 {
        self.0.key.0
    }
}

impl Slots {
    /// Makes [`Slots::key`] again, after a change of the identifiers.
    fn rekey(&mut self) {
        static KEYS: OnceLock<std::hash::RandomState> = OnceLock::new();
        use std::hash::BuildHasher;
        let mut state = KEYS.get_or_init(std::hash::RandomState::new).build_hasher();
        for slot in [
            &self.external_id,
            &self.phone_no,
            &self.email,
            &self.kakao_user_id,
            &self.line_user_id,
        ] {
            match slot {
                // Each identifier's text, then a byte UTF-8 never holds: two different
                // identities never make the same run.
                Some(text) => {
                    state.write(text.as_bytes());
                    state.write_u8(0xff);
                }
                None => state.write_u8(0xfe),
            }
        }
        self.key = Key(state.finish());
    }

    fn slot_mut(&mut self, identifier: Identifier) -> &mut Option<String> {
        match identifier {
            Identifier::ExternalId => &mut self.external_id,
            Identifier::PhoneNo => &mut self.phone_no,
            Identifier::Email => &mut self.email,
            Identifier::KakaoUserId => &mut self.kakao_user_id,
            Identifier::LineUserId => &mut self.line_user_id,
        }
    }
}

impl From<ExternalId> for Identity {
    /// An identity with only the external id.
    fn from(id: ExternalId) -> Self {
        let mut identity = empty();
        let slots = Arc::make_mut(&mut identity.0);
        slots.external_id = Some(id.into_string());
        slots.rekey();
        identity
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
        // The fields in the order of `Identifier::ALL`, each checked by `Identity::with`.
        let values = [
            raw.external_id,
            raw.phone_no,
            raw.email,
            raw.kakao_user_id,
            raw.line_user_id,
        ];
        let mut identity = empty();
        for (identifier, value) in Identifier::ALL.into_iter().zip(values) {
            if let Some(value) = value {
                identity = identity.with(identifier, value)?;
            }
        }
        if identity == empty() {
            Err(IdentityError::NoIdentifier)
        } else {
            Ok(identity)
        }
    }
}

/// Deserialises an identity the spool stored (a queued message or a dead letter): the checks
/// of [`Deserialize`], except that a `phone_no` of 8 to 15 digits starting with 0 is taken.
/// Versions before [`IdentityError::PhoneNoWithoutCountryCode`] accepted and spooled such a
/// number; refusing it on reading would set the message aside undelivered, and make
/// [`Spool::dead_letters`](crate::tracker::Spool::dead_letters) fail for every letter.
#[cfg(feature = "tracker")]
pub(crate) fn deserialize_stored<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Identity, D::Error> {
    let mut raw = Unchecked::deserialize(deserializer)?;
    let national = raw.phone_no.take_if(|phone| {
        phone.starts_with('0')
            && (8..=15).contains(&phone.len())
            && phone.bytes().all(|b| b.is_ascii_digit())
    });
    let mut identity = match Identity::try_from(raw) {
        Err(IdentityError::NoIdentifier) if national.is_some() => empty(),
        checked => checked.map_err(serde::de::Error::custom)?,
    };
    if national.is_some() {
        let slots = Arc::make_mut(&mut identity.0);
        slots.phone_no = national;
        slots.rekey();
    }
    Ok(identity)
}

impl<'de> Deserialize<'de> for Identity {
    /// Deserialises with the same checks as the constructors: at least one identifier, none
    /// empty, a valid `phone_no`, no unknown key.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Identity::try_from(Unchecked::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}
