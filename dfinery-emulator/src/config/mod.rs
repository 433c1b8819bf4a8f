//! Settings of an emulator: rate limits, the item limit and fault injection (the builder lives
//! in `builder.rs`).

pub mod faults;
pub mod item_limit;
pub mod rate_limit;
