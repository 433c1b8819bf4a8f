//! A shop's backend: an axum server whose checkout handler records each purchase with a
//! [`Tracker`] that keeps a durable spool, against the embedded emulator. The handler answers
//! once the purchase is synced to disk, never waiting for DFINERY; on shutdown the server stops
//! taking orders first, then the tracker delivers what is queued.
//!
//! To run it offline, the example also plays the shoppers: 20 of them post 10 orders each to
//! the server over loopback, and one posts an order with no user id. It then checks that the
//! emulator stored every accepted purchase, once.
//!
//! ```sh
//! cargo run --example web_server
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::Router;
use axum::extract::{Json, State};
use axum::http::StatusCode;
use axum::routing::post;
use dfinery::{Client, DfineryEvent, DfineryItem, Identifier, Identity, TrackError, Tracker};
use dfinery_emulator::Emulator;
use serde::Deserialize;

/// What the shop's front end posts at checkout: the app's own shape, not DFINERY's.
#[derive(Deserialize)]
struct Checkout {
    user_id: String,
    order_id: String,
    payment_method: String,
    lines: Vec<CartLine>,
}

/// One line of the cart.
#[derive(Deserialize)]
struct CartLine {
    sku: String,
    name: String,
    price: f64,
    quantity: i64,
}

/// One product of the order, as the registry has it.
#[derive(DfineryItem)]
#[dfinery(event = "df_purchase", registry = "examples/dfinery.toml")]
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

/// The standard `df_purchase`, checked against the registry at compile time.
#[derive(DfineryEvent)]
#[dfinery(event = "df_purchase", registry = "examples/dfinery.toml")]
struct Purchase {
    df_order_id: String,
    df_payment_method: String,
    df_total_purchase_amount: f64,
    df_delivery_charge: f64,
    df_discount: f64,
    #[dfinery(items)]
    items: Vec<LineItem>,
}

impl From<Checkout> for Purchase {
    fn from(order: Checkout) -> Purchase {
        let total = order
            .lines
            .iter()
            .map(|line| line.price * line.quantity as f64)
            .sum();
        Purchase {
            df_order_id: order.order_id,
            df_payment_method: order.payment_method,
            df_total_purchase_amount: total,
            df_delivery_charge: 0.0,
            df_discount: 0.0,
            items: order
                .lines
                .into_iter()
                .map(|line| LineItem {
                    id: line.sku,
                    name: line.name,
                    price: line.price,
                    quantity: line.quantity,
                    discount: 0.0,
                })
                .collect(),
        }
    }
}

/// `POST /checkout`. A real handler would store the order first; the purchase event is
/// recorded on the way out. `track(...).await` returns once the event is in the spool (a crash
/// from then on loses nothing); it waits for room and the disk by awaiting, so the runtime's
/// threads keep serving other requests meanwhile.
async fn checkout(
    State(tracker): State<Tracker>,
    Json(order): Json<Checkout>,
) -> Result<StatusCode, (StatusCode, String)> {
    // An identity is checked when made: an empty id is the client's mistake.
    let user = Identity::new(Identifier::ExternalId, &order.user_id)
        .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
    let purchase = Purchase::from(order);
    match tracker.track(&user, &purchase).await {
        Ok(_event_log_id) => Ok(StatusCode::ACCEPTED),
        Err(error @ (TrackError::Invalid(_) | TrackError::TooLarge { .. })) => {
            Err((StatusCode::BAD_REQUEST, error.to_string()))
        }
        // Shutting down, or the spool's disk failed: the event is not recorded; say so.
        Err(error) => Err((StatusCode::SERVICE_UNAVAILABLE, error.to_string())),
    }
}

const SHOPPERS: usize = 20;
const ORDERS_EACH: usize = 10;

