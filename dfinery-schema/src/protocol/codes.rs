//! The Import API's detailed result codes (`docs/protocol.md` §6.1): code, symbol, meaning and
//! the HTTP status DFINERY usually answers with.

use std::fmt;

/// A detailed response code of the Import API (`code` and `message` of the JSON envelope).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ImportCode {
    /// `20000 OK`: the request succeeded.
    Ok,
    /// `40000 BAD_REQUEST`: an invalid request (malformed JSON, wrong shape, no `service_id`).
    BadRequest,
    /// `40001 VALIDATION_FAILURE`: a value, name or type failed validation.
    ValidationFailure,
    /// `40101 INVALID_SERVICE_ID`: the `service_id` is unknown.
    InvalidServiceId,
    /// `40201 INVALID_TOKEN`: the `access_token` is missing or wrong.
    InvalidToken,
    /// `40401 TOO_MANY_REQUEST`: the rate limit is exceeded.
    TooManyRequest,
    /// `40402 TOO_MANY_EVENTS`: more than 100 events in one request.
    TooManyEvents,
    /// `40403 TOO_MANY_USER_PROFILES`: too many user profiles in one request.
    TooManyUserProfiles,
    /// `50000 INTERNAL_SERVER_ERROR`: the server failed.
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

    /// The symbol sent as the envelope's `message` beside the code, e.g.
    /// `"VALIDATION_FAILURE"`.
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

    /// The HTTP status DFINERY usually answers with (`docs/design.md`, "HTTP status of
    /// failures"): 400 for `40000`, 429 for `40401`, 500 for `50000`, 200 otherwise. The docs
    /// list 200 for every code, so a client must accept any of them with any code.
    pub const fn status(self) -> u16 {
        match self {
            ImportCode::BadRequest => 400,
            ImportCode::TooManyRequest => 429,
            ImportCode::InternalServerError => 500,
            _ => 200,
        }
    }

    /// What the code means, in lower case, e.g. `validation failed`.
    pub const fn meaning(self) -> &'static str {
        match self {
            ImportCode::Ok => "request succeeded",
            ImportCode::BadRequest => "invalid request",
            ImportCode::ValidationFailure => "validation failed",
            ImportCode::InvalidServiceId => "invalid service id",
            ImportCode::InvalidToken => "invalid token provided",
            ImportCode::TooManyRequest => "api usage limit exceeded",
            ImportCode::TooManyEvents => "more than 100 events in the request",
            ImportCode::TooManyUserProfiles => "too many user profiles in one request",
            ImportCode::InternalServerError => "internal server error",
        }
    }

    /// Looks a code up by its five digits, e.g. `"40402"`; `None` for an undocumented one.
    pub fn from_code(code: &str) -> Option<ImportCode> {
        ImportCode::ALL.into_iter().find(|c| c.code() == code)
    }
}

impl fmt::Display for ImportCode {
    /// `40001 VALIDATION_FAILURE`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code(), self.message())
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
}
