//! The quickstart: start a local DFINERY (the embedded emulator, enforcing
//! `examples/dfinery.toml`), then do what a new integration does: identify a user, set profile
//! properties, send a typed `df_purchase` with items and a custom event, and export the events
//! back, decoded into the same structs.
//!
//! ```sh
//! cargo run --example quickstart
//! ```

use dfinery::export::EventQuery;
use dfinery::{
    Client, DfineryEnum, DfineryEvent, DfineryItem, DfineryProfile, Event, Identifier, Identity,
    Patch,
};
use dfinery_emulator::Emulator;

/// One product of the order.
#[derive(Debug, PartialEq, DfineryItem)]
#[dfinery(event = "df_purchase", registry = "examples/dfinery.toml", decode)]
struct LineItem {
    #[dfinery(rename = "df_item_id")]
    id: String,
    #[dfinery(rename = "df_item_name")]
    name: String,
    #[dfinery(rename = "df_price")]
    price: f64,
    #[dfinery(rename = "df_quantity")]
    quantity: i64,
    #[dfinery(rename = "df_discount")]
    discount: f64,
}

/// The standard `df_purchase`: a misspelt property or a wrong type here is a compile error.
#[derive(Debug, PartialEq, DfineryEvent)]
#[dfinery(event = "df_purchase", registry = "examples/dfinery.toml", decode)]
struct Purchase {
    df_order_id: String,
    df_payment_method: String,
    df_total_purchase_amount: f64,
    df_delivery_charge: f64,
    df_discount: f64,
    #[dfinery(items)]
    items: Vec<LineItem>,
}

/// The custom `coupon_used` event of the registry.
#[derive(Debug, PartialEq, DfineryEvent)]
#[dfinery(registry = "examples/dfinery.toml", decode)]
struct CouponUsed {
    coupon_code: String,
    amount: Option<f64>,
}

/// `df_gender`'s registered values.
#[derive(Clone, Copy, DfineryEnum)]
#[dfinery(user_property = "df_gender", registry = "examples/dfinery.toml")]
enum Gender {
    Female,
}

/// The user properties to set; `Patch::Keep` leaves one alone, `Patch::Clear` clears it.
#[derive(DfineryProfile)]
#[dfinery(registry = "examples/dfinery.toml")]
struct Member {
    df_name: &'static str,
    df_gender: Gender,
    df_membership: Patch<&'static str>,
    df_push_ads_optin: bool,
    df_sms_ads_optin: bool,
    lifetime_points: i64,
}

// `pub`: `tests/examples/main.rs` compiles this file as a module and runs this `main`.
#[tokio::main]
pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A local DFINERY on 127.0.0.1 with the examples' registry. To talk to the real service
    // instead, build the client with `Client::builder().from_env()` (see `real_endpoint.rs`).
    let emulator = Emulator::builder()
        .registry_path(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/dfinery.toml"
        ))
        .start()
        .await?;
    println!(
        "Started a local DFINERY (the embedded emulator) at {} for service `{}`.\n",
        emulator.base_url(),
        emulator.service_id()
    );
    let client = Client::builder()
        .service_id(emulator.service_id())
        .import_token(emulator.import_token())
        .export_token(emulator.export_token())
        .base_url(emulator.base_url())
        .build()?;

    // 1. Identity first: create the user's unified profile.
    let user = Identity::new(Identifier::ExternalId, "dfn-user-123")?
        .with(Identifier::Email, "dfn@example.com")?
        .with(Identifier::PhoneNo, "821012345678")?;
    client.identify(&user).await?;
    let profile = emulator.profile("dfn-user-123").ok_or("no profile")?;
    println!("1. Identified user `dfn-user-123` (e-mail and phone attached).");
    println!(
        "   DFINERY's unified id for them: {}",
        profile.df_unified_id
    );

    // 2. Then the profile: user properties, with explicit marketing consent.
    let member = Member {
        df_name: "Hong Gildong",
        df_gender: Gender::Female,
        df_membership: Patch::Set("VIP"),
        df_push_ads_optin: true,
        df_sms_ads_optin: false,
        lifetime_points: 34_000,
    };
    client.update_profile(&user, &member).await?;
    println!(
        "2. Set 6 profile properties: name, gender, membership, push and SMS consent, points."
    );

    // 3. Then events: a typed purchase with two items, and a custom event, in one call.
    let purchase = Purchase {
        df_order_id: "ORDER-123".to_owned(),
        df_payment_method: "BankTransfer".to_owned(),
        df_total_purchase_amount: 9_000.0,
        df_delivery_charge: 3_000.0,
        df_discount: 1_000.0,
        items: vec![
            LineItem {
                id: "SKU-001".to_owned(),
                name: "Cracker".to_owned(),
                price: 5_000.0,
                quantity: 1,
                discount: 500.0,
            },
            LineItem {
                id: "SKU-002".to_owned(),
                name: "Juice".to_owned(),
                price: 2_500.0,
                quantity: 1,
                discount: 0.0,
            },
        ],
    };
    let coupon = CouponUsed {
        coupon_code: "WELCOME".to_owned(),
        amount: Some(1_000.0),
    };
    let events: [&dyn Event; 2] = [&purchase, &coupon];
    let report = client.send_events(&user, events).await?;
    println!(
        "3. Sent {} events ({} items) in {} request(s), {} attempt(s).",
        report.events,
        report.requests.iter().map(|r| r.items).sum::<usize>(),
        report.requests.len(),
        report.attempts
    );

    // 4. Export today's events back, decoded by column name into the same structs.
    let purchases = client
        .export_event_rows(&EventQuery::last_days(1).event::<Purchase>())
        .await
        .and_then(|rows| rows.events::<Purchase>())?
        .into_vec()
        .await?;
    let coupons = client
        .export_event_rows(&EventQuery::last_days(1).event::<CouponUsed>())
        .await
        .and_then(|rows| rows.events::<CouponUsed>())?
        .into_vec()
        .await?;
    println!("4. Exported today's events back, decoded into the same structs:");
    for exported in &purchases {
        let p = &exported.event;
        println!(
            "   {} `{}` at {}: {} items ({}), total {}",
            exported.meta.event_name,
            p.df_order_id,
            exported.meta.server_datetime,
            p.items.len(),
            p.items
                .iter()
                .map(|i| i.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            p.df_total_purchase_amount
        );
    }
    for exported in &coupons {
        println!(
            "   {} `{}` at {}",
            exported.meta.event_name, exported.event.coupon_code, exported.meta.server_datetime
        );
    }
    let same = purchases.len() == 1
        && purchases[0].event == purchase
        && coupons.len() == 1
        && coupons[0].event == coupon;
    println!(
        "   Equal to what was sent: {}",
        if same { "yes" } else { "NO" }
    );
    println!(
        "\nDone. Next: `examples/offline_store.rs`, and `Client::builder().from_env()` for the real service."
    );
    if !same {
        return Err("the exported events differ from the ones sent".into());
    }
    Ok(())
}
