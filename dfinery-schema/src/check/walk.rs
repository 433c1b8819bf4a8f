//! The one walk of an event's properties and items, a profile's user properties and an
//! identity against the registry. It says *what* is wrong as [`Finding`]s, in the order a
//! reader meets them; the emulator and the CLI each word them (and choose what to answer).

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::RuleViolation;
use super::input::{Json, Object};
use crate::limits::MAX_ITEMS_PER_REQUEST;

/// Unknown names get the closest registered one while fewer findings than this are made.
const SUGGESTED_FINDINGS: usize = 100;
use crate::protocol::Identifier;
use crate::{EventDef, PropertyDef, Registry};

/// Where a property sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Among the event's properties.
    Event,
    /// In the item at this index of the event's items array.
    Item(usize),
    /// Among a profile's user properties.
    User,
}

/// One thing wrong with an event's properties and items or a profile's user properties.
#[derive(Debug, Clone)]
pub enum Finding<'r, 'a> {
    /// The properties are not an object (nor absent or `null`).
    PropertiesNotObject {
        /// What was found.
        found: Json<'a>,
    },
    /// The items are not an array (nor absent or `null`).
    ItemsNotArray {
        /// What was found.
        found: Json<'a>,
    },
    /// An element of the items array is not an object.
    ItemNotObject {
        /// Its index in the array.
        index: usize,
        /// What was found.
        found: Json<'a>,
    },
    /// A `df_items` property: items go in the items array.
    ItemsInProperties,
    /// A property the registry does not have there.
    UnknownProperty {
        /// Where it is.
        place: Place,
        /// Its name.
        name: String,
        /// The registered name most likely meant.
        close: Option<&'r str>,
    },
    /// A required property is absent.
    Missing {
        /// Where it is missing.
        place: Place,
        /// The property.
        property: &'r PropertyDef,
    },
    /// A value breaks the property's rules.
    Invalid {
        /// Where it is.
        place: Place,
        /// The property.
        property: &'r PropertyDef,
        /// Every rule it breaks.
        violations: Vec<RuleViolation>,
    },
    /// The event has no item but its definition requires one.
    ItemsRequired,
    /// The event has items but takes none.
    TakesNoItems,
    /// The event has more items than DFINERY takes in one request
    /// ([`MAX_ITEMS_PER_REQUEST`]).
    TooManyItems {
        /// How many it has.
        count: usize,
    },
}

/// One property that passed: its definition and its value.
pub type Checked<'r, 'a> = (&'r PropertyDef, Json<'a>);

/// The valid properties and items of an event, as [`check_event`] found them.
#[derive(Debug, Clone, Default)]
pub struct EventBody<'r, 'a> {
    /// The event's properties that passed, by name.
    pub properties: Vec<Checked<'r, 'a>>,
    /// Each item object's properties that passed, by name.
    pub items: Vec<Vec<Checked<'r, 'a>>>,
    /// Whether the properties or an item repeat a key (the last value is the one checked), so
    /// their text says more than what was checked.
    pub repeated_keys: bool,
}

/// Checks an event's `properties` and `items` (each absent or `null` when not given) against
/// `definition`, adding what is wrong to `findings`: first their shape, then — when the event
/// is registered — every property and item property against the registry (unknown names with
/// the closest registered one, every value rule, the required ones, the item rules).
pub fn check_event<'r, 'a>(
    definition: Option<&'r EventDef>,
    properties: Option<Json<'a>>,
    items: Option<Json<'a>>,
    findings: &mut Vec<Finding<'r, 'a>>,
) -> EventBody<'r, 'a> {
    let properties = match properties.filter(|p| !p.is_null()) {
        None => None,
        Some(found) => {
            let object = found.as_object();
            if object.is_none() {
                findings.push(Finding::PropertiesNotObject { found });
            }
            object
        }
    };
    let items = item_objects(items, findings);
    let mut body = EventBody {
        repeated_keys: properties
            .iter()
            .chain(items.iter().map(|(_, item)| item))
            .any(Object::has_repeated_keys),
        ..EventBody::default()
    };
    let Some(definition) = definition else {
        return body;
    };
    let empty = Object::default();
    body.properties = check_members(
        Place::Event,
        definition,
        &definition.properties,
        properties.as_ref().unwrap_or(&empty),
        findings,
    );
    body.items = check_items(definition, &items, findings);
    body
}

