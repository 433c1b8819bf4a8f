//! [`ResultCode`]: the Import API's detailed result codes.

use std::fmt;

use dfinery_schema::protocol::ImportCode;

/// A detailed result code of the Import API (`docs/protocol.md` §6.1), carried as the `code`
/// string of the JSON envelope: one of DFINERY's documented codes ([`ImportCode`], whose table
/// gives each its symbol and meaning) or a code the documentation does not list.
///
/// Each documented code is also a constant named as in that table (`ResultCode::Ok`,
/// `ResultCode::ValidationFailure`, …), usable in patterns.
///
/// ```
/// use dfinery_core::{ImportCode, ResultCode};
///
/// let code = ResultCode::from_code("40001");
/// assert_eq!(code, ResultCode::ValidationFailure);
/// assert_eq!(code, ResultCode::Documented(ImportCode::ValidationFailure));
/// assert_eq!(code.symbol(), "VALIDATION_FAILURE");
/// assert!(!code.is_retryable());
/// assert_eq!(code.to_string(), "40001 VALIDATION_FAILURE");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ResultCode {
    /// A code DFINERY documents.
    Documented(ImportCode),
    /// A code the documentation does not list, kept as received.
    Unknown(String),
}

// The constants read like the variants of DFINERY's table, which is what they stand for.
#[allow(non_upper_case_globals)]
impl ResultCode {
    /// `20000 OK`: the request succeeded.
    pub const Ok: ResultCode = ResultCode::Documented(ImportCode::Ok);
    /// `40000 BAD_REQUEST`: an invalid request (malformed JSON, wrong shape).
    pub const BadRequest: ResultCode = ResultCode::Documented(ImportCode::BadRequest);
    /// `40001 VALIDATION_FAILURE`: a value, name or type failed validation.
    pub const ValidationFailure: ResultCode = ResultCode::Documented(ImportCode::ValidationFailure);
    /// `40101 INVALID_SERVICE_ID`: the `service_id` is unknown.
    pub const InvalidServiceId: ResultCode = ResultCode::Documented(ImportCode::InvalidServiceId);
    /// `40201 INVALID_TOKEN`: the `access_token` is wrong.
    pub const InvalidToken: ResultCode = ResultCode::Documented(ImportCode::InvalidToken);
    /// `40401 TOO_MANY_REQUEST`: the rate limit is exceeded.
    pub const TooManyRequest: ResultCode = ResultCode::Documented(ImportCode::TooManyRequest);
    /// `40402 TOO_MANY_EVENTS`: more than 100 events in one request.
    pub const TooManyEvents: ResultCode = ResultCode::Documented(ImportCode::TooManyEvents);
    /// `40403 TOO_MANY_USER_PROFILES`: too many user profiles in one request.
    pub const TooManyUserProfiles: ResultCode =
        ResultCode::Documented(ImportCode::TooManyUserProfiles);
    /// `50000 INTERNAL_SERVER_ERROR`: the server failed.
    pub const InternalServerError: ResultCode =
        ResultCode::Documented(ImportCode::InternalServerError);
}

impl ResultCode {
    /// Every documented code (without [`ResultCode::Unknown`]), in the order of §6.1
    /// ([`ImportCode::ALL`]).
    pub const DOCUMENTED: [ResultCode; 9] = [
        ResultCode::Ok,
        ResultCode::BadRequest,
        ResultCode::ValidationFailure,
        ResultCode::InvalidServiceId,
        ResultCode::InvalidToken,
        ResultCode::TooManyRequest,
        ResultCode::TooManyEvents,
        ResultCode::TooManyUserProfiles,
        ResultCode::InternalServerError,
    ];

    /// The code for the envelope's `code` string; an undocumented one is
    /// [`ResultCode::Unknown`].
    pub fn from_code(code: &str) -> ResultCode {
        ImportCode::from_code(code).map_or_else(
            || ResultCode::Unknown(code.to_owned()),
            ResultCode::Documented,
        )
    }

    /// The documented code, `None` for [`ResultCode::Unknown`].
    fn documented(&self) -> Option<ImportCode> {
        match self {
            ResultCode::Documented(code) => Some(*code),
            ResultCode::Unknown(_) => None,
        }
    }

    /// The five-digit code, e.g. `40001`.
    pub fn as_code(&self) -> &str {
        match self {
            ResultCode::Documented(code) => code.code(),
            ResultCode::Unknown(code) => code,
        }
    }

    /// The symbolic message, e.g. `VALIDATION_FAILURE`; `UNKNOWN` for an undocumented code.
    pub fn symbol(&self) -> &'static str {
        self.documented().map_or("UNKNOWN", ImportCode::message)
    }

    /// What the code means, in lower case, e.g. `validation failed`.
    pub fn meaning(&self) -> &'static str {
        self.documented()
            .map_or("undocumented result code", ImportCode::meaning)
    }

    /// Whether the request succeeded (`20000`).
    pub fn is_success(&self) -> bool {
        *self == ResultCode::Ok
    }

    /// Whether sending the same request again later can succeed: `40401` (rate limit) and
    /// `50000` (server error). Never `40000`, `40001`, `40101`, `40201`, `40402` or `40403`,
    /// which fail again the same way, nor an unknown code.
    pub fn is_retryable(&self) -> bool {
        matches!(
            *self,
            ResultCode::TooManyRequest | ResultCode::InternalServerError
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
            ResultCode::Unknown(code) => f.write_str(code),
        }
    }
}
