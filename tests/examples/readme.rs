//! The README's Rust blocks, mirrored so that they compile, and run where they need no real
//! service: every line of every ```` ```rust ```` block of README.md appears here, in order
//! (`every_readme_rust_block_is_mirrored_here` checks it), inside the functions, values and
//! `registry` attributes a fragment needs. A README edit that is not mirrored here fails that
//! test; a mirrored block that stops compiling fails the build.

#![allow(dead_code, unused_variables, unused_mut)]

use std::error::Error;

use dfinery::export::ExportRows;
use dfinery::{DataType, Tracker, Value};
use dfinery_emulator::Emulator;

// README block 10: a fleet's shared budget (compiled, not run: it needs a Redis server).
fn block_fleet() -> Result<(), Box<dyn Error>> {
use std::sync::Arc;
use dfinery::Client;
use dfinery::ratelimit::RedisBudget;
let budget = RedisBudget::builder("redis://redis.internal:6379/0", "my-service").expected_instances(8).build()?;
let client = Client::builder().from_env().rate_budget(Arc::new(budget)).build()?; // Trackers on it share it too
    Ok(())
}

const README: &str = include_str!("../../README.md");
const MIRROR: &str = include_str!("readme.rs");
const REGISTRY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/examples/readme.toml");

// README block 1: typed events.
use dfinery::{DfineryEnum, DfineryEvent, DfineryItem, DfineryProfile, Event, Patch};

#[derive(DfineryItem)]
#[dfinery(event = "df_purchase", decode)]  // checked against df_purchase's item properties;
#[dfinery(registry = "tests/examples/readme.toml")]
struct LineItem {                          // `decode`: also read back from exports
    #[dfinery(rename = "df_item_id")]
    id: String,
    df_item_name: String,
    df_price: f64,
    df_quantity: i64,
    df_discount: f64,
    df_category1: Option<String>,          // optional: `None` is not sent
}

#[derive(DfineryEvent)]
#[dfinery(event = "df_purchase", decode)]  // default event: the struct's name in snake case
#[dfinery(registry = "tests/examples/readme.toml")]
struct Purchase {
    df_order_id: String,
    df_payment_method: String,
    df_total_purchase_amount: f64,
    df_delivery_charge: f64,
    df_discount: f64,
    #[dfinery(items)]                      // sent as `event_items`
    items: Vec<LineItem>,
    #[dfinery(datetime)]                   // optional: default is the time of tracking
    at: Option<dfinery::Datetime>,
}

#[derive(DfineryEnum)]
#[dfinery(user_property = "df_gender")]    // every variant must be a registered value
#[dfinery(registry = "tests/examples/readme.toml")]
enum Gender { Male, Female, NonBinary, Other }

#[derive(DfineryProfile)]
#[dfinery(registry = "tests/examples/readme.toml")]
struct Member {
    df_gender: Patch<Gender>,              // Keep (not sent), Clear (null) or Set
}

fn to_record() -> Result<(Purchase, dfinery::EventRecord), Box<dyn Error>> {
    let purchase = Purchase {
        df_order_id: "ORDER-1".into(),
        df_payment_method: "Card".into(),
        df_total_purchase_amount: 5000.0,
        df_delivery_charge: 0.0,
        df_discount: 0.0,
        items: vec![LineItem {
            id: "SKU-1".into(),
            df_item_name: "Cracker".into(),
            df_price: 5000.0,
            df_quantity: 1,
            df_discount: 0.0,
            df_category1: None,
        }],
        at: None,
    };
let record = purchase.to_record()?;        // run-time rules (NaN, lengths, 8 KB) checked here
    Ok((purchase, record))
}

/// The `coupon_used` event blocks 2 and 3 send.
#[derive(dfinery::DfineryEvent)]
#[dfinery(registry = "tests/examples/readme.toml")]
struct CouponUsed {
    coupon_code: String,
}

/// The `app_review` event block 5 decodes.
#[derive(dfinery::DfineryEvent)]
#[dfinery(decode, registry = "tests/examples/readme.toml")]
struct AppReview {
    rating: i64,
}

