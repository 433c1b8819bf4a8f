//! The measurements behind the `dfinery-bench` ratio report and the criterion benches: each
//! comparison runs dfinery and what a user would pick instead in the same process, and reports
//! both figures and their ratio.
//!
//! Run the report with `cargo run --release -p dfinery-bench`; `BENCHMARKS.md` explains each
//! ratio. Linking this crate installs a [counting global allocator](alloc), so every figure
//! can carry its allocations.
//!
//! | module | comparison |
//! |---|---|
//! | [`serialize`] | 1. a derived event to wire JSON, against serde and `json!`; with [`escape`], the string escapers |
//! | [`pipeline`] | 2. `track()` to stored, Tracker against one request per event |
//! | [`compile`] | 3. build time of derived events against `#[derive(Serialize)]` |
//! | [`export`] | 4. typed export decoding against `csv::StringRecord` |
//! | [`emulator`] | 5. the emulator's requests per second |
#![warn(missing_docs)]

pub mod alloc;
pub mod compile;
pub mod emulator;
pub mod escape;
pub mod export;
pub mod fixtures;
pub mod lab;
pub mod machine;
pub mod measure;
pub mod pipeline;
pub mod report;
pub mod serialize;
