//! Runs one JSON string escaper (`dfinery`: dfinery's own, `serde`: `serde_json::to_writer`)
//! over the event's keys and strings (or over free text) a given number of times, for instruction counts under
//! `valgrind --tool=callgrind` (`BENCHMARKS.md`, "JSON escaper"): the difference between two
//! iteration counts divided by their difference is the cost of one pass, free of start-up.
//!
//! `escape event N` serialises the whole purchase of comparison 1 (`serialize::typed`) N times
//! instead, to see what a change of escaper does to an event.
//!
//! ```text
//! cargo build --release -p dfinery-bench --example escape
//! valgrind --tool=callgrind target/release/examples/escape dfinery purchase 100000
//! valgrind --tool=callgrind target/release/examples/escape event 100000
//! ```

use std::hint::black_box;
use std::process::ExitCode;

use dfinery_bench::fixtures::purchase;
use dfinery_bench::{escape, serialize};

const USAGE: &str =
    "usage: escape dfinery|serde purchase|text ITERATIONS, or escape event ITERATIONS";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [event, count] = args.as_slice()
        && event == "event"
    {
        let Ok(count) = count.parse::<u64>() else {
            eprintln!("error: ITERATIONS must be a whole number, not `{count}`");
            return ExitCode::FAILURE;
        };
        let purchase = purchase();
        let mut bytes = 0;
        for _ in 0..count {
            bytes += serialize::typed(black_box(&purchase)).map_or(0, |b| b.len());
        }
        println!("{bytes}");
        return ExitCode::SUCCESS;
    }
    let [which, set, count] = args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::FAILURE;
    };
    let strings = match set.as_str() {
        "purchase" => escape::purchase_strings(),
        "text" => escape::text_strings(),
        other => {
            eprintln!("error: unknown string set `{other}`; use `purchase` or `text`");
            return ExitCode::FAILURE;
        }
    };
    let escaper: fn(&[String], &mut Vec<u8>) -> usize = match which.as_str() {
        "dfinery" => escape::dfinery,
        "serde" => escape::serde,
        other => {
            eprintln!("error: unknown escaper `{other}`; use `dfinery` or `serde`");
            return ExitCode::FAILURE;
        }
    };
    let Ok(count) = count.parse::<u64>() else {
        eprintln!("error: ITERATIONS must be a whole number, not `{count}`");
        return ExitCode::FAILURE;
    };
    let mut out = Vec::with_capacity(4096);
    let mut bytes = 0;
    for _ in 0..count {
        bytes += escaper(black_box(&strings), &mut out);
    }
    println!("{bytes}");
    ExitCode::SUCCESS
}
