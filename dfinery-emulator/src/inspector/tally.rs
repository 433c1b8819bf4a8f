//! Counts for the registry view: how often each registered event and property was received,
//! and which unregistered names were attempted.

use std::collections::{BTreeMap, HashMap};

use dfinery_schema::{PropertyDef, Registry};
use serde_json::{Value, json};

use crate::Api;

/// How many distinct unregistered names are remembered; later ones are counted as "more".
const MAX_UNREGISTERED: usize = 500;

/// The longest prefix of an unregistered name kept, in bytes: a body may hold names of
/// megabytes, and the view suggests a registered name for each one it lists.
const MAX_NAME_BYTES: usize = 256;

/// What kind of name an unregistered attempt was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    Event,
    EventProperty,
    ItemProperty,
    UserProperty,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Event => "event",
            Kind::EventProperty => "event property",
            Kind::ItemProperty => "item property",
            Kind::UserProperty => "user property",
        }
    }
}

/// The counters, since the start or the last reset. Their size is bounded by the registry plus
/// [`MAX_UNREGISTERED`].
#[derive(Debug, Default)]
pub(crate) struct Tally {
    events: HashMap<String, u64>,
    event_props: HashMap<(String, String), u64>,
    item_props: HashMap<(String, String), u64>,
    user_props: HashMap<String, u64>,
    /// (kind, owner event or "", name) → attempts
    unregistered: BTreeMap<(Kind, String, String), u64>,
    unregistered_dropped: u64,
}

impl Tally {
    /// Counts the names in one request body of `api`.
    pub(crate) fn count(&mut self, registry: &Registry, api: Api, body: &Value) {
        match api {
            Api::Event => {
                let Some(Value::Array(events)) = body.get("events") else {
                    return;
                };
                for event in events {
                    self.count_event(registry, event);
                }
            }
            Api::Profile => {
                let Some(Value::Object(props)) = body.get("user_properties") else {
                    return;
                };
                for name in props.keys() {
                    if registry.user_property(name).is_some() {
                        *self.user_props.entry(name.clone()).or_default() += 1;
                    } else {
                        self.attempt(Kind::UserProperty, "", name);
                    }
                }
            }
            Api::Identity | Api::Export => {}
        }
    }

    /// Adds the counts of `other` (one body's, counted without the inspector's lock) to
    /// these. Its unregistered names join within [`MAX_UNREGISTERED`] in their order (names past
    /// the cap, here or in `other`, are counted as dropped), so a body's names are walked once,
    /// outside the lock, and merging costs only its distinct names.
    pub(crate) fn merge(&mut self, other: Tally) {
        fn add<K: std::hash::Hash + Eq>(into: &mut HashMap<K, u64>, from: HashMap<K, u64>) {
            for (key, count) in from {
                *into.entry(key).or_default() += count;
            }
        }
        add(&mut self.events, other.events);
        add(&mut self.event_props, other.event_props);
        add(&mut self.item_props, other.item_props);
        add(&mut self.user_props, other.user_props);
        self.unregistered_dropped += other.unregistered_dropped;
        for (key, count) in other.unregistered {
            if let Some(known) = self.unregistered.get_mut(&key) {
                *known += count;
            } else if self.unregistered.len() < MAX_UNREGISTERED {
                self.unregistered.insert(key, count);
            } else {
                self.unregistered_dropped += count;
            }
        }
    }

    fn count_event(&mut self, registry: &Registry, event: &Value) {
        let Some(name) = event.get("event_name").and_then(Value::as_str) else {
            return;
        };
        let Some(def) = registry.event(name) else {
            self.attempt(Kind::Event, "", name);
            return;
        };
        *self.events.entry(name.to_owned()).or_default() += 1;
        if let Some(Value::Object(props)) = event.get("event_properties") {
            for prop in props.keys() {
                if def.property(prop).is_some() {
                    *self
                        .event_props
                        .entry((name.to_owned(), prop.clone()))
                        .or_default() += 1;
                } else {
                    self.attempt(Kind::EventProperty, name, prop);
                }
            }
        }
        if let Some(Value::Array(items)) = event.get("event_items") {
            for item in items.iter().filter_map(Value::as_object) {
                for prop in item.keys() {
                    if def.item_property(prop).is_some() {
                        *self
                            .item_props
                            .entry((name.to_owned(), prop.clone()))
                            .or_default() += 1;
                    } else {
                        self.attempt(Kind::ItemProperty, name, prop);
                    }
                }
            }
        }
    }

    fn attempt(&mut self, kind: Kind, owner: &str, name: &str) {
        let name = if name.len() > MAX_NAME_BYTES {
            format!("{}…", &name[..name.floor_char_boundary(MAX_NAME_BYTES)])
        } else {
            name.to_owned()
        };
        let key = (kind, owner.to_owned(), name);
        if let Some(count) = self.unregistered.get_mut(&key) {
            *count += 1;
        } else if self.unregistered.len() < MAX_UNREGISTERED {
            self.unregistered.insert(key, 1);
        } else {
            self.unregistered_dropped += 1;
        }
    }

