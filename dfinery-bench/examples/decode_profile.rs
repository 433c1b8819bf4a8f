//! One decoder of comparison 4 run alone, for a profiler (`valgrind --tool=callgrind`,
//! `perf record`), whose instruction counts do not depend on the machine's load.
//!
//! ```sh
//! cargo build --release -p dfinery-bench --example decode_profile
//! # once: an emulator export of 4,000 purchases (20,000 rows), saved
//! target/release/examples/decode_profile save /tmp/export.csv
//! # then any decoder, N passes over the saved export
//! valgrind --tool=callgrind target/release/examples/decode_profile typed /tmp/export.csv 1
//! ```
//!
//! Decoders: `typed`, `borrowed`, `csv`, `csv-reused`, `csv-serde`.

use std::process::ExitCode;

use dfinery_bench::export::{
    borrowed_rows, csv_rows, csv_rows_reused, csv_serde_rows, export_csv, typed_rows,
};
use dfinery_bench::lab::Lab;

const USAGE: &str = "usage: decode_profile save FILE | decode_profile DECODER FILE [PASSES]\n  \
DECODER: typed, borrowed, csv, csv-reused, csv-serde";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("decode_profile: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    let [mode, file, rest @ ..] = args.as_slice() else {
        return Err(USAGE.to_owned());
    };
    if mode == "save" {
        let lab = Lab::in_process().map_err(|e| format!("the emulator did not start: {e}"))?;
        let csv = export_csv(&lab, 4_000).map_err(|e| format!("the export failed: {e}"))?;
        return std::fs::write(file, &csv).map_err(|e| format!("cannot write `{file}`: {e}"));
    }
    let passes: usize = match rest {
        [] => 1,
        [n] => n
            .parse()
            .map_err(|_| format!("PASSES must be a number, not `{n}`"))?,
        _ => return Err(USAGE.to_owned()),
    };
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read `{file}`: {e}"))?;
    let mut rows = 0;
    for _ in 0..passes {
        rows += match mode.as_str() {
            "typed" => typed_rows(&bytes).map_err(|e| e.to_string())?,
            "borrowed" => borrowed_rows(&bytes).map_err(|e| e.to_string())?,
            "csv" => csv_rows(&bytes).map_err(|e| e.to_string())?,
            "csv-reused" => csv_rows_reused(&bytes).map_err(|e| e.to_string())?,
            "csv-serde" => csv_serde_rows(&bytes).map_err(|e| e.to_string())?,
            other => return Err(format!("no decoder `{other}`\n{USAGE}")),
        };
    }
    println!("{rows} rows");
    Ok(())
}
