//! Export decoding benchmark (placeholder until the real benchmark lands).

fn main() {}