// README block 2: the client (needs the real service's settings: compiled, not run).
async fn block_client(member: Member, purchase: Purchase, coupon: CouponUsed) -> Result<(), Box<dyn Error>> {
use dfinery::{Client, Event, Identifier, Identity};

let client = Client::builder()
    .from_env() // DFINERY_SERVICE_ID, DFINERY_IMPORT_TOKEN, DFINERY_EXPORT_TOKEN, DFINERY_BASE_URL
    .build()?;
let user = Identity::new(Identifier::ExternalId, "dfn-user-123")?
    .with(Identifier::PhoneNo, "821012345678")?;

client.identify(&user).await?;                   // 1. Identity
client.update_profile(&user, &member).await?;    // 2. Profile (a #[derive(DfineryProfile)] struct)
let events: [&dyn Event; 2] = [&purchase, &coupon];
let report = client.send_events(&user, events).await?; // 3. Events, any mix
    Ok(())
}

// README block 3: the tracker (needs the real service's settings: compiled, not run).
async fn block_tracker(member: Member, purchase: Purchase) -> Result<(), Box<dyn Error>> {
use dfinery::{Client, EventRecord, Identifier, Identity, Tracker};

let client = Client::builder().from_env().build()?;
let tracker = Tracker::builder(client)
    .spool("/var/lib/my-app/dfinery.spool") // optional: see below
    .build()?;                              // inside a Tokio runtime

let user = Identity::new(Identifier::ExternalId, "dfn-user-123")?;
tracker.identify(&user).await?;                   // delivered first,
tracker.update_profile(&user, &member).await?;    // then this,
tracker.track(&user, &purchase).await?;           // then the events, in order
tracker.try_track(&user, EventRecord::builder("df_login").build()?)?; // never waits

// At exit: stop accepting, deliver what is queued (30 s by default), report.
let report = tracker.shutdown().await?;
println!("{} delivered, {} dead-lettered", report.delivered, report.dead_lettered);
    Ok(())
}

// README blocks 4 and 5: typed and row-by-row export (run against the emulator).
async fn block_exports(client: &dfinery::Client) -> Result<(usize, usize), Box<dyn Error>> {
    let mut bought = 0;
use dfinery::export::EventQuery;

// Today's purchases, decoded into the `#[derive(DfineryEvent)]` struct that sent them.
let query = EventQuery::last_days(1).event::<Purchase>().properties_of::<Purchase>();
let mut purchases = client.export_event_rows(&query).await?.events::<Purchase>()?;
while let Some(exported) = purchases.try_next().await? {
    let purchase: Purchase = exported.event;      // items included
    let meta = exported.meta;                     // df_unified_id, event_name, df_server_datetime, …
    println!("{} bought {} items at {}", meta.unified_id, purchase.items.len(), meta.server_datetime);
    bought += purchase.items.len();
}
    let mut purchases: Vec<Purchase> = Vec::new();
    let mut reviews: Vec<AppReview> = Vec::new();
let mut rows = client.export_event_rows(&EventQuery::last_days(1)).await?;
while let Some(event) = rows.next_event().await? {        // the rows of one event, gathered
    for row in event.rows() {                            // one per item
        let text: Option<&str> = row.get("df_order_id");  // the cell's text, borrowed
        let price: Option<f64> = row.decode("df_items_df_price", DataType::Double)?;
        let any: Option<Value> = row.decode("rating", DataType::Long)?;  // a dynamic `Value`
    }
    match event.event_name() {
        "df_purchase" => purchases.push(event.decode::<Purchase>()?),
        "app_review" => reviews.push(event.decode::<AppReview>()?),
        _ => {}
    }
}
    Ok((bought, purchases.len()))
}

// README block 6: export to a file (writes `events.csv` in the working folder: compiled, not run).
async fn block_file(client: &dfinery::Client) -> Result<(), Box<dyn Error>> {
let file = client.export_events_to_file(&EventQuery::last_days(7), "events.csv").await?;
println!("{} rows, {} bytes", file.rows, file.bytes);

for event in ExportRows::new(std::fs::File::open("events.csv")?)?.events::<Purchase>()? {
    let purchase = event?.event;
}
    Ok(())
}

use dfinery::export::EventQuery;

// README block 7: the emulator in a test (its `#[tokio::test]` is this module's own test).
mod block_emulator {
use dfinery_emulator::{Emulator, ManualClock};

#[tokio::test]
async fn sends_a_purchase() {
    let clock = ManualClock::at("2024-06-24T12:00:00Z").unwrap();
    let emulator = Emulator::builder()
        .registry_path("dfinery.toml")       // or .registry(Registry), default: the standard catalog
        .registry_path(super::REGISTRY)
        .clock(clock.clone())                // its rate-limit windows and export look-back follow it
        .start()
        .await
        .unwrap();
    // point the client at emulator.base_url() with emulator.import_token() / export_token(),
    // with the same clock (`ClientBuilder::clock`) so that both agree on resets and look-back
    assert_eq!(emulator.stats().accepted, 0);
    // As the comment says: a client on the same clock exports the pinned day's week.
    let client = dfinery::Client::builder()
        .base_url(emulator.base_url())
        .service_id(emulator.service_id())
        .export_token(emulator.export_token())
        .clock(dfinery::clock::Clock::new(move || clock.now()))
        .build()
        .unwrap();
    let week = super::EventQuery::new(
        dfinery::Date::from_ymd(2024, 6, 18).unwrap(),
        dfinery::Date::from_ymd(2024, 6, 24).unwrap(),
    );
    client.export_event_rows(&week).await.unwrap();
}
}

