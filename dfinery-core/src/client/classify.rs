//! [`classify`]: the one function that turns an answer (HTTP status, headers, body) into success
//! or an [`Error`] variant, for the Import envelope and the Export error body alike.

use bytes::Bytes;
use dfinery_schema::protocol::ServerViolation;
use reqwest::header::HeaderMap;
use serde_json::Value;

use super::error::{Error, ServerCode};
use crate::protocol::code::{ExportErrorCode, ExportFailure, ImportCode, ResultCode};
use crate::ratelimit::RateLimitSnapshot;
use crate::wire::{Endpoint, TokenKind};

/// What a body turned out to be.
enum Body {
    /// An Import envelope: its `code` and `data`.
    Import(ResultCode, Value),
    /// An Export error body: its `message`.
    Export(ExportErrorCode),
    /// Anything else (not JSON, or JSON of another shape), with the reason.
    Other(String),
}

/// Decides whether an answer is a success, and which [`Error`] it is otherwise.
///
/// Success is HTTP 2xx **and** code `20000` (`docs/protocol.md` §6.1); for the export endpoints,
/// a 2xx answer that is neither empty nor a JSON object or array (i.e. the CSV). Failures are read from the body's
/// code when there is one (the same code means the same variant whatever the status: `40401`
/// is a rate limit with HTTP 200 or 429), otherwise from the status:
///
/// | answer | variant |
/// |---|---|
/// | `40000`, `40001`, export `invalid_parameter` / `exceed_date_range_limit`, bare 400 | [`Error::Validation`] |
/// | `40201`, export `unauthorized_token`, bare 401/403 | [`Error::Auth`] |
/// | `40101` | [`Error::ServiceId`] |
/// | `40401`, export `too_many_api_requests`, bare 429 | [`Error::RateLimited`] |
/// | `40402`, `40403` | [`Error::TooManyEvents`] |
/// | `50000`, export `unknown_error` / `query_error` / `client_connection_closed`, bare 5xx, bare 408 (a proxy's request timeout) | [`Error::Server`] |
/// | a 2xx Import answer without a code (not the envelope); a 2xx export answer that is empty or JSON without a code or `message` | [`Error::Decode`] |
/// | an undocumented code or status; `20000` on an export | [`Error::Unexpected`] |
///
/// An undocumented code falls back to the status (a 503 with code `59999` is still a server
/// error); so does `20000` with a non-2xx status.
///
/// The `retry_after` of a rate limit or a server error is left `None` here: a `Retry-After`
/// date is read against the client's clock, which this function does not know, so the client
/// fills it in after classifying ([`Error::retry_after`]).
///
/// ```
/// use dfinery_core::{Error, __private::classify};
/// use dfinery_core::wire::Endpoint;
/// use reqwest::header::HeaderMap;
///
/// let ok = br#"{"status":true,"code":"20000","message":"OK","data":true}"#;
/// assert!(classify(Endpoint::Events, 200, &HeaderMap::new(), ok).is_ok());
///
/// let invalid = br#"{"status":false,"code":"40001","message":"VALIDATION_FAILURE","data":null}"#;
/// let error = classify(Endpoint::Events, 200, &HeaderMap::new(), invalid).unwrap_err();
/// assert!(matches!(error, Error::Validation { status: 200, .. }));
/// assert!(!error.is_retryable());
/// ```
pub fn classify(
    endpoint: Endpoint,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), Error> {
    let success_status = (200..300).contains(&status);
    let import = endpoint.token() == TokenKind::Import;
    if success_status && import && is_success_envelope(body) {
        return Ok(());
    }
    let raw = || Bytes::copy_from_slice(body);
    let rate_limit = || RateLimitSnapshot::from_headers(headers).map(Box::new);
    match read_body(body) {
        Body::Import(code, data) => {
            let server_code = Some(ServerCode::Import(code.clone()));
            match code {
                // An export succeeds with its CSV, never with the Import envelope.
                ResultCode::Documented(ImportCode::Ok) if success_status && import => Ok(()),
                ResultCode::Documented(ImportCode::BadRequest)
                | ResultCode::Documented(ImportCode::ValidationFailure) => Err(Error::Validation {
                    endpoint,
                    status,
                    code: server_code,
                    violations: violations(data),
                }),
                // Which client asked (and where its id came from) is the caller's to add.
                ResultCode::Documented(ImportCode::InvalidServiceId) => Err(Error::ServiceId {
                    endpoint,
                    status,
                    code: server_code,
                    given_by: None,
                }),
                ResultCode::Documented(ImportCode::InvalidToken) => Err(Error::Auth {
                    endpoint,
                    status,
                    code: server_code,
                    given_by: None,
                }),
                ResultCode::Documented(ImportCode::TooManyRequest) => Err(Error::RateLimited {
                    endpoint,
                    status,
                    code: server_code,
                    rate_limit: rate_limit(),
                    retry_after: None,
                }),
                ResultCode::Documented(ImportCode::TooManyEvents)
                | ResultCode::Documented(ImportCode::TooManyUserProfiles) => {
                    Err(Error::TooManyEvents {
                        endpoint,
                        status,
                        code: server_code,
                        base_url_given_by: None,
                    })
                }
                ResultCode::Documented(ImportCode::InternalServerError) => Err(Error::Server {
                    endpoint,
                    status,
                    code: server_code,
                    body: raw(),
                    retry_after: None,
                }),
                // `20000` with a failure status, an undocumented code, or one the table gained
                // after this classifier: the HTTP status decides.
                ResultCode::Documented(ImportCode::Ok)
                | ResultCode::Documented(_)
                | ResultCode::Unknown(_) => {
                    Err(by_status(endpoint, status, server_code, headers, raw()))
                }
            }
        }
        Body::Export(code) => {
            let server_code = Some(ServerCode::Export(code.clone()));
            Err(match code {
                ExportErrorCode::Documented(ExportFailure::InvalidParameter)
                | ExportErrorCode::Documented(ExportFailure::ExceedDateRangeLimit) => {
                    Error::Validation {
                        endpoint,
                        status,
                        code: server_code,
                        violations: Vec::new(),
                    }
                }
                ExportErrorCode::Documented(ExportFailure::UnauthorizedToken) => Error::Auth {
                    endpoint,
                    status,
                    code: server_code,
                    given_by: None,
                },
                ExportErrorCode::Documented(ExportFailure::TooManyApiRequests) => {
                    Error::RateLimited {
                        endpoint,
                        status,
                        code: server_code,
                        rate_limit: rate_limit(),
                        retry_after: None,
                    }
                }
                ExportErrorCode::Documented(ExportFailure::ClientConnectionClosed)
                | ExportErrorCode::Documented(ExportFailure::UnknownError)
                | ExportErrorCode::Documented(ExportFailure::QueryError) => Error::Server {
                    endpoint,
                    status,
                    code: server_code,
                    body: raw(),
                    retry_after: None,
                },
                ExportErrorCode::Documented(_) | ExportErrorCode::Unknown(_) => {
                    by_status(endpoint, status, server_code, headers, raw())
                }
            })
        }
        Body::Other(reason) if success_status => match endpoint.token() {
            // The export's success body is the CSV itself: anything but JSON (or nothing).
            TokenKind::Export if !is_json_or_empty(body) => Ok(()),
            TokenKind::Export | TokenKind::Import => Err(Error::Decode {
                endpoint,
                status,
                reason,
                body: raw(),
            }),
        },
        Body::Other(_) => Err(by_status(endpoint, status, None, headers, raw())),
    }
}

