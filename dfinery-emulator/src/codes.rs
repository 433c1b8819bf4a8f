//! The result codes the emulator answers with: the Import API's detailed codes
//! (`docs/protocol.md` §6.1) and the Export API's failure messages (§6.2).

use std::fmt;

/// A detailed response code of the Import API (`code` and `message` of the JSON envelope).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ImportCode {
    /// `20000 OK`: the request succeeded.
    Ok,
    /// `40000 BAD_REQUEST`: the body is not JSON, has the wrong shape, or `service_id` is missing.
    BadRequest,
    /// `40001 VALIDATION_FAILURE`: a value broke a registry or format rule.
    ValidationFailure,
    /// `40101 INVALID_SERVICE_ID`: `service_id` names another service.
    InvalidServiceId,
    /// `40201 INVALID_TOKEN`: the `access_token` header is missing or wrong.
    InvalidToken,
    /// `40401 TOO_MANY_REQUEST`: the API's rate limit is used up.
    TooManyRequest,
    /// `40402 TOO_MANY_EVENTS`: more than 100 events in one request.
    TooManyEvents,
    /// `40403 TOO_MANY_USER_PROFILES`: more than one profile in one request.
    TooManyUserProfiles,
    /// `50000 INTERNAL_SERVER_ERROR`: only ever injected by a fault.
    InternalServerError,
}

impl ImportCode {
    /// Every code, in the order of `docs/protocol.md` §6.1.
    pub const ALL: [ImportCode; 9] = [
        ImportCode::Ok,
        ImportCode::BadRequest,
        ImportCode::ValidationFailure,
        ImportCode::InvalidServiceId,
        ImportCode::InvalidToken,
        ImportCode::TooManyRequest,
        ImportCode::TooManyEvents,
        ImportCode::TooManyUserProfiles,
        ImportCode::InternalServerError,
    ];

    /// The five-digit code as sent in the envelope, e.g. `"40001"`.
    pub const fn code(self) -> &'static str {
        match self {
            ImportCode::Ok => "20000",
            ImportCode::BadRequest => "40000",
            ImportCode::ValidationFailure => "40001",
            ImportCode::InvalidServiceId => "40101",
            ImportCode::InvalidToken => "40201",
            ImportCode::TooManyRequest => "40401",
            ImportCode::TooManyEvents => "40402",
            ImportCode::TooManyUserProfiles => "40403",
            ImportCode::InternalServerError => "50000",
        }
    }

    /// The symbolic message sent beside the code, e.g. `"VALIDATION_FAILURE"`.
    pub const fn message(self) -> &'static str {
        match self {
            ImportCode::Ok => "OK",
            ImportCode::BadRequest => "BAD_REQUEST",
            ImportCode::ValidationFailure => "VALIDATION_FAILURE",
            ImportCode::InvalidServiceId => "INVALID_SERVICE_ID",
            ImportCode::InvalidToken => "INVALID_TOKEN",
            ImportCode::TooManyRequest => "TOO_MANY_REQUEST",
            ImportCode::TooManyEvents => "TOO_MANY_EVENTS",
            ImportCode::TooManyUserProfiles => "TOO_MANY_USER_PROFILES",
            ImportCode::InternalServerError => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The HTTP status the emulator sends with this code (`docs/design.md`): 400 for `40000`,
    /// 429 for `40401` (unless configured to 200), 500 for `50000`, 200 otherwise.
    pub const fn status(self) -> u16 {
        match self {
            ImportCode::BadRequest => 400,
            ImportCode::TooManyRequest => 429,
            ImportCode::InternalServerError => 500,
            _ => 200,
        }
    }

    /// Looks a code up by its five digits, e.g. `"40402"`.
    pub fn from_code(code: &str) -> Option<ImportCode> {
        ImportCode::ALL.into_iter().find(|c| c.code() == code)
    }
}

impl fmt::Display for ImportCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code(), self.message())
    }
}

/// A failure of the Export API, answered as JSON `{"result":"fail","message":…}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExportFailure {
    /// HTTP 200 `client_connection_closed`: only ever injected by a fault.
    ClientConnectionClosed,
    /// HTTP 400 `invalid_parameter`: a parameter is missing, invalid or malformed.
    InvalidParameter,
    /// HTTP 400 `exceed_date_range_limit`: `from_date` is before the 30-day look-back.
    ExceedDateRangeLimit,
    /// HTTP 401 `unauthorized_token`: the bearer token is missing or wrong.
    UnauthorizedToken,
    /// HTTP 429 `too_many_api_requests`: the hourly count or the concurrency limit is used up.
    TooManyApiRequests,
    /// HTTP 500 `unknown_error`: only ever injected by a fault.
    UnknownError,
    /// HTTP 500 `query_error`: only ever injected by a fault.
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

    /// Looks a failure up by its message, e.g. `"query_error"`.
    pub fn from_message(message: &str) -> Option<ExportFailure> {
        ExportFailure::ALL
            .into_iter()
            .find(|f| f.message() == message)
    }
}

impl fmt::Display for ExportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status(), self.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_codes_round_trip_and_are_distinct() {
        for code in ImportCode::ALL {
            assert_eq!(ImportCode::from_code(code.code()), Some(code));
        }
        assert_eq!(ImportCode::from_code("40404"), None);
        assert_eq!(
            ImportCode::TooManyEvents.to_string(),
            "40402 TOO_MANY_EVENTS"
        );
    }

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
