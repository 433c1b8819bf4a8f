//! [`ExportErrorCode`]: the Export API's error messages.

use std::fmt;

use dfinery_schema::protocol::ExportFailure;

/// An error of the Export API: the `message` of `{"result":"fail","message":"…"}`
/// (`docs/protocol.md` §6.2): one of DFINERY's documented failures ([`ExportFailure`], whose
/// table gives each its HTTP status and meaning) or a message the documentation does not list.
///
/// Each documented failure is also a constant named as in that table
/// (`ExportErrorCode::TooManyApiRequests`, …), usable in patterns.
///
/// ```
/// use dfinery_core::{ExportErrorCode, ExportFailure};
///
/// let code = ExportErrorCode::from_message("too_many_api_requests");
/// assert_eq!(code, ExportErrorCode::TooManyApiRequests);
/// assert_eq!(code, ExportErrorCode::Documented(ExportFailure::TooManyApiRequests));
/// assert_eq!(code.http_status(), Some(429));
/// assert!(code.is_retryable());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExportErrorCode {
    /// A failure DFINERY documents.
    Documented(ExportFailure),
    /// A message the documentation does not list, kept as received.
    Unknown(String),
}

// The constants read like the variants of DFINERY's table, which is what they stand for.
#[allow(non_upper_case_globals)]
impl ExportErrorCode {
    /// `client_connection_closed` (HTTP 200): the client connection was closed.
    pub const ClientConnectionClosed: ExportErrorCode =
        ExportErrorCode::Documented(ExportFailure::ClientConnectionClosed);
    /// `invalid_parameter` (HTTP 400): a parameter is missing, invalid or malformed.
    pub const InvalidParameter: ExportErrorCode =
        ExportErrorCode::Documented(ExportFailure::InvalidParameter);
    /// `exceed_date_range_limit` (HTTP 400): `from_date` is outside the 30-day look-back.
    pub const ExceedDateRangeLimit: ExportErrorCode =
        ExportErrorCode::Documented(ExportFailure::ExceedDateRangeLimit);
    /// `unauthorized_token` (HTTP 401): the export token is wrong.
    pub const UnauthorizedToken: ExportErrorCode =
        ExportErrorCode::Documented(ExportFailure::UnauthorizedToken);
    /// `too_many_api_requests` (HTTP 429): the export rate limit is exceeded.
    pub const TooManyApiRequests: ExportErrorCode =
        ExportErrorCode::Documented(ExportFailure::TooManyApiRequests);
    /// `unknown_error` (HTTP 500): an unexpected server error.
    pub const UnknownError: ExportErrorCode =
        ExportErrorCode::Documented(ExportFailure::UnknownError);
    /// `query_error` (HTTP 500): the database query failed.
    pub const QueryError: ExportErrorCode = ExportErrorCode::Documented(ExportFailure::QueryError);
}

impl ExportErrorCode {
    /// Every documented code (without [`ExportErrorCode::Unknown`]), in the order of §6.2
    /// ([`ExportFailure::ALL`]).
    pub const DOCUMENTED: [ExportErrorCode; 7] = [
        ExportErrorCode::ClientConnectionClosed,
        ExportErrorCode::InvalidParameter,
        ExportErrorCode::ExceedDateRangeLimit,
        ExportErrorCode::UnauthorizedToken,
        ExportErrorCode::TooManyApiRequests,
        ExportErrorCode::UnknownError,
        ExportErrorCode::QueryError,
    ];

    /// The code for the body's `message`; an undocumented one is [`ExportErrorCode::Unknown`].
    pub fn from_message(message: &str) -> ExportErrorCode {
        ExportFailure::from_message(message).map_or_else(
            || ExportErrorCode::Unknown(message.to_owned()),
            ExportErrorCode::Documented,
        )
    }

    /// The documented failure, `None` for [`ExportErrorCode::Unknown`].
    fn documented(&self) -> Option<ExportFailure> {
        match self {
            ExportErrorCode::Documented(failure) => Some(*failure),
            ExportErrorCode::Unknown(_) => None,
        }
    }

    /// The wire message, e.g. `unauthorized_token`.
    pub fn as_str(&self) -> &str {
        match self {
            ExportErrorCode::Documented(failure) => failure.message(),
            ExportErrorCode::Unknown(message) => message,
        }
    }

    /// The HTTP status DFINERY documents for this error; `None` for an unknown one.
    pub fn http_status(&self) -> Option<u16> {
        self.documented().map(ExportFailure::status)
    }

    /// What the error means, in lower case.
    pub fn meaning(&self) -> &'static str {
        self.documented()
            .map_or("undocumented export error", ExportFailure::meaning)
    }

    /// Whether the same request can succeed later: `client_connection_closed`,
    /// `too_many_api_requests` (after the reset), `unknown_error` and `query_error`. Never
    /// `invalid_parameter`, `exceed_date_range_limit` or `unauthorized_token`, nor an unknown
    /// message.
    pub fn is_retryable(&self) -> bool {
        matches!(
            *self,
            ExportErrorCode::ClientConnectionClosed
                | ExportErrorCode::TooManyApiRequests
                | ExportErrorCode::UnknownError
                | ExportErrorCode::QueryError
        )
    }
}

impl From<ExportFailure> for ExportErrorCode {
    fn from(failure: ExportFailure) -> ExportErrorCode {
        ExportErrorCode::Documented(failure)
    }
}

impl fmt::Display for ExportErrorCode {
    /// The wire message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