/// The object elements of the items array, each with its index in the array (which the
/// findings of its properties name); a finding for anything else.
fn item_objects<'a>(
    items: Option<Json<'a>>,
    findings: &mut Vec<Finding<'_, 'a>>,
) -> Vec<(usize, Object<'a>)> {
    let Some(found) = items.filter(|i| !i.is_null()) else {
        return Vec::new();
    };
    let Some(elements) = found.as_array() else {
        findings.push(Finding::ItemsNotArray { found });
        return Vec::new();
    };
    elements
        .into_iter()
        .enumerate()
        .filter_map(|(index, found)| {
            let object = found.as_object();
            if object.is_none() {
                findings.push(Finding::ItemNotObject { index, found });
            }
            object.map(|object| (index, object))
        })
        .collect()
}

/// Checks `members` against `defs` (both in key order, so they are walked side by side): each
/// member's name and value, then the required properties that are absent.
fn check_members<'r, 'a>(
    place: Place,
    definition: &'r EventDef,
    defs: &'r BTreeMap<String, PropertyDef>,
    members: &Object<'a>,
    findings: &mut Vec<Finding<'r, 'a>>,
) -> Vec<Checked<'r, 'a>> {
    let mut passed = Vec::with_capacity(members.len());
    let mut missing = Vec::new();
    let mut defs = defs.values().peekable();
    for (name, value) in members.iter() {
        while let Some(def) = defs.next_if(|def| def.name.as_str() < name) {
            if def.required {
                missing.push(def);
            }
        }
        if place == Place::Event && name == "df_items" {
            findings.push(Finding::ItemsInProperties);
            continue;
        }
        match defs.next_if(|def| def.name == name) {
            Some(property) => check_value(place, property, value, findings, &mut passed),
            None => findings.push(Finding::UnknownProperty {
                place,
                name: name.to_owned(),
                // The closest registered name, searched for an event's first findings only:
                // the emulator lists 100 per request, `dfinery send` lists a line's all (past
                // 100, without the suggestion), and a body of a million unknown names would
                // otherwise search the registry a million times.
                close: if findings.len() < SUGGESTED_FINDINGS {
                    match place {
                        Place::Event => definition.suggest_property(name),
                        _ => definition.suggest_item_property(name),
                    }
                } else {
                    None
                },
            }),
        }
    }
    missing.extend(defs.filter(|def| def.required));
    findings.extend(
        missing
            .into_iter()
            .map(|property| Finding::Missing { place, property }),
    );
    passed
}

