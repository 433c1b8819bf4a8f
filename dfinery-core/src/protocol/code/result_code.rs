//! [`ResultCode`]: the Import API's detailed result codes.

use std::fmt;

use dfinery_schema::protocol::ImportCode;

/// A detailed result code of the Import API (`docs/protocol.md` §6.1), carried as the `code`
/// string of the JSON envelope: one of DFINERY's documented codes ([`ImportCode`], whose table
/// gives each its symbol and meaning) or a code the documentation does not list.
///
/// A failed import carries one (`Error::code`, feature `client`). A documented code is named
/// by its variant, `ResultCode::Documented(ImportCode::X)`, which also serves in patterns;
/// [`ImportCode::ALL`] lists them all, and [`ImportCode`] gives each its digits, symbol and
/// meaning. Whether the failed call is worth making again is the error's `is_retryable`, which
/// reads the code.
///
/// ```
/// use dfinery_core::{ImportCode, ResultCode};
///
/// let code = ResultCode::Documented(ImportCode::ValidationFailure);
/// assert_eq!(code.to_string(), "40001 VALIDATION_FAILURE");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ResultCode {
    /// A code DFINERY documents.
    Documented(ImportCode),
    /// A code the documentation does not list, kept as received.
    Unknown(String),
}

impl ResultCode {
    /// The code for the envelope's `code` string; an undocumented one is
    /// [`ResultCode::Unknown`].
    #[cfg(any(test, feature = "client"))]
    pub(crate) fn from_code(code: &str) -> ResultCode {
        ImportCode::from_code(code).map_or_else(
            || ResultCode::Unknown(code.to_owned()),
            ResultCode::Documented,
        )
    }

    /// The documented code, `None` for [`ResultCode::Unknown`].
    #[cfg(test)]
    fn documented(&self) -> Option<ImportCode> {
        match self {
            ResultCode::Documented(code) => Some(*code),
            ResultCode::Unknown(_) => None,
        }
    }

    /// The five-digit code, e.g. `40001`.
    #[cfg(test)]
    pub(crate) fn as_code(&self) -> &str {
        match self {
            ResultCode::Documented(code) => code.code(),
            ResultCode::Unknown(code) => code,
        }
    }

    /// The symbolic message, e.g. `VALIDATION_FAILURE`; `UNKNOWN` for an undocumented code.
    #[cfg(test)]
    pub(crate) fn symbol(&self) -> &'static str {
        self.documented().map_or("UNKNOWN", ImportCode::message)
    }

    /// What the code means, in lower case, e.g. `validation failed`.
    #[cfg(test)]
    pub(crate) fn meaning(&self) -> &'static str {
        self.documented()
            .map_or("undocumented result code", ImportCode::meaning)
    }

    /// Whether the request succeeded (`20000`).
    #[cfg(test)]
    pub(crate) fn is_success(&self) -> bool {
        *self == ResultCode::Documented(ImportCode::Ok)
    }

    /// Whether sending the same request again later can succeed: `40401` (rate limit) and
    /// `50000` (server error). Never `40000`, `40001`, `40101`, `40201`, `40402` or `40403`,
    /// which fail again the same way, nor an unknown code.
    #[cfg(test)]
    pub(crate) fn is_retryable(&self) -> bool {
        matches!(
            *self,
            ResultCode::Documented(ImportCode::TooManyRequest)
                | ResultCode::Documented(ImportCode::InternalServerError)
        )
    }
}

impl From<ImportCode> for ResultCode {
    fn from(code: ImportCode) -> ResultCode {
        ResultCode::Documented(code)
    }
}

impl fmt::Display for ResultCode {
    /// `40001 VALIDATION_FAILURE`; an unknown code alone.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResultCode::Documented(code) => code.fmt(f),
            ResultCode::Unknown(code) => super::write_unknown(code, f),
        }
    }
}
