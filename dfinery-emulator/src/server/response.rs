//! Building answers: the Import JSON envelope, the Export failure body, scripted responses, and
//! the rate-limit headers every DFINERY answer carries.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::limiter::Snapshot;
use crate::model::ServerViolation;
use crate::{ExportFailure, ImportCode, ScriptedResponse};

/// The violations of a refused request, put in the answer's extensions for the inspector.
#[derive(Debug, Clone)]
pub(crate) struct Violations(pub(crate) Vec<ServerViolation>);

/// An Import envelope `{"status","code","message","data"}` with `status` as the HTTP status.
pub(crate) fn import(
    code: ImportCode,
    status: u16,
    data: Value,
    limits: Option<Snapshot>,
) -> Response {
    let body = json!({
        "status": code == ImportCode::Ok,
        "code": code.code(),
        "message": code.message(),
        "data": data,
    });
    let mut response = json_response(status, &body, limits);
    response.extensions_mut().insert(code);
    response
}

/// The success envelope, `data: true`.
pub(crate) fn import_ok(limits: Snapshot) -> Response {
    import(ImportCode::Ok, 200, Value::Bool(true), Some(limits))
}

/// A failure envelope whose `data` lists the violations (or is `null` when there are none).
pub(crate) fn import_failure(
    code: ImportCode,
    violations: &[ServerViolation],
    limits: Option<Snapshot>,
) -> Response {
    let data = if violations.is_empty() {
        Value::Null
    } else {
        serde_json::to_value(violations).unwrap_or(Value::Null)
    };
    let mut response = import(code, code.status(), data, limits);
    if !violations.is_empty() {
        response
            .extensions_mut()
            .insert(Violations(violations.to_vec()));
    }
    response
}

/// An Export failure `{"result":"fail","message":…}` with its documented status.
pub(crate) fn export_failure(failure: ExportFailure, limits: Option<Snapshot>) -> Response {
    let body = json!({ "result": "fail", "message": failure.message() });
    let mut response = json_response(failure.status(), &body, limits);
    response.extensions_mut().insert(failure);
    response
}

/// A scripted `Json` or `Text` answer; `None` for the other script entries.
pub(crate) fn scripted(entry: &ScriptedResponse, limits: Snapshot) -> Option<Response> {
    match entry {
        ScriptedResponse::Json { status, body } => Some(json_response(*status, body, Some(limits))),
        ScriptedResponse::Text { status, body } => {
            let mut response = Response::new(Body::from(body.clone()));
            *response.status_mut() = status_code(*status);
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            limits.write(response.headers_mut());
            Some(response)
        }
        _ => None,
    }
}

/// A JSON body with `status` and, when known, the rate-limit headers.
pub(crate) fn json_response(status: u16, body: &Value, limits: Option<Snapshot>) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status_code(status);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(limits) = limits {
        limits.write(response.headers_mut());
    }
    response
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}
