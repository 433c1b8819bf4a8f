//! One event of the file checked against the registry and built into what the Tracker sends:
//! its [`Identity`] and an [`EventRecord`]. Every problem of the line is listed, each naming
//! the field, the property and the rule, with the fix where there is one.
//!
//! The line is read without building a `serde_json::Value`: its members are borrowed from the
//! text ([`Object`]) and checked by the walk the emulator shares ([`dfinery_schema::check_event`]).
//! The record is written from the checked values' own text, so the size a value was checked
//! at is the size it is sent at.

use std::collections::BTreeMap;

use dfinery_core::{Datetime, EventRecord, Identifier, Identity, IdentityError};
use dfinery_schema::did_you_mean as hint;
use dfinery_schema::limits::MAX_ITEMS_PER_REQUEST;
use dfinery_schema::{
    Checked as Passed, DataType, EventBody, EventDef, Finding, IdentityMember, Json, Object, Place,
    PropertyDef, Registry, RuleViolation, identity_members,
};
use serde_json::value::RawValue;
use uuid::Uuid;

/// The fields an event object may have (the short names, then the wire names).
const FIELDS: [&str; 10] = [
    "identity",
    "name",
    "datetime",
    "properties",
    "items",
    "event_log_id",
    "event_name",
    "event_datetime",
    "event_properties",
    "event_items",
];

/// A valid event, ready for the Tracker.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// Whose event it is.
    pub identity: Identity,
    /// The event, with its `event_log_id`.
    pub record: EventRecord,
}

/// Checks the event object `text` against `registry` and builds it; `fingerprint` makes its
/// `event_log_id` when the line gives none.
///
/// # Errors
///
/// Every problem of the line, one message each.
pub fn check(registry: &Registry, text: &str, fingerprint: u128) -> Result<Checked, Vec<String>> {
    let object = object(text).map_err(|e| vec![e])?;
    let event = read(registry, &object, fingerprint)?;
    let record = event.record()?;
    Ok(Checked {
        identity: event.identity,
        record,
    })
}

/// [`check`] without building the record (nor the `event_log_id`): whose event it is, when
/// the line is valid.
///
/// # Errors
///
/// Every problem of the line, one message each.
pub fn validate(registry: &Registry, text: &str) -> Result<Identity, Vec<String>> {
    let object = object(text).map_err(|e| vec![e])?;
    // The `event_log_id` made from the fingerprint is not needed here, so neither is the
    // fingerprint.
    read(registry, &object, 0).map(|event| event.identity)
}

/// The members of the event object `text`, or why it is not one.
///
/// # Errors
///
/// When `text` is not JSON or not an object.
pub fn object(text: &str) -> Result<Object<'_>, String> {
    match Object::parse(text) {
        Ok(Some(object)) => match lone_surrogate(text) {
            // The borrowed reading does not decode escapes, so half a pair passed it, then
            // made every field it was in unreadable as what it is: "`name` is a string; give
            // a string", "`properties` is an object; give an object".
            Some(at) => Err(format!(
                "the line is not JSON: `{}` at column {} is half of a UTF-16 surrogate pair, which \
                 no text can hold (a character past U+FFFF, such as an emoji, is written as two \
                 escapes, e.g. `\\ud83d\\ude00`); write both halves, or the character itself",
                &text[at..at + 6],
                at + 1
            )),
            None => Ok(object),
        },
        Ok(None) => Err("the line is not a JSON object; give one event object per line".to_owned()),
        Err(err) => {
            // serde_json places the error "at line 1 column N": of the line alone, which the
            // report numbers in the file.
            let full = err.to_string();
            let place = format!(" at line {} column {}", err.line(), err.column());
            let what = full.strip_suffix(&place).unwrap_or(&full);
            let hint = if looks_like_csv(text) {
                "; if the file is CSV, pass `--format csv`"
            } else {
                ""
            };
            Err(format!(
                "the line is not JSON: {what} at column {}{hint}",
                err.column()
            ))
        }
    }
}

