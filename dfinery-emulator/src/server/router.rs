//! The routes: the six DFINERY endpoints and, when enabled, `/_emulator/…`.

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};

use super::app::App;
use super::{import, inspect};
use crate::export;
use crate::inspector::http as inspector;

/// The emulator's router over `app`.
pub(crate) fn router(app: Arc<App>) -> Router {
    let mut router = Router::new()
        .route("/api/v1/events", post(import::events))
        .route("/api/v1/identities", post(import::identities))
        .route("/api/v1/identities/delete", post(import::delete_identity))
        .route("/api/v1/user-profile", post(import::user_profile))
        .route("/api/v1/export/event", post(export::events))
        .route("/api/v1/export/userprofile", post(export::profiles));
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
    }
    if app.settings.inspection_http {
        router = router
            .route("/_emulator/events", get(inspect::events))
            .route("/_emulator/profiles", get(inspect::profiles))
            .route("/_emulator/stats", get(inspect::stats))
            .route("/_emulator/rejections", get(inspect::rejections))
            .route("/_emulator/reset", post(inspect::reset));
    }
    router.with_state(app)
}
