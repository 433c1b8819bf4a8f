//! The DFINERY runtime: typed property values and their wire format, identities, the request and
//! response types of every endpoint, result codes, and the traits the `dfinery` derives implement.
//!
//! Most users depend on the `dfinery` facade crate, which re-exports everything here.
//!
//! # The pieces
//!
//! Every type has one public path. The everyday types are at the crate root; the public
//! modules ([`clock`], [`export`], [`limits`], `ratelimit` (feature `client`), [`wire`])
//! hold the rest.
//!
//! - Values: [`Value`], the dynamic form of a DFINERY value, with [`Datetime`] and [`Date`]
//!   that always print in DFINERY's wire format.
//! - Properties: [`PropertyValue`], how a Rust type writes itself as a DFINERY value, the marker
//!   traits that say which Rust types may fill which DFINERY type ([`StringProperty`], …),
//!   [`Patch`] for user properties, and the run-time [`Rule`]s every value is checked against.
//! - Writers: [`ObjectWriter`] and [`ItemsWriter`], which write checked JSON straight into a
//!   buffer and collect every [`Violation`].
//! - The [`Event`], [`Item`] and [`Profile`] traits and their static descriptions.
//! - Records: [`EventRecord`] and [`UserProperties`], validated and pre-serialised, ready to
//!   send.
//! - Identities: [`Identity`] (one or more of the five [`Identifier`]s) and [`ExternalId`], which
//!   cannot be built empty or malformed.
//! - [`wire`]: the endpoints and the bodies of the two export requests.
//! - Result codes: [`ResultCode`] (Import API) and [`ExportErrorCode`] (Export API), over
//!   DFINERY's documented tables [`ImportCode`] and [`ExportFailure`].
//! - `Client` (feature `client`): calls every endpoint with typed `Error`s, retries that
//!   never duplicate an event, and pacing against the rate limits (`ratelimit`); tokens are
//!   held as [`Secret`]s, which never print.
//! - [`export`]: typed export queries, CSV decoded row by row as it streams in, and rows
//!   decoded back into the structs that sent them.
//! - `Tracker` (feature `tracker`): batches events, identity and profile updates per user in a
//!   background task and bounds its memory; with a spool (`TrackerBuilder::spool`: redb and a
//!   journal), it keeps every message on disk until DFINERY confirms it. Without one (the
//!   default), messages are in memory only.
//!
//! # Features
//!
//! - `client` (default): `Client`, its types and `ratelimit`: every endpoint over HTTP (reqwest
//!   with rustls, tokio), pacing, and the export streams and files (`export::ExportFile`).
//!   Without it, [`export::ExportRows`] still reads a saved export.
//! - `tracker` (default, implies `client`): `Tracker` and its types, with its durable spool
//!   (redb).
//! - `chrono`: conversions between [`Datetime`]/[`Date`] and `chrono::DateTime<Tz>`/
//!   `chrono::NaiveDate`, which can then also fill Datetime and Date properties.
//! - `redis` (implies `client`): `ratelimit::RedisBudget`, a rate budget shared by many
//!   instances through Redis.
//!
//! # Example
//!
//! An event known only at run time, checked and serialised once, ready for
//! `Client::send_events`:
//!
//! ```
//! use dfinery_core::EventRecord;
//!
//! let record = EventRecord::builder("df_sign_up").property("df_sign_channel", "Kakao").build()?;
//! let body = serde_json::to_value(&record)?;
//! assert_eq!(body["event_properties"]["df_sign_channel"], "Kakao");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

// Unit tests moved here from the foundation tests (`tests/foundation`) because they reach
// crate-internal items name the crate as they did, and share that suite's hand-written
// `Event`/`Item`/`Profile` impls.
#[cfg(test)]
extern crate self as dfinery_core;
#[cfg(test)]
#[allow(dead_code, unreachable_pub)]
#[path = "../tests/foundation/support.rs"]
mod support;

// The folders follow the pipeline: `encode` (values, properties, the checked JSON writers,
// records, identities: what an event is and how it is written), `protocol` (DFINERY's contract
// as the runtime speaks it: result codes, wire bodies, limits, rate limits, the clock), `client`
// (every endpoint over HTTP), `tracker` (batching, the durable spool, delivery) and `export`
// (queries and CSV decoding).
#[cfg(feature = "client")]
mod client;
mod encode;
pub mod export;
mod protocol;
mod report;
mod secret;
#[cfg(feature = "tracker")]
mod tracker;

#[cfg(feature = "client")]
pub use protocol::ratelimit;
pub use protocol::{clock, limits, wire};

#[doc(hidden)]
#[path = "__private.rs"]
pub mod __private;

// One public path per type: the types below live at the crate root only (their modules are
// private); the public modules above (`clock`, `export`, `limits`, `ratelimit`, `wire`) hold
// the rest, none of which is re-exported here.
#[cfg(feature = "client")]
pub use client::{
    ByteStream, Client, ClientBuildError, ClientBuilder, Error, IntoEventRecord,
    IntoUserProperties, InvalidEvent, RequestReport, RetryPolicy, SendError, SendReport,
    ServerCode, ServiceIdSource, TokenSource,
};
pub use dfinery_schema::DataType;
pub use dfinery_schema::protocol::Identifier;
#[cfg(feature = "client")]
pub use dfinery_schema::protocol::ServerViolation;
pub use encode::identity::{ExternalId, Identity, IdentityError};
pub use encode::model::{
    Event, EventDescription, FieldDescription, Item, ItemList, ItemsDescription, Profile,
    PropertiesDescription,
};
pub use encode::property::{
    ArrayElement, BooleanProperty, DateProperty, DatetimeProperty, DfineryEnumValue,
    DoubleArrayProperty, DoubleProperty, ElementValue, LongArrayProperty, LongProperty, Patch,
    PropertySpec, PropertyValue, Rule, Scope, StringArrayProperty, StringProperty,
};
pub use encode::record::{
    EventRecord, EventRecordBuilder, ItemBuilder, UserProperties, UserPropertiesBuilder,
    ValidationError,
};
pub use encode::value::{Date, Datetime, DatetimeError, Value, ValueError};
pub use encode::writer::{ItemsWriter, ObjectWriter, Violation};
pub use protocol::code::{ExportErrorCode, ExportFailure, ImportCode, ResultCode};
pub use report::ErrorChain;
pub use secret::Secret;
#[cfg(feature = "tracker")]
pub use tracker::{
    DeadLetter, FlushReport, Message, ShutdownReport, Spool, SpoolError, StoreError, TrackError,
    Tracker, TrackerBuildError, TrackerBuilder, TrackerMetrics, Unreadable, UnreadableKind,
};
/// The type of an event's `event_log_id` (a `#[dfinery(log_id)]` field, and
/// [`EventRecord::event_log_id`]), re-exported so code that sets one needs no `uuid`
/// dependency of its own.
pub use uuid::Uuid;
