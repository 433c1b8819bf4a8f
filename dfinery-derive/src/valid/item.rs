//! The checks of `#[derive(DfineryItem)]`: each field fills an item property of every event the
//! item is declared for (`#[dfinery(event = "...")]`, once per event), with the same type, and
//! every required item property of each of those events is filled.

use std::collections::BTreeSet;

use super::field::{self, Target};
use super::names::{EventNameFrom, find_event};
use super::{Checked, CheckedKind, Scope, Spec, checked_fields};
use crate::ast::{Field, Struct};
use crate::errors::Errors;
use crate::registry;

/// Checks an item struct against each of its events; its property fields get the strictest
/// rules of those events.
pub fn check_item<'f, 'a>(input: &'f Struct<'a>, errors: &mut Errors) -> Option<Checked<'f, 'a>> {
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
    let loaded = registry::load(input.registry.as_ref(), input.ident, errors)?;
    let mut names = Vec::new();
    let mut merged: Option<Vec<Option<Spec>>> = None;
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
        let resolved = field::check_all(&input.fields, &target, errors);
        let missing = field::missing_required(&resolved, &target);
        if !missing.is_empty() {
            errors.at(
                input.ident.span(),
                field::missing_message(&missing, &target),
            );
        }
        let before = events_text(&names);
        names.push(name);
        merged = Some(match merged {
            None => resolved.specs,
            Some(mut so_far) => {
                merge_into(
                    &input.fields,
                    &mut so_far,
                    &resolved.specs,
                    &before,
                    names.last().map_or("", String::as_str),
                    errors,
                );
                so_far
            }
        });
    }
    let specs = merged.unwrap_or_else(|| vec![None; input.fields.len()]);
    Some(Checked {
        input,
        fields: checked_fields(input, specs, false),
        kind: CheckedKind::Item { events: names },
        registry: loaded,
    })
}

/// `event `a``, `events `a` and `b``, `events `a`, `b` and `c``: the events merged so far,
/// whose shared values (not only the first event's) the specs hold.
fn events_text(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => "no event".to_owned(),
        Some((last, [])) => format!("event {last}"),
        Some((last, rest)) => format!("events {} and {last}", rest.join(", ")),
    }
}

/// Merges the checks of another event into the specs found so far (both aligned with
/// `fields`); a field registered with different types under two events is an error.
fn merge_into(
    fields: &[Field<'_>],
    so_far: &mut [Option<Spec>],
    other: &[Option<Spec>],
    before: &str,
    this: &str,
    errors: &mut Errors,
) {
    for ((field, spec), again) in fields.iter().zip(so_far.iter_mut()).zip(other) {
        let (Some(spec), Some(again)) = (spec, again) else {
            continue;
        };
        if again.ty == spec.ty {
            let disjoint = !spec.enum_values.is_empty()
                && !again.enum_values.is_empty()
                && !spec
                    .enum_values
                    .iter()
                    .any(|v| again.enum_values.contains(v));
            if disjoint {
                // Merged, no value would be left, which the checks read as any value allowed.
                errors.spanned(
                    field.ty,
                    format!(
                        "item property `{}` allows {} for {before} but {} for event `{this}`; no value fits both, so one field cannot fill it for both: give the item one of the events, or register a value both allow",
                        spec.name,
                        values(&spec.enum_values),
                        values(&again.enum_values)
                    ),
                );
                continue;
            }
            spec.merge(again);
        } else {
            errors.spanned(
                field.ty,
                format!(
                    "item property `{}` is a {} for {before} but a {} for event `{this}`; one field can fill only one type",
                    spec.name, spec.ty, again.ty
                ),
            );
        }
    }
}

/// `values` as a message lists them: `"a"`, `"b"`.
fn values(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("{v:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}
