//! One event of the file checked against the registry and built into what the Tracker sends:
//! its [`Identity`] and an [`EventRecord`]. Every problem of the line is listed, each naming
//! the field, the property and the rule, with the fix where there is one.

use dfinery_core::ItemBuilder;
use dfinery_core::{Datetime, EventRecord, Identity, IdentityError, Value};
use dfinery_schema::did_you_mean as hint;
use dfinery_schema::limits::MAX_ITEMS_PER_REQUEST;
use dfinery_schema::{EventDef, JsonView, PropertyDef, Registry, suggest};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use super::input::IDENTITY_FIELDS;

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

/// Checks `event` against `registry` and builds it; `fingerprint` makes its `event_log_id`
/// when the line gives none.
///
/// # Errors
///
/// Every problem of the line, one message each.
pub fn check(
    registry: &Registry,
    event: &Map<String, Json>,
    fingerprint: u128,
) -> Result<Checked, Vec<String>> {
    let mut problems = Vec::new();
    for key in event.keys() {
        if !FIELDS.contains(&key.as_str()) {
            problems.push(match suggest(key, FIELDS) {
                Some(close) => format!("unknown field `{key}`; did you mean `{close}`?"),
                None => format!(
                    "unknown field `{key}`; an event has `identity`, `name`, `datetime`, `properties`, `items` and `event_log_id`"
                ),
            });
        }
    }
    let identity = identity(field(event, "identity", "identity"), &mut problems);
    let name = string(event, "name", "event_name", &mut problems);
    let definition = name.and_then(|name| {
        let found = registry.event(name);
        if found.is_none() {
            problems.push(match registry.suggest_event(name) {
                Some(close) => format!("unknown event `{name}`; did you mean `{close}`?"),
                None => format!(
                    "unknown event `{name}`; register it in the console and in the registry file"
                ),
            });
        }
        found
    });
    let datetime = string(event, "datetime", "event_datetime", &mut problems).and_then(|text| {
        text.parse::<Datetime>()
            .map_err(|_| {
                problems.push(format!(
                    "`datetime` `{text}` is not a datetime; give `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC) or RFC 3339 with an offset"
                ));
            })
            .ok()
    });
    let log_id = match field(event, "event_log_id", "event_log_id") {
        None | Some(Json::Null) => Some(log_id_from(fingerprint)),
        Some(Json::String(text)) => match Uuid::parse_str(text) {
            Ok(id) => Some(id),
            Err(_) => {
                problems.push(format!(
                    "`event_log_id` `{text}` is not a UUID; give one like `5b0f9a0e-1c2d-4e3f-8a9b-0c1d2e3f4a5b` or leave it out"
                ));
                None
            }
        },
        Some(other) => {
            problems.push(format!(
                "`event_log_id` is {}; give a UUID string",
                kind(other)
            ));
            None
        }
    };
    let properties = object(
        field(event, "properties", "event_properties"),
        "properties",
        &mut problems,
    );
    let items = items(field(event, "items", "event_items"), &mut problems);
    let mut builder = None;
    if let Some(definition) = definition {
        let mut values = Vec::new();
        check_properties(definition, properties, &mut problems, |key, value| {
            values.push((key.to_owned(), value));
        });
        let mut built_items = Vec::with_capacity(items.len());
        check_items(definition, &items, &mut problems, &mut built_items);
        let record = values.into_iter().fold(
            EventRecord::builder(definition.name.clone()),
            |b, (k, v)| b.property(k, v),
        );
        builder = Some(built_items.into_iter().fold(record, |b, item| b.item(item)));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let (Some(identity), Some(mut builder), Some(datetime), Some(log_id)) =
        (identity, builder, datetime, log_id)
    else {
        return Err(vec!["the event is incomplete".to_owned()]);
    };
    builder = builder.event_datetime(datetime).event_log_id(log_id);
    match builder.build() {
        Ok(record) => Ok(Checked { identity, record }),
        Err(err) => Err(vec![err.to_string()]),
    }
}

/// The `event_log_id` of a line without one: a UUIDv4 made from its fingerprint, the same on
/// every run.
pub fn log_id_from(fingerprint: u128) -> Uuid {
    uuid::Builder::from_random_bytes(fingerprint.to_be_bytes()).into_uuid()
}

fn field<'a>(event: &'a Map<String, Json>, short: &str, wire: &str) -> Option<&'a Json> {
    event.get(short).or_else(|| event.get(wire))
}