/// Where (a byte offset) in `text`, valid JSON, a `\uXXXX` escape stands for half of a UTF-16
/// surrogate pair without the other half, which is no character: what `serde_json` refuses when
/// it decodes the string (and DFINERY with it), and the borrowed reading of a line never does.
fn lone_surrogate(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    // In valid JSON a backslash is always in a string, and starts an escape.
    let unit = |at: usize| -> Option<u16> {
        let hex = bytes.get(at..at + 6)?.strip_prefix(b"\\u")?;
        u16::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
    };
    let mut from = 0;
    while let Some(found) = memchr::memchr(b'\\', &bytes[from..]) {
        let at = from + found;
        from = match unit(at) {
            Some(0xD800..=0xDBFF) => match unit(at + 6) {
                Some(0xDC00..=0xDFFF) => at + 12,
                _ => return Some(at),
            },
            Some(0xDC00..=0xDFFF) => return Some(at),
            Some(_) => at + 6,
            None => at + 2,
        };
    }
    None
}

/// How a line gives `datetime`, for the messages.
const DATETIME_FORMAT: &str = "`YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC) or RFC 3339 with an offset";

/// Whether a line that is not JSON reads as a CSV row: no JSON opening and a comma.
fn looks_like_csv(text: &str) -> bool {
    !text.trim_start().starts_with(['{', '[', '"']) && text.contains(',')
}

/// A valid event, its values still the line's text.
struct Event<'r, 'a> {
    identity: Identity,
    definition: &'r EventDef,
    datetime: Datetime,
    log_id: Uuid,
    body: EventBody<'r, 'a>,
    /// The line's `properties` and `items`, as given.
    given: (Option<Json<'a>>, Option<Json<'a>>),
}

