//! DFINERY's documented limits (`docs/protocol.md` §3.2, §4.4), shared with the registry crate so the
//! derive, the runtime and the emulator agree on every number.

pub use dfinery_schema::limits::{
    MAX_EVENTS_PER_REQUEST, MAX_ITEMS_PER_EVENT, MAX_NUMBER_ARRAY_LEN, MAX_STRING_ARRAY_LEN,
    MAX_VALUE_BYTES,
};

use dfinery_schema::DataType;

/// The most elements DFINERY allows in a value of `ty`: [`MAX_STRING_ARRAY_LEN`] for
/// `array<string>`, [`MAX_NUMBER_ARRAY_LEN`] for `array<long>` and `array<double>`, `None` for a
/// scalar type.
pub const fn max_array_len(ty: DataType) -> Option<usize> {
    match ty {
        DataType::StringArray => Some(MAX_STRING_ARRAY_LEN),
        DataType::LongArray | DataType::DoubleArray => Some(MAX_NUMBER_ARRAY_LEN),
        _ => None,
    }
}
