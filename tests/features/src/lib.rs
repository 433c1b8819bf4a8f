//! A crate that depends on `dfinery` with `default-features = false, features = ["derive"]`:
//! it derives a `df_purchase` event and serialises it to DFINERY's wire JSON, and its tests
//! check that this build has no HTTP client, async runtime or database in its dependency tree
//! (`cargo tree`).

use dfinery::{DfineryEvent, DfineryItem, Event};

/// One purchased item of the standard `df_purchase` event.
#[derive(DfineryItem)]
#[dfinery(event = "df_purchase")]
pub struct LineItem {
    /// `df_item_id`.
    #[dfinery(rename = "df_item_id")]
    pub id: String,
    /// `df_item_name`.
    pub df_item_name: String,
    /// `df_price`.
    pub df_price: f64,
    /// `df_quantity`.
    pub df_quantity: i64,
    /// `df_discount`.
    pub df_discount: f64,
}

/// The standard `df_purchase` event.
#[derive(DfineryEvent)]
#[dfinery(event = "df_purchase")]
pub struct Purchase {
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
    /// The purchased items.
    #[dfinery(items)]
    pub items: Vec<LineItem>,
}

/// The standard `df_login`, with the id it is sent under set by the caller: a `Uuid` from
/// `dfinery` itself, so this crate has no `uuid` dependency of its own.
#[derive(DfineryEvent)]
#[dfinery(event = "df_login")]
pub struct Login {
    /// The event's `event_log_id`.
    #[dfinery(log_id)]
    pub log_id: dfinery::Uuid,
}

/// The wire JSON of `purchase`, validated and serialised exactly as a client would send it.
///
/// # Errors
///
/// The event breaks a run-time rule (NaN, a too-long value, …), or serialising fails.
pub fn purchase_json(purchase: &Purchase) -> Result<String, Box<dyn std::error::Error>> {
    let record = purchase.to_record()?;
    Ok(serde_json::to_string(&record)?)
}

#[cfg(test)]
mod tests;
