//! `/_emulator/…`: what the emulator stored, over HTTP, for tests in other processes. Mounted
//! only when [`EmulatorBuilder::inspection_http`](crate::EmulatorBuilder::inspection_http) is on.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::app::App;
use crate::model::{Rejection, Stats, StoredEvent, StoredProfile};

/// `GET /_emulator/events`: every stored event, in arrival order.
pub(crate) async fn events(State(app): State<Arc<App>>) -> Json<Vec<StoredEvent>> {
    Json(app.store().events().to_vec())
}

/// `GET /_emulator/profiles`: every unified profile, in creation order.
pub(crate) async fn profiles(State(app): State<Arc<App>>) -> Json<Vec<StoredProfile>> {
    Json(app.store().profiles.all())
}

/// `GET /_emulator/stats`: the counters.
pub(crate) async fn stats(State(app): State<Arc<App>>) -> Json<Stats> {
    Json(app.counters.snapshot())
}

/// `GET /_emulator/rejections`: the refused requests kept, oldest first.
pub(crate) async fn rejections(State(app): State<Arc<App>>) -> Json<Vec<Rejection>> {
    Json(app.store().rejections())
}

/// `POST /_emulator/reset`: forgets stored data, counters and rate-limit windows.
pub(crate) async fn reset(State(app): State<Arc<App>>) -> Json<Value> {
    app.reset();
    Json(json!({ "reset": true }))
}
