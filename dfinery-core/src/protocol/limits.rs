//! DFINERY's documented limits (`docs/protocol.md` §3.2, §4.4), shared with the registry crate so the
//! derive, the runtime and the emulator agree on every number.
//!
//! The number of values in one array is not limited: only a value's size
//! ([`MAX_VALUE_BYTES`]) and a property's own `max_items` are.

pub use dfinery_schema::limits::{
    MAX_EVENTS_PER_REQUEST, MAX_ITEMS_PER_REQUEST, MAX_NUMBER_ARRAY_USER_PROPERTIES,
    MAX_STRING_ARRAY_USER_PROPERTIES, MAX_VALUE_BYTES,
};
