//! Typed export: queries checked before sending, CSV decoded row by row, rows decoded back into
//! the structs that sent them, broken bodies reported, files written atomically, limits kept.

#[path = "../common/blackhole.rs"]
mod blackhole;
mod borrowed;
mod broken;
#[path = "../common/clock.rs"]
mod clock;
mod files;
mod fixtures;
mod limits;
mod model;
mod profiles;
mod query;
mod round_trip;
mod support;
