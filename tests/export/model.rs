//! The typed events, items and profile the export tests send and decode back, checked against
//! `tests/dfinery.toml`.

use dfinery::{Date, Datetime, DfineryEnum, DfineryEvent, DfineryItem, DfineryProfile, Patch};
use uuid::Uuid;

/// The item colours of `df_purchase` (and `wishlist_shared`, which registers the same values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, DfineryEnum)]
#[dfinery(rename_all = "lowercase", registry = "tests/dfinery.toml")]
#[dfinery(event = "df_purchase", item = "colour")]
pub enum Colour {
    Red,
    Green,
    Blue,
}

/// The channels of `app_review`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DfineryEnum)]
#[dfinery(rename_all = "lowercase", registry = "tests/dfinery.toml")]
#[dfinery(event = "app_review", property = "channel")]
pub enum Channel {
    Web,
    App,
    Store,
}

/// The membership tiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DfineryEnum)]
#[dfinery(rename_all = "lowercase", registry = "tests/dfinery.toml")]
#[dfinery(user_property = "tier")]
pub enum Tier {
    Bronze,
    Silver,
    Gold,
}

/// One product of a `df_purchase`.
#[derive(Debug, Clone, PartialEq, DfineryItem)]
#[dfinery(event = "df_purchase", registry = "tests/dfinery.toml", decode)]
pub struct LineItem {
    #[dfinery(rename = "df_item_id")]
    pub id: String,
    #[dfinery(rename = "df_item_name")]
    pub name: String,
    #[dfinery(rename = "df_price")]
    pub price: f64,
    #[dfinery(rename = "df_quantity")]
    pub quantity: i64,
    #[dfinery(rename = "df_discount")]
    pub discount: f64,
    #[dfinery(rename = "df_category1")]
    pub category: Option<String>,
    pub gift_wrap: Option<bool>,
    pub colour: Option<Colour>,
}

/// The standard `df_purchase`, whose items are required.
#[derive(Debug, Clone, PartialEq, DfineryEvent)]
#[dfinery(event = "df_purchase", registry = "tests/dfinery.toml", decode)]
pub struct Purchase {
    pub df_order_id: String,
    pub df_payment_method: String,
    pub df_total_purchase_amount: f64,
    pub df_delivery_charge: f64,
    pub df_discount: f64,
    pub store_id: Option<String>,
    #[dfinery(items)]
    pub items: Vec<LineItem>,
    #[dfinery(datetime)]
    pub at: Datetime,
    #[dfinery(log_id)]
    pub id: Uuid,
}

/// The custom `app_review`: no items, a property of every type.
#[derive(Debug, Clone, PartialEq, DfineryEvent)]
#[dfinery(registry = "tests/dfinery.toml", decode)]
pub struct AppReview {
    pub rating: i64,
    pub score: Option<f64>,
    pub comment: Option<String>,
    pub recommended: Option<bool>,
    pub reviewed_at: Option<Datetime>,
    pub visit_date: Option<Date>,
    pub tags: Option<Vec<String>>,
    pub counts: Option<Vec<i64>>,
    pub weights: Option<Vec<f64>>,
    pub channel: Option<Channel>,
    #[dfinery(datetime)]
    pub at: Datetime,
    #[dfinery(log_id)]
    pub id: Uuid,
}

/// An item of the custom `wishlist_shared`.
#[derive(Debug, Clone, PartialEq, DfineryItem)]
#[dfinery(event = "wishlist_shared", registry = "tests/dfinery.toml", decode)]
pub struct WishItem {
    pub sku: String,
    pub note: Option<String>,
    pub colour: Option<Colour>,
}

/// The custom `wishlist_shared`, whose items are optional.
#[derive(Debug, Clone, PartialEq, DfineryEvent)]
#[dfinery(registry = "tests/dfinery.toml", decode)]
pub struct WishlistShared {
    pub channel: Option<String>,
    #[dfinery(items)]
    pub items: Vec<WishItem>,
    #[dfinery(datetime)]
    pub at: Datetime,
    #[dfinery(log_id)]
    pub id: Uuid,
}

/// `wishlist_shared` with its items as an `Option`: `None` for an event without items, and
/// for an export without item columns (filtered to some properties).
#[derive(Debug, Clone, PartialEq, DfineryEvent)]
#[dfinery(event = "wishlist_shared", registry = "tests/dfinery.toml", decode)]
pub struct MaybeWishlist {
    pub channel: Option<String>,
    #[dfinery(items)]
    pub items: Option<Vec<WishItem>>,
}

/// A `df_purchase` read from the documented columns only: no `event_log_id`, no
/// `event_datetime`; `skipped` is not exported.
#[derive(Debug, Clone, PartialEq, DfineryEvent)]
#[dfinery(event = "df_purchase", registry = "tests/dfinery.toml", decode)]
pub struct PlainPurchase {
    pub df_order_id: String,
    pub df_payment_method: String,
    pub df_total_purchase_amount: f64,
    pub df_delivery_charge: f64,
    pub df_discount: f64,
    #[dfinery(items)]
    pub items: Vec<LineItem>,
    #[dfinery(datetime)]
    pub at: Option<Datetime>,
    #[dfinery(skip)]
    pub skipped: u64,
}

/// User properties, some of which may be left alone or cleared.
#[derive(Debug, Clone, PartialEq, DfineryProfile)]
#[dfinery(registry = "tests/dfinery.toml", decode)]
pub struct Member {
    pub df_name: Patch<String>,
    pub df_membership: Option<String>,
    pub df_birth: Option<Date>,
    pub df_push_ads_optin: Option<bool>,
    pub lifetime_points: Option<i64>,
    pub avg_basket: Option<f64>,
    pub favorite_brands: Option<Vec<String>>,
    pub tier: Option<Tier>,
}

/// A `df_purchase` with two items, made now.
pub fn one_purchase() -> Purchase {
    let item = |n: i64| LineItem {
        id: format!("SKU-{n}"),
        name: "Cracker".to_owned(),
        price: 5000.0,
        quantity: n,
        discount: 0.0,
        category: None,
        gift_wrap: None,
        colour: None,
    };
    Purchase {
        df_order_id: "ORDER-1".to_owned(),
        df_payment_method: "BankTransfer".to_owned(),
        df_total_purchase_amount: 10000.0,
        df_delivery_charge: 0.0,
        df_discount: 0.0,
        store_id: None,
        items: vec![item(1), item(2)],
        at: Datetime::now(),
        id: Uuid::new_v4(),
    }
}
