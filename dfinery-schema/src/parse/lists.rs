//! `standard_events = [...]` and `standard_user_properties = [...]`: which catalog entries the
//! console has enabled.

use std::collections::HashSet;

use super::context::{Ctx, Value, or_list};
use crate::names::{is_reserved, shown};
use crate::{Registry, catalog};

/// Enables the standard events listed in `value`.
pub(super) fn standard_events(ctx: &mut Ctx<'_>, value: &Value<'_>, registry: &mut Registry) {
    let Some(names) = ctx.strings(value, "`standard_events`") else {
        return;
    };
    let mut seen = HashSet::new();
    for (name, span) in names {
        if !seen.insert(name) {
            ctx.error(
                span,
                format!(
                    "standard event `{}` is listed twice in `standard_events`; remove one",
                    shown(name)
                ),
            );
            continue;
        }
        match catalog::standard_event(name) {
            Some(event) => {
                registry.events.insert(event.name.clone(), event);
            }
            None => {
                let fix = match crate::suggest(name, catalog::standard_event_names()) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None if !is_reserved(name) => {
                        format!(
                            "declare a custom event as `[events.{}]` instead",
                            shown(name)
                        )
                    }
                    None => format!(
                        "expected one of {}",
                        or_list(&catalog::standard_event_names().collect::<Vec<_>>())
                    ),
                };
                let name = shown(name);
                ctx.error(span, format!("unknown standard event `{name}`; {fix}"));
            }
        }
    }
}

/// Registers the consent flags and enables the standard user properties listed in `value`.
pub(super) fn standard_user_properties(
    ctx: &mut Ctx<'_>,
    value: Option<&Value<'_>>,
    registry: &mut Registry,
) {
    for flag in catalog::CONSENT_FLAGS {
        if let Some(def) = catalog::standard_user_property(flag) {
            registry.user_properties.insert(def.name.clone(), def);
        }
    }
    let Some(names) = value.and_then(|v| ctx.strings(v, "`standard_user_properties`")) else {
        return;
    };
    let mut seen = HashSet::new();
    for (name, span) in names {
        if !seen.insert(name) {
            ctx.error(
                span,
                format!(
                    "standard user property `{}` is listed twice in \
                     `standard_user_properties`; remove one",
                    shown(name)
                ),
            );
            continue;
        }
        match catalog::standard_user_property(name) {
            Some(def) => {
                if let Some(deprecation) = catalog::deprecated_user_property(name) {
                    ctx.warn(span.clone(), deprecation.message());
                }
                registry.user_properties.insert(def.name.clone(), def);
            }
            None => {
                let fix = match crate::suggest(name, catalog::standard_user_property_names()) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None if !is_reserved(name) => {
                        "declare a custom user property under `[user_properties]` instead"
                            .to_owned()
                    }
                    None => format!(
                        "expected one of {}",
                        or_list(&catalog::standard_user_property_names().collect::<Vec<_>>())
                    ),
                };
                ctx.error(
                    span,
                    format!("unknown standard user property `{}`; {fix}", shown(name)),
                );
            }
        }
    }
}
