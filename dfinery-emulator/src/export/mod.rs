//! The two Export endpoints (`docs/protocol.md` §3.6, §3.7): gate, body, filters, then a streamed
//! CSV.
//!
//! Property columns come first, as in the docs' example export (whose header begins
//! `custom_012,custom_event_p_boolean,…`), then the system columns: a client that reads columns
//! by position instead of by header name breaks here as it would against DFINERY.
//!
//! Event export columns: the registered event properties and `df_items_<prop>` item properties
//! kept by the filters, sorted by name; then `df_unified_id`, `df_api_version` (always `v1`),
//! `event_name`, `df_server_datetime`, `df_correction_datetime` (the event's `event_datetime`),
//! and the emulator's system columns `event_log_id` and `event_datetime`. An event with items
//! has one row per item (event columns repeated), one without has one row. Events are selected
//! by the UTC date of `event_datetime`, `from_date` to `to_date` inclusive.
//!
//! Profile export columns: the registered user properties kept by the filter (sorted), then
//! `df_unified_id`, then `df_external_id` when identities are asked for.

mod columns;
mod csv;
mod request;
mod stream;

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::response::Response;

use self::columns::{Column, EVENT_SYSTEM_COLUMNS};
use self::csv::{CsvBuffer, cell, datetime};
use self::request::{EventExport, ProfileExport, Refused};
use self::stream::{Rows, csv_response};
use crate::clock::{to_utc, wire_datetime};
use crate::model::{Rejection, ServerViolation, StoredEvent};
use crate::server::app::App;
use crate::server::body::read_json;
use crate::server::gate::{Admitted, ConnControl, Family, admit};
use crate::server::limiter::Snapshot;
use crate::server::response;
use crate::state::Counters;
use crate::{Api, ExportFailure};

/// Rows per page written between two reads of the store.
const PAGE_ROWS: usize = 256;
/// Events looked at per page, matching or not.
const PAGE_SCAN: usize = 4_096;

/// `POST /api/v1/export/event`.
pub(crate) async fn events(State(app): State<Arc<App>>, request: Request) -> Response {
    let (parts, body, admitted) = match read(&app, request).await {
        Ok(read) => read,
        Err(answer) => return answer,
    };
    let today = app.clock.now_utc().date();
    let export = match request::event_export(&body, today) {
        Ok(export) => export,
        Err(refused) => return refuse(&app, &parts, admitted.limits, refused),
    };
    let columns = columns::event_columns(&app.settings.registry, &export);
    let mut header: Vec<String> = columns.iter().map(Column::header).collect();
    header.extend(EVENT_SYSTEM_COLUMNS.iter().map(|c| (*c).to_owned()));
    Counters::add(&app.counters.exports, 1);
    let rows = EventRows {
        from: export.from.to_string(),
        to: export.to.to_string(),
        export,
        columns,
        cursor: 0,
    };
    csv_response(app, header, rows, admitted, control(&parts))
}

/// `POST /api/v1/export/userprofile`.
pub(crate) async fn profiles(State(app): State<Arc<App>>, request: Request) -> Response {
    let (parts, body, admitted) = match read(&app, request).await {
        Ok(read) => read,
        Err(answer) => return answer,
    };
    let export = match request::profile_export(&body) {
        Ok(export) => export,
        Err(refused) => return refuse(&app, &parts, admitted.limits, refused),
    };
    let audience = match &export.audience {
        None => None,
        Some(id) => match app.audience(id) {
            Some(members) => Some(members),
            None => {
                let refused = Refused {
                    failure: ExportFailure::InvalidParameter,
                    violations: vec![ServerViolation::new(
                        "audience",
                        "parameter",
                        format!(
                            "a known audience; define `{}` with `EmulatorBuilder::audience` or `EmulatorHandle::set_audience`",
                            id.escape_debug()
                        ),
                    )],
                };
                return refuse(&app, &parts, admitted.limits, refused);
            }
        },
    };
    let columns = columns::profile_columns(&app.settings.registry, &export);
    let mut header = columns.clone();
    header.push("df_unified_id".to_owned());
    if export.external_id {
        header.push("df_external_id".to_owned());
    }
    Counters::add(&app.counters.exports, 1);
    let rows = ProfileRows {
        export,
        audience,
        columns,
        cursor: 0,
    };
    csv_response(app, header, rows, admitted, control(&parts))
}

/// The control over the connection `parts` arrived on (to close a stalled export).
fn control(parts: &Parts) -> Option<ConnControl> {
    parts.extensions.get::<ConnControl>().cloned()
}

