//! The checks of `#[derive(DfineryItem)]`: each field fills an item property of every event the
//! item is declared for (`#[dfinery(event = "...")]`, once per event), with the same type, and
//! every required item property of each of those events is filled.

use std::collections::BTreeSet;

use super::field::{self, Target};
use super::names::{EventNameFrom, find_event};
use super::{Property, Scope};
use crate::ast::Struct;
use crate::errors::Errors;
use crate::registry::{self, Loaded};

/// An item struct that passed every check.
pub struct CheckedItem<'f, 'a> {
    /// The events it was checked against.
    pub events: Vec<String>,
    /// Every property field, in field order, with the strictest rules of those events.
    pub properties: Vec<Property<'f, 'a>>,
    /// The registry file.
    pub registry: Loaded,
}

/// Checks an item struct against each of its events.
pub fn check_item<'f, 'a>(
    input: &'f Struct<'a>,
    errors: &mut Errors,
) -> Option<CheckedItem<'f, 'a>> {
    if input.events.is_empty() {
        errors.at(
            input.ident.span(),
            "`DfineryItem` needs the events whose items it fills, to check its fields against their item properties; add `#[dfinery(event = \"df_purchase\")]` (once per event)",
        );
        return None;
    }
    if !input.attrs_ok {
        return None;
    }
    let loaded = registry::load(input.registry.as_ref(), input.ident.span(), errors)?;
    let mut names = Vec::new();
    let mut merged: Option<Vec<Property<'f, 'a>>> = None;
    let mut seen = BTreeSet::new();
    for lit in &input.events {
        let name = lit.value();
        if !seen.insert(name.clone()) {
            errors.at(
                lit.span(),
                format!("event `{name}` is listed twice; keep one"),
            );
            continue;
        }
        let Some(event) = find_event(&loaded, &name, lit.span(), EventNameFrom::Attribute, errors)
        else {
            continue;
        };
        if !event.takes_items() {
            errors.at(
                lit.span(),
                format!(
                    "event `{name}` takes no items (it has no item properties in `{}`); remove `event = \"{name}\"`",
                    loaded.display
                ),
            );
            continue;
        }
        let target = Target {
            properties: &event.items,
            scope: Scope::Item,
            owner: format!(" for event `{name}`"),
            unknown_fix: format!(
                "register it under `[events.{name}]` as `items.<name>` in `{}` or mark the field `#[dfinery(skip)]`",
                loaded.display
            ),
            elsewhere: Some((
                &event.properties,
                "it is an event property: put it on the event struct",
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
        names.push(name);
        merged = Some(match merged {
            None => properties,
            Some(mut so_far) => {
                merge_into(
                    &mut so_far,
                    &properties,
                    names.first().map_or("", String::as_str),
                    names.last().map_or("", String::as_str),
                    errors,
                );
                so_far
            }
        });
    }
    Some(CheckedItem {
        events: names,
        properties: merged.unwrap_or_default(),
        registry: loaded,
    })
}

/// Merges the checks of another event into the properties found so far; a field registered
/// with different types under two events is an error.
fn merge_into(
    so_far: &mut [Property<'_, '_>],
    other: &[Property<'_, '_>],
    first: &str,
    this: &str,
    errors: &mut Errors,
) {
    for property in so_far.iter_mut() {
        let Some(again) = other.iter().find(|p| std::ptr::eq(p.field, property.field)) else {
            continue;
        };
        if again.spec.ty == property.spec.ty {
            property.spec.merge(&again.spec);
        } else {
            errors.spanned(
                property.field.ty,
                format!(
                    "item property `{}` is a {} for event `{first}` but a {} for event `{this}`; one field can fill only one type",
                    property.spec.name, property.spec.ty, again.spec.ty
                ),
            );
        }
    }
}
