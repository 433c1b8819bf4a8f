//! Turns a typed [`Event`] or [`Profile`] (or the dynamic builders' fields) into checked,
//! pre-serialised JSON.

use std::borrow::Cow;

use serde_json::value::RawValue;
use uuid::Uuid;

use super::{EventRecord, UserProperties, ValidationError};
use crate::model::{Event, Profile};
use crate::property::Rule;
use crate::value::Datetime;
use crate::writer::{ItemsWriter, ObjectPath, ObjectWriter, Violation};

/// The serialised parts of one event before they become an [`EventRecord`].
pub(crate) struct EventParts {
    pub name: String,
    pub log_id: Option<Uuid>,
    pub datetime: Option<Datetime>,
    pub properties: Vec<u8>,
    pub property_count: usize,
    pub items: Vec<u8>,
    pub item_count: usize,
    pub violations: Vec<Violation>,
}

/// [`Event::to_record`].
pub(crate) fn encode_event<E: Event + ?Sized>(event: &E) -> Result<EventRecord, ValidationError> {
    let mut violations = Vec::new();
    let mut properties = Vec::with_capacity(256);
    let mut w = ObjectWriter::new(
        &mut properties,
        &mut violations,
        ObjectPath::EventProperties,
    );
    event.write_properties(&mut w);
    let property_count = w.finish();
    let mut items = Vec::new();
    let mut w = ItemsWriter::new(&mut items, &mut violations);
    event.write_items(&mut w);
    let item_count = w.finish();
    finish_event(EventParts {
        name: event.event_name().to_owned(),
        log_id: event.event_log_id(),
        datetime: event.event_datetime(),
        properties,
        property_count,
        items,
        item_count,
        violations,
    })
}

/// Checks the collected violations and builds the record: an empty `event_properties` object
/// and an empty `event_items` array are left out.
pub(crate) fn finish_event(mut parts: EventParts) -> Result<EventRecord, ValidationError> {
    if parts.name.is_empty() {
        parts.violations.push(Violation {
            path: "event_name".to_owned(),
            property: Cow::Borrowed("event_name"),
            rule: Rule::Missing,
        });
    }
    let mut properties = None;
    let mut items = None;
    if parts.violations.is_empty() {
        if parts.property_count > 0 {
            properties = raw(parts.properties, "event_properties", &mut parts.violations);
        }
        if parts.item_count > 0 {
            items = raw(parts.items, "event_items", &mut parts.violations);
        }
    }
    if !parts.violations.is_empty() {
        return Err(ValidationError {
            subject: format!("event `{}`", parts.name),
            violations: parts.violations,
        });
    }
    Ok(EventRecord::from_parts(
        parts.log_id.unwrap_or_else(Uuid::new_v4),
        parts.name,
        parts.datetime.unwrap_or_else(Datetime::now),
        items,
        properties,
    ))
}

/// [`Profile::to_user_properties`].
pub(crate) fn encode_profile<P: Profile + ?Sized>(
    profile: &P,
    rust_name: &str,
) -> Result<UserProperties, ValidationError> {
    let mut violations = Vec::new();
    let mut out = Vec::with_capacity(256);
    let mut w = ObjectWriter::new(&mut out, &mut violations, ObjectPath::UserProperties);
    profile.write_user_properties(&mut w);
    w.finish();
    finish_user_properties(out, violations, format!("profile `{rust_name}`"))
}

/// Checks the collected violations and wraps the object.
pub(crate) fn finish_user_properties(
    out: Vec<u8>,
    mut violations: Vec<Violation>,
    subject: String,
) -> Result<UserProperties, ValidationError> {
    if violations.is_empty()
        && let Some(raw) = raw(out, "user_properties", &mut violations)
    {
        return Ok(UserProperties::from_raw_unchecked(raw));
    }
    Err(ValidationError {
        subject,
        violations,
    })
}

/// The written bytes as a `RawValue`. The writers only write valid JSON; a third-party
/// `PropertyValue` that does not is reported as [`Rule::MalformedJson`] on `path`.
fn raw(
    bytes: Vec<u8>,
    path: &'static str,
    violations: &mut Vec<Violation>,
) -> Option<Box<RawValue>> {
    let parsed = String::from_utf8(bytes)
        .map_err(|e| e.to_string())
        .and_then(|text| RawValue::from_string(text).map_err(|e| e.to_string()));
    match parsed {
        Ok(raw) => Some(raw),
        Err(reason) => {
            violations.push(Violation {
                path: path.to_owned(),
                property: Cow::Borrowed(path),
                rule: Rule::MalformedJson { reason },
            });
            None
        }
    }
}
