//! Export CSV columns: the registered properties the filters keep, sorted by name, then the
//! always-present system columns (the docs' example export begins with property columns).

use std::collections::BTreeSet;

use dfinery_schema::{DataType, EventDef, Registry};

use super::request::{EventExport, ProfileExport};

/// The always-present columns of an event export, in order, after the property columns.
/// `event_log_id` and
/// `event_datetime` are the emulator's additions to the documented four plus `df_unified_id`.
pub(crate) const EVENT_SYSTEM_COLUMNS: [&str; 7] = [
    "df_unified_id",
    "df_api_version",
    "event_name",
    "df_server_datetime",
    "df_correction_datetime",
    "event_log_id",
    "event_datetime",
];

/// The prefix of item property columns, e.g. `df_items_df_price`.
pub(crate) const ITEM_PREFIX: &str = "df_items_";

/// Where a property column's value comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Column {
    /// An event property.
    Property(String),
    /// An item property (one row per item).
    Item(String),
}

impl Column {
    /// The header text.
    pub(crate) fn header(&self) -> String {
        match self {
            Column::Property(name) => name.clone(),
            Column::Item(name) => format!("{ITEM_PREFIX}{name}"),
        }
    }

    /// The registered type of this column's property for `event`, if it has one.
    pub(crate) fn ty(&self, event: Option<&EventDef>) -> Option<DataType> {
        let event = event?;
        match self {
            Column::Property(name) => event.property(name).map(|p| p.ty),
            Column::Item(name) => event.item_property(name).map(|p| p.ty),
        }
    }
}

/// The property columns of an event export: every property and item property of the events
/// the filter keeps, that the property filter keeps, sorted by header.
pub(crate) fn event_columns(registry: &Registry, export: &EventExport) -> Vec<Column> {
    let mut columns = BTreeSet::new();
    for event in registry
        .events
        .values()
        .filter(|e| export.events.keeps(&e.name))
    {
        columns.extend(event.properties.keys().map(|n| Column::Property(n.clone())));
        columns.extend(event.items.keys().map(|n| Column::Item(n.clone())));
    }
    let mut columns: Vec<Column> = columns
        .into_iter()
        .filter(|c| export.properties.keeps(&c.header()))
        .collect();
    columns.sort_by_key(Column::header);
    columns
}

/// The user-property columns of a profile export, sorted by name.
pub(crate) fn profile_columns(registry: &Registry, export: &ProfileExport) -> Vec<String> {
    registry
        .user_properties
        .keys()
        .filter(|name| export.properties.keeps(name))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use time::macros::date;

    use super::*;
    use crate::export::request::Filter;

    #[test]
    fn the_documented_filter_keeps_one_property_and_one_item_column() {
        let export = EventExport {
            events: Filter::Include(BTreeSet::from(["df_purchase".to_owned()])),
            properties: Filter::Include(BTreeSet::from([
                "df_discount".to_owned(),
                "df_items_df_price".to_owned(),
            ])),
            from: date!(2024 - 08 - 25),
            to: date!(2024 - 08 - 26),
        };
        let headers: Vec<String> = event_columns(&Registry::standard(), &export)
            .iter()
            .map(Column::header)
            .collect();
        assert_eq!(headers, ["df_discount", "df_items_df_price"]);
    }

    #[test]
    fn all_properties_of_purchase_include_items_sorted_by_header() {
        let export = EventExport {
            events: Filter::Include(BTreeSet::from(["df_purchase".to_owned()])),
            properties: Filter::All,
            from: date!(2024 - 08 - 25),
            to: date!(2024 - 08 - 26),
        };
        let headers: Vec<String> = event_columns(&Registry::standard(), &export)
            .iter()
            .map(Column::header)
            .collect();
        let mut sorted = headers.clone();
        sorted.sort();
        assert_eq!(headers, sorted);
        assert!(headers.contains(&"df_order_id".to_owned()));
        assert!(headers.contains(&"df_items_df_quantity".to_owned()));
    }
}
