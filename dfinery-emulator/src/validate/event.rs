//! `POST /api/v1/events` bodies (`docs/protocol.md` §3.2): shape, the 100-event limit, the
//! identity, and every event against the registry.

use dfinery_schema::limits::{MAX_EVENTS_PER_REQUEST, MAX_ITEMS_PER_REQUEST};
use dfinery_schema::{EventDef, Registry};
use serde_json::{Map, Value};

use super::shape::{describe, field, no_unknown_fields, object, unknown_field};
use super::{Failure, did_you_mean, identity, join, value};
use crate::model::{ServerViolation, StoredIdentity};
use crate::state::NewEvent;
use crate::{ImportCode, ItemLimit};

/// Options of the event checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EventRules {
    /// How the 100-item limit is counted.
    pub(crate) item_limit: ItemLimit,
}

/// A valid `/events` body.
#[derive(Debug, Clone)]
pub(crate) struct EventBatch {
    pub(crate) identity: StoredIdentity,
    pub(crate) events: Vec<NewEvent>,
}

const EVENT_FIELDS: [&str; 5] = [
    "event_log_id",
    "event_name",
    "event_datetime",
    "event_items",
    "event_properties",
];

/// Checks an `/events` body; `Err` carries `40000`, `40402` or `40001` with every violation.
pub(crate) fn check_events(
    registry: &Registry,
    body: &Value,
    rules: EventRules,
) -> Result<EventBatch, Failure> {
    let root = object(body, "")?;
    no_unknown_fields(root, &["common", "events"], "")?;
    let common = object(field(root, "common", "")?, "common")?;
    no_unknown_fields(common, &["identity"], "common")?;
    let identity_map = object(field(common, "identity", "common")?, "common.identity")?;
    let events_value = field(root, "events", "")?;
    let events = events_value.as_array().ok_or_else(|| {
        Failure::bad_request(ServerViolation::new(
            "events",
            "shape",
            format!("an array of events, found {}", describe(events_value)),
        ))
    })?;
    if events.len() > MAX_EVENTS_PER_REQUEST {
        return Err(Failure::count(
            ImportCode::TooManyEvents,
            ServerViolation::new(
                "events",
                "count",
                format!(
                    "at most {MAX_EVENTS_PER_REQUEST} events, found {}",
                    events.len()
                ),
            ),
        ));
    }

    let mut violations = Vec::new();
    if events.is_empty() {
        violations.push(ServerViolation::new(
            "events",
            "count",
            "at least one event",
        ));
    }
    let identity = identity::identity(identity_map, "common.identity", &mut violations);
    let mut checked = Vec::with_capacity(events.len());
    for (index, event) in events.iter().enumerate() {
        if let Some(event) = check_event(
            registry,
            event,
            &format!("events[{index}]"),
            rules,
            &mut violations,
        ) {
            checked.push(event);
        }
    }
    if rules.item_limit == ItemLimit::PerRequest {
        let items: usize = events.iter().map(item_count).sum();
        if items > MAX_ITEMS_PER_REQUEST {
            violations.push(ServerViolation::new(
                "events",
                "items_per_request",
                format!(
                    "at most {MAX_ITEMS_PER_REQUEST} items per request, all events together, \
                     found {items}"
                ),
            ));
        }
    }
    Failure::validation(violations)?;
    Ok(EventBatch {
        identity,
        events: checked,
    })
}

