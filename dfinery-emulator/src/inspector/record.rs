//! One request as the page shows it: its identity, each event with typed properties and items,
//! and every violation attached to the exact property it concerns.

use dfinery_schema::{EventDef, PropertyDef, Registry};
use serde_json::{Map, Value, json};

use crate::model::ServerViolation;

/// A violation as the page shows it: the JSON path, the rule, what was expected and, when the
/// emulator found a close registered name, the suggestion alone.
pub(crate) fn violation(v: &ServerViolation) -> Value {
    json!({
        "path": v.path,
        "rule": v.rule,
        "expected": v.expected,
        "suggestion": suggestion(&v.expected),
    })
}

/// The name in the ``did you mean `x`?`` that ends the text, if it ends so: the text may
/// quote the value sent before it, which a sender could write to look like a suggestion.
pub(crate) fn suggestion(expected: &str) -> Option<&str> {
    let rest = expected.strip_suffix("`?")?;
    let start = rest.rfind("did you mean `")? + "did you mean `".len();
    let name = &rest[start..];
    (!name.contains('`')).then_some(name)
}

/// The identity a body names: `common.identity` (events), `identity` (identities, profiles) or
/// the bare `external_id` of a delete. `Null` when there is none or it is not an object.
pub(crate) fn identity(body: &Value) -> Value {
    let found = body
        .pointer("/common/identity")
        .or_else(|| body.get("identity"))
        .filter(|v| v.is_object());
    match (found, body.get("external_id")) {
        (Some(Value::Object(identity)), _) => Value::Object(
            identity
                .iter()
                .map(|(key, value)| (key.clone(), as_text(value)))
                .collect(),
        ),
        (None, Some(id @ Value::String(_))) => json!({ "external_id": id }),
        _ => Value::Null,
    }
}

/// `value` as the page shows text: a string as it is, anything else as its JSON text (an
/// object sent where a string belongs made the page's script throw on it).
fn as_text(value: &Value) -> Value {
    match value {
        Value::String(_) => value.clone(),
        other => Value::String(other.to_string()),
    }
}

