//! An emulator with the inspector on, a client for it, the typed events sent, and a reader of
//! server-sent events.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dfinery::RetryPolicy;
use dfinery::{Client, DfineryEvent, DfineryItem, EventRecord, Identifier, Identity};
use dfinery_emulator::{Emulator, EmulatorBuilder, EmulatorHandle, ManualClock};
use serde_json::Value;

/// The registry the derives and the emulator share.
pub const REGISTRY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/dfinery.toml");

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

/// A valid purchase of two items.
pub fn purchase(order: &str) -> Purchase {
    let items = vec![
        LineItem {
            id: "SKU-001".into(),
            name: "Cracker".into(),
            price: 1200.0,
            quantity: 2,
            discount: 0.0,
        },
        LineItem {
            id: "SKU-002".into(),
            name: "Green tea".into(),
            price: 3500.0,
            quantity: 1,
            discount: 500.0,
        },
    ];
    Purchase {
        df_order_id: order.into(),
        df_payment_method: "CreditCard".into(),
        df_total_purchase_amount: 5900.0,
        df_delivery_charge: 0.0,
        df_discount: 500.0,
        items,
    }
}

/// A `df_sign_up` with a misspelt property: the emulator refuses it with `unknown_property` at
/// `events[0].event_properties.df_sign_chanel` and suggests `df_sign_channel`.
pub fn misspelt_sign_up() -> EventRecord {
    EventRecord::builder("df_sign_up")
        .property("df_sign_chanel", "Kakao")
        .build()
        .expect("the record builds (the registry check is the server's)")
}

/// An emulator enforcing the test registry with the inspector on, configured by `configure`.
pub async fn emulator_with(
    configure: impl FnOnce(EmulatorBuilder) -> EmulatorBuilder,
) -> EmulatorHandle {
    configure(Emulator::builder().registry_path(REGISTRY).inspector(true))
        .start()
        .await
        .expect("the emulator starts")
}

/// A clock stopped one second into the next UTC day, for an emulator whose rate limits have day
/// windows. Those windows are aligned to UTC midnight: on the system clock a test whose calls
/// straddle it sees the window reset between two of them (and the client's pacing waits up to a
/// minute for that reset, then goes on in the new window). Stopped, every call falls in one
/// window, whose reset is a day away.
pub fn stopped_clock() -> ManualClock {
    const DAY: u64 = 86_400;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the system clock is after 1970")
        .as_secs();
    ManualClock::new(UNIX_EPOCH + Duration::from_secs(now / DAY * DAY + DAY + 1))
}

/// A client for `emulator` that does not retry, so a refusal (429 included) comes back at once.
pub fn client(emulator: &EmulatorHandle) -> Client {
    let mut retry = RetryPolicy::default();
    retry.max_attempts = 1;
    retry.initial_backoff = Duration::from_millis(1);
    retry.max_backoff = Duration::from_millis(1);
    retry.max_rate_limit_wait = Duration::ZERO;
    Client::builder()
        .service_id(emulator.service_id())
        .import_token(emulator.import_token())
        .export_token(emulator.export_token())
        .base_url(emulator.base_url())
        .retry(retry)
        .build()
        .expect("the client builds")
}

/// An identity with only an external id.
pub fn user(id: &str) -> Identity {
    Identity::new(Identifier::ExternalId, id).expect("a valid external id")
}

/// A server-sent-event stream being read.
pub struct Sse {
    response: reqwest::Response,
    buffer: String,
}

impl Sse {
    /// Opens `url` as an event stream.
    pub async fn open(url: &str) -> Sse {
        let response = reqwest::Client::new()
            .get(url)
            .header("accept", "text/event-stream")
            .send()
            .await
            .expect("the stream answers");
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"],
            "text/event-stream",
            "an event stream"
        );
        Sse {
            response,
            buffer: String::new(),
        }
    }

    /// The next event other than a keep-alive comment: its name and its data as JSON. Fails
    /// the test after 10 s.
    pub async fn next(&mut self) -> (String, Value) {
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                while let Some(end) = self.buffer.find("\n\n") {
                    let block: String = self.buffer.drain(..end + 2).collect();
                    let mut name = String::from("message");
                    let mut data = String::new();
                    for line in block.lines() {
                        if let Some(v) = line.strip_prefix("event:") {
                            name = v.trim().to_owned();
                        } else if let Some(v) = line.strip_prefix("data:") {
                            data.push_str(v.strip_prefix(' ').unwrap_or(v));
                        }
                    }
                    if !data.is_empty() {
                        let json = serde_json::from_str(&data).expect("each event's data is JSON");
                        return (name, json);
                    }
                }
                let chunk = self
                    .response
                    .chunk()
                    .await
                    .expect("the stream stays readable")
                    .expect("the stream stays open");
                self.buffer
                    .push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
            }
        })
        .await
        .expect("an event within 10 s")
    }

    /// Whether the stream ends cleanly (its body complete) within 10 s, skipping what is left.
    pub async fn ended(&mut self) -> bool {
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                match self.response.chunk().await {
                    Ok(Some(_)) => {}
                    Ok(None) => return true,
                    Err(_) => return false,
                }
            }
        })
        .await
        .unwrap_or(false)
    }

    /// The next event named `name`, skipping others.
    pub async fn next_named(&mut self, name: &str) -> Value {
        loop {
            let (got, data) = self.next().await;
            if got == name {
                return data;
            }
        }
    }
}