/// Checks one event; `None` when it broke a rule (the violations say which).
fn check_event(
    registry: &Registry,
    event: &Value,
    path: &str,
    rules: EventRules,
    violations: &mut Vec<ServerViolation>,
) -> Option<NewEvent> {
    let before = violations.len();
    let Some(map) = event.as_object() else {
        violations.push(ServerViolation::new(
            path,
            "type",
            format!("an event object, found {}", describe(event)),
        ));
        return None;
    };
    if let Some(violation) = unknown_field(map, &EVENT_FIELDS, path) {
        violations.push(violation);
    }
    let event_log_id = required_string(map, "event_log_id", path, violations);
    if let Some(id) = &event_log_id
        && !is_uuid(id)
    {
        violations.push(ServerViolation::new(
            join(path, "event_log_id"),
            "uuid",
            format!(
                "a UUID `xxxxxxxx-xxxx-Mxxx-Nxxx-xxxxxxxxxxxx`, found `{}`",
                id.escape_debug()
            ),
        ));
    }
    let event_datetime = required_string(map, "event_datetime", path, violations);
    if let Some(datetime) = &event_datetime
        && !dfinery_schema::protocol::is_wire_datetime(datetime)
    {
        violations.push(ServerViolation::new(
            join(path, "event_datetime"),
            "datetime",
            format!(
                "a UTC Datetime `YYYY-MM-DDTHH:MM:SS.mmmZ`, found `{}`",
                datetime.escape_debug()
            ),
        ));
    }
    let event_name = required_string(map, "event_name", path, violations);
    let definition = event_name.as_deref().and_then(|name| {
        let found = registry.event(name);
        if found.is_none() {
            violations.push(ServerViolation::new(
                join(path, "event_name"),
                "unknown_event",
                format!(
                    "an event registered in the console; `{}` is not{}",
                    name.escape_debug(),
                    did_you_mean(registry.suggest_event(name))
                ),
            ));
        }
        found
    });
    let properties = object_or_empty(map, "event_properties", path, violations);
    let items = items(map, path, violations);
    if let Some(definition) = definition {
        check_properties(
            definition,
            &properties,
            &join(path, "event_properties"),
            violations,
        );
        check_items(
            definition,
            &items,
            &join(path, "event_items"),
            rules,
            violations,
        );
    }
    if violations.len() > before {
        return None;
    }
    Some(NewEvent {
        event_log_id: event_log_id?,
        event_name: event_name?,
        event_datetime: event_datetime?,
        items,
        properties,
    })
}

fn check_properties(
    definition: &EventDef,
    properties: &Map<String, Value>,
    path: &str,
    violations: &mut Vec<ServerViolation>,
) {
    for (name, value) in properties {
        let here = join(path, name);
        if name == "df_items" {
            violations.push(ServerViolation::new(
                here,
                "unknown_property",
                "items in `event_items`, not in `event_properties`",
            ));
            continue;
        }
        match definition.property(name) {
            Some(property) => value::check(property, value, &here, violations),
            None => violations.push(unknown_property(
                "event property",
                &definition.name,
                name,
                definition.suggest_property(name),
                here,
            )),
        }
    }
    for required in definition.required_properties() {
        if !properties.contains_key(&required.name) {
            violations.push(ServerViolation::new(
                join(path, &required.name),
                "required",
                format!(
                    "the required property `{}` of `{}`",
                    required.name, definition.name
                ),
            ));
        }
    }
}

fn check_items(
    definition: &EventDef,
    items: &[Map<String, Value>],
    path: &str,
    rules: EventRules,
    violations: &mut Vec<ServerViolation>,
) {
    if items.is_empty() {
        if definition.items_required {
            violations.push(ServerViolation::new(
                path,
                "required",
                format!("at least one item for `{}`", definition.name),
            ));
        }
        return;
    }
    if !definition.takes_items() {
        violations.push(ServerViolation::new(
            path,
            "unknown_property",
            format!(
                "no items: `{}` has no item properties registered",
                definition.name
            ),
        ));
        return;
    }
    if rules.item_limit == ItemLimit::PerEvent && items.len() > MAX_ITEMS_PER_REQUEST {
        violations.push(ServerViolation::new(
            path,
            "items_per_event",
            format!(
                "at most {MAX_ITEMS_PER_REQUEST} items per event, found {}",
                items.len()
            ),
        ));
    }
    for (index, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{index}]");
        for (name, value) in item {
            let here = join(&item_path, name);
            match definition.item_property(name) {
                Some(property) => value::check(property, value, &here, violations),
                None => violations.push(unknown_property(
                    "item property",
                    &definition.name,
                    name,
                    definition.suggest_item_property(name),
                    here,
                )),
            }
        }
        for required in definition.required_items() {
            if !item.contains_key(&required.name) {
                violations.push(ServerViolation::new(
                    join(&item_path, &required.name),
                    "required",
                    format!(
                        "the required item property `{}` of `{}`",
                        required.name, definition.name
                    ),
                ));
            }
        }
    }
}

