//! The Export API's failure messages (`docs/protocol.md` §6.2): the `message` of
//! `{"result":"fail","message":…}`, its documented HTTP status and meaning.

use std::fmt;

/// A failure of the Export API, answered as JSON `{"result":"fail","message":…}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExportFailure {
    /// HTTP 200 `client_connection_closed`: the client connection was closed while streaming.
    ClientConnectionClosed,
    /// HTTP 400 `invalid_parameter`: a parameter is missing, invalid or malformed.
    InvalidParameter,
    /// HTTP 400 `exceed_date_range_limit`: `from_date` is before the 30-day look-back.
    ExceedDateRangeLimit,
    /// HTTP 401 `unauthorized_token`: the export token is missing or wrong.
    UnauthorizedToken,
    /// HTTP 429 `too_many_api_requests`: the export rate limit or concurrency is exceeded.
    TooManyApiRequests,
    /// HTTP 500 `unknown_error`: an unexpected server error.
    UnknownError,
    /// HTTP 500 `query_error`: the database query failed.
    QueryError,
}

impl ExportFailure {
    /// Every failure, in the order of `docs/protocol.md` §6.2.
    pub const ALL: [ExportFailure; 7] = [
        ExportFailure::ClientConnectionClosed,
        ExportFailure::InvalidParameter,
        ExportFailure::ExceedDateRangeLimit,
        ExportFailure::UnauthorizedToken,
        ExportFailure::TooManyApiRequests,
        ExportFailure::UnknownError,
        ExportFailure::QueryError,
    ];

    /// The `message` of the failure body, e.g. `"invalid_parameter"`.
    pub const fn message(self) -> &'static str {
        match self {
            ExportFailure::ClientConnectionClosed => "client_connection_closed",
            ExportFailure::InvalidParameter => "invalid_parameter",
            ExportFailure::ExceedDateRangeLimit => "exceed_date_range_limit",
            ExportFailure::UnauthorizedToken => "unauthorized_token",
            ExportFailure::TooManyApiRequests => "too_many_api_requests",
            ExportFailure::UnknownError => "unknown_error",
            ExportFailure::QueryError => "query_error",
        }
    }

    /// The documented HTTP status of the failure.
    pub const fn status(self) -> u16 {
        match self {
            ExportFailure::ClientConnectionClosed => 200,
            ExportFailure::InvalidParameter | ExportFailure::ExceedDateRangeLimit => 400,
            ExportFailure::UnauthorizedToken => 401,
            ExportFailure::TooManyApiRequests => 429,
            ExportFailure::UnknownError | ExportFailure::QueryError => 500,
        }
    }

    /// What the failure means, in lower case.
    pub const fn meaning(self) -> &'static str {
        match self {
            ExportFailure::ClientConnectionClosed => "the client connection was closed",
            ExportFailure::InvalidParameter => {
                "a request parameter is missing, invalid or malformed"
            }
            ExportFailure::ExceedDateRangeLimit => "the start date is outside the 30-day look-back",
            ExportFailure::UnauthorizedToken => "invalid export token",
            ExportFailure::TooManyApiRequests => "api call limit exceeded",
            ExportFailure::UnknownError => "unexpected internal error",
            ExportFailure::QueryError => "the database query failed",
        }
    }

    /// Looks a failure up by its message, e.g. `"query_error"`; `None` for an undocumented one.
    pub fn from_message(message: &str) -> Option<ExportFailure> {
        ExportFailure::ALL
            .into_iter()
            .find(|f| f.message() == message)
    }
}

impl fmt::Display for ExportFailure {
    /// `429 too_many_api_requests`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status(), self.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_failures_round_trip_with_documented_statuses() {
        for failure in ExportFailure::ALL {
            assert_eq!(
                ExportFailure::from_message(failure.message()),
                Some(failure)
            );
        }
        let statuses: Vec<u16> = ExportFailure::ALL.iter().map(|f| f.status()).collect();
        assert_eq!(statuses, [200, 400, 400, 401, 429, 500, 500]);
    }
}
