//! Checking one property field against the registered properties of its scope: the name, the
//! `Option`/`Patch` wrapper against required-ness, and duplicates.

use std::collections::BTreeMap;

use dfinery_schema::PropertyDef;
use proc_macro2::Span;

use super::names::{unreserved, valid_property_name};
use super::types;
use super::{Scope, Spec};
use crate::ast::{Field, Role};
use crate::case::RULES;
use crate::errors::Errors;

/// Whether a name is a standard one that could be enabled, and the registry file to enable it in.
pub type NotEnabled<'r> = (fn(&str) -> bool, &'r str);

/// The registered properties a field may fill, and how messages name them.
pub struct Target<'r> {
    /// The properties by name.
    pub properties: &'r BTreeMap<String, PropertyDef>,
    /// Where they live.
    pub scope: Scope,
    /// For messages, e.g. ``for event `df_purchase` `` (empty for user properties).
    pub owner: String,
    /// What to say when a name is unknown and nothing is close: the fix.
    pub unknown_fix: String,
    /// Another scope's names a field might have meant, with the hint for them: e.g. the item
    /// properties of an event for an event field.
    pub elsewhere: Option<(&'r BTreeMap<String, PropertyDef>, &'static str)>,
    /// For user properties: whether a name is a standard one that could be enabled, and the
    /// registry file that would enable it.
    pub not_enabled: Option<NotEnabled<'r>>,
}

impl Target<'_> {
    /// `property`, `item property` or `user property`.
    pub fn noun(&self) -> &'static str {
        match self.scope {
            Scope::Event => "property",
            Scope::Item => "item property",
            Scope::User => "user property",
        }
    }
}

/// The registered definition that `field` fills, or an error at its name. A name suggested
/// for a misspelt field is pushed to `suggested`, so it is not also reported as missing.
pub fn resolve<'r>(
    field: &Field<'_>,
    target: &Target<'r>,
    errors: &mut Errors,
    suggested: &mut Vec<String>,
) -> Option<&'r PropertyDef> {
    let Role::Property {
        name,
        span,
        renamed,
        styled,
    } = &field.role
    else {
        return None;
    };
    let best = || dfinery_schema::suggest(name, target.properties.keys().map(String::as_str));
    if !valid_property_name(name, *span, best(), !renamed, errors) {
        suggested.extend(best().map(str::to_owned));
        return None;
    }
    if let Some(def) = target.properties.get(name) {
        return Some(def);
    }
    let noun = target.noun();
    // A name `rename_all` made says so: the field's own name may be the registered one.
    let owner = match styled.and_then(|rule| RULES.iter().find(|(_, r)| *r == rule)) {
        Some((style, _)) => format!(
            "{} (the name `rename_all = \"{style}\"` makes of field `{}`)",
            target.owner,
            field.rust_name()
        ),
        None => target.owner.clone(),
    };
    let message = if let Some((_, file)) = target
        .not_enabled
        .filter(|(is_standard, _)| is_standard(name))
    {
        format!(
            "standard {noun} `{name}` is not enabled in `{file}`; add `\"{name}\"` to `standard_user_properties`"
        )
    } else if let Some((_, hint)) = target.elsewhere.filter(|(o, _)| o.contains_key(name)) {
        format!("unknown {noun} `{name}`{owner}; {hint}")
    } else if let Some(best) = best() {
        suggested.push(best.to_owned());
        // Under the style, renaming the field may not reach `best`; a `rename` does.
        let map = if styled.is_some() {
            format!(" map the field to it with `#[dfinery(rename = \"{best}\")]`")
        } else {
            String::new()
        };
        format!("unknown {noun} `{name}`{owner}; did you mean `{best}`?{map}")
    } else if let Some(custom) = unreserved(name) {
        // Registering it as it is would fail: the prefix is the catalog's.
        format!(
            "unknown {noun} `{name}`{owner}, and the `df_` prefix is reserved for DFINERY's standard names; map the field to a custom name with `#[dfinery(rename = \"{custom}\")]` and {}",
            target.unknown_fix
        )
    } else {
        format!("unknown {noun} `{name}`{owner}; {}", target.unknown_fix)
    };
    errors.at(*span, message);
    None
}