/// Checks `event` against `registry`.
fn read<'r, 'a>(
    registry: &'r Registry,
    event: &Object<'a>,
    fingerprint: u128,
) -> Result<Event<'r, 'a>, Vec<String>> {
    let mut problems = Vec::new();
    for (key, close) in event.unknown_keys(&FIELDS) {
        // A key is the line's text: control characters escaped and a long one cut, so a
        // line break or a terminal escape in it cannot split or restyle the report.
        let key = dfinery_schema::names::shown(key);
        problems.push(match close {
            Some(close) => format!("unknown field `{key}`; did you mean `{close}`?"),
            None => format!(
                "unknown field `{key}`; an event has `identity`, `name`, `datetime`, `properties`, `items` and `event_log_id`"
            ),
        });
    }
    // The short and the wire name are one field: given both, one value would be dropped.
    for (short, wire) in [
        ("name", "event_name"),
        ("datetime", "event_datetime"),
        ("properties", "event_properties"),
        ("items", "event_items"),
    ] {
        if event.contains_key(short) && event.contains_key(wire) {
            problems.push(format!(
                "`{short}` and `{wire}` are the same field; keep one of them"
            ));
        }
    }
    let identity = identity(field(event, "identity", "identity"), &mut problems);
    let name = string(event, "name", "event_name", &mut problems);
    let definition = name.as_deref().and_then(|name| {
        let found = registry.event(name);
        if found.is_none() {
            // The line's text: escaped and cut, as an unknown key is.
            let shown = dfinery_schema::names::shown(name);
            problems.push(match registry.suggest_event(name) {
                Some(close) => format!("unknown event `{shown}`; did you mean `{close}`?"),
                None => format!(
                    "unknown event `{shown}`; register it in the console and in the registry file"
                ),
            });
        }
        found
    });
    let datetime = string(event, "datetime", "event_datetime", &mut problems).and_then(|text| {
        text.parse::<Datetime>()
            .map_err(|_| {
                problems.push(format!(
                    "`datetime` `{}` is not a datetime; give {DATETIME_FORMAT}",
                    shown_value(&text)
                ));
            })
            .ok()
    });
    let log_id = match field(event, "event_log_id", "event_log_id") {
        None => Some(log_id_from(fingerprint)),
        Some(value) if value.is_null() => Some(log_id_from(fingerprint)),
        Some(value) => match value.as_str() {
            Some(text) => match Uuid::parse_str(&text) {
                Ok(id) if id.is_nil() => {
                    problems.push(
                        "`event_log_id` is the nil UUID (all zeroes); DFINERY keeps one event per \
                         `event_log_id` and drops the rest as duplicates: give each event its \
                         own, or leave it out (one is made from the line)"
                            .to_owned(),
                    );
                    None
                }
                Ok(id) => Some(id),
                Err(_) => {
                    problems.push(format!(
                        "`event_log_id` `{}` is not a UUID; give one like `5b0f9a0e-1c2d-4e3f-8a9b-0c1d2e3f4a5b` or leave it out",
                        shown_value(&text)
                    ));
                    None
                }
            },
            None => {
                problems.push(format!(
                    "`event_log_id` is {}; give a UUID string",
                    value.describe()
                ));
                None
            }
        },
    };
    let mut findings = Vec::new();
    let given = (
        field(event, "properties", "event_properties"),
        field(event, "items", "event_items"),
    );
    let body = dfinery_schema::check_event(definition, given.0, given.1, &mut findings);
    for finding in findings {
        word(finding, definition, given, &mut problems);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let (Some(identity), Some(definition), Some(datetime), Some(log_id)) =
        (identity, definition, datetime, log_id)
    else {
        return Err(vec!["the event is incomplete".to_owned()]);
    };
    Ok(Event {
        identity,
        definition,
        datetime,
        log_id,
        body,
        given,
    })
}

/// The end of an "unknown property" message with no close match: which properties (`noun`,
/// `property` or `item property`) event `event` has, or that it has none.
fn known(names: Option<&BTreeMap<String, PropertyDef>>, noun: &str, event: &str) -> String {
    let names: Vec<String> = names
        .into_iter()
        .flat_map(|m| m.keys())
        .map(|n| format!("`{n}`"))
        .collect();
    let plural = noun.replace("property", "properties");
    match names.split_last() {
        None => format!(
            "; event `{event}` has no {plural}: register it in the console and in the registry file, or remove it"
        ),
        Some((last, [])) => format!("; the only {noun} of event `{event}` is {last}"),
        Some((last, rest)) => format!(
            "; the {plural} of event `{event}` are {} and {last}",
            rest.join(", ")
        ),
    }
}

/// A finding of the shared check as the CLI words it, for the event `definition`.
/// `given` holds the line's `properties` and `items`, where a value a finding is about is
/// looked up to be shown.
fn word(
    finding: Finding<'_, '_>,
    definition: Option<&EventDef>,
    given: (Option<Json<'_>>, Option<Json<'_>>),
    problems: &mut Vec<String>,
) {
    let event = definition.map_or("", |d| d.name.as_str());
    let what = |place: Place, name: &str| match place {
        Place::Item(index) => format!("item property `{name}` in `items[{index}]`"),
        Place::Event | Place::User => format!("property `{name}`"),
    };
    problems.push(match finding {
        Finding::PropertiesNotObject { found } => {
            format!("`properties` is {}; give an object", found.describe())
        }
        Finding::ItemsNotArray { found } => {
            format!("`items` is {}; give an array of objects", found.describe())
        }
        Finding::ItemNotObject { index, found } => {
            format!("`items[{index}]` is {}; give an object", found.describe())
        }
        Finding::ItemsInProperties => {
            "`df_items` is not a property; give the items in `items`".to_owned()
        }
        Finding::UnknownProperty {
            place: Place::Item(index),
            name,
            close,
        } => format!(
            "unknown item property `{}` in `items[{index}]` for event `{event}`{}",
            dfinery_schema::names::shown(&name),
            match close {
                Some(_) => hint(close),
                None => known(definition.map(|d| &d.items), "item property", event),
            }
        ),
        Finding::UnknownProperty { name, close, .. } => format!(
            "unknown property `{}` for event `{event}`{}",
            dfinery_schema::names::shown(&name),
            match close {
                Some(_) => hint(close),
                None => known(definition.map(|d| &d.properties), "property", event),
            }
        ),
        Finding::Missing {
            place: Place::Item(index),
            property,
        } => format!(
            "missing required item property `{}` in `items[{index}]` of event `{event}`",
            property.name
        ),
        Finding::Missing { property, .. } => format!(
            "missing required property `{}` of event `{event}`",
            property.name
        ),
        Finding::Invalid {
            place,
            property,
            violations,
        } => {
            let what = what(place, &property.name);
            problems.extend(violations.iter().map(|v| {
                let text = v.to_string();
                // A string where a number, a Boolean or an array is registered: the string is
                // shown, as a CSV cell's text, which is read as the registered type when it
                // can be, stays one when it cannot (`1.0` for a Long, `1,5` for a Double), and
                // "found a string" alone did not say which cell, nor that it was not a number.
                let shown = matches!(v, RuleViolation::Type(_))
                    .then(|| text.strip_suffix("found a string"))
                    .flatten()
                    .zip(given_string(given, place, &property.name));
                match shown {
                    Some((expected, found)) => format!(
                        "{what}: {expected}found the string `{}`",
                        shortened(&found).escape_debug()
                    ),
                    None => format!("{what}: {text}"),
                }
            }));
            return;
        }
        Finding::ItemsRequired => format!("event `{event}` needs at least one item in `items`"),
        Finding::TakesNoItems => format!("event `{event}` takes no items; remove `items`"),
        Finding::TooManyItems { count } => format!(
            "`items` has {count} items; DFINERY takes at most {MAX_ITEMS_PER_REQUEST} items in one request, all events together, so split the items over several events"
        ),
    });
}

/// The string the line's `properties` (or its item at the index `place` gives) hold under
/// `name`; `None` when it is no string.
fn given_string<'a>(
    (properties, items): (Option<Json<'a>>, Option<Json<'a>>),
    place: Place,
    name: &str,
) -> Option<std::borrow::Cow<'a, str>> {
    let object = match place {
        Place::Event | Place::User => properties?.as_object()?,
        Place::Item(index) => items?.as_array()?.get(index)?.as_object()?,
    };
    object.get(name)?.as_str()
}

