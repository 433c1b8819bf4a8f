//! The built-in catalog of standard `df_` events, event properties, item properties and user
//! properties (`docs/protocol.md` §5), as registry definitions.
//!
//! Every standard event that carries items (`df_items`) requires at least one item, and its
//! items take the ten standard item properties of §5.3. `df_items` itself is not a property:
//! items are sent in `event_items`.

mod table;

use std::collections::BTreeMap;

use table::{EVENT_PROPERTIES, EVENTS, EventRow, ITEM_PROPERTIES, Items, USER_PROPERTIES};

use crate::{DataType, EventDef, PropertyDef};

/// The five notification-consent user properties, auto-registered for every service (§5.4).
pub const CONSENT_FLAGS: [&str; 5] = [
    "df_push_optin",
    "df_push_ads_optin",
    "df_push_night_ads_optin",
    "df_sms_ads_optin",
    "df_kakao_ads_optin",
];

/// The standard user properties DFINERY's SDKs deprecate, each with what to use instead.
/// DFINERY still accepts them; the derive warns on a field mapped to one, and `dfinery check`
/// reports one listed in the registry as a warning.
///
/// `df_push_optin` (consent to informational push) is deprecated in every official SDK
/// (Android 2.3.1, iOS, the web SDK) in favour of the advertising consent flags.
pub const DEPRECATED_USER_PROPERTIES: [Deprecation; 1] = [Deprecation {
    name: "df_push_optin",
    instead: "use the other consent flags instead: `df_push_ads_optin`, \
              `df_push_night_ads_optin`, `df_sms_ads_optin` or `df_kakao_ads_optin`",
}];

/// A standard name DFINERY's SDKs deprecate: still accepted, best not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deprecation {
    /// The deprecated name, e.g. `df_push_optin`.
    pub name: &'static str,
    /// What to use instead, as a sentence fragment starting with `use`.
    pub instead: &'static str,
}

impl Deprecation {
    /// The whole message: `` `df_push_optin` is deprecated in DFINERY's SDKs; use … ``.
    pub fn message(&self) -> String {
        format!(
            "`{}` is deprecated in DFINERY's SDKs (still accepted); {}",
            self.name, self.instead
        )
    }
}

/// The deprecation of the standard user property `name`, or `None` when it is not deprecated.
///
/// ```
/// use dfinery_schema::catalog;
/// let d = catalog::deprecated_user_property("df_push_optin").unwrap();
/// assert!(d.message().contains("df_push_ads_optin"));
/// assert!(catalog::deprecated_user_property("df_push_ads_optin").is_none());
/// ```
pub fn deprecated_user_property(name: &str) -> Option<&'static Deprecation> {
    DEPRECATED_USER_PROPERTIES.iter().find(|d| d.name == name)
}

/// The values `df_gender` allows (the web SDK's `DFGender` constants).
pub const GENDER_VALUES: [&str; 4] = ["Male", "Female", "NonBinary", "Other"];

/// The standard event `name` with its properties and item properties, or `None` when `name` is
/// not a standard event.
pub fn standard_event(name: &str) -> Option<EventDef> {
    EVENTS.iter().find(|row| row.name == name).map(event_def)
}

/// Every standard event, in the order of §5.1.
pub fn standard_events() -> impl Iterator<Item = EventDef> {
    EVENTS.iter().map(event_def)
}

/// The names of every standard event, in the order of §5.1.
pub fn standard_event_names() -> impl Iterator<Item = &'static str> + Clone {
    EVENTS.iter().map(|row| row.name)
}

/// The standard event property `name` (§5.2), or `None`. `required` is `false` here: it
/// depends on the event; see [`standard_event`].
pub fn standard_event_property(name: &str) -> Option<PropertyDef> {
    EVENT_PROPERTIES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(n, ty)| property(n, ty, false, &[]))
}

/// Every standard event property (§5.2, without `df_items`), `required` always `false`.
pub fn standard_event_properties() -> impl Iterator<Item = PropertyDef> {
    EVENT_PROPERTIES
        .iter()
        .map(|&(n, ty)| property(n, ty, false, &[]))
}

/// The standard item property `name` (§5.3) with its required flag, or `None`.
pub fn standard_item_property(name: &str) -> Option<PropertyDef> {
    standard_item_properties().find(|p| p.name == name)
}

/// Every standard item property (§5.3) with its required flag.
pub fn standard_item_properties() -> impl Iterator<Item = PropertyDef> {
    ITEM_PROPERTIES
        .iter()
        .map(|&(n, ty, required)| property(n, ty, required, &[]))
}

/// The standard user property `name` (§5.4, consent flags included), or `None`.
pub fn standard_user_property(name: &str) -> Option<PropertyDef> {
    standard_user_properties().find(|p| p.name == name)
}

/// Every standard user property (§5.4), the five [`CONSENT_FLAGS`] included.
pub fn standard_user_properties() -> impl Iterator<Item = PropertyDef> {
    USER_PROPERTIES
        .iter()
        .map(|&(n, ty, values)| property(n, ty, false, values))
}

/// The names of every standard user property, in the order of §5.4.
pub fn standard_user_property_names() -> impl Iterator<Item = &'static str> + Clone {
    USER_PROPERTIES.iter().map(|(n, _, _)| *n)
}

/// Whether `name` is one of the [`CONSENT_FLAGS`].
pub fn is_consent_flag(name: &str) -> bool {
    CONSENT_FLAGS.contains(&name)
}

fn event_def(row: &EventRow) -> EventDef {
    let properties = row
        .properties
        .iter()
        .map(|&(name, required)| {
            let ty = EVENT_PROPERTIES
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(DataType::String, |&(_, ty)| ty);
            (name.to_owned(), property(name, ty, required, &[]))
        })
        .collect();
    let items: BTreeMap<String, PropertyDef> = match row.items {
        Items::None => BTreeMap::new(),
        Items::Required => standard_item_properties()
            .map(|p| (p.name.clone(), p))
            .collect(),
    };
    EventDef {
        name: row.name.to_owned(),
        standard: true,
        properties,
        items,
        items_required: row.items == Items::Required,
    }
}

fn property(name: &str, ty: DataType, required: bool, values: &[&str]) -> PropertyDef {
    PropertyDef {
        name: name.to_owned(),
        ty,
        required,
        enum_values: (!values.is_empty()).then(|| values.iter().map(|v| (*v).to_owned()).collect()),
        max_len: None,
        max_items: None,
        standard: true,
    }
}

#[cfg(test)]
mod tests {
    use super::table::{EVENT_PROPERTIES, EVENTS};

    /// `event_def` falls back to `String` for a property missing from `EVENT_PROPERTIES`;
    /// this keeps the fallback unreachable.
    #[test]
    fn every_event_row_names_a_typed_event_property() {
        for row in EVENTS {
            for (name, _) in row.properties {
                assert!(
                    EVENT_PROPERTIES.iter().any(|(n, _)| n == name),
                    "`{name}` of `{}` has no row in EVENT_PROPERTIES",
                    row.name
                );
            }
        }
    }
}
