//! Turns a typed [`Event`] or [`Profile`] (or the dynamic builders' fields) into checked,
//! pre-serialised JSON.

use std::borrow::Cow;

use dfinery_schema::names::NameError;
use serde_json::value::RawValue;
use uuid::Uuid;

use super::scratch::with_scratch;
use super::{EventRecord, UserProperties, ValidationError};
use crate::encode::json;
use crate::encode::model::{Event, Profile};
use crate::encode::property::Rule;
use crate::encode::value::Datetime;
use crate::encode::writer::{ItemsWriter, ObjectPath, ObjectWriter, Violation, Written};

/// The serialised parts of one event before they become an [`EventRecord`].
pub(crate) struct EventParts<'a> {
    pub name: Cow<'static, str>,
    pub log_id: Option<Uuid>,
    pub datetime: Option<Datetime>,
    /// The `event_properties` object as written.
    pub properties: &'a [u8],
    pub properties_written: Written,
    /// The `event_items` array as written.
    pub items: &'a [u8],
    pub items_written: Written,
    pub violations: Vec<Violation>,
}

/// [`Event::to_record`]. Only this shim is generic: it is compiled once per event type (in the
/// user's crate, for every derived event), so it hands the event to [`encode_event_parts`]
/// as two closures and keeps the rest compiled once, here.
pub(crate) fn encode_event<E: Event + ?Sized>(event: &E) -> Result<EventRecord, ValidationError> {
    encode_event_parts(
        event.event_name(),
        event.event_log_id(),
        event.event_datetime(),
        &mut |w| event.write_properties(w),
        &mut |w| event.write_items(w),
    )
}

/// Writes an event's properties and items with `write_properties` and `write_items`, then
/// builds the record.
fn encode_event_parts(
    name: &'static str,
    log_id: Option<Uuid>,
    datetime: Option<Datetime>,
    write_properties: &mut dyn FnMut(&mut ObjectWriter<'_>),
    write_items: &mut dyn FnMut(&mut ItemsWriter<'_>),
) -> Result<EventRecord, ValidationError> {
    with_scratch(|buf| {
        let mut violations = Vec::new();
        let mut w = ObjectWriter::new(buf, &mut violations, ObjectPath::EventProperties);
        write_properties(&mut w);
        let properties_written = w.finish_written();
        let split = buf.len();
        let mut w = ItemsWriter::new(buf, &mut violations);
        write_items(&mut w);
        let items_written = w.finish_written();
        let (properties, items) = buf.split_at(split);
        finish_event(EventParts {
            name: Cow::Borrowed(name),
            log_id,
            datetime,
            properties,
            properties_written,
            items,
            items_written,
            violations,
        })
    })
}

/// Checks the collected violations and builds the record: an empty `event_properties` object
/// and an empty `event_items` array are left out.
pub(crate) fn finish_event(mut parts: EventParts<'_>) -> Result<EventRecord, ValidationError> {
    match dfinery_schema::names::check_name(&parts.name) {
        Ok(()) => {}
        Err(NameError::Empty) => parts.violations.push(Violation {
            path: "event_name".to_owned(),
            property: Cow::Borrowed("event_name"),
            rule: Rule::Missing,
        }),
        Err(error) => parts.violations.push(Violation {
            path: "event_name".to_owned(),
            property: Cow::Borrowed("event_name"),
            rule: Rule::BadName(error),
        }),
    }
    if parts.log_id.is_some_and(|id| id.is_nil()) {
        parts.violations.push(nil_event_log_id());
    }
    let mut properties = None;
    let mut items = None;
    let item_count = parts.items_written.count;
    if parts.violations.is_empty() {
        if parts.properties_written.count > 0 {
            properties = text(
                parts.properties,
                parts.properties_written,
                "event_properties",
                &mut parts.violations,
            );
        }
        if parts.items_written.count > 0 {
            items = text(
                parts.items,
                parts.items_written,
                "event_items",
                &mut parts.violations,
            );
        }
    }
    if !parts.violations.is_empty() {
        return Err(ValidationError {
            subject: format!("event `{}`", dfinery_schema::names::shown(&parts.name)),
            violations: parts.violations,
        });
    }
    Ok(EventRecord::from_parts(
        parts.log_id.unwrap_or_else(Uuid::new_v4),
        parts.name,
        parts.datetime.unwrap_or_else(Datetime::now),
        items,
        properties,
        Some(if items.is_some() { item_count } else { 0 }),
    ))
}

/// The violation of an event whose `event_log_id` is the nil UUID ([`Rule::NilEventLogId`]).
pub(crate) fn nil_event_log_id() -> Violation {
    Violation {
        path: "event_log_id".to_owned(),
        property: Cow::Borrowed("event_log_id"),
        rule: Rule::NilEventLogId,
    }
}

/// [`Profile::to_user_properties`]: like [`encode_event`], a generic shim over
/// [`encode_profile_parts`].
pub(crate) fn encode_profile<P: Profile + ?Sized>(
    profile: &P,
    rust_name: &str,
) -> Result<UserProperties, ValidationError> {
    encode_profile_parts(rust_name, &mut |w| profile.write_user_properties(w))
}

/// Writes a profile's user properties with `write`, then wraps them.
fn encode_profile_parts(
    rust_name: &str,
    write: &mut dyn FnMut(&mut ObjectWriter<'_>),
) -> Result<UserProperties, ValidationError> {
    with_scratch(|buf| {
        let mut violations = Vec::new();
        let mut w = ObjectWriter::new(buf, &mut violations, ObjectPath::UserProperties);
        write(&mut w);
        let written = w.finish_written();
        finish_user_properties(buf, written, violations, || {
            format!("profile `{rust_name}`")
        })
    })
}

/// Checks the collected violations and wraps the object; `subject` names it in an error.
pub(crate) fn finish_user_properties(
    out: &[u8],
    written: Written,
    mut violations: Vec<Violation>,
    subject: impl FnOnce() -> String,
) -> Result<UserProperties, ValidationError> {
    if violations.is_empty()
        && let Some(raw) = raw(out, written, "user_properties", &mut violations)
    {
        return Ok(UserProperties::from_raw_unchecked(raw));
    }
    Err(ValidationError {
        subject: subject(),
        violations,
    })
}

/// The written bytes as text. The writers only write valid JSON, so the bytes are parsed
/// again only when a third-party `PropertyValue` that does not promise valid JSON wrote some
/// of them; if those are broken, that is [`Rule::MalformedJson`] on `path`.
fn text<'a>(
    bytes: &'a [u8],
    written: Written,
    path: &'static str,
    violations: &mut Vec<Violation>,
) -> Option<&'a str> {
    json::checked_text(bytes, written.valid_json)
        .map_err(|reason| malformed(path, reason, violations))
        .ok()
}

/// [`text`] as a `RawValue`, copied out at its exact size.
fn raw(
    bytes: &[u8],
    written: Written,
    path: &'static str,
    violations: &mut Vec<Violation>,
) -> Option<Box<RawValue>> {
    json::raw_value(bytes, written.valid_json)
        .map_err(|reason| malformed(path, reason, violations))
        .ok()
}

/// Records [`Rule::MalformedJson`] on `path`.
fn malformed(path: &'static str, reason: String, violations: &mut Vec<Violation>) {
    violations.push(Violation {
        path: path.to_owned(),
        property: Cow::Borrowed(path),
        rule: Rule::MalformedJson { reason },
    });
}