fn string<'a>(
    event: &'a Map<String, Json>,
    short: &str,
    wire: &str,
    problems: &mut Vec<String>,
) -> Option<&'a str> {
    match field(event, short, wire) {
        Some(Json::String(s)) => Some(s),
        None | Some(Json::Null) => {
            problems.push(format!("missing `{short}`"));
            None
        }
        Some(other) => {
            problems.push(format!("`{short}` is {}; give a string", kind(other)));
            None
        }
    }
}

/// The object `value` holds (`None` when absent, null or not an object: a problem then).
fn object<'a>(
    value: Option<&'a Json>,
    name: &str,
    problems: &mut Vec<String>,
) -> Option<&'a Map<String, Json>> {
    match value {
        None | Some(Json::Null) => None,
        Some(Json::Object(map)) => Some(map),
        Some(other) => {
            problems.push(format!("`{name}` is {}; give an object", kind(other)));
            None
        }
    }
}

fn items<'a>(value: Option<&'a Json>, problems: &mut Vec<String>) -> Vec<&'a Map<String, Json>> {
    match value {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| match item {
                Json::Object(map) => Some(map),
                other => {
                    problems.push(format!("`items[{i}]` is {}; give an object", kind(other)));
                    None
                }
            })
            .collect(),
        Some(other) => {
            problems.push(format!(
                "`items` is {}; give an array of objects",
                kind(other)
            ));
            Vec::new()
        }
    }
}

fn identity(value: Option<&Json>, problems: &mut Vec<String>) -> Option<Identity> {
    let map = match value {
        Some(Json::Object(map)) => map,
        None | Some(Json::Null) => {
            problems.push(
                "missing `identity`; give at least one of `external_id`, `phone_no`, `email`, `kakao_user_id`, `line_user_id`"
                    .to_owned(),
            );
            return None;
        }
        Some(other) => {
            problems.push(format!("`identity` is {}; give an object", kind(other)));
            return None;
        }
    };
    let before = problems.len();
    let mut identity: Option<Identity> = None;
    for (key, value) in map {
        let Some(field) = IDENTITY_FIELDS.iter().find(|f| **f == key) else {
            problems.push(format!(
                "unknown identifier `identity.{key}`{}",
                hint(suggest(key, IDENTITY_FIELDS))
            ));
            continue;
        };
        let Json::String(value) = value else {
            problems.push(format!(
                "`identity.{key}` is {}; give a string",
                kind(value)
            ));
            continue;
        };
        match add_identifier(identity.as_ref(), field, value) {
            Ok(next) => identity = Some(next),
            Err(err) => problems.push(err.to_string()),
        }
    }
    if identity.is_none() && problems.len() == before {
        problems.push(IdentityError::NoIdentifier.to_string());
    }
    identity.filter(|_| problems.len() == before)
}

/// `identity` with the identifier `field` added (a new identity when there is none yet).
fn add_identifier(
    identity: Option<&Identity>,
    field: &str,
    value: &str,
) -> Result<Identity, IdentityError> {
    let value = value.to_owned();
    match (identity.cloned(), field) {
        (None, "external_id") => Identity::from_external_id(value),
        (None, "phone_no") => Identity::from_phone_no(value),
        (None, "email") => Identity::from_email(value),
        (None, "kakao_user_id") => Identity::from_kakao_user_id(value),
        (None, _) => Identity::from_line_user_id(value),
        (Some(i), "external_id") => i.with_external_id(value),
        (Some(i), "phone_no") => i.with_phone_no(value),
        (Some(i), "email") => i.with_email(value),
        (Some(i), "kakao_user_id") => i.with_kakao_user_id(value),
        (Some(i), _) => i.with_line_user_id(value),
    }
}

