//! The typed events and profile the client tests send, checked against `tests/dfinery.toml`.

use dfinery::{DfineryEvent, DfineryItem, DfineryProfile, Patch};

/// One product of a `df_purchase`.
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
}

/// The standard `df_purchase`.
#[derive(Debug, DfineryEvent)]
#[dfinery(event = "df_purchase", registry = "tests/dfinery.toml")]
pub struct Purchase {
    pub df_order_id: String,
    pub df_payment_method: String,
    pub df_total_purchase_amount: f64,
    pub df_delivery_charge: f64,
    pub df_discount: f64,
    #[dfinery(items)]
    pub items: Vec<LineItem>,
}

/// The standard `df_login`, which has no properties.
#[derive(Debug, DfineryEvent)]
#[dfinery(event = "df_login", registry = "tests/dfinery.toml")]
pub struct Login {}

/// An item of the custom `coupon_used`.
#[derive(Debug, Clone, DfineryItem)]
#[dfinery(event = "coupon_used", registry = "tests/dfinery.toml")]
pub struct SkuLine {
    pub sku: String,
}

/// The custom `coupon_used`, whose items are required.
#[derive(Debug, DfineryEvent)]
#[dfinery(registry = "tests/dfinery.toml")]
pub struct CouponUsed {
    pub coupon_code: String,
    pub amount: Option<f64>,
    #[dfinery(items)]
    pub lines: Vec<SkuLine>,
}

/// User properties, some of them left alone or cleared.
#[derive(Debug, DfineryProfile)]
#[dfinery(registry = "tests/dfinery.toml")]
pub struct Member {
    pub df_name: Patch<String>,
    pub df_membership: Patch<String>,
    pub df_push_ads_optin: Patch<bool>,
    pub lifetime_points: Patch<i64>,
    pub avg_basket: Patch<f64>,
}

/// A purchase of `n` items priced `price` each.
pub fn purchase(order: &str, n: usize, price: f64) -> Purchase {
    let items: Vec<LineItem> = (0..n)
        .map(|i| LineItem {
            id: format!("SKU-{i:03}"),
            name: "Cracker".to_owned(),
            price,
            quantity: 1,
            discount: 0.0,
        })
        .collect();
    Purchase {
        df_order_id: order.to_owned(),
        df_payment_method: "BankTransfer".to_owned(),
        df_total_purchase_amount: price * n as f64,
        df_delivery_charge: 0.0,
        df_discount: 0.0,
        items,
    }
}

/// A coupon with one line.
pub fn coupon(code: &str) -> CouponUsed {
    CouponUsed {
        coupon_code: code.to_owned(),
        amount: Some(1500.0),
        lines: vec![SkuLine {
            sku: "SKU-9".to_owned(),
        }],
    }
}
