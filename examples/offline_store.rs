//! The offline-store scenario of the DFINERY docs (`docs/protocol.md` §8.3): a customer signs up
//! at the counter, consents to marketing, then buys in the store. The calls go in the
//! documented order, Identity → Profile → Event, against the embedded emulator.
//!
//! ```sh
//! cargo run --example offline_store
//! ```

use dfinery::{Client, DfineryEvent, DfineryItem, DfineryProfile, Event, Identifier, Identity};
use dfinery_emulator::Emulator;

/// The sign-up at the counter.
#[derive(DfineryEvent)]
#[dfinery(event = "df_sign_up", registry = "examples/dfinery.toml")]
struct SignUp {
    #[dfinery(rename = "df_sign_channel")]
    channel: &'static str,
}

/// One product bought at the till.
#[derive(DfineryItem)]
#[dfinery(event = "df_purchase", registry = "examples/dfinery.toml")]
struct Product {
    #[dfinery(rename = "df_item_id")]
    sku: &'static str,
    #[dfinery(rename = "df_item_name")]
    name: &'static str,
    #[dfinery(rename = "df_price")]
    price: f64,
    #[dfinery(rename = "df_quantity")]
    quantity: i64,
    #[dfinery(rename = "df_discount")]
    discount: f64,
}

/// The purchase at the till.
#[derive(DfineryEvent)]
#[dfinery(event = "df_purchase", registry = "examples/dfinery.toml")]
struct StorePurchase {
    df_order_id: &'static str,
    df_payment_method: &'static str,
    df_total_purchase_amount: f64,
    df_delivery_charge: f64,
    df_discount: f64,
    #[dfinery(items)]
    products: Vec<Product>,
}

/// What the customer filled in on the paper form: name and consent, explicitly `true` or
/// `false` (a missing consent may still let messages out, `docs/protocol.md` §5.4).
#[derive(DfineryProfile)]
#[dfinery(registry = "examples/dfinery.toml")]
struct SignUpForm {
    df_name: &'static str,
    df_push_ads_optin: bool,
    df_push_night_ads_optin: bool,
    df_sms_ads_optin: bool,
    df_kakao_ads_optin: bool,
}

// `pub`: `tests/examples/main.rs` compiles this file as a module and runs this `main`.
#[tokio::main]
pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let store = Emulator::builder()
        .registry_path(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/dfinery.toml"
        ))
        .start()
        .await?;
    let client = Client::builder()
        .service_id(store.service_id())
        .import_token(store.import_token())
        .base_url(store.base_url())
        .build()?;

    // The store's member number is the external id; the phone number is attached to it.
    let customer = Identity::new(Identifier::ExternalId, "store-member-0042")?
        .with(Identifier::PhoneNo, "821012345678")?;

    // (1) Identity: create the unified profile.
    client.identify(&customer).await?;
    println!(
        "(1) Identity: unified profile created for `store-member-0042` with their phone number."
    );

    // (2) Profile: name and the four current consent flags, explicitly (`df_push_optin` is
    // deprecated).
    let form = SignUpForm {
        df_name: "Kim Minji",
        df_push_ads_optin: true,
        df_push_night_ads_optin: false,
        df_sms_ads_optin: true,
        df_kakao_ads_optin: false,
    };
    client.update_profile(&customer, &form).await?;
    println!("(2) Profile: name and the four current consent flags set.");

    // (3) Events: the sign-up and the purchase, in one request, in that order.
    let sign_up = SignUp {
        channel: "OfflineStore",
    };
    let purchase = StorePurchase {
        df_order_id: "POS-2024-000187",
        df_payment_method: "CreditCard",
        df_total_purchase_amount: 38_000.0,
        df_delivery_charge: 0.0,
        df_discount: 2_000.0,
        products: vec![
            Product {
                sku: "TEE-M-BLK",
                name: "T-shirt",
                price: 20_000.0,
                quantity: 1,
                discount: 2_000.0,
            },
            Product {
                sku: "SOCK-3P",
                name: "Socks (3 pairs)",
                price: 10_000.0,
                quantity: 2,
                discount: 0.0,
            },
        ],
    };
    let events: [&dyn Event; 2] = [&sign_up, &purchase];
    let report = client.send_events(&customer, events).await?;
    println!(
        "(3) Events: {} sent (df_sign_up, then df_purchase with 2 products).",
        report.events
    );

    // What DFINERY now holds for the customer.
    let profile = store.profile("store-member-0042").ok_or("no profile")?;
    println!("\nThe unified profile {}:", profile.df_unified_id);
    for (key, value) in &profile.properties {
        println!("  {key:<24} {value}");
    }
    println!("Their events:");
    for event in store.events() {
        println!(
            "  {:<12} at {}  ({} items)",
            event.event_name,
            event.event_datetime,
            event.items.len()
        );
    }
    Ok(())
}
