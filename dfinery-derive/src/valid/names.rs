//! Looking up registered events and checking names, with the "did you mean" messages.

use dfinery_schema::{EventDef, catalog, names};
use proc_macro2::Span;

use crate::errors::Errors;
use crate::registry::Loaded;

/// How the event name was given, for the fix in the message.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum EventNameFrom {
    /// `event = "..."` on an event struct or an enum.
    Attribute,
    /// The struct's name in snake case.
    StructName,
}

/// The registered event `name`, or an error at `span` saying why it is not registered.
pub fn find_event<'r>(
    loaded: &'r Loaded,
    name: &str,
    span: Span,
    from: EventNameFrom,
    errors: &mut Errors,
) -> Option<&'r EventDef> {
    if let Some(event) = loaded.registry.event(name) {
        return Some(event);
    }
    if let Err(error) = names::check_name(name) {
        let message = match from {
            EventNameFrom::Attribute => format!("invalid event name: {error}"),
            EventNameFrom::StructName => format!(
                "the struct's name in snake case, `{name}`, is no valid event name ({error}); name the event with `#[dfinery(event = \"...\")]`"
            ),
        };
        errors.at(span, message);
        return None;
    }
    let file = &loaded.display;
    if catalog::standard_event(name).is_some() {
        errors.at(
            span,
            format!(
                "standard event `{name}` is not enabled in `{file}`; add `\"{name}\"` to `standard_events`"
            ),
        );
        return None;
    }
    let suggestion = loaded.registry.suggest_event(name);
    if let (None, Some(custom)) = (suggestion, unreserved(name)) {
        // Registering it as it is would fail: the prefix is the catalog's.
        let given = match from {
            EventNameFrom::Attribute => "",
            EventNameFrom::StructName => " (the struct's name in snake case)",
        };
        errors.at(
            span,
            format!(
                "event `{name}`{given} is not a standard event, and the `df_` prefix is reserved for those; register a custom event without it under `[events.{custom}]` in `{file}` and name it with `#[dfinery(event = \"{custom}\")]`"
            ),
        );
        return None;
    }
    let message = match (suggestion, from) {
        (Some(best), EventNameFrom::StructName) => format!(
            "event `{name}` (the struct's name in snake case) is not registered in `{file}`; did you mean `{best}`? name it with `#[dfinery(event = \"{best}\")]`"
        ),
        (Some(best), EventNameFrom::Attribute) => {
            format!("event `{name}` is not registered in `{file}`; did you mean `{best}`?")
        }
        (None, EventNameFrom::StructName) => format!(
            "event `{name}` (the struct's name in snake case) is not registered in `{file}`; name a registered event with `#[dfinery(event = \"...\")]` or register it under `[events.{name}]`"
        ),
        (None, EventNameFrom::Attribute) => format!(
            "event `{name}` is not registered in `{file}`; register it under `[events.{name}]`"
        ),
    };
    errors.at(span, message);
    None
}

/// For a name with the reserved `df_` prefix (compared as DFINERY does, in any case), a custom
/// name to use instead: the name without the prefix, or `...` when that is no valid name.
pub fn unreserved(name: &str) -> Option<String> {
    if !names::is_reserved(name) {
        return None;
    }
    let bare = name.get(names::RESERVED_PREFIX.len()..).unwrap_or_default();
    Some(match names::check_name(bare) {
        Ok(()) => bare.to_owned(),
        Err(_) => "...".to_owned(),
    })
}

/// Whether `name` follows the naming rule; an error at `span` otherwise, with `best` as the
/// suggestion. `field_name`: the name is the field's own (no `rename`), so the fix may be an
/// attribute rather than another name: a field such as `_marker: PhantomData<T>` is no
/// property at all.
pub fn valid_property_name(
    name: &str,
    span: Span,
    best: Option<&str>,
    field_name: bool,
    errors: &mut Errors,
) -> bool {
    match names::check_name(name) {
        Ok(()) => true,
        Err(error) => {
            let fix = if field_name {
                // The field's own name: the closest registered one goes into a `rename`.
                format!(
                    "; or map the field with `#[dfinery(rename = \"{}\")]`, or leave it out with `#[dfinery(skip)]` if it is not a property",
                    best.unwrap_or("...")
                )
            } else {
                dfinery_schema::did_you_mean(best)
            };
            errors.at(span, format!("invalid property name: {error}{fix}"));
            false
        }
    }
}
