//! DFINERY's documented limits (`docs/protocol.md` §3.2, §4.4), applied alike to event, item and
//! user properties.

/// Events per `POST /api/v1/events` request; more is `40402 TOO_MANY_EVENTS`.
pub const MAX_EVENTS_PER_REQUEST: usize = 100;

/// Items (`event_items`) per event.
pub const MAX_ITEMS_PER_EVENT: usize = 100;

/// The largest property value, in bytes of the value's JSON text on the wire (quotes, escapes
/// and array punctuation included).
pub const MAX_VALUE_BYTES: usize = 8192;

/// Elements in an `array<string>` value.
pub const MAX_STRING_ARRAY_LEN: usize = 10;

/// Elements in an `array<long>` or `array<double>` value.
pub const MAX_NUMBER_ARRAY_LEN: usize = 5;