    /// The registry view as JSON: every registered event with its count and each property's,
    /// every user property's count, and the unregistered names attempted with a suggestion.
    pub(crate) fn view(&self, registry: &Registry) -> Value {
        let events: Vec<Value> = registry
            .events
            .values()
            .map(|def| {
                let received = self.events.get(&def.name).copied().unwrap_or(0);
                json!({
                    "name": def.name,
                    "standard": def.standard,
                    "received": received,
                    "properties": props(&def.properties, |p| {
                        self.event_props.get(&(def.name.clone(), p.to_owned())).copied()
                    }),
                    "items": props(&def.items, |p| {
                        self.item_props.get(&(def.name.clone(), p.to_owned())).copied()
                    }),
                })
            })
            .collect();
        let user: Vec<Value> = registry
            .user_properties
            .values()
            .map(|p| prop(p, self.user_props.get(&p.name).copied()))
            .collect();
        let unregistered: Vec<Value> = self
            .unregistered
            .iter()
            .map(|((kind, owner, name), attempts)| {
                let suggestion = match kind {
                    Kind::Event => registry.suggest_event(name),
                    Kind::UserProperty => registry.suggest_user_property(name),
                    Kind::EventProperty => {
                        registry.event(owner).and_then(|d| d.suggest_property(name))
                    }
                    Kind::ItemProperty => registry
                        .event(owner)
                        .and_then(|d| d.suggest_item_property(name)),
                };
                json!({
                    "kind": kind.label(),
                    "event": (!owner.is_empty()).then_some(owner),
                    "name": name,
                    "attempts": attempts,
                    "suggestion": suggestion,
                })
            })
            .collect();
        json!({
            "events": events,
            "user_properties": user,
            "unregistered": unregistered,
            "unregistered_not_listed": self.unregistered_dropped,
        })
    }
}

fn props(defs: &BTreeMap<String, PropertyDef>, seen: impl Fn(&str) -> Option<u64>) -> Vec<Value> {
    defs.values().map(|p| prop(p, seen(&p.name))).collect()
}

fn prop(def: &PropertyDef, seen: Option<u64>) -> Value {
    json!({
        "name": def.name,
        "type": def.ty.display_name(),
        "required": def.required,
        "seen": seen.unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body counted on its own and merged (outside the inspector's lock) gives the counts
    /// of counting it in place, the cap on unregistered names included.
    #[test]
    fn a_body_counted_apart_and_merged_counts_as_in_place() {
        let registry = Registry::standard();
        let body = |from: usize, to: usize| {
            let events: Vec<Value> = (from..to)
                .map(|n| {
                    json!({"event_name": "df_purchase",
                           "event_properties": {"df_total_purchase_amount": 1.0, format!("x{n}"): 1},
                           "event_items": [{"df_price": 2.0}, {format!("i{n}"): 1}]})
                })
                .collect();
            json!({ "events": events })
        };
        let bodies = [body(0, 10), body(5, 200), body(150, 400)];
        let mut in_place = Tally::default();
        let mut merged = Tally::default();
        for body in &bodies {
            in_place.count(&registry, Api::Event, body);
            let mut apart = Tally::default();
            apart.count(&registry, Api::Event, body);
            merged.merge(apart);
        }
        assert_eq!(merged.events, in_place.events);
        assert_eq!(merged.event_props, in_place.event_props);
        assert_eq!(merged.item_props, in_place.item_props);
        assert_eq!(merged.unregistered.len(), MAX_UNREGISTERED);
        let total = |t: &Tally| t.unregistered.values().sum::<u64>() + t.unregistered_dropped;
        assert_eq!(total(&merged), total(&in_place));
        assert_eq!(total(&merged), 2 * (10 + 195 + 250));
    }

    #[test]
    fn registered_names_are_counted_and_unregistered_ones_listed_with_a_suggestion() {
        let registry = Registry::standard();
        let mut tally = Tally::default();
        let body = json!({"events": [
            {"event_name": "df_purchase", "event_properties": {"df_total_purchase_amount": 1.0, "df_prise": 1},
             "event_items": [{"df_price": 2.0}]},
            {"event_name": "df_purchse"}
        ]});
        tally.count(&registry, Api::Event, &body);
        tally.count(
            &registry,
            Api::Profile,
            &json!({"user_properties": {"df_gendr": "M"}}),
        );
        let view = tally.view(&registry);
        let purchase = view["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == "df_purchase")
            .unwrap();
        assert_eq!(purchase["received"], 1);
        let amount = purchase["properties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "df_total_purchase_amount")
            .unwrap();
        assert_eq!(amount["seen"], 1);
        let unregistered = view["unregistered"].as_array().unwrap();
        let names: Vec<(&str, &str)> = unregistered
            .iter()
            .map(|u| {
                (
                    u["name"].as_str().unwrap(),
                    u["suggestion"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert!(names.contains(&("df_purchse", "df_purchase")), "{names:?}");
        assert!(names.contains(&("df_gendr", "df_gender")), "{names:?}");
        assert!(names.iter().any(|(n, _)| *n == "df_prise"), "{names:?}");
    }
}
