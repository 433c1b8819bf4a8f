//! The checks of `#[derive(DfineryEnum)]`: values are unique and, for each property the enum is
//! bound to (`user_property = "..."`, or `event = "..."` with `property` or `item`), the property
//! is a registered String (or Array of String) and every value is one of its registered values.

use std::collections::BTreeMap;

use dfinery_schema::{DataType, PropertyDef, catalog};
use proc_macro2::Span;
use syn::LitStr;

use super::names::{EventNameFrom, find_event};
use crate::ast::{Binding, Enum};
use crate::case::RULES;
use crate::errors::Errors;
use crate::registry::{self, Loaded};

/// An enum that passed every check.
pub struct CheckedEnum {
    /// The registry file, when the enum is bound to a property.
    pub registry: Option<Loaded>,
}

/// Checks an enum's values, and its bindings against the registry.
pub fn check_enum(input: &Enum<'_>, errors: &mut Errors) -> CheckedEnum {
    let mut seen: BTreeMap<&str, &syn::Ident> = BTreeMap::new();
    // A variant whose attribute has an error (reported) may not have the value it was meant to.
    for variant in input.variants.iter().filter(|v| v.attrs_ok) {
        if let Some(first) = seen.get(variant.value.as_str()) {
            errors.at(
                variant.span,
                format!(
                    "value `{}` is already used by variant `{first}`; give each variant its own value with `#[dfinery(rename = \"...\")]`",
                    variant.value
                ),
            );
        } else {
            seen.insert(&variant.value, variant.ident);
        }
    }
    // An error in the enum's own attribute (reported) may hide the registry or a binding it
    // meant, or give the values another style (`rename_all`): checked against the registry, it
    // would add errors about what the user did not write.
    if input.bindings.is_empty() || !input.attrs_ok {
        return CheckedEnum { registry: None };
    }
    let Some(loaded) = registry::load(input.registry.as_ref(), input.ident, errors) else {
        return CheckedEnum { registry: None };
    };
    for binding in &input.bindings {
        if let Some((def, what)) = bound_property(&loaded, binding, errors) {
            check_values(input, def, &what, binding_span(binding), errors);
        }
    }
    CheckedEnum {
        registry: Some(loaded),
    }
}

fn binding_span(binding: &Binding) -> Span {
    match binding {
        Binding::User(lit) => lit.span(),
        Binding::EventProperty { property, .. } => property.span(),
        Binding::ItemProperty { item, .. } => item.span(),
    }
}

/// The registered property a binding names, with how messages name it.
fn bound_property<'r>(
    loaded: &'r Loaded,
    binding: &Binding,
    errors: &mut Errors,
) -> Option<(&'r PropertyDef, String)> {
    let file = &loaded.display;
    match binding {
        Binding::User(lit) => {
            let name = lit.value();
            if let Some(def) = loaded.registry.user_property(&name) {
                return Some((def, format!("user property `{name}`")));
            }
            let message = if catalog::standard_user_property(&name).is_some() {
                format!(
                    "standard user property `{name}` is not enabled in `{file}`; add `\"{name}\"` to `standard_user_properties`"
                )
            } else if let Some(best) = loaded.registry.suggest_user_property(&name) {
                format!("unknown user property `{name}`; did you mean `{best}`?")
            } else {
                format!(
                    "unknown user property `{name}`; register it under `[user_properties]` in `{file}`"
                )
            };
            errors.at(lit.span(), message);
            None
        }
        Binding::EventProperty { event, property } => {
            let found = find_event(
                loaded,
                &event.value(),
                event.span(),
                EventNameFrom::Attribute,
                errors,
            )?;
            lookup(&found.properties, property, "property", &found.name, errors)
        }
        Binding::ItemProperty { event, item } => {
            let found = find_event(
                loaded,
                &event.value(),
                event.span(),
                EventNameFrom::Attribute,
                errors,
            )?;
            lookup(&found.items, item, "item property", &found.name, errors)
        }
    }
}

