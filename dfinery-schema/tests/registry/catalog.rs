//! The built-in catalog against `docs/protocol.md` §5, written out row for row.

use dfinery_schema::DataType::{self, Boolean, Date, Double, Long, String as Str};
use dfinery_schema::{PropertyDef, catalog};

const REQ: bool = true;
const OPT: bool = false;

/// A property row: name, type, required.
type Row = (&'static str, DataType, bool);

/// §5.1: event name, whether it takes (required) `df_items`, its properties `(name, type, required)`.
#[rustfmt::skip]
const EVENTS: &[(&str, bool, &[Row])] = &[
    ("df_login",                false, &[]),
    ("df_logout",               false, &[]),
    ("df_sign_up",              false, &[("df_sign_channel", Str, REQ)]),
    ("df_view_home",            false, &[]),
    ("df_view_product_details", true,  &[]),
    ("df_add_to_cart",          true,  &[]),
    ("df_add_to_wishlist",      true,  &[]),
    ("df_remove_cart",          true,  &[]),
    ("df_view_cart",            true,  &[]),
    ("df_view_list",            true,  &[]),
    ("df_view_search_result",   true,  &[("df_keyword", Str, REQ)]),
    ("df_share_product",        true,  &[("df_sharing_channel", Str, REQ)]),
    ("df_add_payment_info",     false, &[]),
    ("df_purchase",             true,  &[
        ("df_order_id", Str, REQ),
        ("df_payment_method", Str, REQ),
        ("df_total_purchase_amount", Double, REQ),
        ("df_delivery_charge", Double, REQ),
        ("df_discount", Double, REQ),
    ]),
    ("df_refund",               true,  &[("df_total_refund_amount", Double, REQ)]),
];

/// §5.2 without `df_items`.
#[rustfmt::skip]
const EVENT_PROPERTIES: &[(&str, DataType)] = &[
    ("df_order_id", Str),
    ("df_payment_method", Str),
    ("df_total_purchase_amount", Double),
    ("df_delivery_charge", Double),
    ("df_discount", Double),
    ("df_total_refund_amount", Double),
    ("df_sharing_channel", Str),
    ("df_sign_channel", Str),
    ("df_keyword", Str),
];

/// §5.3.
#[rustfmt::skip]
const ITEM_PROPERTIES: &[Row] = &[
    ("df_item_id", Str, REQ),
    ("df_item_name", Str, REQ),
    ("df_price", Double, REQ),
    ("df_quantity", Long, REQ),
    ("df_discount", Double, REQ),
    ("df_category1", Str, OPT),
    ("df_category2", Str, OPT),
    ("df_category3", Str, OPT),
    ("df_category4", Str, OPT),
    ("df_category5", Str, OPT),
];

/// §5.4: name, type, enum values.
#[rustfmt::skip]
const USER_PROPERTIES: &[(&str, DataType, &[&str])] = &[
    ("df_name", Str, &[]),
    ("df_gender", Str, &["Male", "Female", "NonBinary", "Other"]),
    ("df_birth", Date, &[]),
    ("df_membership", Str, &[]),
    ("df_push_optin", Boolean, &[]),
    ("df_push_ads_optin", Boolean, &[]),
    ("df_push_night_ads_optin", Boolean, &[]),
    ("df_sms_ads_optin", Boolean, &[]),
    ("df_kakao_ads_optin", Boolean, &[]),
];

fn row(p: &PropertyDef) -> (&str, DataType, bool) {
    (p.name.as_str(), p.ty, p.required)
}

fn assert_plain_standard(p: &PropertyDef) {
    assert!(p.standard, "{}", p.name);
    assert_eq!((p.max_len, p.max_items), (None, None), "{}", p.name);
}

#[test]
fn standard_events_match_section_5_1_row_for_row() {
    let events: Vec<_> = catalog::standard_events().collect();
    assert_eq!(events.len(), EVENTS.len());
    for (event, &(name, takes_items, properties)) in events.iter().zip(EVENTS) {
        assert_eq!(event.name, name);
        assert!(event.standard);
        assert_eq!(event.items_required, takes_items, "{name}");
        let mut expected: Vec<_> = properties.to_vec();
        expected.sort_by_key(|(n, _, _)| *n);
        let actual: Vec<_> = event.properties.values().map(row).collect();
        assert_eq!(actual, expected, "{name}");
        assert!(
            !event.properties.contains_key("df_items"),
            "{name}: df_items is not a property"
        );
        let mut expected_items: Vec<_> = if takes_items {
            ITEM_PROPERTIES.to_vec()
        } else {
            Vec::new()
        };
        expected_items.sort_by_key(|(n, _, _)| *n);
        let actual_items: Vec<_> = event.items.values().map(row).collect();
        assert_eq!(actual_items, expected_items, "{name}");
        event
            .properties
            .values()
            .chain(event.items.values())
            .for_each(assert_plain_standard);
        assert_eq!(catalog::standard_event(name).as_ref(), Some(event));
    }
    let names: Vec<_> = catalog::standard_event_names().collect();
    assert_eq!(names, EVENTS.iter().map(|e| e.0).collect::<Vec<_>>());
    assert!(catalog::standard_event("df_items").is_none());
    assert!(catalog::standard_event("login").is_none());
}

#[test]
fn standard_event_properties_match_section_5_2() {
    let actual: Vec<_> = catalog::standard_event_properties()
        .map(|p| (p.name, p.ty, p.required))
        .collect();
    let expected: Vec<_> = EVENT_PROPERTIES
        .iter()
        .map(|&(n, t)| (n.to_owned(), t, false))
        .collect();
    assert_eq!(actual, expected);
    assert!(catalog::standard_event_property("df_items").is_none());
    assert_eq!(
        catalog::standard_event_property("df_keyword").unwrap().ty,
        Str
    );
}

#[test]
fn standard_item_properties_match_section_5_3() {
    let props: Vec<_> = catalog::standard_item_properties().collect();
    let actual: Vec<_> = props.iter().map(row).collect();
    assert_eq!(actual, ITEM_PROPERTIES);
    props.iter().for_each(assert_plain_standard);
    assert_eq!(
        catalog::standard_item_property("df_quantity").unwrap().ty,
        Long
    );
    assert!(catalog::standard_item_property("df_order_id").is_none());
}

#[test]
fn standard_user_properties_match_section_5_4() {
    let props: Vec<_> = catalog::standard_user_properties().collect();
    assert_eq!(props.len(), USER_PROPERTIES.len());
    for (p, &(name, ty, values)) in props.iter().zip(USER_PROPERTIES) {
        assert_eq!((p.name.as_str(), p.ty, p.required), (name, ty, false));
        let expected =
            (!values.is_empty()).then(|| values.iter().map(|v| v.to_string()).collect::<Vec<_>>());
        assert_eq!(p.enum_values, expected, "{name}");
        assert_plain_standard(p);
        assert_eq!(catalog::standard_user_property(name).as_ref(), Some(p));
    }
    assert_eq!(
        catalog::standard_user_property_names().collect::<Vec<_>>(),
        USER_PROPERTIES.iter().map(|u| u.0).collect::<Vec<_>>()
    );
}

#[test]
fn the_consent_flags_are_the_five_boolean_optins() {
    assert_eq!(
        catalog::CONSENT_FLAGS,
        [
            "df_push_optin",
            "df_push_ads_optin",
            "df_push_night_ads_optin",
            "df_sms_ads_optin",
            "df_kakao_ads_optin"
        ]
    );
    for flag in catalog::CONSENT_FLAGS {
        assert!(catalog::is_consent_flag(flag));
        assert_eq!(catalog::standard_user_property(flag).unwrap().ty, Boolean);
    }
    assert!(!catalog::is_consent_flag("df_gender"));
    assert_eq!(
        catalog::GENDER_VALUES,
        ["Male", "Female", "NonBinary", "Other"]
    );
}

#[test]
fn every_catalog_name_follows_the_naming_rule_and_is_reserved() {
    let names = catalog::standard_event_names()
        .map(str::to_owned)
        .chain(catalog::standard_event_properties().map(|p| p.name))
        .chain(catalog::standard_item_properties().map(|p| p.name))
        .chain(catalog::standard_user_properties().map(|p| p.name));
    for name in names {
        assert!(dfinery_schema::names::check_name(&name).is_ok(), "{name}");
        assert!(dfinery_schema::names::is_reserved(&name), "{name}");
    }
}
