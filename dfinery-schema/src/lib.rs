//! The DFINERY registry model shared by the derives, the runtime and the emulator: the
//! `dfinery.toml` parser, the built-in catalog of standard `df_` names, the naming rule, the
//! documented limits and the type rules.
//!
//! - [`Registry`] (with [`EventDef`] and [`PropertyDef`]) is what the DFINERY console has
//!   registered for one service; [`Registry::parse`] / [`Registry::load`] read it from a
//!   `dfinery.toml`, [`Registry::standard`] enables the whole catalog.
//! - [`catalog`] holds the standard events, event properties, item properties and user
//!   properties of the DFINERY docs.
//! - [`entry`] says what is at a registry path from its metadata alone, so that a FIFO or a
//!   device is refused before it is opened (the derives and [`Registry::read_source`] use it).
//! - [`names`], [`suggest`](suggest()) and [`limits`] are the rules every crate applies
//!   alike; [`protocol`] holds DFINERY's wire facts (result codes, export failures, the
//!   Datetime and Date formats) once; [`DataType::check`] and [`PropertyDef::check`] decide whether a JSON value (seen
//!   through [`JsonView`]) may fill a property.
//! - [`check_event`], [`check_user_properties`] and [`identity_members`] walk a JSON event,
//!   profile or identity (read as [`Json`] / [`Object`], borrowed text or a parsed
//!   `serde_json::Value`) against the registry once for the emulator and the CLI, which word
//!   the [`Finding`]s each their own way.
//!
//! # The registry file
//!
//! `dfinery.toml` describes what the console has registered. A file using every feature:
//!
//! ```toml
//! [service]
//! id = "my-service"                 # optional: default service id for the CLI and the emulator
//!
//! # standard events enabled in the console: properties and item properties from the catalog
//! standard_events = ["df_login", "df_sign_up", "df_purchase", "df_refund"]
//! # standard user properties enabled (the five consent flags are always registered)
//! standard_user_properties = ["df_name", "df_gender", "df_birth", "df_membership"]
//!
//! [events.coupon_used]              # a custom event
//! properties.coupon_code = { type = "string", required = true, max_len = 32 }
//! properties.amount      = "double"              # shorthand: optional, of that type
//! properties.tags        = { type = "array<string>", max_items = 5, max_len = 20 }
//! properties.used_at     = "datetime"
//! items.sku              = { type = "string", required = true }
//! items.unit_price       = "double"
//! items_required         = true     # at least one item per event (custom events only)
//!
//! [events.df_purchase]              # extra custom properties on an enabled standard event
//! properties.store_id = "string"
//! items.gift_wrap     = "boolean"
//!
//! [user_properties]                 # custom user properties
//! lifetime_points = "long"
//! tier = { type = "string", enum = ["bronze", "silver", "gold"] }
//! birthday_coupon_sent = "date"
//! ```
//!
//! ## Keys
//!
//! | key | where | meaning |
//! |---|---|---|
//! | `id` | `[service]` | the default service id (a non-empty string without white space or control characters) |
//! | `standard_events` | top level or `[service]` | standard events enabled in the console; each gets its properties, item properties and required flags from the [`catalog`] |
//! | `standard_user_properties` | top level or `[service]` | standard user properties enabled; the five [consent flags](catalog::CONSENT_FLAGS) are always registered and may be listed too |
//! | `[events.<name>]` | | a custom event, or custom additions to an enabled standard event |
//! | `properties.<p>` | event | an event property (sent in `event_properties`) |
//! | `items.<p>` | event | an item property (a key of each `event_items[]` object) |
//! | `items_required` | custom event | `true`: every event carries at least one item (needs an item property; default `false`) |
//! | `[user_properties]` | | custom user properties, `<p> = ...` |
//!
//! The two lists may sit at the top level (before the first `[table]`) or inside `[service]`:
//! in TOML, keys written after `[service] id = ...` belong to `[service]`, as in the example.
//! Setting a list in both places is an error.
//!
//! Each property is either a type name (shorthand: optional, no other rule) or a table:
//!
//! | key | meaning |
//! |---|---|
//! | `type` | required: `string`, `long`, `double`, `boolean`, `datetime`, `date`, `array<string>`, `array<long>` or `array<double>` |
//! | `required` | `true` if the property must be present (default `false`); not allowed on user properties |
//! | `enum` | `string` only: the allowed values, at least one, no repeats, each at most 8 KB of JSON (DFINERY's limit on a value) |
//! | `max_len` | `string` and `array<string>` (per element) only: the longest value, in characters |
//! | `max_items` | array types only: the most elements, a rule of your own (DFINERY limits the size of a value, 8 KB, not its number of elements) |
//!
//! ## Rules
//!
//! - Names match `^[A-Za-z][A-Za-z0-9_]*$`, at most 100 characters, and are case-sensitive
//!   ([`names`]): two that differ only in case are two names, with a warning
//!   ([`Registry::parse_with_warnings`]); the `df_` prefix is reserved for the [`catalog`]: a
//!   custom event or property may not use it.
//! - An `[events.df_x]` table only extends a standard event that `standard_events` enables: a
//!   standard event must be enabled in the console before use, so a table for one that is not
//!   listed is an **error** (it is not enabled implicitly). It may add custom properties and
//!   custom item properties (the latter only if the event takes items), not redefine the
//!   catalog's ones.
//! - A custom user property may not redefine a standard one: list it in
//!   `standard_user_properties` instead.
//! - A service may create at most 10 `array<string>` user properties and at most 5
//!   `array<long>`/`array<double>` ones together, standard ones counted
//!   ([`limits::MAX_STRING_ARRAY_USER_PROPERTIES`], [`limits::MAX_NUMBER_ARRAY_USER_PROPERTIES`]);
//!   the first one over the limit is an error. The number of values in one array is not
//!   limited (a value may hold at most 8 KB of JSON).
//!
//! ## Errors
//!
//! Every problem is reported in one pass, each as a [`Diagnostic`] with its line, column and
//! byte span, and the fix where there is one. [`RegistryError`] displays one line per problem
//! (the file above, with `"strng"` for `amount` and without `"df_purchase"` in
//! `standard_events`):
//!
//! ```text
//! dfinery.toml:11:26: unknown type `strng` for property `amount` of event `coupon_used`; did you mean `string`?
//! dfinery.toml:18:9: standard event `df_purchase` is not enabled; add `"df_purchase"` to `standard_events`
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod catalog;
mod check;
pub mod entry;
mod json;
pub mod limits;
mod model;
pub mod names;
mod parse;
pub mod protocol;
pub mod search;
mod suggest;
mod types;

pub use check::{
    Checked, EventBody, Finding, IdentityMember, Json, JsonText, Object, Place, RuleViolation,
    TypeMismatch, check_event, check_user_properties, identity_members,
};
pub use json::JsonView;
pub use model::{EventDef, PropertyDef, Registry};
pub use parse::{Diagnostic, RegistryError};
pub use suggest::{did_you_mean, suggest};
pub use types::{DataType, UnknownDataType};
