//! The routes: the six DFINERY endpoints and, when enabled, `/_emulator/…`.

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};
use dfinery_schema::protocol::Endpoint;

use super::app::App;
use super::{import, inspect};
use crate::export;
use crate::inspector::http as inspector;

/// The emulator's router over `app`.
pub(crate) fn router(app: Arc<App>) -> Router {
    let mut router = Router::new()
        .route(Endpoint::Events.path(), post(import::events))
        .route(Endpoint::Identities.path(), post(import::identities))
        .route(
            Endpoint::DeleteIdentity.path(),
            post(import::delete_identity),
        )
        .route(Endpoint::UserProfile.path(), post(import::user_profile))
        .route(Endpoint::ExportEvent.path(), post(export::events))
        .route(Endpoint::ExportUserProfile.path(), post(export::profiles));
    if app.inspector.is_some() {
        router = router
            .route_layer(middleware::from_fn_with_state(
                app.clone(),
                inspector::observe,
            ))
            .route("/_emulator", get(inspector::to_page))
            .route("/_emulator/", get(inspector::page))
            .route("/_emulator/inspector.css", get(inspector::style))
            .route("/_emulator/inspector.js", get(inspector::script))
            .route("/_emulator/inspector/stream", get(inspector::stream))
            .route("/_emulator/inspector/registry", get(inspector::registry))
            .route("/_emulator/inspector/profiles", get(inspector::profiles));
    } else {
        // The page's own paths say how to turn it on, rather than an empty 404.
        for path in [
            "/_emulator",
            "/_emulator/",
            "/_emulator/inspector.css",
            "/_emulator/inspector.js",
            "/_emulator/inspector/{*rest}",
        ] {
            router = router.route(path, get(inspector::off));
        }
    }
    if app.settings.inspection_http {
        router = router
            .route("/_emulator/events", get(inspect::events))
            .route("/_emulator/profiles", get(inspect::profiles))
            .route("/_emulator/stats", get(inspect::stats))
            .route("/_emulator/rejections", get(inspect::rejections))
            .route("/_emulator/reset", post(inspect::reset));
    }
    router
        .layer(middleware::from_fn_with_state(app.clone(), date))
        .with_state(app)
}

/// Sets every answer's `Date` header from the emulator's clock (shifted when
/// [`clock_offset_ms`](crate::EmulatorBuilder::clock_offset_ms) is set), as DFINERY's own
/// servers date their answers by their own clock.
async fn date(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let mut response = next.run(request).await;
    if let Ok(value) = axum::http::HeaderValue::from_str(&app.clock.http_date()) {
        response
            .headers_mut()
            .insert(axum::http::header::DATE, value);
    }
    response
}