/// The `external_id` of [`identity`], if it is a string.
pub(crate) fn external_id(identity: &Value) -> Option<String> {
    identity
        .get("external_id")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Events shown of one request: DFINERY takes at most 100 in one, and refuses more.
const EVENTS_SHOWN: usize = 100;

/// Items shown of one event (their count is kept as `item_count`).
const ITEMS_SHOWN: usize = 100;

/// User properties shown of one request.
const PROPERTIES_SHOWN: usize = 1_000;

/// Most properties (of events, of items and of a profile, together) one record is built with.
/// Each is at least 68 bytes of the record's JSON (`{"json":"null","name":"","type":"Long",…}`), so a record with as many is over the page's
/// cap and is kept with its events' names only: building the rest was wasted, and each of 100
/// events' 100 items shows up to 1,000, so one 15 MB body built 1.7 million of them (about
/// 2 GB) to be thrown away.
pub(crate) const MAX_PROPERTIES_BUILT: usize = 4_096;

/// What is left of a record's [`MAX_PROPERTIES_BUILT`].
#[derive(Debug)]
struct Budget {
    left: usize,
    /// Some property was left out for want of budget.
    spent: bool,
}

impl Budget {
    fn new() -> Budget {
        Budget {
            left: MAX_PROPERTIES_BUILT,
            spent: false,
        }
    }

    /// How many of `wanted` properties may be built.
    fn take(&mut self, wanted: usize) -> usize {
        let granted = wanted.min(self.left);
        self.left -= granted;
        self.spent |= granted < wanted;
        granted
    }
}

/// How many events an `/events` body holds (shown or not).
pub(crate) fn event_count(body: &Value) -> usize {
    match body.get("events") {
        Some(Value::Array(events)) => events.len(),
        _ => 0,
    }
}

/// The events of an `/events` body (the first [`EVENTS_SHOWN`]) with typed properties and
/// items, each violation on the property it names; the violations no property or event
/// claims are returned apart. `true` last when properties were left out, past
/// [`MAX_PROPERTIES_BUILT`]: the record is over the page's cap.
pub(crate) fn events(
    registry: &Registry,
    body: &Value,
    violations: &[ServerViolation],
) -> (Vec<Value>, Vec<Value>, bool) {
    let mut claimed = vec![false; violations.len()];
    let mut budget = Budget::new();
    let mut out = Vec::new();
    if let Some(Value::Array(events)) = body.get("events") {
        for (index, event) in events.iter().enumerate().take(EVENTS_SHOWN) {
            out.push(one_event(
                registry,
                index,
                event,
                violations,
                &mut claimed,
                &mut budget,
            ));
        }
    }
    (out, unclaimed(violations, &claimed), budget.spent)
}

/// The `user_properties` of a `/user-profile` body, typed against the registry, and the
/// violations no property claims; `true` last when properties were left out, as for
/// [`events`].
pub(crate) fn user_properties(
    registry: &Registry,
    body: &Value,
    violations: &[ServerViolation],
) -> (Vec<Value>, Vec<Value>, bool) {
    let mut claimed = vec![false; violations.len()];
    let mut budget = Budget::new();
    let props = match body.get("user_properties") {
        Some(Value::Object(map)) => properties(
            map,
            |name| registry.user_property(name),
            "user_properties",
            violations,
            &mut claimed,
            &mut budget,
        ),
        _ => Vec::new(),
    };
    (props, unclaimed(violations, &claimed), budget.spent)
}

fn one_event(
    registry: &Registry,
    index: usize,
    event: &Value,
    violations: &[ServerViolation],
    claimed: &mut [bool],
    budget: &mut Budget,
) -> Value {
    let path = format!("events[{index}]");
    let name = event.get("event_name").and_then(Value::as_str);
    let def: Option<&EventDef> = name.and_then(|n| registry.event(n));
    let props = match event.get("event_properties") {
        Some(Value::Object(map)) => properties(
            map,
            |p| def.and_then(|d| d.property(p)),
            &format!("{path}.event_properties"),
            violations,
            claimed,
            budget,
        ),
        _ => Vec::new(),
    };
    let item_count = match event.get("event_items") {
        Some(Value::Array(items)) => items.len(),
        _ => 0,
    };
    let items: Vec<Value> = match event.get("event_items") {
        Some(Value::Array(items)) => items
            .iter()
            .take(ITEMS_SHOWN)
            .enumerate()
            .map(|(i, item)| match item {
                Value::Object(map) => Value::Array(properties(
                    map,
                    |p| def.and_then(|d| d.item_property(p)),
                    &format!("{path}.event_items[{i}]"),
                    violations,
                    claimed,
                    budget,
                )),
                _ => Value::Array(Vec::new()),
            })
            .collect(),
        _ => Vec::new(),
    };
    // What is left under `events[i]` belongs to the event itself (its name, id, datetime…).
    let own = claim(violations, claimed, |v| under(v, &path));
    json!({
        "index": index,
        "name": name,
        "registered": def.is_some(),
        "log_id": event.get("event_log_id").map(as_text),
        "datetime": event.get("event_datetime").map(as_text),
        "properties": props,
        "items": items,
        "item_count": item_count,
        "violations": own,
    })
}

/// Each property of `map` with its registered type (or `unregistered`), its value and the
/// violations whose path is the property's own.
fn properties<'r>(
    map: &Map<String, Value>,
    def: impl Fn(&str) -> Option<&'r PropertyDef>,
    parent: &str,
    violations: &[ServerViolation],
    claimed: &mut [bool],
    budget: &mut Budget,
) -> Vec<Value> {
    let shown = budget.take(map.len().min(PROPERTIES_SHOWN));
    map.iter()
        .take(shown)
        .map(|(name, value)| {
            // Exactly its own path: a violation is never put inside a property, and a name may
            // hold a `.` or a `[` (`df_order_id.note` is not inside `df_order_id`).
            let path = format!("{parent}.{name}");
            let broken = claim(violations, claimed, |v| v == path);
            let ty = def(name).map_or("unregistered", |d| d.ty.display_name());
            let mut shown = json!({
                "name": name,
                "type": ty,
                "json": kind(value),
                "value": value,
                "violations": broken,
            });
            // A number as it was sent: parsed by the page's script it loses digits past 2^53
            // and its form (`1.0` became `1`, beside "found a fractional number"). Strings
            // need no copy (a large one would double the record).
            if matches!(value, Value::Number(_) | Value::Array(_)) {
                shown["text"] = Value::String(value.to_string());
            }
            shown
        })
        .collect()
}