fn lookup<'r>(
    map: &'r BTreeMap<String, PropertyDef>,
    lit: &LitStr,
    noun: &str,
    event: &str,
    errors: &mut Errors,
) -> Option<(&'r PropertyDef, String)> {
    let name = lit.value();
    if let Some(def) = map.get(&name) {
        return Some((def, format!("{noun} `{name}` of event `{event}`")));
    }
    let hint = match dfinery_schema::suggest(&name, map.keys().map(String::as_str)) {
        Some(best) => format!("did you mean `{best}`?"),
        None => format!("register it under `[events.{event}]`"),
    };
    errors.at(
        lit.span(),
        format!("unknown {noun} `{name}` for event `{event}`; {hint}"),
    );
    None
}

/// Checks the enum's values against the registered values of `def`.
fn check_values(input: &Enum<'_>, def: &PropertyDef, what: &str, span: Span, errors: &mut Errors) {
    if !matches!(def.ty, DataType::String | DataType::StringArray) {
        errors.at(
            span,
            format!(
                "{what} is registered as {}; a `DfineryEnum` can only fill a String or an Array of String property",
                def.ty
            ),
        );
        return;
    }
    // Without registered values, the property's `max_len` still bounds each value (checked
    // at run time, it failed every send of a variant too long).
    if let (None, Some(max)) = (&def.enum_values, def.max_len) {
        for variant in input.variants.iter().filter(|v| v.attrs_ok) {
            let len = variant.value.chars().count();
            if len > max {
                errors.at(
                    variant.span,
                    format!(
                        "`{}` has {len} characters, but {what} takes at most {max} (`max_len`); shorten it with `#[dfinery(rename = \"...\")]`",
                        variant.value
                    ),
                );
            }
        }
    }
    let Some(allowed) = &def.enum_values else {
        return;
    };
    if let Some(message) = one_style_fixes_all(input, allowed, what) {
        errors.at(input.ident.span(), message);
        return;
    }
    for variant in input.variants.iter().filter(|v| v.attrs_ok) {
        if allowed.contains(&variant.value) {
            continue;
        }
        let hint = match dfinery_schema::suggest(&variant.value, allowed.iter().map(String::as_str))
        {
            Some(best) => {
                format!("did you mean `{best}`? (set it with `#[dfinery(rename = \"{best}\")]`)")
            }
            None => {
                let values: Vec<String> = allowed.iter().map(|v| format!("`{v}`")).collect();
                format!("the registered values are {}", values.join(", "))
            }
        };
        errors.at(
            variant.span,
            format!(
                "`{}` is not a registered value of {what}; {hint}",
                variant.value
            ),
        );
    }
}

/// One error for two or more unregistered values that a single `rename_all` style would make
/// registered, all at once: a `rename` hint on each variant said the same thing many times.
/// `None` when a variant with its own `rename` is unregistered (no style changes it), when no
/// style (of [`RULES`], in their order) makes every variant without `rename` registered, or
/// when fewer than two values are unregistered (the variant's own hint says it).
fn one_style_fixes_all(input: &Enum<'_>, allowed: &[String], what: &str) -> Option<String> {
    let checked: Vec<_> = input.variants.iter().filter(|v| v.attrs_ok).collect();
    let wrong: Vec<_> = checked
        .iter()
        .filter(|v| !allowed.contains(&v.value))
        .collect();
    if wrong.len() < 2 || wrong.iter().any(|v| v.renamed) {
        return None;
    }
    let (style, rule) = RULES.iter().find(|(_, rule)| {
        Some(*rule) != input.rename_all
            && checked
                .iter()
                .filter(|v| !v.renamed)
                .all(|v| allowed.contains(&rule.apply_to_variant(&v.rust_name)))
    })?;
    let values: Vec<String> = wrong.iter().map(|v| format!("`{}`", v.value)).collect();
    let fixed: Vec<String> = wrong
        .iter()
        .map(|v| format!("`{}`", rule.apply_to_variant(&v.rust_name)))
        .collect();
    let fix = match RULES.iter().find(|(_, r)| Some(*r) == input.rename_all) {
        Some((old, _)) => {
            format!("change the enum's `rename_all = \"{old}\"` to `rename_all = \"{style}\"`")
        }
        None => format!("add `#[dfinery(rename_all = \"{style}\")]` to the enum"),
    };
    Some(format!(
        "{} are not registered values of {what}; {fix}, which sends them as {}, the registered values",
        values.join(", "),
        fixed.join(", "),
    ))
}
