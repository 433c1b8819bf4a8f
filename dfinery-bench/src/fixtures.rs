//! The data every comparison sends: a `df_purchase` with five items, as a derived dfinery
//! event and as the wire-shaped struct a plain serde user would write instead.

use dfinery::{Datetime, DfineryEvent, DfineryItem};
use serde::Serialize;
use uuid::Uuid;

/// Items per purchase in every comparison.
pub const ITEMS_PER_PURCHASE: usize = 5;

/// One product of a [`Purchase`]: every required standard item property and two categories.
#[derive(Debug, Clone, DfineryItem)]
#[dfinery(event = "df_purchase", decode)]
pub struct LineItem {
    /// `df_item_id`.
    #[dfinery(rename = "df_item_id")]
    pub id: String,
    /// `df_item_name`.
    #[dfinery(rename = "df_item_name")]
    pub name: String,
    /// `df_price`.
    #[dfinery(rename = "df_price")]
    pub price: f64,
    /// `df_quantity`.
    #[dfinery(rename = "df_quantity")]
    pub quantity: i64,
    /// `df_discount`.
    #[dfinery(rename = "df_discount")]
    pub discount: f64,
    /// `df_category1`.
    pub df_category1: Option<String>,
    /// `df_category2`.
    pub df_category2: Option<String>,
}

/// The standard `df_purchase`, checked against `dfinery-bench/dfinery.toml` at compile time.
#[derive(Debug, Clone, DfineryEvent)]
#[dfinery(event = "df_purchase", decode)]
pub struct Purchase {
    /// `event_log_id`; `None` makes a fresh one per record, as most applications do.
    #[dfinery(log_id)]
    pub log_id: Option<Uuid>,
    /// `event_datetime`.
    #[dfinery(datetime)]
    pub at: Datetime,
    /// `df_order_id`.
    pub df_order_id: String,
    /// `df_payment_method`.
    pub df_payment_method: String,
    /// `df_total_purchase_amount`.
    pub df_total_purchase_amount: f64,
    /// `df_delivery_charge`.
    pub df_delivery_charge: f64,
    /// `df_discount`.
    pub df_discount: f64,
    /// `event_items`.
    #[dfinery(items)]
    pub items: Vec<LineItem>,
}

/// The same item with `#[derive(Serialize)]` only: the field names are the wire keys.
#[derive(Debug, Clone, Serialize)]
pub struct SerdeLineItem {
    /// `df_item_id`.
    pub df_item_id: String,
    /// `df_item_name`.
    pub df_item_name: String,
    /// `df_price`.
    pub df_price: f64,
    /// `df_quantity`.
    pub df_quantity: i64,
    /// `df_discount`.
    pub df_discount: f64,
    /// `df_category1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub df_category1: Option<String>,
    /// `df_category2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub df_category2: Option<String>,
}

/// The purchase's `event_properties` with `#[derive(Serialize)]` only.
#[derive(Debug, Clone, Serialize)]
pub struct SerdePurchaseProperties {
    /// `df_order_id`.
    pub df_order_id: String,
    /// `df_payment_method`.
    pub df_payment_method: String,
    /// `df_total_purchase_amount`.
    pub df_total_purchase_amount: f64,
    /// `df_delivery_charge`.
    pub df_delivery_charge: f64,
    /// `df_discount`.
    pub df_discount: f64,
}

/// The same purchase with `#[derive(Serialize)]` only, shaped like the wire event object. It
/// uses the same `Uuid` and [`Datetime`] types, so both sides format ids and times alike and
/// the ratio measures the typed layer, not a date library.
#[derive(Debug, Clone, Serialize)]
pub struct SerdePurchase {
    /// `event_log_id`.
    pub event_log_id: Uuid,
    /// `event_name`, always `df_purchase`.
    pub event_name: &'static str,
    /// `event_datetime`.
    pub event_datetime: Datetime,
    /// `event_items`.
    pub event_items: Vec<SerdeLineItem>,
    /// `event_properties`.
    pub event_properties: SerdePurchaseProperties,
}

/// A fixed purchase id, so every run serialises the same bytes.
const LOG_ID: Uuid = Uuid::from_u128(0x5b0f9a0e_1c2d_4e3f_8a9b_0c1d2e3f4a5b);

/// The item at `index` of every purchase.
pub fn line_item(index: usize) -> LineItem {
    LineItem {
        id: format!("SKU-{index:03}"),
        name: "Cracker".to_owned(),
        price: 5000.0,
        quantity: 2,
        discount: 500.0,
        df_category1: Some("Food".to_owned()),
        df_category2: Some("Snack".to_owned()),
    }
}

/// The purchase every comparison sends: [`ITEMS_PER_PURCHASE`] items, a fixed id and time.
pub fn purchase() -> Purchase {
    Purchase {
        log_id: Some(LOG_ID),
        at: Datetime::from_unix_millis(1_719_208_908_501).expect("2024-06-24 is a valid datetime"),
        df_order_id: "ORDER-123".to_owned(),
        df_payment_method: "BankTransfer".to_owned(),
        df_total_purchase_amount: 49_500.0,
        df_delivery_charge: 3000.0,
        df_discount: 0.0,
        items: (1..=ITEMS_PER_PURCHASE).map(line_item).collect(),
    }
}

/// The purchase with no id: each record made from it gets a fresh `event_log_id`, so the
/// emulator stores every one (it de-duplicates on the id).
pub fn fresh_purchase() -> Purchase {
    Purchase {
        log_id: None,
        ..purchase()
    }
}

/// `purchase` as the serde-only struct, holding the same values.
pub fn serde_purchase(purchase: &Purchase) -> SerdePurchase {
    SerdePurchase {
        event_log_id: purchase.log_id.unwrap_or(LOG_ID),
        event_name: "df_purchase",
        event_datetime: purchase.at,
        event_items: purchase
            .items
            .iter()
            .map(|item| SerdeLineItem {
                df_item_id: item.id.clone(),
                df_item_name: item.name.clone(),
                df_price: item.price,
                df_quantity: item.quantity,
                df_discount: item.discount,
                df_category1: item.df_category1.clone(),
                df_category2: item.df_category2.clone(),
            })
            .collect(),
        event_properties: SerdePurchaseProperties {
            df_order_id: purchase.df_order_id.clone(),
            df_payment_method: purchase.df_payment_method.clone(),
            df_total_purchase_amount: purchase.df_total_purchase_amount,
            df_delivery_charge: purchase.df_delivery_charge,
            df_discount: purchase.df_discount,
        },
    }
}