/// The violations not yet claimed whose path `owns`, now claimed.
fn claim(
    violations: &[ServerViolation],
    claimed: &mut [bool],
    owns: impl Fn(&str) -> bool,
) -> Vec<Value> {
    let mut out = Vec::new();
    for (v, done) in violations.iter().zip(claimed.iter_mut()) {
        if !*done && owns(&v.path) {
            *done = true;
            out.push(violation(v));
        }
    }
    out
}

/// Whether `path` is `prefix` or lies inside it (`prefix.x`, `prefix[3]`).
fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

fn unclaimed(violations: &[ServerViolation], claimed: &[bool]) -> Vec<Value> {
    violations
        .iter()
        .zip(claimed)
        .filter(|(_, c)| !**c)
        .map(|(v, _)| violation(v))
        .collect()
}

/// The JSON kind of a value, for properties the registry does not type.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_cut_out_of_the_expected_text() {
        assert_eq!(
            suggestion("a registered property; did you mean `df_price`?"),
            Some("df_price")
        );
        assert_eq!(suggestion("a registered property"), None);
        // A value sent that quotes a suggestion of its own is no suggestion.
        assert_eq!(
            suggestion("one of `red`, `blue` (found `did you mean `df_evil``)"),
            None
        );
    }

    #[test]
    fn identities_log_ids_and_values_reach_the_page_as_sent_text() {
        // An object where a string belongs made the page's script throw on it, and a Long past
        // 2^53 lost digits once the page parsed it.
        let body = json!({"common": {"identity": {"external_id": "u", "x": {"toString": 1}}}});
        assert_eq!(
            identity(&body),
            json!({"external_id": "u", "x": "{\"toString\":1}"})
        );
        let big: Value = serde_json::from_str("{\"n\": 9007199254740993, \"f\": 1.0}").unwrap();
        let shown = properties(
            big.as_object().unwrap(),
            |_| None,
            "p",
            &[],
            &mut [],
            &mut Budget::new(),
        );
        let texts: Vec<&str> = shown.iter().map(|p| p["text"].as_str().unwrap()).collect();
        assert_eq!(texts, ["1.0", "9007199254740993"]);
    }

    #[test]
    fn violations_land_on_the_property_they_name() {
        let registry = Registry::standard();
        let body = json!({
            "common": {"identity": {"external_id": "u-1"}},
            "events": [{
                "event_name": "df_purchase",
                "event_log_id": "x",
                "event_properties": {"df_total_purchase_amount": "12", "df_prise": 3},
                "event_items": [{"df_price": 1.5}]
            }]
        });
        let violations = vec![
            ServerViolation::new(
                "events[0].event_properties.df_total_purchase_amount",
                "type",
                "a Double (JSON number), found a string",
            ),
            ServerViolation::new(
                "events[0].event_properties.df_prise",
                "unknown_property",
                "a registered property; did you mean `df_price`?",
            ),
            ServerViolation::new("events[0].event_log_id", "uuid", "a UUID"),
            ServerViolation::new("common.identity", "identity", "an identifier"),
        ];
        let (events, rest, _) = events(&registry, &body, &violations);
        let props = events[0]["properties"].as_array().unwrap();
        let amount = props
            .iter()
            .find(|p| p["name"] == "df_total_purchase_amount")
            .unwrap();
        assert_eq!(amount["type"], "Double");
        assert_eq!(amount["violations"][0]["rule"], "type");
        let typo = props.iter().find(|p| p["name"] == "df_prise").unwrap();
        assert_eq!(typo["type"], "unregistered");
        assert_eq!(typo["violations"][0]["suggestion"], "df_price");
        assert_eq!(events[0]["violations"][0]["rule"], "uuid");
        assert_eq!(events[0]["items"][0][0]["name"], "df_price");
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0]["path"], "common.identity");
        assert!(under("events[1]", "events[1]"));
        assert!(!under("events[10]", "events[1]"));
    }

    #[test]
    fn a_violation_lands_on_its_own_property_not_on_one_its_name_starts_with() {
        // Names may hold a `.` or a `[`, and paths join them raw: `df_order_id.note`'s
        // violation was shown on `df_order_id`, which sorts first.
        let registry = Registry::standard();
        let body = json!({"events": [{
            "event_name": "df_purchase",
            "event_properties": {"df_order_id": "o-1", "df_order_id.note": 1, "df_order_id[0]": 2},
        }]});
        let violations = vec![
            ServerViolation::new(
                "events[0].event_properties.df_order_id.note",
                "unknown_property",
                "a registered property",
            ),
            ServerViolation::new(
                "events[0].event_properties.df_order_id[0]",
                "unknown_property",
                "a registered property",
            ),
        ];
        let (events, rest, _) = events(&registry, &body, &violations);
        let props = events[0]["properties"].as_array().unwrap();
        let on = |name: &str| -> Vec<Value> {
            let p = props.iter().find(|p| p["name"] == name).unwrap();
            p["violations"].as_array().unwrap().clone()
        };
        assert!(on("df_order_id").is_empty(), "{props:?}");
        assert_eq!(on("df_order_id.note")[0]["path"], violations[0].path);
        assert_eq!(on("df_order_id[0]")[0]["path"], violations[1].path);
        assert!(rest.is_empty() && events[0]["violations"] == json!([]));
    }

    #[test]
    fn an_event_shows_its_first_100_items_and_counts_them_all() {
        // Every item of every event shown was built: 100 events of 10,000 items each.
        let registry = Registry::standard();
        let items: Vec<Value> = (0..150).map(|i| json!({"df_price": i})).collect();
        let body = json!({"events": [{"event_name": "df_purchase", "event_items": items}]});
        let (events, _, cut) = events(&registry, &body, &[]);
        assert!(!cut);
        assert_eq!(events[0]["items"].as_array().map(Vec::len), Some(100));
        assert_eq!(events[0]["item_count"], 150);
        assert_eq!(events[0]["items"][99][0]["value"], 99);
    }

    fn events_of(registry: &Registry, body: &Value) -> (Vec<Value>, Vec<Value>, bool) {
        events(registry, body, &[])
    }

    /// Properties (and item properties) shown in `events`.
    fn shown_properties(events: &[Value]) -> usize {
        events
            .iter()
            .map(|event| {
                let items: usize = event["items"].as_array().map_or(0, |items| {
                    items.iter().filter_map(Value::as_array).map(Vec::len).sum()
                });
                event["properties"].as_array().map_or(0, Vec::len) + items
            })
            .sum()
    }

    #[test]
    fn a_record_builds_no_more_properties_than_the_page_can_keep() {
        // Each of 100 events' 100 items showed up to 1,000 properties: one 15 MB body (100
        // events of 17 items of 1,000 properties) built 1.7 million, about 2 GB, only for
        // `push` to throw them away as over the page's 256 KiB (85 s of a debug build).
        let registry = Registry::standard();
        let props: Map<String, Value> = (0..100).map(|i| (format!("p{i}"), json!(i))).collect();
        let items: Vec<Value> = (0..10).map(|_| Value::Object(props.clone())).collect();
        let event =
            json!({"event_name": "df_purchase", "event_properties": props, "event_items": items});
        let body = json!({"events": vec![event; 100]});
        let (events, _, cut) = events(&registry, &body, &[]);
        assert_eq!(events.len(), 100, "every event keeps its place and name");
        let shown = shown_properties(&events);
        assert_eq!(shown, MAX_PROPERTIES_BUILT, "properties built");
        assert!(cut, "the record says it was cut short");
        assert_eq!(events[99]["name"], "df_purchase");
        // A smaller record is built whole.
        let event = json!({"event_name": "df_purchase", "event_properties": props});
        let (events, _, cut) = events_of(&registry, &json!({"events": vec![event; 40]}));
        assert_eq!((shown_properties(&events), cut), (4_000, false));
    }

    #[test]
    fn identities_come_from_each_body_kind() {
        let events = json!({"common": {"identity": {"external_id": "a"}}});
        assert_eq!(external_id(&identity(&events)).as_deref(), Some("a"));
        let profile = json!({"identity": {"external_id": "b"}});
        assert_eq!(external_id(&identity(&profile)).as_deref(), Some("b"));
        let delete = json!({"external_id": "c"});
        assert_eq!(external_id(&identity(&delete)).as_deref(), Some("c"));
        assert_eq!(identity(&json!([1])), Value::Null);
    }
}
