//! DFINERY's documented limits (`docs/protocol.md` §3.2, §4.4), applied alike to event, item and
//! user properties.
//!
//! The number of values in one array is **not** limited: DFINERY's user-profile guide limits
//! how many array *properties* a service may create ([`MAX_STRING_ARRAY_USER_PROPERTIES`],
//! [`MAX_NUMBER_ARRAY_USER_PROPERTIES`]) and the size of each value ([`MAX_VALUE_BYTES`]).

/// Events per `POST /api/v1/events` request; more is `40402 TOO_MANY_EVENTS`.
pub const MAX_EVENTS_PER_REQUEST: usize = 100;

/// Items (`event_items`) per `POST /api/v1/events` request, all events together (the Open API
/// guide's reading; the SDK guides say per event, which this also satisfies). So one event
/// carries at most this many items too.
pub const MAX_ITEMS_PER_REQUEST: usize = 100;

/// The largest property value, in bytes of the value's JSON text on the wire (quotes, escapes
/// and array punctuation included).
pub const MAX_VALUE_BYTES: usize = 8192;

/// `array<string>` user properties a service may create (standard ones included).
pub const MAX_STRING_ARRAY_USER_PROPERTIES: usize = 10;

/// `array<long>` and `array<double>` user properties a service may create, both types counted
/// together (standard ones included).
pub const MAX_NUMBER_ARRAY_USER_PROPERTIES: usize = 5;