/// The variant for a failure known only by its status (no code, or an undocumented one).
fn by_status(
    endpoint: Endpoint,
    status: u16,
    code: Option<ServerCode>,
    headers: &HeaderMap,
    body: Bytes,
) -> Error {
    match status {
        400 => Error::Validation {
            endpoint,
            status,
            code,
            violations: Vec::new(),
        },
        401 | 403 => Error::Auth {
            endpoint,
            status,
            code,
            given_by: None,
        },
        429 => Error::RateLimited {
            endpoint,
            status,
            code,
            rate_limit: RateLimitSnapshot::from_headers(headers).map(Box::new),
            retry_after: None,
        },
        // A proxy's `408 Request Timeout`: the request did not reach DFINERY whole, so it
        // was not processed, and sending it again is safe.
        408 | 500..=599 => Error::Server {
            endpoint,
            status,
            code,
            body,
            retry_after: None,
        },
        _ => Error::Unexpected {
            endpoint,
            status,
            code,
            body,
            base_url_given_by: None,
        },
    }
}

/// Reads a body as the Import envelope (an object with a `code`) or the Export error body (an
/// object with `result` and `message`).
fn read_body(body: &[u8]) -> Body {
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(error) if body.iter().all(u8::is_ascii_whitespace) => {
            let _ = error;
            return Body::Other("the body is empty".to_owned());
        }
        Err(error) => return Body::Other(format!("the body is not JSON ({error})")),
    };
    let Value::Object(mut map) = value else {
        return Body::Other("the body is not a JSON object".to_owned());
    };
    let code = match map.get("code") {
        Some(Value::String(code)) => Some(code.clone()),
        Some(Value::Number(code)) => Some(code.to_string()),
        _ => None,
    };
    if let Some(code) = code {
        let data = map.remove("data").unwrap_or(Value::Null);
        return Body::Import(ResultCode::from_code(&code), data);
    }
    match (map.get("result"), map.get("message")) {
        (Some(_), Some(Value::String(message))) => {
            Body::Export(ExportErrorCode::from_message(message))
        }
        _ => Body::Other(
            "the body has neither the envelope's `code` nor the export error's `message`"
                .to_owned(),
        ),
    }
}

