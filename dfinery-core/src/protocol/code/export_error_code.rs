//! [`ExportErrorCode`]: the Export API's error messages.

use std::fmt;

use dfinery_schema::protocol::ExportFailure;

/// An error of the Export API: the `message` of `{"result":"fail","message":"…"}`
/// (`docs/protocol.md` §6.2): one of DFINERY's documented failures ([`ExportFailure`], whose
/// table gives each its HTTP status and meaning) or a message the documentation does not list.
///
/// A failed export carries one. A documented failure is named by its variant,
/// `ExportErrorCode::Documented(ExportFailure::X)`, which also serves in patterns;
/// [`ExportFailure::ALL`] lists them all, and [`ExportFailure`] gives each its message, HTTP
/// status and meaning. Whether the export is worth running again is the error's
/// `is_retryable`, which reads the code.
///
/// ```
/// use dfinery_core::{ExportErrorCode, ExportFailure};
///
/// let code = ExportErrorCode::Documented(ExportFailure::TooManyApiRequests);
/// assert_eq!(code.to_string(), "too_many_api_requests");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExportErrorCode {
    /// A failure DFINERY documents.
    Documented(ExportFailure),
    /// A message the documentation does not list, kept as received.
    Unknown(String),
}

impl ExportErrorCode {
    /// The code for the body's `message`; an undocumented one is [`ExportErrorCode::Unknown`].
    pub(crate) fn from_message(message: &str) -> ExportErrorCode {
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

    /// The wire message, e.g. `unauthorized_token`, as received (for the tests; messages
    /// show an unknown one cut short).
    #[cfg(test)]
    pub(crate) fn as_str(&self) -> &str {
        match self {
            ExportErrorCode::Documented(failure) => failure.message(),
            ExportErrorCode::Unknown(message) => message,
        }
    }

    /// The HTTP status DFINERY documents for this error; `None` for an unknown one.
    #[cfg(test)]
    pub(crate) fn http_status(&self) -> Option<u16> {
        self.documented().map(ExportFailure::status)
    }

    /// What the error means, in lower case.
    pub(crate) fn meaning(&self) -> &'static str {
        self.documented()
            .map_or("undocumented export error", ExportFailure::meaning)
    }

    /// Whether the same request can succeed later: `client_connection_closed`,
    /// `too_many_api_requests` (after the reset), `unknown_error` and `query_error`. Never
    /// `invalid_parameter`, `exceed_date_range_limit` or `unauthorized_token`, nor an unknown
    /// message.
    pub(crate) fn is_retryable(&self) -> bool {
        matches!(
            *self,
            ExportErrorCode::Documented(ExportFailure::ClientConnectionClosed)
                | ExportErrorCode::Documented(ExportFailure::TooManyApiRequests)
                | ExportErrorCode::Documented(ExportFailure::UnknownError)
                | ExportErrorCode::Documented(ExportFailure::QueryError)
        )
    }
}

impl From<ExportFailure> for ExportErrorCode {
    fn from(failure: ExportFailure) -> ExportErrorCode {
        ExportErrorCode::Documented(failure)
    }
}

impl fmt::Display for ExportErrorCode {
    /// The wire message; an undocumented one cut short and escaped (see `write_unknown`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportErrorCode::Documented(failure) => f.write_str(failure.message()),
            ExportErrorCode::Unknown(message) => super::write_unknown(message, f),
        }
    }
}
