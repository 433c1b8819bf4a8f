//! dfinery: send typed, compile-time-checked events, identities and user profiles to the
//! DFINERY customer-data platform.
//!
//! This crate re-exports the runtime ([`dfinery_core`]: values, records, identities, wire
//! types) and, with the default feature `derive`, the derives that check your types against
//! the registry file (`dfinery.toml`) at compile time:
//!
//! | derive | implements | checked against |
//! |---|---|---|
//! | `DfineryEvent` | [`Event`] | the event's registered properties |
//! | `DfineryItem` | [`Item`] | the item properties of each event it is declared for |
//! | `DfineryProfile` | [`Profile`] | the registered user properties |
//! | `DfineryEnum` | [`DfineryEnumValue`] | the registered values of the properties it is bound to |
//!
//! # Typed events
//!
//! With this registry entry (the standard `df_purchase` comes from the built-in catalog):
//!
//! ```toml
//! standard_events = ["df_purchase"]
//! ```
//!
//! the struct below compiles, and a misspelt property, a wrong type (`i64` for the Double
//! `df_total_purchase_amount`) or a missing required property would be a compile error on the
//! field:
//!
//! ```
//! use dfinery::{DfineryEvent, DfineryItem, Event};
//!
//! #[derive(DfineryItem)]
//! #[dfinery(event = "df_purchase")]
//! # #[dfinery(registry = "tests/dfinery.toml")]
//! struct LineItem {
//!     #[dfinery(rename = "df_item_id")]
//!     id: String,
//!     df_item_name: String,
//!     df_price: f64,
//!     df_quantity: i64,
//!     df_discount: f64,
//! }
//!
//! #[derive(DfineryEvent)]
//! #[dfinery(event = "df_purchase")]
//! # #[dfinery(registry = "tests/dfinery.toml")]
//! struct Purchase {
//!     df_order_id: String,
//!     df_payment_method: String,
//!     df_total_purchase_amount: f64,
//!     df_delivery_charge: f64,
//!     df_discount: f64,
//!     #[dfinery(items)]
//!     items: Vec<LineItem>,
//! }
//!
//! let purchase = Purchase {
//!     df_order_id: "ORDER-123".into(),
//!     df_payment_method: "BankTransfer".into(),
//!     df_total_purchase_amount: 9000.0,
//!     df_delivery_charge: 3000.0,
//!     df_discount: 0.0,
//!     items: vec![LineItem {
//!         id: "SKU-001".into(),
//!         df_item_name: "Cracker".into(),
//!         df_price: 5000.0,
//!         df_quantity: 2,
//!         df_discount: 500.0,
//!     }],
//! };
//! // Run-time rules (NaN, lengths, 8 KB) are checked here, then the event is serialised once.
//! let record = purchase.to_record()?;
//! assert_eq!(record.event_name(), "df_purchase");
//! # Ok::<(), dfinery::ValidationError>(())
//! ```
//!
//! # Where the registry is found
//!
//! `#[dfinery(registry = "path")]` on the type, the `DFINERY_REGISTRY` env var (both relative
//! to `CARGO_MANIFEST_DIR`), `dfinery.toml` in `CARGO_MANIFEST_DIR`, then in the workspace
//! root. Cargo rebuilds the crate when the file or the env var changes.
//!
//! # Features
//!
//! - `derive` (default): the derives.
//! - `client` (default): [`Client`], every endpoint over HTTP
//!   (reqwest with rustls, tokio), rate-limit pacing, export streams and export files.
//! - `tracker` (default, implies `client`): [`Tracker`],
//!   background batching with a durable spool (redb).
//! - `chrono`: conversions for `chrono` date and time types.
//! - `redis`: `ratelimit::RedisBudget`, a rate budget shared by many instances through Redis.
//!
//! A crate that only derives and serialises events builds without an HTTP stack, an async
//! runtime or a database:
//!
//! ```toml
//! dfinery = { version = "0.1", default-features = false, features = ["derive"] }
//! ```
//!
//! Decoding a saved export needs no feature either: the derives generate the decoders and
//! [`export::ExportRows`] reads a CSV file with `std::io`. Streaming an export from DFINERY
//! into the same reader (`Client::export_event_rows`) needs `client`.
//!
//! # Coverage
//!
//! [`coverage::Manifest`] writes the derived types of a crate to a JSON file that
//! `dfinery check --coverage` compares with the registry.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use dfinery_core::*;

pub mod coverage;

#[cfg(feature = "derive")]
pub use dfinery_derive::{DfineryEnum, DfineryEvent, DfineryItem, DfineryProfile};

/// What the derives' generated code names, as `::dfinery::__private::…`. Not a public API: it
/// changes without notice and follows no semantic versioning.
#[doc(hidden)]
pub mod __private {
    pub use dfinery_core::__private::*;
}
