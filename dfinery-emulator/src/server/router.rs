//! The routes: the six DFINERY endpoints and, when enabled, `/_emulator/…`.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::middleware;
use axum::response::Response;
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
        .method_not_allowed_fallback(wrong_method)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(app.clone(), local_only))
        .layer(middleware::from_fn_with_state(app.clone(), date))
        .with_state(app)
}

/// On an emulator bound to loopback, refuses a request to `/_emulator/…` (the stored events
/// and profiles, the live page, `reset`) that names another host (a page of another site whose
/// name was made to resolve to 127.0.0.1: DNS rebinding) or comes from another site's page (its
/// `Origin`): 403 and a line saying why. Bound to another address, the emulator was opened to
/// the network on purpose, and answers as it is asked.
async fn local_only(
    State(app): State<Arc<App>>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    if !app.settings.loopback || !request.uri().path().starts_with("/_emulator") {
        return next.run(request).await;
    }
    let headers = request.headers();
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok());
    let origin = headers
        .get(axum::http::header::ORIGIN)
        .and_then(|h| h.to_str().ok());
    let refused = match (host, origin) {
        (Some(host), _) if !loopback_authority(host) => {
            Some(format!("the request names the host `{}`", shown(host)))
        }
        (_, Some(origin)) if !loopback_origin(origin) => Some(format!(
            "the request comes from a page of `{}`",
            shown(origin)
        )),
        // A browser's request another site's page made without an `Origin` (an `<img>` of the
        // stream, which cannot read it but made the emulator copy every kept request for it).
        _ if headers
            .get("sec-fetch-site")
            .is_some_and(|site| site.as_bytes().eq_ignore_ascii_case(b"cross-site")) =>
        {
            Some("the request comes from another site's page".to_owned())
        }
        _ => None,
    };
    match refused {
        Some(why) => text(
            StatusCode::FORBIDDEN,
            format!(
                "{why}: the emulator's own `/_emulator/…` paths answer only its own machine \
                 (open them at http://127.0.0.1:<port>/ or http://localhost:<port>/), so that no \
                 other site's page can read or reset what it stores\n"
            ),
        ),
        None => next.run(request).await,
    }
}

/// Whether `authority` (`host[:port]`) names this machine: `localhost`, `*.localhost`, or a
/// loopback address.
fn loopback_authority(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        // `[::1]:8080`
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host),
    };
    let host = host.to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether an `Origin` (`scheme://host[:port]`, or `null`) is a page of this machine.
fn loopback_origin(origin: &str) -> bool {
    origin
        .split_once("://")
        .is_some_and(|(_, authority)| loopback_authority(authority))
}

/// The paths `/_emulator/…` serves when inspection is on.
const INSPECTION_PATHS: [&str; 5] = [
    "/_emulator/events",
    "/_emulator/profiles",
    "/_emulator/stats",
    "/_emulator/rejections",
    "/_emulator/reset",
];

/// The paths of the live page, when it is on.
const INSPECTOR_PATHS: [&str; 4] = [
    "/_emulator/",
    "/_emulator/inspector/stream",
    "/_emulator/inspector/registry",
    "/_emulator/inspector/profiles",
];

/// A known path asked with another method: 405 (with axum's `allow` header) and a line saying
/// which method it takes; on one of the six endpoints, with its `x-ratelimit-*` headers as
/// every answer there has (the request is not counted).
async fn wrong_method(State(app): State<Arc<App>>, method: Method, uri: Uri) -> Response {
    let mut response = wrong_method_text(&method, &uri);
    if let Some(endpoint) = Endpoint::from_path(uri.path()) {
        app.limiter(endpoint.api())
            .peek(app.clock.now_ms())
            .write(response.headers_mut());
    }
    response
}

fn wrong_method_text(method: &Method, uri: &Uri) -> Response {
    let path = uri.path();
    let takes = if Endpoint::from_path(path).is_some() || path == "/_emulator/reset" {
        "POST"
    } else {
        "GET"
    };
    let how = if Endpoint::from_path(path).is_some() {
        " with a JSON body, as every DFINERY endpoint does (docs/protocol.md §1.3)"
    } else {
        ""
    };
    text(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "`{method} {}` is not served: `{}` takes {takes}{how}\n",
            shown(path),
            shown(path)
        ),
    )
}

/// A path nothing serves: 404 and a line naming the endpoints (with the closest one).
async fn not_found(State(app): State<Arc<App>>, uri: Uri) -> Response {
    let path = uri.path();
    let endpoints = Endpoint::ALL.map(Endpoint::path);
    let message = if INSPECTION_PATHS.contains(&path) && !app.settings.inspection_http {
        format!(
            "`{}` is served only with inspection on: start the emulator with \
             `dfinery emulator --inspect`, or `.inspection_http(true)` on its builder\n",
            shown(path)
        )
    } else if path.starts_with("/_emulator/") && !app.settings.inspection_http {
        // Not one of the paths inspection serves: saying it would be served with inspection
        // on was wrong (a typo stays a 404 there too).
        let hint = dfinery_schema::suggest(path, INSPECTION_PATHS.iter().copied())
            .map_or_else(String::new, |close| format!(" (did you mean `{close}`?)"));
        format!(
            "no endpoint at `{}`{hint}; the emulator's own `/_emulator/…` paths are served only \
             with inspection on: start the emulator with `dfinery emulator --inspect`, or \
             `.inspection_http(true)` on its builder\n",
            shown(path)
        )
    } else {
        let mut known: Vec<&str> = endpoints.to_vec();
        let mut own = String::new();
        if app.settings.inspection_http {
            known.extend(INSPECTION_PATHS);
            own = format!(
                "; the emulator's own are GET {} and POST /_emulator/reset",
                INSPECTION_PATHS[..4].join(", ")
            );
        }
        if app.inspector.is_some() {
            known.extend(INSPECTOR_PATHS);
            own.push_str(&format!(
                ", and the inspector's GET {}",
                INSPECTOR_PATHS.join(", ")
            ));
        }
        let hint = dfinery_schema::suggest(path, known.iter().copied())
            .map_or_else(String::new, |close| format!(" (did you mean `{close}`?)"));
        format!(
            "no endpoint at `{}`{hint}; DFINERY's are POST {} (docs/protocol.md §1.5){own}\n",
            shown(path),
            endpoints.join(", ")
        )
    };
    text(StatusCode::NOT_FOUND, message)
}

/// A path as a message shows it: at most 256 bytes of it.
fn shown(path: &str) -> String {
    const MAX: usize = 256;
    if path.len() <= MAX {
        return path.to_owned();
    }
    format!("{}…", &path[..path.floor_char_boundary(MAX)])
}

/// A `text/plain` answer.
fn text(status: StatusCode, message: String) -> Response {
    let mut response = Response::new(axum::body::Body::from(message));
    *response.status_mut() = status;
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
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