/// The gate, then the JSON body; `Err` is the answer to send instead.
async fn read(
    app: &Arc<App>,
    request: Request,
) -> Result<(Parts, serde_json::Value, Admitted), Response> {
    let (parts, body) = request.into_parts();
    let admitted = admit(app, Api::Export, Family::Export, &parts).await?;
    match read_json(&parts.headers, body).await {
        Ok(body) => Ok((parts, body, admitted)),
        Err(violation) => {
            let refused = Refused {
                failure: ExportFailure::InvalidParameter,
                violations: vec![violation],
            };
            Err(refuse(app, &parts, admitted.limits, refused))
        }
    }
}

/// Answers a refused export body and keeps it for inspection, its violations
/// [bounded](response::bounded).
fn refuse(app: &App, parts: &Parts, limits: Snapshot, refused: Refused) -> Response {
    let found = refused.violations.len();
    let violations = response::bounded(refused.violations, 0);
    app.store().reject(Rejection {
        endpoint: parts.uri.path().to_owned(),
        code: refused.failure.message().to_owned(),
        violations: violations.clone(),
    });
    let mut answer = response::export_failure(refused.failure, Some(limits));
    // For the inspector: the body was read (the window counted it), and why it was refused.
    let extensions = answer.extensions_mut();
    extensions.insert(response::BodyRead);
    if !violations.is_empty() {
        extensions.insert(response::Violations {
            listed: violations,
            found,
        });
    }
    answer
}

struct EventRows {
    export: EventExport,
    columns: Vec<Column>,
    from: String,
    to: String,
    cursor: usize,
}

impl Rows for EventRows {
    fn page(&mut self, app: &App, out: &mut CsvBuffer) -> bool {
        let store = app.store();
        let events = store.events();
        let (mut rows, mut scanned) = (0, 0);
        while self.cursor < events.len() && rows < PAGE_ROWS && scanned < PAGE_SCAN {
            let event = &events[self.cursor];
            self.cursor += 1;
            scanned += 1;
            let day = event.event_datetime.get(..10).unwrap_or_default();
            if self.export.events.keeps(&event.event_name)
                && self.from.as_str() <= day
                && day <= self.to.as_str()
            {
                rows += self.write(app, event, out);
            }
        }
        self.cursor < events.len()
    }
}

impl EventRows {
    /// Writes the rows of one event (one per item, or one); returns how many.
    fn write(&self, app: &App, event: &StoredEvent, out: &mut CsvBuffer) -> usize {
        let definition = app.settings.registry.event(&event.event_name);
        let occurred = datetime(&event.event_datetime);
        let system = [
            event.df_unified_id.clone(),
            "v1".to_owned(),
            event.event_name.clone(),
            wire_datetime(to_utc(event.server_datetime)),
            occurred.clone(),
            event.event_log_id.clone(),
            occurred,
        ];
        let no_item = serde_json::Map::new();
        let items: Vec<&serde_json::Map<String, serde_json::Value>> = if event.items.is_empty() {
            vec![&no_item]
        } else {
            event.items.iter().collect()
        };
        for item in &items {
            let properties = self.columns.iter().map(|column| {
                let value = match column {
                    Column::Property(name) => event.properties.get(name),
                    Column::Item(name) => item.get(name),
                };
                cell(value, column.ty(definition))
            });
            out.row(properties.chain(system.iter().cloned()));
        }
        items.len()
    }
}

struct ProfileRows {
    export: ProfileExport,
    audience: Option<BTreeSet<String>>,
    columns: Vec<String>,
    cursor: u64,
}

impl Rows for ProfileRows {
    fn page(&mut self, app: &App, out: &mut CsvBuffer) -> bool {
        let (profiles, next) = app.store().profiles.page(self.cursor, PAGE_ROWS);
        let more = next != self.cursor && !profiles.is_empty();
        self.cursor = next;
        let registry = &app.settings.registry;
        for profile in profiles {
            let external_id = profile.identity.external_id.clone().unwrap_or_default();
            if let Some(members) = &self.audience
                && !members.contains(&external_id)
            {
                continue;
            }
            let mut row: Vec<String> = self
                .columns
                .iter()
                .map(|name| {
                    let ty = registry.user_property(name).map(|p| p.ty);
                    cell(profile.properties.get(name), ty)
                })
                .collect();
            row.push(profile.df_unified_id.clone());
            if self.export.external_id {
                row.push(external_id);
            }
            out.row(row);
        }
        more
    }
}
