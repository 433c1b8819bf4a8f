//! [`ExportErrorCode`]: the Export API's error messages.

use std::fmt;

use dfinery_schema::protocol::ExportFailure;

/// An error of the Export API: the `message` of `{"result":"fail","message":"…"}`
/// (`docs/protocol.md` §6.2).
///
/// ```
/// use dfinery_core::ExportErrorCode;
///
/// let code = ExportErrorCode::from_message("too_many_api_requests");
/// assert_eq!(code, ExportErrorCode::TooManyApiRequests);
/// assert_eq!(code.http_status(), Some(429));
/// assert!(code.is_retryable());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExportErrorCode {
    /// `client_connection_closed` (HTTP 200): the client connection was closed.
    ClientConnectionClosed,
    /// `invalid_parameter` (HTTP 400): a parameter is missing, invalid or malformed.
    InvalidParameter,
    /// `exceed_date_range_limit` (HTTP 400): `from_date` is outside the 30-day look-back.
    ExceedDateRangeLimit,
    /// `unauthorized_token` (HTTP 401): the export token is wrong.
    UnauthorizedToken,
    /// `too_many_api_requests` (HTTP 429): the export rate limit is exceeded.
    TooManyApiRequests,
    /// `unknown_error` (HTTP 500): an unexpected server error.
    UnknownError,
    /// `query_error` (HTTP 500): the database query failed.
    QueryError,
    /// A message the documentation does not list, kept as received.
    Unknown(String),
}

impl ExportErrorCode {
    /// Every documented code (without [`ExportErrorCode::Unknown`]), in the order of §6.2.
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
            ExportErrorCode::from,
        )
    }

    /// The documented failure in DFINERY's table (`dfinery_schema::protocol`), `None` for
    /// [`ExportErrorCode::Unknown`].
    fn documented(&self) -> Option<ExportFailure> {
        Some(match self {
            ExportErrorCode::ClientConnectionClosed => ExportFailure::ClientConnectionClosed,
            ExportErrorCode::InvalidParameter => ExportFailure::InvalidParameter,
            ExportErrorCode::ExceedDateRangeLimit => ExportFailure::ExceedDateRangeLimit,
            ExportErrorCode::UnauthorizedToken => ExportFailure::UnauthorizedToken,
            ExportErrorCode::TooManyApiRequests => ExportFailure::TooManyApiRequests,
            ExportErrorCode::UnknownError => ExportFailure::UnknownError,
            ExportErrorCode::QueryError => ExportFailure::QueryError,
            ExportErrorCode::Unknown(_) => return None,
        })
    }

    /// The wire message, e.g. `unauthorized_token`.
    pub fn as_str(&self) -> &str {
        match self {
            ExportErrorCode::Unknown(message) => message,
            known => known.documented().map_or("", ExportFailure::message),
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
            self,
            ExportErrorCode::ClientConnectionClosed
                | ExportErrorCode::TooManyApiRequests
                | ExportErrorCode::UnknownError
                | ExportErrorCode::QueryError
        )
    }
}

impl From<ExportFailure> for ExportErrorCode {
    fn from(failure: ExportFailure) -> ExportErrorCode {
        match failure {
            ExportFailure::ClientConnectionClosed => ExportErrorCode::ClientConnectionClosed,
            ExportFailure::InvalidParameter => ExportErrorCode::InvalidParameter,
            ExportFailure::ExceedDateRangeLimit => ExportErrorCode::ExceedDateRangeLimit,
            ExportFailure::UnauthorizedToken => ExportErrorCode::UnauthorizedToken,
            ExportFailure::TooManyApiRequests => ExportErrorCode::TooManyApiRequests,
            ExportFailure::UnknownError => ExportErrorCode::UnknownError,
            ExportFailure::QueryError => ExportErrorCode::QueryError,
            other => ExportErrorCode::Unknown(other.message().to_owned()),
        }
    }
}

impl fmt::Display for ExportErrorCode {
    /// The wire message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
