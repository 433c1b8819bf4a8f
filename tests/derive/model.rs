//! The typed events, items and profiles the tests share, checked against `tests/dfinery.toml`.

use dfinery::{Date, Datetime, DfineryEnum, DfineryEvent, DfineryItem, DfineryProfile, Patch};
use uuid::Uuid;

/// One product of a `df_purchase` (every standard item property, two categories).
#[derive(Debug, Clone, DfineryItem)]
#[dfinery(event = "df_purchase", registry = "tests/dfinery.toml")]
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
    pub df_category1: Option<String>,
    pub df_category2: Option<&'static str>,
    /// Not a property: never sent.
    #[dfinery(skip)]
    pub internal_note: String,
}

/// `df_purchase` with its items, a fixed time and a fixed id.
#[derive(Debug, DfineryEvent)]
#[dfinery(event = "df_purchase", registry = "tests/dfinery.toml")]
pub struct Purchase {
    #[dfinery(log_id)]
    pub log_id: Uuid,
    #[dfinery(datetime)]
    pub at: Datetime,
    pub df_order_id: String,
    pub df_payment_method: String,
    pub df_total_purchase_amount: f64,
    pub df_delivery_charge: f64,
    pub df_discount: f64,
    pub store_id: Option<String>,
    #[dfinery(items)]
    pub items: Vec<LineItem>,
}

/// `df_login`: no properties; the struct name gives the event name (`login` is not it, so it
/// is named).
#[derive(Debug, DfineryEvent)]
#[dfinery(event = "df_login", registry = "tests/dfinery.toml")]
pub struct Login {
    #[dfinery(log_id)]
    pub log_id: Option<Uuid>,
    #[dfinery(datetime)]
    pub at: Option<Datetime>,
}

/// `df_gender`'s registered values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DfineryEnum)]
#[dfinery(user_property = "df_gender", registry = "tests/dfinery.toml")]
pub enum Gender {
    Male,
    Female,
    NonBinary,
    Other,
}

/// The custom `tier` user property, values in lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DfineryEnum)]
#[dfinery(
    user_property = "tier",
    rename_all = "lowercase",
    registry = "tests/dfinery.toml"
)]
pub enum Tier {
    Bronze,
    Silver,
    Gold,
}

/// The profile of the spec's richer user-profile example.
#[derive(Debug, DfineryProfile)]
#[dfinery(registry = "tests/dfinery.toml")]
pub struct Member {
    pub df_name: String,
    pub df_gender: Gender,
    pub df_birth: Date,
    pub df_membership: Option<String>,
    pub df_push_ads_optin: bool,
    pub df_sms_ads_optin: bool,
    pub favorite_brands: Vec<&'static str>,
    pub lifetime_points: i64,
    pub avg_basket: f64,
    pub tier: Patch<Tier>,
}

/// `app_review`: the custom event with a property of every type.
#[derive(Debug, Default, DfineryEvent)]
#[dfinery(registry = "tests/dfinery.toml")]
pub struct AppReview {
    pub rating: i32,
    pub score: Option<f32>,
    pub comment: Option<String>,
    pub recommended: Option<bool>,
    pub reviewed_at: Option<Datetime>,
    pub visit_date: Option<Date>,
    pub tags: Vec<String>,
    pub counts: Option<Vec<i64>>,
    pub weights: Option<[f64; 2]>,
    pub channel: Option<String>,
}

/// A purchase line under the standard event and a custom one: checked against both.
#[derive(Debug, Clone, DfineryItem)]
#[dfinery(
    event = "coupon_used",
    event = "wishlist_shared",
    registry = "tests/dfinery.toml"
)]
pub struct SkuLine {
    pub sku: String,
    pub colour: Option<&'static str>,
}

/// `coupon_used`, whose items are required.
#[derive(Debug, DfineryEvent)]
#[dfinery(registry = "tests/dfinery.toml")]
pub struct CouponUsed {
    pub coupon_code: String,
    pub amount: Option<f64>,
    #[dfinery(items)]
    pub lines: Vec<SkuLine>,
}

/// `wishlist_shared`, whose items are optional, borrowing them.
#[derive(Debug, DfineryEvent)]
#[dfinery(registry = "tests/dfinery.toml")]
pub struct WishlistShared<'a> {
    pub channel: &'a str,
    #[dfinery(items)]
    pub lines: &'a [SkuLine],
}

/// Field names in camel case map to snake-case properties.
#[derive(Debug, DfineryEvent)]
#[dfinery(
    event = "df_sign_up",
    rename_all = "snake_case",
    registry = "tests/dfinery.toml"
)]
pub struct SignUp {
    #[dfinery(rename = "df_sign_channel")]
    pub channel: &'static str,
}

pub fn line(id: &str) -> LineItem {
    LineItem {
        id: id.to_owned(),
        name: "Cracker".to_owned(),
        price: 5000.0,
        quantity: 2,
        discount: 500.0,
        df_category1: Some("Food".to_owned()),
        df_category2: Some("Snack"),
        internal_note: "not sent".to_owned(),
    }
}

pub fn purchase() -> Purchase {
    Purchase {
        log_id: "5b0f9a0e-1c2d-4e3f-8a9b-0c1d2e3f4a5b".parse().unwrap(),
        at: "2024-06-24T06:01:48.501Z".parse().unwrap(),
        df_order_id: "ORDER-123".to_owned(),
        df_payment_method: "BankTransfer".to_owned(),
        df_total_purchase_amount: 9000.0,
        df_delivery_charge: 3000.0,
        df_discount: 0.0,
        store_id: None,
        items: vec![line("SKU-001")],
    }
}
