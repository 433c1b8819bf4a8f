//! The checks every identifier goes through.

use super::IdentityError;

/// `value` itself unless it is empty or only white space.
pub(super) fn non_empty(field: &'static str, value: String) -> Result<String, IdentityError> {
    if value.trim().is_empty() {
        Err(IdentityError::Empty { field })
    } else {
        Ok(value)
    }
}

/// `value` itself when it is a phone number in DFINERY's form: the country code and the
/// national number as 8 to 15 ASCII digits, no `+` or separators (`docs/protocol.md` §3.1, e.g.
/// `821012345678`; 15 is the E.164 maximum).
pub(super) fn phone_no(value: String) -> Result<String, IdentityError> {
    let value = non_empty("phone_no", value)?;
    if (8..=15).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit()) {
        // No country code starts with 0 (ITU E.164): a number that does is written the
        // national way (`01012345678`), which DFINERY would store as a foreign number.
        if value.starts_with('0') {
            return Err(IdentityError::PhoneNoWithoutCountryCode { found: value });
        }
        Ok(value)
    } else {
        Err(IdentityError::PhoneNo { found: value })
    }
}