/// `text`, cut to its first 40 characters (and `…`) when longer, to be shown in a message.
fn shortened(text: &str) -> std::borrow::Cow<'_, str> {
    const SHOWN: usize = 40;
    match text.char_indices().nth(SHOWN) {
        Some((end, _)) => format!("{}…", &text[..end]).into(),
        None => text.into(),
    }
}

impl Event<'_, '_> {
    /// The record: `event_items` and `event_properties` as the line gave them when every
    /// checked value is sent as written, else written from the checked values' text; then
    /// handed to [`EventRecord::from_json_parts`].
    fn record(&self) -> Result<EventRecord, Vec<String>> {
        let cannot = |err: String| vec![format!("the event cannot be built: {err}")];
        let items_given = verbatim(self.given.1, &self.body, self.body.items.iter().flatten())
            .filter(|_| !self.body.items.is_empty());
        let properties_given = verbatim(self.given.0, &self.body, self.body.properties.iter())
            .filter(|_| !self.body.properties.is_empty());
        let mut json = String::new();
        if items_given.is_none() && !self.body.items.is_empty() {
            json.push('[');
            for (i, item) in self.body.items.iter().enumerate() {
                if i > 0 {
                    json.push(',');
                }
                write_object(&mut json, item);
            }
            json.push(']');
        }
        let split = json.len();
        if properties_given.is_none() && !self.body.properties.is_empty() {
            write_object(&mut json, &self.body.properties);
        }
        let items = match items_given {
            Some(raw) => Some(raw),
            None => raw(&json[..split]).map_err(cannot)?,
        };
        let properties = match properties_given {
            Some(raw) => Some(raw),
            None => raw(&json[split..]).map_err(cannot)?,
        };
        EventRecord::from_json_parts(
            self.log_id,
            self.definition.name.as_str(),
            self.datetime,
            items,
            properties,
        )
        .map_err(|e| cannot(e.to_string()))
    }
}

/// `given` as a `RawValue` to send as it is: when it was read as one, repeats no key and holds
/// only `values` that are sent as written.
fn verbatim<'a, 'v: 'a>(
    given: Option<Json<'a>>,
    body: &EventBody<'_, '_>,
    mut values: impl Iterator<Item = &'v Passed<'v, 'v>>,
) -> Option<&'a RawValue> {
    match given {
        Some(Json::Text(text)) if !body.repeated_keys => text
            .raw()
            .filter(|_| values.all(|(property, value)| normalized(property.ty, *value).is_none())),
        _ => None,
    }
}

/// The text a checked value of type `ty` is sent as, when it is not its own: a Double given as
/// an integer is sent as a fraction (`9000.0`), a Datetime in the wire form
/// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
fn normalized(ty: DataType, value: Json<'_>) -> Option<String> {
    let text = text(value);
    match ty {
        DataType::Double if !text.contains(['.', 'e', 'E']) => Some(format!("{text}.0")),
        // `"YYYY-MM-DDTHH:MM:SS.mmmZ"` is 26 bytes; the other wire form is shorter.
        DataType::Datetime if text.len() != 26 => value
            .as_str()
            .and_then(|s| Datetime::parse_wire(&s).ok())
            .map(|at| format!("\"{at}\"")),
        _ => None,
    }
}

