//! Settings of an emulator: rate limits and fault injection (the builder lives in `builder.rs`).

pub mod faults;
pub mod rate_limit;
