//! Building answers: the Import JSON envelope, the Export failure body, scripted responses, and
//! the rate-limit headers every DFINERY answer carries.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::limiter::Snapshot;
use crate::model::ServerViolation;
use crate::{ExportFailure, ImportCode, ScriptedResponse};

/// The most violations a refusal lists; the rest are summed up in one last `truncated` entry.
pub(crate) const MAX_LISTED_VIOLATIONS: usize = 100;
/// The longest `path` or `expected` text of a listed violation, in bytes; a longer one (a
/// megabyte-long property name echoed back, say) is cut and says how much was cut.
pub(crate) const MAX_VIOLATION_TEXT: usize = 1_024;

/// The violations of a refusal as they are answered and kept: at most
/// [`MAX_LISTED_VIOLATIONS`], then one `truncated` violation saying how many more were found;
/// each text at most [`MAX_VIOLATION_TEXT`] bytes. `omitted` counts violations found but
/// not kept (see `validate::Violations`). A 16 MB body of unknown properties would
/// otherwise be answered (and kept, 1,000 times over) as hundreds of megabytes of violations.
pub(crate) fn bounded(
    mut violations: Vec<ServerViolation>,
    omitted: usize,
) -> Vec<ServerViolation> {
    let more = violations
        .len()
        .saturating_sub(MAX_LISTED_VIOLATIONS)
        .saturating_add(omitted);
    violations.truncate(MAX_LISTED_VIOLATIONS);
    for violation in &mut violations {
        cut(&mut violation.path);
        cut(&mut violation.expected);
    }
    if more > 0 {
        violations.push(ServerViolation::new(
            "$",
            "truncated",
            format!(
                "{more} more violations not listed (only the first {MAX_LISTED_VIOLATIONS} are); \
                 fix these and send the request again to see the rest"
            ),
        ));
    }
    violations
}

/// Cuts `text` to [`MAX_VIOLATION_TEXT`] bytes (on a character boundary), saying how many
/// bytes were cut.
fn cut(text: &mut String) {
    if text.len() <= MAX_VIOLATION_TEXT {
        return;
    }
    let end = text.floor_char_boundary(MAX_VIOLATION_TEXT);
    let cut = text.len() - end;
    text.truncate(end);
    text.push_str(&format!("… ({cut} more bytes not shown)"));
}

/// The violations of a refused request, put in the answer's extensions for the inspector: those
/// listed ([bounded]) and how many were found, listed or not.
#[derive(Debug, Clone)]
pub(crate) struct Violations {
    pub(crate) listed: Vec<ServerViolation>,
    pub(crate) found: usize,
}

/// Put in the extensions of an Import request a sink answered
/// ([`EmulatorBuilder::sink`](crate::EmulatorBuilder::sink)): the events it counted, for the
/// inspector, which records such a request without reading its body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sunk(pub(crate) u64);

/// Put in the extensions of an Export failure answered after the gate admitted the request and
/// its body was read (a refused parameter, date range or audience): the rate window counted it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyRead;

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

/// A failure envelope whose `data` lists the violations (or is `null` when there are none);
/// `found` counts them all, listed or not.
pub(crate) fn import_failure(
    code: ImportCode,
    violations: &[ServerViolation],
    found: usize,
    limits: Option<Snapshot>,
) -> Response {
    let data = if violations.is_empty() {
        Value::Null
    } else {
        serde_json::to_value(violations).unwrap_or(Value::Null)
    };
    let mut response = import(code, code.status(), data, limits);
    if !violations.is_empty() {
        response.extensions_mut().insert(Violations {
            listed: violations.to_vec(),
            found,
        });
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
    if let Some(status) = entry.status()
        && !ScriptedResponse::STATUSES.contains(&status)
    {
        // Only `push_script` lets one through; `start` and `set_faults` refuse it.
        let mut response = Response::new(Body::from(format!(
            "the emulator's fault script asked for HTTP status {status}, which is not an HTTP status; push entries with a status from 100 to 599\n"
        )));
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        limits.write(response.headers_mut());
        return Some(response);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_lists_the_first_violations_and_cuts_long_texts() {
        let many: Vec<ServerViolation> = (0..MAX_LISTED_VIOLATIONS + 7)
            .map(|i| ServerViolation::new(format!("p{i}"), "type", "a Long"))
            .collect();
        let listed = bounded(many, 3);
        assert_eq!(listed.len(), MAX_LISTED_VIOLATIONS + 1);
        let last = listed.last().unwrap();
        assert_eq!((last.path.as_str(), last.rule.as_str()), ("$", "truncated"));
        assert!(
            last.expected.starts_with("10 more violations"),
            "{}",
            last.expected
        );

        let name = "é".repeat(MAX_VIOLATION_TEXT);
        let long = bounded(
            vec![ServerViolation::new(&name, "unknown_property", &name)],
            0,
        );
        assert_eq!(long.len(), 1);
        for text in [&long[0].path, &long[0].expected] {
            assert!(text.len() < MAX_VIOLATION_TEXT + 64, "{} bytes", text.len());
            assert!(
                text.ends_with(&format!(
                    "… ({} more bytes not shown)",
                    name.len() - MAX_VIOLATION_TEXT
                )),
                "{text}"
            );
        }
        let few = vec![ServerViolation::new("a", "type", "b")];
        assert_eq!(bounded(few.clone(), 0), few);
    }
}