/// `text` as a raw JSON value, `None` when empty.
fn raw(text: &str) -> Result<Option<&RawValue>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    serde_json::from_str(text)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Writes `{"name":value,…}`, each value as the line wrote it or [`normalized`]. Registered
/// names need no escaping.
fn write_object(out: &mut String, properties: &[Passed<'_, '_>]) {
    out.push('{');
    for (i, (property, value)) in properties.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        out.push_str(&property.name);
        out.push_str("\":");
        match normalized(property.ty, *value) {
            Some(text) => out.push_str(&text),
            None => out.push_str(&text(*value)),
        }
    }
    out.push('}');
}

/// The JSON text of `value`.
fn text(value: Json<'_>) -> std::borrow::Cow<'_, str> {
    match value {
        Json::Text(raw) => raw.get().into(),
        Json::Value(value) => value.to_string().into(),
    }
}

/// The `event_log_id` of a line without one: a UUIDv4 made from its fingerprint, the same on
/// every run.
pub fn log_id_from(fingerprint: u128) -> Uuid {
    uuid::Builder::from_random_bytes(fingerprint.to_be_bytes()).into_uuid()
}

fn field<'a>(event: &Object<'a>, short: &str, wire: &str) -> Option<Json<'a>> {
    event.get(short).or_else(|| event.get(wire))
}

/// The problem of a line without field `short`: `datetime` has no default, so the message
/// says how to write it.
fn missing(short: &str) -> String {
    match short {
        "datetime" => format!(
            "missing `datetime`, which has no default; give the time of the event as {DATETIME_FORMAT}"
        ),
        _ => format!("missing `{short}`"),
    }
}

/// A value of the line as a problem quotes it: control characters escaped, and one of more
/// than 100 characters cut to its first 40 and `…` (as the registry's checks quote a value).
fn shown_value(text: &str) -> std::borrow::Cow<'_, str> {
    dfinery_schema::names::shown_within(text, 100, 40)
}

fn string<'a>(
    event: &Object<'a>,
    short: &str,
    wire: &str,
    problems: &mut Vec<String>,
) -> Option<std::borrow::Cow<'a, str>> {
    match field(event, short, wire) {
        None => {
            problems.push(missing(short));
            None
        }
        Some(value) if value.is_null() => {
            problems.push(missing(short));
            None
        }
        Some(value) => {
            let text = value.as_str();
            if text.is_none() {
                problems.push(format!("`{short}` is {}; give a string", value.describe()));
            }
            text
        }
    }
}

fn identity(value: Option<Json<'_>>, problems: &mut Vec<String>) -> Option<Identity> {
    let map = match value {
        None => None,
        Some(value) if value.is_null() => None,
        Some(value) => match value.as_object() {
            Some(map) => Some(map),
            None => {
                problems.push(format!(
                    "`identity` is {}; give an object",
                    value.describe()
                ));
                return None;
            }
        },
    };
    let Some(map) = map else {
        problems.push(
            "missing `identity`; give at least one of `external_id`, `phone_no`, `email`, `kakao_user_id`, `line_user_id`"
                .to_owned(),
        );
        return None;
    };
    let before = problems.len();
    let mut identity: Option<Identity> = None;
    for member in identity_members(&map) {
        match member {
            IdentityMember::Unknown { field, close } => problems.push({
                let field = dfinery_schema::names::shown(&field);
                match close {
                Some(_) => format!("unknown identifier `identity.{field}`{}", hint(close)),
                None => format!(
                    "unknown identifier `identity.{field}`; the identifiers are `external_id`, `phone_no`, `email`, `kakao_user_id` and `line_user_id`"
                ),
                }
            }),
            IdentityMember::NotAString { field, found } => problems.push(format!(
                "`identity.{field}` is {}; give a string",
                found.describe()
            )),
            IdentityMember::Identifier { field, value } => {
                match add_identifier(identity.clone(), field, value.into_owned()) {
                    Ok(next) => identity = Some(next),
                    Err(err) => problems.push(err.to_string()),
                }
            }
        }
    }
    if identity.is_none() && problems.len() == before {
        problems.push(IdentityError::NoIdentifier.to_string());
    }
    identity.filter(|_| problems.len() == before)
}

