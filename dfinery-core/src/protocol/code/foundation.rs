//! `ResultCode` and `ExportErrorCode`: every documented code, both directions.

use dfinery_core::wire::{Endpoint, TokenKind};
use dfinery_core::{ExportErrorCode, ExportFailure, ImportCode, ResultCode};

#[test]
fn every_import_code_maps_both_ways() {
    let table = [
        (ResultCode::Documented(ImportCode::Ok), "20000", "OK", false),
        (
            ResultCode::Documented(ImportCode::BadRequest),
            "40000",
            "BAD_REQUEST",
            false,
        ),
        (
            ResultCode::Documented(ImportCode::ValidationFailure),
            "40001",
            "VALIDATION_FAILURE",
            false,
        ),
        (
            ResultCode::Documented(ImportCode::InvalidServiceId),
            "40101",
            "INVALID_SERVICE_ID",
            false,
        ),
        (
            ResultCode::Documented(ImportCode::InvalidToken),
            "40201",
            "INVALID_TOKEN",
            false,
        ),
        (
            ResultCode::Documented(ImportCode::TooManyRequest),
            "40401",
            "TOO_MANY_REQUEST",
            true,
        ),
        (
            ResultCode::Documented(ImportCode::TooManyEvents),
            "40402",
            "TOO_MANY_EVENTS",
            false,
        ),
        (
            ResultCode::Documented(ImportCode::TooManyUserProfiles),
            "40403",
            "TOO_MANY_USER_PROFILES",
            false,
        ),
        (
            ResultCode::Documented(ImportCode::InternalServerError),
            "50000",
            "INTERNAL_SERVER_ERROR",
            true,
        ),
    ];
    assert_eq!(
        table.len(),
        ImportCode::ALL.map(ResultCode::Documented).len()
    );
    for ((code, digits, symbol, retryable), documented) in table
        .into_iter()
        .zip(ImportCode::ALL.map(ResultCode::Documented))
    {
        assert_eq!(code, documented);
        assert_eq!(ResultCode::from_code(digits), code);
        assert_eq!(code.as_code(), digits);
        assert_eq!(code.symbol(), symbol);
        assert_eq!(code.is_retryable(), retryable, "{code}");
        assert_eq!(code.is_success(), digits == "20000");
        assert_eq!(code.to_string(), format!("{digits} {symbol}"));
        assert!(!code.meaning().is_empty());
    }
}

#[test]
fn unknown_import_codes_are_kept() {
    let code = ResultCode::from_code("49999");
    assert_eq!(code, ResultCode::Unknown("49999".into()));
    assert_eq!(code.as_code(), "49999");
    assert_eq!(code.symbol(), "UNKNOWN");
    assert!(!code.is_success());
    assert!(!code.is_retryable());
    assert_eq!(code.to_string(), "49999");
    assert_eq!(
        ResultCode::from_code(" 20000"),
        ResultCode::Unknown(" 20000".into())
    );
}

#[test]
fn every_export_error_maps_both_ways() {
    let table = [
        (
            ExportErrorCode::Documented(ExportFailure::ClientConnectionClosed),
            "client_connection_closed",
            200,
            true,
        ),
        (
            ExportErrorCode::Documented(ExportFailure::InvalidParameter),
            "invalid_parameter",
            400,
            false,
        ),
        (
            ExportErrorCode::Documented(ExportFailure::ExceedDateRangeLimit),
            "exceed_date_range_limit",
            400,
            false,
        ),
        (
            ExportErrorCode::Documented(ExportFailure::UnauthorizedToken),
            "unauthorized_token",
            401,
            false,
        ),
        (
            ExportErrorCode::Documented(ExportFailure::TooManyApiRequests),
            "too_many_api_requests",
            429,
            true,
        ),
        (
            ExportErrorCode::Documented(ExportFailure::UnknownError),
            "unknown_error",
            500,
            true,
        ),
        (
            ExportErrorCode::Documented(ExportFailure::QueryError),
            "query_error",
            500,
            true,
        ),
    ];
    for ((code, message, status, retryable), documented) in table
        .into_iter()
        .zip(ExportFailure::ALL.map(ExportErrorCode::Documented))
    {
        assert_eq!(code, documented);
        assert_eq!(ExportErrorCode::from_message(message), code);
        assert_eq!(code.as_str(), message);
        assert_eq!(code.to_string(), message);
        assert_eq!(code.http_status(), Some(status));
        assert_eq!(code.is_retryable(), retryable, "{code}");
    }
    let unknown = ExportErrorCode::from_message("disk_full");
    assert_eq!(unknown, ExportErrorCode::Unknown("disk_full".into()));
    assert_eq!(unknown.http_status(), None);
    assert!(!unknown.is_retryable());
    assert_eq!(unknown.as_str(), "disk_full");
}

#[test]
fn endpoints_have_their_documented_paths_and_tokens() {
    let paths: Vec<&str> = Endpoint::ALL.iter().map(|e| e.path()).collect();
    assert_eq!(
        paths,
        [
            "/api/v1/events",
            "/api/v1/identities",
            "/api/v1/identities/delete",
            "/api/v1/user-profile",
            "/api/v1/export/event",
            "/api/v1/export/userprofile",
        ]
    );
    for endpoint in Endpoint::ALL {
        assert_eq!(Endpoint::from_path(endpoint.path()), Some(endpoint));
        let export = endpoint.path().contains("/export/");
        assert_eq!(
            endpoint.token(),
            if export {
                TokenKind::Export
            } else {
                TokenKind::Import
            }
        );
    }
    assert_eq!(Endpoint::from_path("/api/v1/event"), None);
    assert_eq!(Endpoint::Events.to_string(), "POST /api/v1/events");
}