// README block 9: the coverage manifest, run (it writes `dfinery-coverage.json` in the crate
// folder, read back and removed here).
mod block_coverage {
use super::{CouponUsed, Member, Purchase};

#[test]
fn write_the_coverage_manifest() {
    dfinery::coverage::Manifest::new()
        .event::<Purchase>()
        .event::<CouponUsed>()
        .profile::<Member>()
        .write("dfinery-coverage.json") // tests run in the crate's folder
        .unwrap();
    let written = std::fs::read_to_string("dfinery-coverage.json").unwrap();
    std::fs::remove_file("dfinery-coverage.json").unwrap();
    for name in ["df_purchase", "coupon_used", "df_gender"] {
        assert!(written.contains(name), "{name} missing from {written}");
    }
}
}

/// Blocks 1, 4, 5 and 8 run: a typed purchase is sent to an emulator enforcing the README's
/// registry, exported back both ways, and the emulator handle's accessors read.
#[tokio::test]
async fn the_readme_blocks_run_against_the_emulator() -> Result<(), Box<dyn Error>> {
    let (purchase, record) = to_record()?;
    assert_eq!(record.event_name(), "df_purchase");
    let emulator = Emulator::builder().registry_path(REGISTRY).start().await?;
    let client = dfinery::Client::builder()
        .service_id(emulator.service_id())
        .import_token(emulator.import_token())
        .export_token(emulator.export_token())
        .base_url(emulator.base_url())
        .build()?;
    let user = dfinery::Identity::new(dfinery::Identifier::ExternalId, "dfn-user-123")?;
    client.identify(&user).await?;
    client.update_profile(&user, &Member { df_gender: dfinery::Patch::Set(Gender::Female) }).await?;
    client.send_events(&user, [&purchase as &dyn dfinery::Event]).await?;
    let (items, decoded) = block_exports(&client).await?;
    assert_eq!((items, decoded), (1, 1));

    // README block 8: the emulator handle.
let purchases = emulator.events_named("df_purchase");   // Vec<StoredEvent>: identity, df_unified_id, items, properties…
let profile = emulator.profile("dfn-user-123");          // Option<StoredProfile>: identifiers and user properties
let stats = emulator.stats();                            // accepted, rejected, duplicates, requests, rate_limited (and per API), …
let why = emulator.rejections();                         // refused requests with their violations
    assert_eq!(purchases.len(), 1);
    assert!(profile.is_some());
    assert_eq!((stats.accepted, why.len()), (1, 0));
emulator.reset();                                        // forget everything
    assert!(emulator.events_named("df_purchase").is_empty());
    let _ = Tracker::builder;
    Ok(())
}

/// The code lines of each ```` ```rust ```` block of `text`.
fn rust_blocks(text: &str) -> Vec<Vec<&str>> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in text.lines() {
        match (&mut current, line.trim_start()) {
            (None, l) if l.starts_with("```rust") => current = Some(Vec::new()),
            (Some(_), l) if l.starts_with("```") => blocks.extend(current.take()),
            (Some(block), l) if !l.trim().is_empty() => block.push(line.trim_end()),
            _ => {}
        }
    }
    blocks
}

#[test]
fn every_readme_rust_block_is_mirrored_here() {
    let blocks = rust_blocks(README);
    assert_eq!(blocks.len(), 10, "README.md's Rust blocks changed: mirror the new ones here");
    let mirror: Vec<&str> = MIRROR.lines().map(str::trim_end).collect();
    for (n, block) in blocks.iter().enumerate() {
        // Each line of the block, in order, somewhere after the previous one.
        let mut at = 0;
        for line in block {
            match mirror[at..].iter().position(|m| m == line) {
                Some(found) => at += found + 1,
                None => panic!(
                    "README.md's Rust block {} is not mirrored in tests/examples/readme.rs: \
                     line `{line}` is missing (or out of order); copy the block's change here",
                    n + 1
                ),
            }
        }
    }
}