/// The Import envelope's `code`, borrowed from the body (the other members are skipped).
#[derive(serde::Deserialize)]
struct EnvelopeCode<'a> {
    code: &'a str,
}

/// Whether `body` is an envelope whose code is `20000`, read without building a `Value`: the
/// answer to nearly every request, recognised without an allocation. Anything else (a code
/// written as a number or with escapes, a repeated key, not an object, not JSON) says `false`
/// and goes through [`read_body`], which decides as before.
fn is_success_envelope(body: &[u8]) -> bool {
    // A derived struct also reads a JSON array (`["20000"]`); the envelope is an object.
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
        && serde_json::from_slice::<EnvelopeCode<'_>>(body)
            .is_ok_and(|envelope| ImportCode::from_code(envelope.code) == Some(ImportCode::Ok))
}

/// Whether `body` is empty or a JSON object or array: no export's CSV, which starts with its
/// header row of column names.
fn is_json_or_empty(body: &[u8]) -> bool {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        None => true,
        Some(b'{' | b'[') => serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok(),
        Some(_) => false,
    }
}

/// The violations listed in `data`, when it is a list of `{path, rule, expected}` objects.
fn violations(data: Value) -> Vec<ServerViolation> {
    serde_json::from_value(data).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use serde_json::json;

    fn envelope(code: &str, data: Value) -> Vec<u8> {
        let message = ResultCode::from_code(code).symbol();
        serde_json::to_vec(
            &json!({"status": code == "20000", "code": code, "message": message, "data": data}),
        )
        .unwrap()
    }

    fn export_body(message: &str) -> Vec<u8> {
        serde_json::to_vec(&json!({"result": "fail", "message": message})).unwrap()
    }

    fn import(status: u16, body: &[u8]) -> Result<(), Error> {
        classify(Endpoint::Events, status, &HeaderMap::new(), body)
    }

    fn export(status: u16, body: &[u8]) -> Result<(), Error> {
        classify(Endpoint::ExportEvent, status, &HeaderMap::new(), body)
    }

    fn import_code(error: &Error) -> Option<ResultCode> {
        match error.code() {
            Some(ServerCode::Import(code)) => Some(code.clone()),
            _ => None,
        }
    }

    #[test]
    fn the_success_fast_path_agrees_with_the_full_reading() {
        let bodies: [&[u8]; 10] = [
            br#"{"status":true,"code":"20000","message":"OK","data":true}"#,
            br#"  {"data":{"nested":[1,{"code":"40001"}]},"code":"20000"}"#,
            br#"{"status":true,"code":20000,"message":"OK"}"#,
            br#"{"code":"20000"}"#,
            br#"{"code":"40001","code":"20000"}"#,
            br#"{"code":"20000","code":"40001"}"#,
            br#"["20000"]"#,
            br#"{"code":"20000"} trailing"#,
            br#"{"code":"40001","message":"VALIDATION_FAILURE","data":null}"#,
            br#"{"status":true,"message":"OK"}"#,
        ];
        for body in bodies {
            let full = match read_body(body) {
                Body::Import(code, _) => code == ResultCode::Documented(ImportCode::Ok),
                Body::Export(_) | Body::Other(_) => false,
            };
            let text = String::from_utf8_lossy(body);
            // The fast path may say no where the full reading says yes (it then decides),
            // never yes where it says no.
            assert!(!is_success_envelope(body) || full, "{text}");
            assert_eq!(import(200, body).is_ok(), full, "{text}");
        }
        // The common answer takes the fast path.
        assert!(is_success_envelope(bodies[0]));
        assert!(is_success_envelope(bodies[1]));
    }

    #[test]
    fn ok_needs_a_2xx_status_and_code_20000() {
        assert!(import(200, &envelope("20000", json!(true))).is_ok());
        assert!(import(201, &envelope("20000", json!(true))).is_ok());
        // 20000 with a failure status is not a success.
        let error = import(500, &envelope("20000", json!(true))).unwrap_err();
        assert!(
            matches!(error, Error::Server { status: 500, .. }),
            "{error:?}"
        );
        let error = import(404, &envelope("20000", json!(true))).unwrap_err();
        assert!(
            matches!(error, Error::Unexpected { status: 404, .. }),
            "{error:?}"
        );
    }

    #[test]
    fn status_200_with_validation_failure_is_an_error_with_the_violations() {
        let data = json!([{"path": "events[0].event_properties.df_price", "rule": "type",
            "expected": "a Double (JSON number), found a string"}]);
        let error = import(200, &envelope("40001", data)).unwrap_err();
        let Error::Validation {
            status: 200,
            violations,
            ..
        } = &error
        else {
            panic!("{error:?}");
        };
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].rule, "type");
        assert_eq!(
            import_code(&error),
            Some(ResultCode::Documented(ImportCode::ValidationFailure))
        );
        assert!(
            error
                .to_string()
                .contains("`events[0].event_properties.df_price`")
        );
        assert!(!error.is_retryable());
    }

    #[test]
    fn validation_failure_without_a_list_has_no_violations() {
        let error = import(200, &envelope("40001", Value::Null)).unwrap_err();
        assert!(matches!(&error, Error::Validation { violations, .. } if violations.is_empty()));
        let error = import(200, &envelope("40001", json!({"odd": "shape"}))).unwrap_err();
        assert!(matches!(&error, Error::Validation { violations, .. } if violations.is_empty()));
    }

    #[test]
    fn status_400_with_bad_request_is_validation() {
        let error = import(400, &envelope("40000", Value::Null)).unwrap_err();
        assert!(matches!(error, Error::Validation { status: 400, .. }));
        assert_eq!(
            import_code(&error),
            Some(ResultCode::Documented(ImportCode::BadRequest))
        );
    }

    #[test]
    fn invalid_service_id_and_token_are_not_retryable() {
        let error = import(200, &envelope("40101", Value::Null)).unwrap_err();
        assert!(matches!(error, Error::ServiceId { .. }));
        assert!(!error.is_retryable());
        let error = import(200, &envelope("40201", Value::Null)).unwrap_err();
        assert!(matches!(error, Error::Auth { .. }));
        assert!(!error.is_retryable());
        assert!(
            error.to_string().contains("`DFINERY_IMPORT_TOKEN`"),
            "{error}"
        );
    }

    #[test]
    fn too_many_request_is_a_rate_limit_with_429_or_200() {
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        headers.insert(
            "x-ratelimit-reset",
            HeaderValue::from_static("1682640000000"),
        );
        for status in [429, 200] {
            let error = classify(
                Endpoint::Events,
                status,
                &headers,
                &envelope("40401", Value::Null),
            )
            .unwrap_err();
            let Error::RateLimited { rate_limit, .. } = &error else {
                panic!("{error:?}");
            };
            assert_eq!(rate_limit.as_ref().unwrap().remaining, Some(0));
            assert!(error.is_retryable());
            assert!(
                error
                    .to_string()
                    .contains("resets at 2023-04-28T00:00:00.000Z"),
                "{error}"
            );
        }
    }

    #[test]
    fn a_bare_429_is_a_rate_limit() {
        let error = import(429, b"slow down").unwrap_err();
        assert!(matches!(error, Error::RateLimited { code: None, .. }));
    }

    #[test]
    fn a_proxys_request_timeout_is_a_retryable_server_error() {
        // A proxy answers 408 when the request did not reach it whole: never processed, so
        // safe to send again, on either API.
        let error = import(408, b"<html>Request Timeout</html>").unwrap_err();
        assert!(
            matches!(error, Error::Server { status: 408, .. }),
            "{error:?}"
        );
        assert!(error.is_retryable());
        let error = export(408, b"Request Timeout").unwrap_err();
        assert!(
            matches!(error, Error::Server { status: 408, .. }),
            "{error:?}"
        );
    }

    #[test]
    fn too_many_events_and_profiles() {
        let error = import(200, &envelope("40402", Value::Null)).unwrap_err();
        assert!(matches!(error, Error::TooManyEvents { .. }));
        assert!(!error.is_retryable());
        let error = import(200, &envelope("40403", Value::Null)).unwrap_err();
        assert!(matches!(error, Error::TooManyEvents { .. }));
    }

    #[test]
    fn server_errors_with_and_without_a_body_are_retryable() {
        let error = import(500, &envelope("50000", Value::Null)).unwrap_err();
        assert!(matches!(error, Error::Server { status: 500, .. }));
        assert_eq!(
            import_code(&error),
            Some(ResultCode::Documented(ImportCode::InternalServerError))
        );
        assert!(error.is_retryable());
        // 200 + 50000 is a server error too.
        assert!(matches!(
            import(200, &envelope("50000", Value::Null)).unwrap_err(),
            Error::Server { status: 200, .. }
        ));
        let error = import(500, b"").unwrap_err();
        assert!(matches!(error, Error::Server { code: None, .. }));
        assert!(error.is_retryable());
        let error = import(502, b"<html>bad gateway</html>").unwrap_err();
        let Error::Server { body, .. } = &error else {
            panic!("{error:?}")
        };
        assert_eq!(&body[..], b"<html>bad gateway</html>");
        assert!(error.to_string().contains("bad gateway"), "{error}");
    }

    #[test]
    fn a_2xx_import_answer_that_is_not_the_envelope_is_a_decode_error_keeping_the_body() {
        for body in [
            &b"<html>ok</html>"[..],
            b"",
            b"[1,2]",
            br#"{"status":true}"#,
        ] {
            let error = import(200, body).unwrap_err();
            let Error::Decode { body: kept, .. } = &error else {
                panic!("{error:?}")
            };
            assert_eq!(&kept[..], body);
            assert!(!error.is_retryable());
        }
    }

    #[test]
    fn the_decode_error_says_whether_the_body_was_empty_or_not_json() {
        let reason = |body: &[u8]| match import(200, body).unwrap_err() {
            Error::Decode { reason, .. } => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(reason(b""), "the body is empty");
        assert_eq!(reason(b" \r\n\t"), "the body is empty");
        assert!(
            reason(b"<html>ok</html>").starts_with("the body is not JSON ("),
            "{}",
            reason(b"<html>ok</html>")
        );
        assert_eq!(reason(b"[1,2]"), "the body is not a JSON object");
    }

    #[test]
    fn an_undocumented_code_falls_back_to_the_status() {
        let error = import(200, &envelope("49999", Value::Null)).unwrap_err();
        assert!(
            matches!(error, Error::Unexpected { status: 200, .. }),
            "{error:?}"
        );
        let error = import(503, &envelope("59999", Value::Null)).unwrap_err();
        assert!(matches!(error, Error::Server { .. }), "{error:?}");
        let error = import(418, &envelope("41800", Value::Null)).unwrap_err();
        assert!(
            matches!(error, Error::Unexpected { status: 418, .. }),
            "{error:?}"
        );
        assert_eq!(
            import_code(&error),
            Some(ResultCode::Unknown("41800".to_owned()))
        );
    }

    #[test]
    fn bare_statuses_without_a_body() {
        assert!(matches!(
            import(400, b"").unwrap_err(),
            Error::Validation { code: None, .. }
        ));
        assert!(matches!(import(401, b"").unwrap_err(), Error::Auth { .. }));
        assert!(matches!(import(403, b"").unwrap_err(), Error::Auth { .. }));
        assert!(matches!(
            import(404, b"not found").unwrap_err(),
            Error::Unexpected { status: 404, .. }
        ));
    }

    #[test]
    fn a_numeric_code_is_read_too() {
        let body = br#"{"status":false,"code":40001,"message":"VALIDATION_FAILURE"}"#;
        assert!(matches!(
            import(200, body).unwrap_err(),
            Error::Validation { .. }
        ));
    }

    #[test]
    fn export_errors_map_the_same_way() {
        type Check = fn(&Error) -> bool;
        let cases: [(u16, &str, Check); 7] = [
            (400, "invalid_parameter", |e| {
                matches!(e, Error::Validation { .. })
            }),
            (400, "exceed_date_range_limit", |e| {
                matches!(e, Error::Validation { .. })
            }),
            (401, "unauthorized_token", |e| {
                matches!(e, Error::Auth { .. })
            }),
            (429, "too_many_api_requests", |e| {
                matches!(e, Error::RateLimited { .. })
            }),
            (500, "unknown_error", |e| matches!(e, Error::Server { .. })),
            (500, "query_error", |e| matches!(e, Error::Server { .. })),
            (200, "client_connection_closed", |e| {
                matches!(e, Error::Server { .. })
            }),
        ];
        for (status, message, expected) in cases {
            let error = export(status, &export_body(message)).unwrap_err();
            assert!(expected(&error), "{message}: {error:?}");
            assert_eq!(
                error.code(),
                Some(&ServerCode::Export(ExportErrorCode::from_message(message)))
            );
            assert_eq!(
                error.is_retryable(),
                ExportErrorCode::from_message(message).is_retryable(),
                "{message}"
            );
        }
        let error = export(401, &export_body("unauthorized_token")).unwrap_err();
        assert!(
            error.to_string().contains("`DFINERY_EXPORT_TOKEN`"),
            "{error}"
        );
    }

    #[test]
    fn an_export_csv_is_a_success_and_unknown_messages_fall_back() {
        assert!(export(200, b"df_unified_id,event_name\n").is_ok());
        let error = export(500, &export_body("disk_on_fire")).unwrap_err();
        assert!(matches!(error, Error::Server { .. }));
        let error = export(502, b"<html>gateway</html>").unwrap_err();
        assert!(matches!(error, Error::Server { code: None, .. }));
    }
}
