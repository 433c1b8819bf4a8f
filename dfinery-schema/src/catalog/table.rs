//! The standard catalog as data, row for row from `docs/protocol.md` §5.1–§5.4. Edit here only.

use crate::DataType as T;

/// Whether a standard event carries items (`df_items`, sent as `event_items`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Items {
    /// The event takes no items.
    None,
    /// At least one item is required.
    Required,
}

/// One standard event (§5.1): its name, its items, and its event properties with their
/// required flags (types come from [`EVENT_PROPERTIES`]).
pub(super) struct EventRow {
    pub name: &'static str,
    pub items: Items,
    pub properties: &'static [(&'static str, Required)],
}

/// A property's required flag, spelled out in the tables below.
pub(super) type Required = bool;
const REQUIRED: Required = true;
const OPTIONAL: Required = false;

const fn event(
    name: &'static str,
    items: Items,
    properties: &'static [(&'static str, Required)],
) -> EventRow {
    EventRow {
        name,
        items,
        properties,
    }
}

/// §5.1. `df_purchase` follows the Android docs: every property required, `df_discount` too.
#[rustfmt::skip]
pub(super) const EVENTS: &[EventRow] = &[
    //     name                       items            properties
    event("df_login",                Items::None,     &[]),
    event("df_logout",               Items::None,     &[]),
    event("df_sign_up",              Items::None,     &[("df_sign_channel", REQUIRED)]),
    event("df_view_home",            Items::None,     &[]),
    event("df_view_product_details", Items::Required, &[]),
    event("df_add_to_cart",          Items::Required, &[]),
    event("df_add_to_wishlist",      Items::Required, &[]),
    event("df_remove_cart",          Items::Required, &[]),
    event("df_view_cart",            Items::Required, &[]),
    event("df_view_list",            Items::Required, &[]),
    event("df_view_search_result",   Items::Required, &[("df_keyword", REQUIRED)]),
    event("df_share_product",        Items::Required, &[("df_sharing_channel", REQUIRED)]),
    event("df_add_payment_info",     Items::None,     &[]),
    event("df_purchase",             Items::Required, &[
        ("df_order_id", REQUIRED),
        ("df_payment_method", REQUIRED),
        ("df_total_purchase_amount", REQUIRED),
        ("df_delivery_charge", REQUIRED),
        ("df_discount", REQUIRED),
    ]),
    event("df_refund",               Items::Required, &[("df_total_refund_amount", REQUIRED)]),
];

/// §5.2, without `df_items` (items are not a property: they go in `event_items`).
/// `df_sharing_channel` is an "Enum" whose members are undocumented: a free String (§11 Q25).
#[rustfmt::skip]
pub(super) const EVENT_PROPERTIES: &[(&str, T)] = &[
    ("df_order_id",              T::String),
    ("df_payment_method",        T::String),
    ("df_total_purchase_amount", T::Double),
    ("df_delivery_charge",       T::Double),
    ("df_discount",              T::Double),
    ("df_total_refund_amount",   T::Double),
    ("df_sharing_channel",       T::String),
    ("df_sign_channel",          T::String),
    ("df_keyword",               T::String),
];

/// §5.3: the keys of each `event_items[]` object, on every event that takes items.
#[rustfmt::skip]
pub(super) const ITEM_PROPERTIES: &[(&str, T, Required)] = &[
    ("df_item_id",    T::String, REQUIRED),
    ("df_item_name",  T::String, REQUIRED),
    ("df_price",      T::Double, REQUIRED),
    ("df_quantity",   T::Long,   REQUIRED),
    ("df_discount",   T::Double, REQUIRED),
    ("df_category1",  T::String, OPTIONAL),
    ("df_category2",  T::String, OPTIONAL),
    ("df_category3",  T::String, OPTIONAL),
    ("df_category4",  T::String, OPTIONAL),
    ("df_category5",  T::String, OPTIONAL),
];

/// §5.4: standard user properties, consent flags included (always optional).
#[rustfmt::skip]
pub(super) const USER_PROPERTIES: &[(&str, T, &[&str])] = &[
    //  name                       type          enum values
    ("df_name",                  T::String,    &[]),
    ("df_gender",                T::String,    &super::GENDER_VALUES),
    ("df_birth",                 T::Date,      &[]),
    ("df_membership",            T::String,    &[]),
    ("df_push_optin",            T::Boolean,   &[]),
    ("df_push_ads_optin",        T::Boolean,   &[]),
    ("df_push_night_ads_optin",  T::Boolean,   &[]),
    ("df_sms_ads_optin",         T::Boolean,   &[]),
    ("df_kakao_ads_optin",       T::Boolean,   &[]),
];