/// Checks every property of `properties` (and the required ones), handing each valid one to
/// `add`.
fn check_properties(
    definition: &EventDef,
    properties: Option<&Map<String, Json>>,
    problems: &mut Vec<String>,
    mut add: impl FnMut(&str, Value),
) {
    for (key, value) in properties.into_iter().flatten() {
        if key == "df_items" {
            problems.push("`df_items` is not a property; give the items in `items`".to_owned());
            continue;
        }
        let Some(property) = definition.property(key) else {
            problems.push(format!(
                "unknown property `{key}` for event `{}`{}",
                definition.name,
                hint(definition.suggest_property(key))
            ));
            continue;
        };
        if let Some(value) = check_value(property, value, || format!("property `{key}`"), problems)
        {
            add(key, value);
        }
    }
    for required in definition.required_properties() {
        if !properties.is_some_and(|p| p.contains_key(&required.name)) {
            problems.push(format!(
                "missing required property `{}` of event `{}`",
                required.name, definition.name
            ));
        }
    }
}

fn check_items(
    definition: &EventDef,
    items: &[&Map<String, Json>],
    problems: &mut Vec<String>,
    built: &mut Vec<ItemBuilder>,
) {
    if items.is_empty() {
        if definition.items_required {
            problems.push(format!(
                "event `{}` needs at least one item in `items`",
                definition.name
            ));
        }
        return;
    }
    if !definition.takes_items() {
        problems.push(format!(
            "event `{}` takes no items; remove `items`",
            definition.name
        ));
        return;
    }
    if items.len() > MAX_ITEMS_PER_REQUEST {
        problems.push(format!(
            "`items` has {} items; DFINERY takes at most {MAX_ITEMS_PER_REQUEST} items in one request, all events together, so split the items over several events",
            items.len()
        ));
    }
    for (index, item) in items.iter().enumerate() {
        let mut builder = ItemBuilder::new();
        for (key, value) in *item {
            let Some(property) = definition.item_property(key) else {
                problems.push(format!(
                    "unknown item property `{key}` in `items[{index}]` for event `{}`{}",
                    definition.name,
                    hint(definition.suggest_item_property(key))
                ));
                continue;
            };
            let what = || format!("item property `{key}` in `items[{index}]`");
            if let Some(value) = check_value(property, value, what, problems) {
                builder = builder.property(key.clone(), value);
            }
        }
        for required in definition.required_items() {
            if !item.contains_key(&required.name) {
                problems.push(format!(
                    "missing required item property `{}` in `items[{index}]` of event `{}`",
                    required.name, definition.name
                ));
            }
        }
        built.push(builder);
    }
}

/// The value of `property`, or its problems (`what` names it; called only for a problem).
fn check_value(
    property: &PropertyDef,
    value: &Json,
    what: impl Fn() -> String,
    problems: &mut Vec<String>,
) -> Option<Value> {
    if let Err(violations) = property.check(&view(value)) {
        let what = what();
        for violation in violations {
            problems.push(format!("{what}: {violation}"));
        }
        return None;
    }
    match Value::from_json(property.ty, value) {
        Ok(value) => Some(value),
        Err(err) => {
            problems.push(format!("{}: {err}", what()));
            None
        }
    }
}

/// `value` as the schema's type rules see it.
pub fn view(value: &Json) -> JsonView<'_> {
    match value {
        Json::Null => JsonView::Null,
        Json::Bool(b) => JsonView::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => JsonView::Integer(i),
            None if n.is_u64() => JsonView::BigInteger,
            None => JsonView::Fraction(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => JsonView::String(s),
        Json::Array(items) => JsonView::Array(items.iter().map(view).collect()),
        Json::Object(_) => JsonView::Object,
    }
}

fn kind(value: &Json) -> &'static str {
    view(value).describe()
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
        check(&registry(), event.as_object().unwrap(), 7)
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
        assert_eq!(checked.identity.external_id(), Some("u1"));
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
                "unknown property `extra` for event `coupon_used`",
                "missing required property `code` of event `coupon_used`",
            ]
        );
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
