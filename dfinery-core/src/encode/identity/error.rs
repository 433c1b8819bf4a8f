//! [`IdentityError`]: why an identifier is not accepted.

/// Why an identifier or an identity is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// An identifier that is empty or only white space.
    #[error("`{field}` is empty; give a non-empty value or leave the identifier out")]
    Empty {
        /// The identifier's wire name, e.g. `external_id`.
        field: &'static str,
    },
    /// A `phone_no` that is not 8 to 15 digits.
    #[error(
        "`{}` is not a valid `phone_no`; write the country code and the number as 8 to 15 digits, without `+`, spaces or dashes, e.g. `821012345678`",
        dfinery_schema::names::shown(found)
    )]
    PhoneNo {
        /// The value that was given.
        found: String,
    },
    /// A `phone_no` of digits that starts with `0`: a national number (`01012345678`) without
    /// its country code, since no country code starts with 0.
    #[error(
        "`{}` starts with 0, so it has no country code; write the country code first and drop the national 0, e.g. `821012345678` for `010-1234-5678`",
        dfinery_schema::names::shown(found)
    )]
    PhoneNoWithoutCountryCode {
        /// The value that was given.
        found: String,
    },
    /// An identity with none of the five identifiers.
    #[error(
        "the identity has no identifier; give at least one of `external_id`, `phone_no`, `email`, `kakao_user_id`, `line_user_id`"
    )]
    NoIdentifier,
}
