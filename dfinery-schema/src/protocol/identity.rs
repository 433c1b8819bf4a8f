//! The five identifiers of an `identity` object (`docs/protocol.md` §3.1).

use std::fmt;

/// One of the five identifiers an `identity` object may hold (`docs/protocol.md` §3.1); every
/// Import call names its user by at least one of them.
///
/// ```
/// use dfinery_schema::protocol::Identifier;
///
/// assert_eq!(Identifier::PhoneNo.name(), "phone_no");
/// assert_eq!(Identifier::from_name("kakao_user_id"), Some(Identifier::KakaoUserId));
/// assert_eq!(Identifier::from_name("unified_id"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Identifier {
    /// `external_id`: your own, stable user id (the one the delete call and the exports use).
    ExternalId,
    /// `phone_no`: country code and national number, digits only, no `+` (`821012345678`).
    PhoneNo,
    /// `email`: an e-mail address.
    Email,
    /// `kakao_user_id`: a Kakao user id.
    KakaoUserId,
    /// `line_user_id`: a LINE user id.
    LineUserId,
}

impl Identifier {
    /// Every identifier, in the order DFINERY's docs list them (the order of an identity's keys
    /// on the wire).
    pub const ALL: [Identifier; 5] = [
        Identifier::ExternalId,
        Identifier::PhoneNo,
        Identifier::Email,
        Identifier::KakaoUserId,
        Identifier::LineUserId,
    ];

    /// The key in an `identity` object, e.g. `external_id`.
    pub const fn name(self) -> &'static str {
        match self {
            Identifier::ExternalId => "external_id",
            Identifier::PhoneNo => "phone_no",
            Identifier::Email => "email",
            Identifier::KakaoUserId => "kakao_user_id",
            Identifier::LineUserId => "line_user_id",
        }
    }

    /// The identifier whose key is `name` (exactly; keys are case-sensitive), if any.
    pub fn from_name(name: &str) -> Option<Identifier> {
        Identifier::ALL.into_iter().find(|i| i.name() == name)
    }
}

impl fmt::Display for Identifier {
    /// The key, e.g. `external_id`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_identifier_round_trips_through_its_name() {
        for identifier in Identifier::ALL {
            assert_eq!(Identifier::from_name(identifier.name()), Some(identifier));
            assert_eq!(identifier.to_string(), identifier.name());
        }
        assert_eq!(Identifier::from_name("External_Id"), None);
        assert_eq!(Identifier::from_name("anonymous_id"), None);
    }
}