fn unknown_property(
    kind: &str,
    event: &str,
    name: &str,
    close: Option<&str>,
    path: String,
) -> ServerViolation {
    ServerViolation::new(
        path,
        "unknown_property",
        format!(
            "an {kind} registered for `{event}`; `{}` is not{}",
            name.escape_debug(),
            did_you_mean(close)
        ),
    )
}

/// The string field `key`, adding a `required` or `type` violation when it is missing or not a
/// string.
fn required_string(
    map: &Map<String, Value>,
    key: &str,
    path: &str,
    violations: &mut Vec<ServerViolation>,
) -> Option<String> {
    match map.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        None | Some(Value::Null) => {
            violations.push(ServerViolation::new(
                join(path, key),
                "required",
                format!("the required field `{key}`"),
            ));
            None
        }
        Some(other) => {
            violations.push(ServerViolation::new(
                join(path, key),
                "type",
                format!("a JSON string, found {}", describe(other)),
            ));
            None
        }
    }
}

/// The optional object field `key` (absent or `null` is empty).
fn object_or_empty(
    map: &Map<String, Value>,
    key: &str,
    path: &str,
    violations: &mut Vec<ServerViolation>,
) -> Map<String, Value> {
    match map.get(key) {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(inner)) => inner.clone(),
        Some(other) => {
            violations.push(ServerViolation::new(
                join(path, key),
                "type",
                format!("a JSON object, found {}", describe(other)),
            ));
            Map::new()
        }
    }
}

/// The optional `event_items` array of objects (absent or `null` is empty).
fn items(
    map: &Map<String, Value>,
    path: &str,
    violations: &mut Vec<ServerViolation>,
) -> Vec<Map<String, Value>> {
    let here = join(path, "event_items");
    match map.get("event_items") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(index, item)| match item {
                Value::Object(item) => Some(item.clone()),
                other => {
                    violations.push(ServerViolation::new(
                        format!("{here}[{index}]"),
                        "type",
                        format!("an item object, found {}", describe(other)),
                    ));
                    None
                }
            })
            .collect(),
        Some(other) => {
            violations.push(ServerViolation::new(
                here,
                "type",
                format!("an array of item objects, found {}", describe(other)),
            ));
            Vec::new()
        }
    }
}

/// The number of entries of an event's `event_items` array (0 when absent or not an array).
fn item_count(event: &Value) -> usize {
    event
        .get("event_items")
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}

/// Whether `s` is a UUID in its hyphenated RFC 4122 text form (any version, either case).
fn is_uuid(s: &str) -> bool {
    s.len() == 36 && s.as_bytes()[8] == b'-' && uuid::Uuid::try_parse(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hyphenated_uuids_are_event_log_ids() {
        assert!(is_uuid("5b0f9a0e-1c2d-4e3f-8a9b-0c1d2e3f4a5b"));
        assert!(is_uuid("5B0F9A0E-1C2D-4E3F-8A9B-0C1D2E3F4A5B"));
        assert!(!is_uuid("5b0f9a0e1c2d4e3f8a9b0c1d2e3f4a5b"));
        assert!(!is_uuid("{5b0f9a0e-1c2d-4e3f-8a9b-0c1d2e3f4a5}"));
        assert!(!is_uuid("5b0f9a0e-1c2d-4e3f-8a9b-0c1d2e3f4a5g"));
        assert!(!is_uuid("order-1"));
    }
}
