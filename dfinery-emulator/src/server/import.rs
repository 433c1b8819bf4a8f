//! The four Import endpoints: gate, body, validation, then the change to the store.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::response::Response;
use serde_json::Value;

use super::app::App;
use super::body::{count_events, read_json};
use super::gate::{Family, admit};
use super::limiter::Snapshot;
use super::response;
use crate::model::Rejection;
use crate::state::Counters;
use crate::validate::{self, EventRules, Failure};
use crate::{Api, ImportCode};

/// `POST /api/v1/events`.
pub(crate) async fn events(State(app): State<Arc<App>>, request: Request) -> Response {
    handle(app, Api::Event, request, |app, body| {
        let rules = EventRules {
            item_limit: app.settings.item_limit,
        };
        let batch = validate::check_events(&app.settings.registry, body, rules)?;
        let stored = app.store().store_events(
            &batch.identity,
            batch.events,
            app.clock.now(),
            App::new_unified_id,
        );
        Counters::add(&app.counters.accepted, stored.accepted);
        Counters::add(&app.counters.duplicates, stored.duplicates);
        Ok(())
    })
    .await
}

/// `POST /api/v1/identities`.
pub(crate) async fn identities(State(app): State<Arc<App>>, request: Request) -> Response {
    handle(app, Api::Identity, request, |app, body| {
        let request = validate::check_identity(body)?;
        app.store()
            .profiles
            .upsert(&request.identity, App::new_unified_id);
        Ok(())
    })
    .await
}

/// `POST /api/v1/identities/delete`.
pub(crate) async fn delete_identity(State(app): State<Arc<App>>, request: Request) -> Response {
    handle(app, Api::Identity, request, |app, body| {
        let request = validate::check_delete(body)?;
        app.store().profiles.delete(&request.external_id);
        Ok(())
    })
    .await
}

/// `POST /api/v1/user-profile`.
pub(crate) async fn user_profile(State(app): State<Arc<App>>, request: Request) -> Response {
    handle(app, Api::Profile, request, |app, body| {
        let request = validate::check_profile(&app.settings.registry, body)?;
        let mut store = app.store();
        let profile = store
            .profiles
            .upsert(&request.identity, App::new_unified_id);
        store
            .profiles
            .set_properties(&profile, &request.properties, request.written_at);
        Ok(())
    })
    .await
}

/// The shared pipeline: gate, JSON body, then `apply` (validate and store).
async fn handle(
    app: Arc<App>,
    api: Api,
    request: Request,
    apply: impl FnOnce(&App, &Value) -> Result<(), Failure>,
) -> Response {
    let (parts, body) = request.into_parts();
    let admitted = match admit(&app, api, Family::Import, &parts).await {
        Ok(admitted) => admitted,
        Err(answer) => return answer,
    };
    if app.settings.sink {
        return match count_events(&parts.headers, body, api == Api::Event).await {
            Ok(events) => {
                // Only an `/events` body holds events; an `events` array elsewhere is not one.
                if api == Api::Event {
                    Counters::add(&app.counters.sunk, events);
                }
                let mut answer = response::import_ok(admitted.limits);
                answer
                    .extensions_mut()
                    .insert(response::Sunk(if api == Api::Event { events } else { 0 }));
                answer
            }
            Err(violation) => refuse(
                &app,
                &parts,
                admitted.limits,
                Failure::bad_request(violation),
                0,
            ),
        };
    }
    let body = match read_json(&parts.headers, body).await {
        Ok(body) => body,
        Err(violation) => {
            return refuse(
                &app,
                &parts,
                admitted.limits,
                Failure::bad_request(violation),
                0,
            );
        }
    };
    match apply(&app, &body) {
        Ok(()) => response::import_ok(admitted.limits),
        Err(failure) => {
            // `rejected` counts the events of requests refused for what they hold (`40001`,
            // `40402`), not of a body refused for its shape (`40000`, as a body that is not
            // JSON at all, which counts none).
            let counted = matches!(
                failure.code,
                ImportCode::ValidationFailure | ImportCode::TooManyEvents
            );
            let events = match (api, body.get("events")) {
                (Api::Event, Some(Value::Array(events))) if counted => events.len() as u64,
                _ => 0,
            };
            refuse(&app, &parts, admitted.limits, failure, events)
        }
    }
}

/// Answers a refused body, counting its events as rejected and keeping it for inspection; the
/// violations listed are [bounded](response::bounded).
fn refuse(app: &App, parts: &Parts, limits: Snapshot, failure: Failure, events: u64) -> Response {
    Counters::add(&app.counters.rejected, events);
    let found = failure.violations.len().saturating_add(failure.omitted);
    let violations = response::bounded(failure.violations, failure.omitted);
    let answer = response::import_failure(failure.code, &violations, found, Some(limits));
    app.store().reject(Rejection {
        endpoint: parts.uri.path().to_owned(),
        code: failure.code.code().to_owned(),
        violations,
    });
    answer
}