/// `identity` with the identifier `field` added (a new identity when there is none yet).
fn add_identifier(
    identity: Option<Identity>,
    field: Identifier,
    value: String,
) -> Result<Identity, IdentityError> {
    match identity {
        None => Identity::new(field, value),
        Some(identity) => identity.with(field, value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn registry() -> Registry {
        Registry::parse(
            "standard_events = [\"df_login\", \"df_purchase\"]\n[events.coupon_used]\nproperties.code = { type = \"string\", required = true, max_len = 4 }\n",
        )
        .unwrap()
    }

    fn run(event: serde_json::Value) -> Result<Checked, Vec<String>> {
        check(&registry(), &event.to_string(), 7)
    }

    #[test]
    fn a_valid_purchase_is_built_with_its_items_and_a_stable_id() {
        let checked = run(json!({
            "identity": {"external_id": "u1", "email": "u1@example.com"},
            "name": "df_purchase",
            "datetime": "2024-06-24T15:01:48.501+09:00",
            "properties": {"df_order_id": "O-1", "df_payment_method": "Card",
                "df_total_purchase_amount": 9000, "df_delivery_charge": 0.0, "df_discount": 0.0},
            "items": [{"df_item_id": "S-1", "df_item_name": "Cracker", "df_price": 5000.0,
                "df_quantity": 2, "df_discount": 0.0, "df_category1": "Food"}]
        }))
        .unwrap();
        assert_eq!(checked.identity.get(Identifier::ExternalId), Some("u1"));
        assert_eq!(checked.record.event_log_id(), log_id_from(7));
        assert_eq!(checked.record.event_log_id().get_version_num(), 4);
        let wire = serde_json::to_value(&checked.record).unwrap();
        assert_eq!(wire["event_datetime"], "2024-06-24T06:01:48.501Z");
        assert_eq!(
            wire["event_properties"]["df_total_purchase_amount"],
            json!(9000.0)
        );
        assert_eq!(wire["event_items"][0]["df_quantity"], 2);
    }

    #[test]
    fn every_problem_of_a_line_is_listed_with_the_fix() {
        let problems = run(json!({
            "identity": {},
            "name": "coupon_used",
            "datetime": "yesterday",
            "properties": {"cod": "x", "extra": 1},
            "itemz": []
        }))
        .unwrap_err();
        assert_eq!(
            problems,
            [
                "unknown field `itemz`; did you mean `items`?",
                "the identity has no identifier; give at least one of `external_id`, `phone_no`, `email`, `kakao_user_id`, `line_user_id`",
                "`datetime` `yesterday` is not a datetime; give `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC) or RFC 3339 with an offset",
                "unknown property `cod` for event `coupon_used`; did you mean `code`?",
                "unknown property `extra` for event `coupon_used`; the only property of event `coupon_used` is `code`",
                "missing required property `code` of event `coupon_used`",
            ]
        );
    }

    #[test]
    fn a_key_s_control_characters_are_escaped_in_its_problem() {
        // A key holding a line break and a terminal escape was printed raw: "unknown field
        // `a" on one line, then "b" in red on the next.
        let key = "a\nb\u{1b}[31m";
        let problems = run(json!({
            "identity": {"external_id": "u1", key: "x"},
            "name": "coupon_used",
            "datetime": "2024-06-24T06:01:48.501Z",
            "properties": {"code": "C1", key: 1},
            key: 1
        }))
        .unwrap_err();
        let shown = "a\\nb\\u{1b}[31m";
        assert_eq!(
            problems,
            [
                format!(
                    "unknown field `{shown}`; an event has `identity`, `name`, `datetime`, `properties`, `items` and `event_log_id`"
                ),
                format!(
                    "unknown identifier `identity.{shown}`; the identifiers are `external_id`, `phone_no`, `email`, `kakao_user_id` and `line_user_id`"
                ),
                format!(
                    "unknown property `{shown}` for event `coupon_used`; the only property of event `coupon_used` is `code`"
                ),
            ]
        );
        assert!(problems.iter().all(|p| !p.contains(['\n', '\u{1b}'])));
    }

    #[test]
    fn a_name_datetime_or_id_is_shown_escaped_and_cut_in_its_problem() {
        // The unknown keys were escaped, but the values of `name`, `datetime` and
        // `event_log_id` were quoted raw and whole: a line break split the report, an escape
        // restyled the terminal, and a 100 KB name was printed whole for its line.
        let bad = "a\nb\u{1b}[31m";
        let long = "x".repeat(100_000);
        let escaped = "a\\nb\\u{1b}[31m";
        for (name, as_name, as_value) in [
            (bad, escaped.to_owned(), escaped.to_owned()),
            (
                &long,
                format!("{}…", &long[..20]),
                format!("{}…", &long[..40]),
            ),
        ] {
            let problems = run(json!({
                "identity": {"external_id": "u1"},
                "name": name,
                "datetime": name,
                "event_log_id": name
            }))
            .unwrap_err();
            assert_eq!(problems.len(), 3, "{problems:?}");
            assert!(
                problems[0].starts_with(&format!("unknown event `{as_name}`;")),
                "{}",
                &problems[0][..200.min(problems[0].len())]
            );
            assert!(problems[1].starts_with(&format!("`datetime` `{as_value}` is not")));
            assert!(problems[2].starts_with(&format!("`event_log_id` `{as_value}` is not")));
            assert!(
                problems
                    .iter()
                    .all(|p| !p.contains(['\n', '\u{1b}']) && p.len() < 1_000)
            );
        }
    }

    #[test]
    fn registry_rules_apply_to_values_and_items() {
        let problems = run(json!({
            "identity": {"external_id": "u1", "phone_no": "+82 10"},
            "name": "coupon_used",
            "datetime": "2024-06-24T06:01:48.501Z",
            "properties": {"code": "TOO-LONG"},
            "items": [{"sku": "x"}]
        }))
        .unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("`phone_no`"), "{problems:?}");
        assert_eq!(
            problems[1],
            "property `code`: value is 8 characters long; `max_len` is 4"
        );
        assert_eq!(
            problems[2],
            "event `coupon_used` takes no items; remove `items`"
        );
        let problems = run(json!({
            "identity": {"external_id": "u1"}, "name": "df_logn",
            "datetime": "2024-06-24T06:01:48.501Z", "event_log_id": "nope"
        }))
        .unwrap_err();
        assert_eq!(
            problems,
            [
                "unknown event `df_logn`; did you mean `df_login`?",
                "`event_log_id` `nope` is not a UUID; give one like `5b0f9a0e-1c2d-4e3f-8a9b-0c1d2e3f4a5b` or leave it out",
            ]
        );
    }

    /// A nil `event_log_id` is a problem of its line in the checking pass (`validate`, which
    /// builds no record): it passed there, and the sending pass, whose record refuses it,
    /// skipped the line without a word while the send reported success.
    #[test]
    fn a_nil_event_log_id_is_a_problem_of_its_line_in_both_passes() {
        let line = json!({
            "identity": {"external_id": "u1"}, "name": "df_login",
            "datetime": "2024-06-24T06:01:48.501Z",
            "event_log_id": "00000000-0000-0000-0000-000000000000"
        })
        .to_string();
        let expected = [
            "`event_log_id` is the nil UUID (all zeroes); DFINERY keeps one event per `event_log_id` and drops the rest as duplicates: give each event its own, or leave it out (one is made from the line)",
        ];
        assert_eq!(validate(&registry(), &line).unwrap_err(), expected);
        assert_eq!(check(&registry(), &line, 7).unwrap_err(), expected);
    }

    #[test]
    fn values_are_sent_as_written_unless_a_key_repeats_or_a_value_needs_its_wire_form() {
        let line = |properties: &str| {
            format!(
                r#"{{"identity":{{"external_id":"u1"}},"name":"coupon_used","datetime":"2024-06-24T06:01:48.501Z","properties":{properties}}}"#
            )
        };
        let sent = |properties: &str| {
            check(&registry(), &line(properties), 7)
                .unwrap()
                .record
                .event_properties()
                .unwrap()
                .get()
                .to_owned()
        };
        assert_eq!(sent(r#"{ "code": "A\u0042" }"#), r#"{ "code": "A\u0042" }"#);
        assert_eq!(sent(r#"{"code":"X","code":"AB"}"#), r#"{"code":"AB"}"#);
        let registry = Registry::parse(
            "[events.paid]\nproperties.amount = \"double\"\nproperties.at = \"datetime\"\n",
        )
        .unwrap();
        let text = r#"{"identity":{"external_id":"u1"},"name":"paid","datetime":"2024-06-24T06:01:48Z","properties":{"amount":9000,"at":"2024-06-24T06:01:48Z"}}"#;
        let record = check(&registry, text, 7).unwrap().record;
        assert_eq!(
            record.event_properties().unwrap().get(),
            r#"{"amount":9000.0,"at":"2024-06-24T06:01:48.000Z"}"#
        );
    }

    /// Half a surrogate pair (`\ud800` alone) passed the borrowed reading of the line, then
    /// made the field it was in unreadable, each said to be what it is: "`name` is a string;
    /// give a string", "`properties` is an object; give an object".
    #[test]
    fn half_a_surrogate_pair_is_named_where_it_is_and_a_whole_pair_is_a_character() {
        let line = |name: &str, code: &str| {
            format!(
                r#"{{"identity":{{"external_id":"u1"}},"name":"{name}","datetime":"2024-06-24T06:01:48.501Z","properties":{{"code":"{code}"}}}}"#
            )
        };
        let problems = check(&registry(), &line("coupon_used\\ud800", "A"), 7).unwrap_err();
        assert_eq!(
            problems,
            [
                "the line is not JSON: `\\ud800` at column 53 is half of a UTF-16 surrogate pair, which no text can hold (a character past U+FFFF, such as an emoji, is written as two escapes, e.g. `\\ud83d\\ude00`); write both halves, or the character itself"
            ]
        );
        for code in [
            r"\udc00",
            r"\ud83d",
            r"\ud83dx",
            r"\ude00\ud83d",
            r"\\\udc00",
        ] {
            let problems = validate(&registry(), &line("coupon_used", code)).unwrap_err();
            assert!(
                problems[0].contains("half of a UTF-16 surrogate pair"),
                "{code}: {problems:?}"
            );
        }
        // A whole pair, an escaped backslash before `u`, and other escapes are text.
        for id in [
            r"\ud83d\ude00",
            r"\\ud800",
            r"\\\ud83d\ude00",
            r"A\u0042",
            r#"\"\n"#,
        ] {
            let line = format!(
                r#"{{"identity":{{"external_id":"u{id}"}},"name":"df_login","datetime":"2024-06-24T06:01:48.501Z"}}"#
            );
            assert!(validate(&registry(), &line).is_ok(), "{id}");
        }
    }

    /// A CSV cell that is not of its property's type stays a string (`1.0` for a Long, `1,5`
    /// for a Double, `yes` for a Boolean): the report said "found a string", which every cell
    /// is, without the cell's text.
    #[test]
    fn a_string_given_for_another_type_is_shown() {
        let registry = Registry::parse(
            "[events.paid]\nproperties.seq = \"long\"\nproperties.amount = \"double\"\nitems.qty = \"long\"\n",
        )
        .unwrap();
        let long = "x".repeat(50);
        let line = format!(
            r#"{{"identity":{{"external_id":"u1"}},"name":"paid","datetime":"2024-06-24T06:01:48.501Z","properties":{{"seq":"1.0","amount":"{long}"}},"items":[{{"qty":2}},{{"qty":"two\"s"}}]}}"#
        );
        assert_eq!(
            validate(&registry, &line).unwrap_err(),
            [
                format!(
                    "property `amount`: expected a Double (JSON number), found the string `{}…`",
                    "x".repeat(40)
                ),
                "property `seq`: expected a Long (JSON integer), found the string `1.0`".to_owned(),
                "item property `qty` in `items[1]`: expected a Long (JSON integer), found the string `two\\\"s`".to_owned(),
            ]
        );
    }

    #[test]
    fn the_wire_names_are_accepted_and_a_given_id_is_kept() {
        let id = "5b0f9a0e-1c2d-4e3f-8a9b-0c1d2e3f4a5b";
        let checked = run(json!({
            "identity": {"external_id": "u1"}, "event_name": "df_login",
            "event_datetime": "2024-06-24T06:01:48Z", "event_log_id": id
        }))
        .unwrap();
        assert_eq!(checked.record.event_log_id().to_string(), id);
    }
}