fn check_items<'r, 'a>(
    definition: &'r EventDef,
    items: &[(usize, Object<'a>)],
    findings: &mut Vec<Finding<'r, 'a>>,
) -> Vec<Vec<Checked<'r, 'a>>> {
    if items.is_empty() {
        if definition.items_required {
            findings.push(Finding::ItemsRequired);
        }
        return Vec::new();
    }
    if !definition.takes_items() {
        findings.push(Finding::TakesNoItems);
        return Vec::new();
    }
    if items.len() > MAX_ITEMS_PER_REQUEST {
        findings.push(Finding::TooManyItems { count: items.len() });
    }
    // Past the limit the event is refused whatever its items hold: those after it are not
    // walked, so a body of a million items costs no more than one of a hundred.
    let mut checked = Vec::with_capacity(items.len().min(MAX_ITEMS_PER_REQUEST));
    for &(index, ref item) in items.iter().take(MAX_ITEMS_PER_REQUEST) {
        checked.push(check_members(
            Place::Item(index),
            definition,
            &definition.items,
            item,
            findings,
        ));
    }
    checked
}

fn check_value<'r, 'a>(
    place: Place,
    property: &'r PropertyDef,
    value: Json<'a>,
    findings: &mut Vec<Finding<'r, 'a>>,
    passed: &mut Vec<Checked<'r, 'a>>,
) {
    match value.check(property) {
        Ok(()) => passed.push((property, value)),
        Err(violations) => findings.push(Finding::Invalid {
            place,
            property,
            violations,
        }),
    }
}

/// Checks a profile's user properties against `registry`, adding what is wrong to
/// `findings`; `null` clears a registered property and always passes. An unknown name gets
/// the closest registered one while fewer than 100 findings are made.
pub fn check_user_properties<'r, 'a>(
    registry: &'r Registry,
    properties: &Object<'a>,
    findings: &mut Vec<Finding<'r, 'a>>,
) -> Vec<Checked<'r, 'a>> {
    let mut passed = Vec::with_capacity(properties.len());
    for (name, value) in properties.iter() {
        match registry.user_property(name) {
            None => findings.push(Finding::UnknownProperty {
                place: Place::User,
                name: name.to_owned(),
                // Searched for the first findings only, as for an event's properties: a
                // profile of a million unknown names would search the registry a million times.
                close: if findings.len() < SUGGESTED_FINDINGS {
                    registry.suggest_user_property(name)
                } else {
                    None
                },
            }),
            Some(property) if value.is_null() => passed.push((property, value)),
            Some(property) => check_value(Place::User, property, value, findings, &mut passed),
        }
    }
    passed
}

/// One member of an identity object, as [`identity_members`] reads it.
#[derive(Debug, Clone)]
pub enum IdentityMember<'a> {
    /// An identifier with a string (possibly empty).
    Identifier {
        /// The identifier.
        field: Identifier,
        /// Its value, unescaped.
        value: Cow<'a, str>,
    },
    /// A field that is not an identifier.
    Unknown {
        /// The field.
        field: String,
        /// The identifier field most likely meant.
        close: Option<&'static str>,
    },
    /// An identifier whose value is not a string.
    NotAString {
        /// The identifier.
        field: Identifier,
        /// What was found.
        found: Json<'a>,
    },
}

/// The members of an identity object, by key: each an identifier, an unknown field (with the
/// identifier most likely meant, for the first 100 unknown fields) or an identifier that is not
/// a string. Whether an empty or
/// otherwise odd identifier is allowed is the caller's rule.
pub fn identity_members<'a>(identity: &Object<'a>) -> Vec<IdentityMember<'a>> {
    let mut unknown = 0;
    identity
        .iter()
        .map(|(key, value)| {
            let Some(field) = Identifier::from_name(key) else {
                unknown += 1;
                return IdentityMember::Unknown {
                    field: key.to_owned(),
                    // For the first unknown fields only, as for properties: an identity of a
                    // million fields would otherwise be searched a million times.
                    close: (unknown <= SUGGESTED_FINDINGS)
                        .then(|| crate::suggest(key, Identifier::ALL.map(Identifier::name)))
                        .flatten(),
                };
            };
            match value.as_str() {
                Some(value) => IdentityMember::Identifier { field, value },
                None => IdentityMember::NotAString {
                    field,
                    found: value,
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Registry;

    fn walk(registry: &Registry, items: &serde_json::Value) -> usize {
        let definition = registry.events.get("wish");
        let mut findings = Vec::new();
        let body = check_event(definition, None, Some(Json::Value(items)), &mut findings);
        assert!(body.items.len() <= MAX_ITEMS_PER_REQUEST);
        assert!(
            findings
                .iter()
                .any(|f| matches!(f, Finding::TooManyItems { .. }))
        );
        findings.len()
    }

    #[test]
    fn items_past_the_limit_are_not_walked_and_suggestions_stop_after_the_first_findings() {
        // An emulator walked every item of a body of a million: a finding (and a search of the
        // registry for the closest name) for each, before keeping a hundred.
        let registry =
            Registry::parse("[events.wish]\nitems.sku = { type = \"string\", required = true }\n")
                .unwrap();
        let items = |n: usize| serde_json::Value::Array(vec![serde_json::json!({"skv": 1}); n]);
        let few = walk(&registry, &items(150));
        let many = walk(&registry, &items(5_000));
        // Two findings per item walked (the unknown name, the missing one), and the limit's.
        assert_eq!(few, 2 * MAX_ITEMS_PER_REQUEST + 1);
        assert_eq!(many, few);
        let definition = registry.events.get("wish");
        let hundred = items(100);
        let mut findings = Vec::new();
        check_event(definition, None, Some(Json::Value(&hundred)), &mut findings);
        let suggested = findings
            .iter()
            .filter(|f| matches!(f, Finding::UnknownProperty { close: Some(_), .. }))
            .count();
        assert!(
            suggested > 0 && suggested <= SUGGESTED_FINDINGS,
            "{suggested}"
        );
        assert!(
            findings
                .iter()
                .any(|f| matches!(f, Finding::UnknownProperty { close: None, .. }))
        );
    }

    #[test]
    fn a_profile_s_unknown_names_get_suggestions_for_its_first_findings_only() {
        // Every unknown user property searched the registry for the closest name, where an
        // event's search stops after its first findings: a 13 MB profile of a million unknown
        // names took the emulator 9 s (89 s in a debug build) before it listed 100 of them.
        let registry = Registry::parse("[user_properties]\ntier = \"string\"\n").unwrap();
        let body: serde_json::Map<String, serde_json::Value> = (0..500)
            .map(|i| (format!("tiers{i:03}"), serde_json::Value::from(1)))
            .collect();
        let mut findings = Vec::new();
        check_user_properties(&registry, &Object::from_map(&body), &mut findings);
        assert_eq!(findings.len(), 500);
        let suggested = findings
            .iter()
            .filter(|f| matches!(f, Finding::UnknownProperty { close: Some(_), .. }))
            .count();
        assert_eq!(suggested, SUGGESTED_FINDINGS, "{suggested}");
    }

    #[test]
    fn an_identity_s_unknown_fields_get_suggestions_for_the_first_ones_only() {
        // Each unknown field searched the five identifiers: an identity of a million fields
        // took 12 s of an emulator's request (release build).
        let identity: serde_json::Map<String, serde_json::Value> = (0..500)
            .map(|i| (format!("emails{i:03}"), serde_json::Value::from("a")))
            .collect();
        let members = identity_members(&Object::from_map(&identity));
        assert_eq!(members.len(), 500);
        let suggested = members
            .iter()
            .filter(|m| matches!(m, IdentityMember::Unknown { close: Some(_), .. }))
            .count();
        assert_eq!(suggested, SUGGESTED_FINDINGS, "{suggested}");
    }

    #[test]
    fn an_item_is_named_by_its_index_in_the_array_not_among_the_objects() {
        // A non-object before it shifted every later item's index down by one: the unknown
        // name of the array's item 2 was reported at `event_items[1]`.
        let registry = Registry::parse("[events.wish]\nitems.sku = \"string\"\n").unwrap();
        let items = serde_json::json!([1, {"sku": "a"}, {"skv": "b"}]);
        let mut findings = Vec::new();
        check_event(
            registry.events.get("wish"),
            None,
            Some(Json::Value(&items)),
            &mut findings,
        );
        let places: Vec<Place> = findings
            .iter()
            .filter_map(|f| match f {
                Finding::UnknownProperty { place, .. } => Some(*place),
                _ => None,
            })
            .collect();
        assert_eq!(places, [Place::Item(2)]);
    }
}
