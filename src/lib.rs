//! dfinery: send typed, compile-time-checked data to DFINERY (being filled in).
pub use dfinery_core::*;
