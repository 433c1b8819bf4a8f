//! The checks of `#[derive(DfineryEvent)]`: the event is registered, every field fills one of
//! its properties, every required property is filled, and the items field fits the event.

use super::field::{self, Target};
use super::names::{EventNameFrom, find_event};
use super::{Property, Scope};
use crate::ast::{self, Field, Role, Struct};
use crate::errors::Errors;
use crate::registry::{self, Loaded};

/// An event struct that passed every check.
pub struct CheckedEvent<'f, 'a> {
    /// The registered event name.
    pub name: String,
    /// Every property field, in field order.
    pub properties: Vec<Property<'f, 'a>>,
    /// The items field and whether the event requires items.
    pub items: Option<(&'f Field<'a>, bool)>,
    /// The `datetime` field.
    pub datetime: Option<&'f Field<'a>>,
    /// The `log_id` field.
    pub log_id: Option<&'f Field<'a>>,
    /// The registry file.
    pub registry: Loaded,
}

/// The one field with `role`, or an error at each extra one.
fn only_one<'f, 'a>(
    fields: &'f [Field<'a>],
    role: &Role,
    key: &str,
    errors: &mut Errors,
) -> Option<&'f Field<'a>> {
    let mut with_role = fields.iter().filter(|f| f.role.same_as(role));
    let first = with_role.next();
    for extra in with_role {
        errors.at(
            extra.ident.span(),
            format!(
                "`#[dfinery({key})]` is already on field `{}`; an event has one such field",
                first.map(Field::rust_name).unwrap_or_default()
            ),
        );
    }
    first
}

/// Checks an event struct.
pub fn check_event<'f, 'a>(
    input: &'f Struct<'a>,
    errors: &mut Errors,
) -> Option<CheckedEvent<'f, 'a>> {
    let items = only_one(&input.fields, &Role::Items, "items", errors);
    let datetime = only_one(&input.fields, &Role::Datetime, "datetime", errors);
    let log_id = only_one(&input.fields, &Role::LogId, "log_id", errors);
    if !input.attrs_ok {
        return None;
    }
    let loaded = registry::load(input.registry.as_ref(), input.ident.span(), errors)?;
    let (name, span, from) = match input.events.first() {
        Some(lit) => (lit.value(), lit.span(), EventNameFrom::Attribute),
        None => (
            ast::default_event_name(input.ident),
            input.ident.span(),
            EventNameFrom::StructName,
        ),
    };
    let event = find_event(&loaded, &name, span, from, errors)?;
    let file = &loaded.display;
    let target = Target {
        properties: &event.properties,
        scope: Scope::Event,
        owner: format!(" for event `{name}`"),
        unknown_fix: format!(
            "register it under `[events.{name}]` in `{file}` or mark the field `#[dfinery(skip)]`"
        ),
        elsewhere: Some((
            &event.items,
            "it is an item property: put it on the item type (`#[derive(DfineryItem)]`) held by a `#[dfinery(items)]` field",
        )),
        not_enabled: None,
    };
    let checked = field::check_all(&input.fields, &target, errors);
    let missing = field::missing_required(&checked, &target);
    let properties = checked.properties;
    if !missing.is_empty() {
        errors.at(
            input.ident.span(),
            field::missing_message(&missing, &target),
        );
    }
    match items {
        Some(items) if !event.takes_items() => errors.at(
            items.ident.span(),
            format!(
                "event `{name}` takes no items (it has no item properties in `{file}`); remove the `#[dfinery(items)]` field"
            ),
        ),
        None if event.items_required => errors.at(
            input.ident.span(),
            format!(
                "event `{name}` requires items; add a field `#[dfinery(items)] items: Vec<T>` where `T` derives `DfineryItem`"
            ),
        ),
        _ => {}
    }
    if let Some(items) = items
        && let Some(param) = uses_type_param(input, items)
    {
        errors.spanned(
            items.ty,
            format!(
                "the items field cannot use the type parameter `{param}` (the event's description is a `static`); name the item type"
            ),
        );
    }
    Some(CheckedEvent {
        name,
        properties,
        items: items.map(|f| (f, event.items_required)),
        datetime,
        log_id,
        registry: loaded,
    })
}

/// The first type parameter of the struct that `field`'s type mentions.
fn uses_type_param(input: &Struct<'_>, field: &Field<'_>) -> Option<String> {
    let text = quote::ToTokens::to_token_stream(field.ty).to_string();
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .collect();
    input
        .input
        .generics
        .type_params()
        .map(|p| p.ident.to_string())
        .find(|p| words.contains(&p.as_str()))
}
