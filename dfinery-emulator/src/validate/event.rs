//! `POST /api/v1/events` bodies (`docs/protocol.md` §3.2): shape, the 100-event limit, the
//! identity, and every event against the registry.

use dfinery_schema::limits::{MAX_EVENTS_PER_REQUEST, MAX_ITEMS_PER_REQUEST};
use dfinery_schema::{Finding, Json, Place, Registry};
use serde_json::{Map, Value};

use super::shape::{describe, field, kind, no_unknown_fields, object, unknown_field};
use super::{Failure, Violations, did_you_mean, identity, join, value};
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

    let mut violations = Violations::new();
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
    violations: &mut Violations,
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
    let findings = {
        let mut findings = Vec::new();
        dfinery_schema::check_event(
            definition,
            map.get("event_properties").map(Json::Value),
            map.get("event_items").map(Json::Value),
            &mut findings,
        );
        findings
    };
    let name = definition.map_or("", |d| d.name.as_str());
    for finding in findings {
        violation(finding, name, path, rules, violations);
    }
    if violations.len() > before {
        return None;
    }
    Some(NewEvent {
        event_log_id: event_log_id?,
        event_name: event_name?,
        event_datetime: event_datetime?,
        items: items(map),
        properties: map
            .get("event_properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
    })
}

/// The violation (if any: the per-event item limit is an option) a finding of the shared
/// check is for an event at `path` named `event`.
fn violation(
    finding: Finding<'_, '_>,
    event: &str,
    path: &str,
    rules: EventRules,
    violations: &mut Violations,
) {
    let properties = join(path, "event_properties");
    let items = join(path, "event_items");
    let at = |place: Place, name: &str| match place {
        Place::Item(index) => join(&format!("{items}[{index}]"), name),
        Place::Event | Place::User => join(&properties, name),
    };
    violations.push(match finding {
        Finding::PropertiesNotObject { found } => ServerViolation::new(
            properties,
            "type",
            format!("a JSON object, found {}", kind(found)),
        ),
        Finding::ItemsNotArray { found } => ServerViolation::new(
            items,
            "type",
            format!("an array of item objects, found {}", kind(found)),
        ),
        Finding::ItemNotObject { index, found } => ServerViolation::new(
            format!("{items}[{index}]"),
            "type",
            format!("an item object, found {}", kind(found)),
        ),
        Finding::ItemsInProperties => ServerViolation::new(
            join(&properties, "df_items"),
            "unknown_property",
            "items in `event_items`, not in `event_properties`",
        ),
        Finding::UnknownProperty { place, name, close } => {
            let kind = match place {
                Place::Item(_) => "item property",
                Place::Event | Place::User => "event property",
            };
            unknown_property(kind, event, &name, close, at(place, &name))
        }
        Finding::Invalid {
            place,
            property,
            violations: found,
        } => {
            value::push(&found, &at(place, &property.name), violations);
            return;
        }
        Finding::Missing { place, property } => ServerViolation::new(
            at(place, &property.name),
            "required",
            match place {
                Place::Item(_) => format!(
                    "the required item property `{}` of `{event}`",
                    property.name
                ),
                Place::Event | Place::User => {
                    format!("the required property `{}` of `{event}`", property.name)
                }
            },
        ),
        Finding::ItemsRequired => ServerViolation::new(
            items,
            "required",
            format!("at least one item for `{event}`"),
        ),
        Finding::TakesNoItems => ServerViolation::new(
            items,
            "unknown_property",
            format!("no items: `{event}` has no item properties registered"),
        ),
        Finding::TooManyItems { count } if rules.item_limit == ItemLimit::PerEvent => {
            ServerViolation::new(
                items,
                "items_per_event",
                format!("at most {MAX_ITEMS_PER_REQUEST} items per event, found {count}"),
            )
        }
        Finding::TooManyItems { .. } => return,
    });
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
    violations: &mut Violations,
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

/// The item objects of a valid event's `event_items` (absent or `null` is none).
fn items(map: &Map<String, Value>) -> Vec<Map<String, Value>> {
    map.get("event_items")
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_object).cloned().collect())
        .unwrap_or_default()
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