/// Checks the field's `Option`/`Patch` wrapper against the definition: a required property
/// cannot be `Option`, `Patch` is only for user properties, and a user property's `Option`
/// cannot be inside another `Option` or a `Patch` (its `None` would look like a clear and
/// send nothing).
pub fn check_wrapper(
    field: &Field<'_>,
    def: &PropertyDef,
    target: &Target<'_>,
    errors: &mut Errors,
) {
    let wrappers = types::wrappers(field.ty);
    let Some(&(_, inner)) = wrappers.first() else {
        return;
    };
    let patch = wrappers.iter().any(|(name, _)| *name == "Patch");
    // The type as written (not the `$t` of a macro that passed it on), for the span and text.
    let written = types::peeled(field.ty);
    let noun = target.noun();
    let owner = &target.owner;
    let name = &def.name;
    if def.required {
        errors.spanned(
            written,
            format!(
                "{noun} `{name}` is required{owner}; use `{}` instead of `{}`",
                types::text(inner),
                types::text(written)
            ),
        );
    } else if patch && target.scope != Scope::User {
        errors.spanned(
            written,
            format!(
                "`Patch` is only for user properties (it can send `null`); use `Option<{}>` for the optional {noun} `{name}`",
                types::text(inner)
            ),
        );
    } else if target.scope == Scope::User
        && let Some((outer, value)) = types::nested_option(field.ty)
    {
        // The inner `None` is absent, as the outer `None` (or `Keep`) is: what looks like a
        // clear sent nothing. Only `Patch::Clear` sends the `null` that clears.
        let (looks_like_clear, sends_nothing) = match outer {
            "Patch" => ("`Patch::Set(None)`", "`Patch::Keep`"),
            _ => ("`Some(None)`", "`None`"),
        };
        errors.spanned(
            written,
            format!(
                "`{}` cannot clear {noun} `{name}`: {looks_like_clear} sends nothing, as {sends_nothing} does; use `Patch<{}>`, whose `Patch::Clear` sends the `null` that clears it",
                types::text(written),
                types::text(value)
            ),
        );
    }
}

/// The fields checked against one target.
pub struct Resolved {
    /// Aligned with the fields: the spec of each field that fills a registered property.
    pub specs: Vec<Option<Spec>>,
    /// The names suggested for misspelt fields.
    pub suggested: Vec<String>,
    /// Whether a field's attributes had errors: it may have been meant to fill any property.
    pub has_invalid: bool,
}

/// Checks every property field of `fields` against `target`.
pub fn check_all(fields: &[Field<'_>], target: &Target<'_>, errors: &mut Errors) -> Resolved {
    let mut specs = Vec::with_capacity(fields.len());
    let mut suggested = Vec::new();
    let mut seen: BTreeMap<String, (String, Span)> = BTreeMap::new();
    for field in fields {
        specs.push(check_one(field, target, errors, &mut suggested, &mut seen));
    }
    Resolved {
        specs,
        suggested,
        has_invalid: fields.iter().any(|f| matches!(f.role, Role::Invalid)),
    }
}

/// The spec `field` fills, if it is a property field that passes the checks.
fn check_one(
    field: &Field<'_>,
    target: &Target<'_>,
    errors: &mut Errors,
    suggested: &mut Vec<String>,
    seen: &mut BTreeMap<String, (String, Span)>,
) -> Option<Spec> {
    let def = resolve(field, target, errors, suggested)?;
    if let Role::Property { span, .. } = &field.role {
        if let Some((first, _)) = seen.get(&def.name) {
            errors.at(
                *span,
                format!(
                    "{} `{}` is already filled by field `{first}`; map each property to one field",
                    target.noun(),
                    def.name
                ),
            );
            return None;
        }
        seen.insert(def.name.clone(), (field.rust_name(), *span));
    }
    check_wrapper(field, def, target, errors);
    Some(Spec::from_def(def, target.scope))
}

/// The required properties of `target` that no field fills (leaving out those already
/// suggested for a misspelt field: that error says what to do).
pub fn missing_required(checked: &Resolved, target: &Target<'_>) -> Vec<String> {
    if checked.has_invalid {
        return Vec::new();
    }
    target
        .properties
        .values()
        .filter(|def| def.required)
        .filter(|def| !checked.specs.iter().flatten().any(|s| s.name == def.name))
        .filter(|def| !checked.suggested.contains(&def.name))
        .map(|def| def.name.clone())
        .collect()
}

/// The message for required properties that no field fills.
pub fn missing_message(missing: &[String], target: &Target<'_>) -> String {
    let names: Vec<String> = missing.iter().map(|n| format!("`{n}`")).collect();
    let noun = target.noun();
    if let [one] = names.as_slice() {
        format!(
            "missing required {noun} {one}{}; add a field for it (`#[dfinery(rename = \"...\")]` maps a field with another name)",
            target.owner
        )
    } else {
        format!(
            "missing required {} {}{}; add a field for each (`#[dfinery(rename = \"...\")]` maps a field with another name)",
            noun.replace("property", "properties"),
            names.join(", "),
            target.owner
        )
    }
}
