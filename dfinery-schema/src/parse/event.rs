//! `[events.<name>]` tables: custom events, and custom properties added to enabled standard
//! events.

use std::collections::BTreeMap;

use super::context::{Ctx, Key, Value};
use super::property::{self, Kind, Subject};
use crate::names::{check_name, is_reserved, shown, strip_reserved};
use crate::{EventDef, PropertyDef, Registry, catalog};

/// The keys an event table may hold.
const KEYS: &[&str] = &["properties", "items", "items_required"];

/// Reads the `events` table into `registry`, whose standard events are already enabled.
pub(super) fn events(ctx: &mut Ctx<'_>, value: &Value<'_>, registry: &mut Registry) {
    let Some(table) = ctx.table(value, "`events`") else {
        return;
    };
    for (key, body) in table.iter() {
        let mut def = resolve(ctx, key, registry);
        read_body(ctx, &mut def, body);
        registry.events.insert(def.name.clone(), def);
    }
    ctx.case_twins("event", "", table.iter().map(|(key, _)| key));
}

/// The definition an `[events.<name>]` table extends: an enabled standard event, or a new
/// custom event. Records a problem with the name (the table is still read, to report its own
/// problems too).
fn resolve(ctx: &mut Ctx<'_>, key: &Key<'_>, registry: &mut Registry) -> EventDef {
    let name = key.get_ref().as_ref();
    if let Some(standard) = catalog::standard_event(name) {
        if let Some(enabled) = registry.events.remove(name) {
            return enabled;
        }
        ctx.error(
            key.span(),
            format!(
                "standard event `{name}` is not enabled; add `\"{name}\"` to `standard_events`"
            ),
        );
        return standard;
    }
    if is_reserved(name) {
        let message = match crate::suggest(name, catalog::standard_event_names()) {
            Some(close) => format!(
                "unknown standard event `{}`; did you mean `{close}`?",
                shown(name)
            ),
            None => {
                let renamed = strip_reserved(name);
                let fix = if check_name(renamed).is_ok() {
                    format!("rename it, e.g. `{renamed}`")
                } else {
                    "rename it without the prefix".to_owned()
                };
                format!(
                    "custom event `{}` uses the reserved `df_` prefix; {fix}",
                    shown(name)
                )
            }
        };
        ctx.error(key.span(), message);
    } else if let Err(err) = check_name(name) {
        ctx.error(key.span(), format!("event {err}"));
    }
    EventDef {
        name: name.to_owned(),
        standard: false,
        properties: BTreeMap::new(),
        items: BTreeMap::new(),
        items_required: false,
    }
}

fn read_body(ctx: &mut Ctx<'_>, def: &mut EventDef, body: &Value<'_>) {
    let place = format!("event `{}`", shown(&def.name));
    let Some(table) = ctx.table(body, &place) else {
        return;
    };
    let mut items_required = None;
    for (k, v) in table.iter() {
        match k.get_ref().as_ref() {
            "properties" => add_properties(ctx, def, Kind::Event, v),
            "items" if def.standard && def.items.is_empty() => ctx.error(
                k.span(),
                format!(
                    "standard event `{}` takes no items; remove its `items` entries",
                    def.name
                ),
            ),
            "items" => add_properties(ctx, def, Kind::Item, v),
            "items_required" if def.standard => ctx.error(
                k.span(),
                format!(
                    "`items_required` of standard event `{}` is set by the catalog; remove it",
                    def.name
                ),
            ),
            "items_required" => {
                let what = format!("`items_required` of {place}");
                items_required = ctx.bool(v, &what).map(|b| (b, k.span()));
            }
            _ => ctx.unknown_key(k, &place, KEYS),
        }
    }
    if let Some((true, span)) = items_required {
        if def.items.is_empty() {
            ctx.error(
                span,
                format!(
                    "`items_required = true` but {place} has no item properties; add one, e.g. \
                     `items.sku = \"string\"`"
                ),
            );
        }
        def.items_required = true;
    }
}

/// Reads `properties` or `items` of `def` into its maps.
fn add_properties(ctx: &mut Ctx<'_>, def: &mut EventDef, kind: Kind, value: &Value<'_>) {
    let what = match kind {
        Kind::Item => "items",
        _ => "properties",
    };
    let what = format!("`{what}` of event `{}`", shown(&def.name));
    let Some(table) = ctx.table(value, &what) else {
        return;
    };
    let place = format!(" of event `{}`", shown(&def.name));
    ctx.case_twins(kind.noun(), &place, table.iter().map(|(key, _)| key));
    for (key, spec) in table.iter() {
        let subject = Subject {
            kind,
            name: key.get_ref().as_ref(),
            event: Some(&def.name),
        };
        let map: &BTreeMap<String, PropertyDef> = match kind {
            Kind::Item => &def.items,
            _ => &def.properties,
        };
        if map.get(subject.name).is_some_and(|p| p.standard) {
            ctx.error(
                key.span(),
                format!(
                    "{} `{}` is already defined by standard event `{}`; remove this line",
                    kind.noun(),
                    subject.name,
                    def.name
                ),
            );
            continue;
        }
        let name_ok = property::check_custom_name(ctx, &subject, key);
        let parsed = property::definition(ctx, &subject, key, spec);
        if let (true, Some(parsed)) = (name_ok, parsed) {
            let map = match kind {
                Kind::Item => &mut def.items,
                _ => &mut def.properties,
            };
            map.insert(parsed.name.clone(), parsed);
        }
    }
}
