//! What the report measures is right: the compared paths produce the same data, the
//! measurement counts what it says, the pipeline stores every event, and the generated crates
//! are what the comparison claims. No timing is asserted: speed is the report's job.

mod cli;
mod compile;
mod lab;
mod measure;
mod report;
mod serialize;
