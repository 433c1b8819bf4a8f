//! [`ResultCode`]: the Import API's detailed result codes.

use std::fmt;

use dfinery_schema::protocol::ImportCode;

/// A detailed result code of the Import API (`docs/protocol.md` §6.1), carried as the `code`
/// string of the JSON envelope.
///
/// ```
/// use dfinery_core::ResultCode;
///
/// let code = ResultCode::from_code("40001");
/// assert_eq!(code, ResultCode::ValidationFailure);
/// assert_eq!(code.symbol(), "VALIDATION_FAILURE");
/// assert!(!code.is_retryable());
/// assert_eq!(code.to_string(), "40001 VALIDATION_FAILURE");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ResultCode {
    /// `20000 OK`: the request succeeded.
    Ok,
    /// `40000 BAD_REQUEST`: an invalid request (malformed JSON, wrong shape).
    BadRequest,
    /// `40001 VALIDATION_FAILURE`: a value, name or type failed validation.
    ValidationFailure,
    /// `40101 INVALID_SERVICE_ID`: the `service_id` is unknown.
    InvalidServiceId,
    /// `40201 INVALID_TOKEN`: the `access_token` is wrong.
    InvalidToken,
    /// `40401 TOO_MANY_REQUEST`: the rate limit is exceeded.
    TooManyRequest,
    /// `40402 TOO_MANY_EVENTS`: more than 100 events in one request.
    TooManyEvents,
    /// `40403 TOO_MANY_USER_PROFILES`: too many user profiles in one request.
    TooManyUserProfiles,
    /// `50000 INTERNAL_SERVER_ERROR`: the server failed.
    InternalServerError,
    /// A code the documentation does not list, kept as received.
    Unknown(String),
}

impl ResultCode {
    /// Every documented code (without [`ResultCode::Unknown`]), in the order of §6.1.
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
        ImportCode::from_code(code)
            .map_or_else(|| ResultCode::Unknown(code.to_owned()), ResultCode::from)
    }

    /// The documented code in DFINERY's table (`dfinery_schema::protocol`), `None` for
    /// [`ResultCode::Unknown`].
    fn documented(&self) -> Option<ImportCode> {
        Some(match self {
            ResultCode::Ok => ImportCode::Ok,
            ResultCode::BadRequest => ImportCode::BadRequest,
            ResultCode::ValidationFailure => ImportCode::ValidationFailure,
            ResultCode::InvalidServiceId => ImportCode::InvalidServiceId,
            ResultCode::InvalidToken => ImportCode::InvalidToken,
            ResultCode::TooManyRequest => ImportCode::TooManyRequest,
            ResultCode::TooManyEvents => ImportCode::TooManyEvents,
            ResultCode::TooManyUserProfiles => ImportCode::TooManyUserProfiles,
            ResultCode::InternalServerError => ImportCode::InternalServerError,
            ResultCode::Unknown(_) => return None,
        })
    }

    /// The five-digit code, e.g. `40001`.
    pub fn as_code(&self) -> &str {
        match self {
            ResultCode::Unknown(code) => code,
            known => known.documented().map_or("", ImportCode::code),
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
            self,
            ResultCode::TooManyRequest | ResultCode::InternalServerError
        )
    }
}

impl From<ImportCode> for ResultCode {
    fn from(code: ImportCode) -> ResultCode {
        match code {
            ImportCode::Ok => ResultCode::Ok,
            ImportCode::BadRequest => ResultCode::BadRequest,
            ImportCode::ValidationFailure => ResultCode::ValidationFailure,
            ImportCode::InvalidServiceId => ResultCode::InvalidServiceId,
            ImportCode::InvalidToken => ResultCode::InvalidToken,
            ImportCode::TooManyRequest => ResultCode::TooManyRequest,
            ImportCode::TooManyEvents => ResultCode::TooManyEvents,
            ImportCode::TooManyUserProfiles => ResultCode::TooManyUserProfiles,
            ImportCode::InternalServerError => ResultCode::InternalServerError,
            other => ResultCode::Unknown(other.code().to_owned()),
        }
    }
}

impl fmt::Display for ResultCode {
    /// `40001 VALIDATION_FAILURE`; an unknown code alone.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResultCode::Unknown(code) => write!(f, "{code}"),
            known => write!(f, "{} {}", known.as_code(), known.symbol()),
        }
    }
}