// `pub`: `tests/examples/main.rs` compiles this file as a module and runs this `main`.
#[tokio::main]
pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::builder()
        .registry_path(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/dfinery.toml"
        ))
        .start()
        .await?;
    let client = Client::builder()
        .service_id(emulator.service_id())
        .import_token(emulator.import_token())
        .base_url(emulator.base_url())
        .build()?;
    // In production: a path on a persistent disk, e.g. `/var/lib/shop/dfinery.spool`.
    let spool = Spool::new();
    let tracker = Tracker::builder(client).spool(&spool.0).build()?;

    let app = Router::new()
        .route("/checkout", post(checkout))
        .with_state(tracker.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    // In production the signal is `tokio::signal::ctrl_c()` (or SIGTERM from the orchestrator).
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    println!(
        "The shop listens on http://{addr}; {SHOPPERS} shoppers post {ORDERS_EACH} orders each."
    );

    let shoppers = reqwest::Client::new();
    // A failure here still shuts the server and the tracker down below (what the shop accepted
    // is delivered), and is returned after.
    let shopped = async {
        let accepted = shop(&shoppers, addr).await?;
        let refused = post_order(&shoppers, addr, "", "ORDER-BAD").await?;
        println!(
            "{accepted} orders accepted (each purchase on disk before the answer); an order with no user id: {} {}",
            refused.0.as_u16(),
            refused.1
        );
        Ok::<_, Box<dyn std::error::Error>>((accepted, refused))
    }
    .await;

    // Shutdown, in order: stop taking orders, then deliver what the tracker holds.
    let _ = stop.send(());
    let served = server.await;
    // With DFINERY down, the tracker also logs (`tracing`, WARN) how many messages stay in the spool, its
    // path and the last error; the report says the same for the service's own shutdown line.
    let report = tracker.shutdown().await?;
    println!(
        "Shut down: {} delivered, {} dead-lettered, {} left in the spool `{}` for the next start{}.",
        report.delivered,
        report.dead_lettered,
        report.left_in_spool,
        spool.0.display(),
        report
            .last_error
            .as_deref()
            .map(|e| format!(" (last error: {e})"))
            .unwrap_or_default()
    );
    served??;
    let (accepted, refused) = shopped?;

    let stored = emulator.events_named("df_purchase");
    let mut orders: Vec<&str> = stored.iter().map(|e| e.event_log_id.as_str()).collect();
    orders.sort_unstable();
    orders.dedup();
    let all_once = accepted == SHOPPERS * ORDERS_EACH
        && stored.len() == accepted
        && orders.len() == accepted
        && refused.0 == StatusCode::BAD_REQUEST;
    println!(
        "DFINERY (the emulator) stored {} purchases. Every accepted order stored once: {}",
        stored.len(),
        if all_once { "yes" } else { "NO" }
    );
    if !all_once {
        return Err("the stored purchases differ from the accepted orders".into());
    }
    Ok(())
}

/// The shoppers: each posts its orders one after another, all shoppers at once. Returns how
/// many the shop accepted.
async fn shop(
    http: &reqwest::Client,
    addr: SocketAddr,
) -> Result<usize, Box<dyn std::error::Error>> {
    let mut shoppers = tokio::task::JoinSet::new();
    for shopper in 0..SHOPPERS {
        let http = http.clone();
        shoppers.spawn(async move {
            let mut accepted = 0;
            for order in 0..ORDERS_EACH {
                let (status, body) = post_order(
                    &http,
                    addr,
                    &format!("shopper-{shopper}"),
                    &format!("ORDER-{shopper}-{order}"),
                )
                .await?;
                if status != StatusCode::ACCEPTED {
                    return Err(format!(
                        "order {order} of shopper {shopper}: {status} {body}"
                    ));
                }
                accepted += 1;
            }
            Ok::<usize, String>(accepted)
        });
    }
    let mut accepted = 0;
    while let Some(done) = shoppers.join_next().await {
        accepted += done??;
    }
    Ok(accepted)
}

/// Posts one order of two cart lines; returns the shop's status and body.
async fn post_order(
    http: &reqwest::Client,
    addr: SocketAddr,
    user_id: &str,
    order_id: &str,
) -> Result<(StatusCode, String), String> {
    let order = serde_json::json!({
        "user_id": user_id,
        "order_id": order_id,
        "payment_method": "CreditCard",
        "lines": [
            { "sku": "SKU-001", "name": "Cracker", "price": 5000.0, "quantity": 1 },
            { "sku": "SKU-002", "name": "Juice", "price": 2500.0, "quantity": 2 },
        ],
    });
    let response = http
        .post(format!("http://{addr}/checkout"))
        .json(&order)
        .send()
        .await
        .map_err(|e| format!("posting {order_id}: {e}"))?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    Ok((status, body))
}

/// The example's spool file in the temporary folder, removed when the example ends.
struct Spool(PathBuf);

impl Spool {
    fn new() -> Spool {
        Spool(std::env::temp_dir().join(format!(
            "dfinery-web-server-{}-{}.spool",
            std::process::id(),
            uuid::Uuid::new_v4()
        )))
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        // A spool is two files: the redb file and its journal, `<name>-journal`.
        let mut journal = self.0.clone().into_os_string();
        journal.push("-journal");
        let _ = std::fs::remove_file(&self.0);
        let _ = std::fs::remove_file(journal);
    }
}
