//! Comparison 4 in detail: a real emulator export of 4,000 purchases (20,000 rows) decoded into
//! the typed `Purchase` against `csv` + serde, and read by dfinery's borrowed path against
//! `csv::StringRecord` iteration, over the same bytes (the report's two goal pairs), with the
//! reused-record baseline.
//!
//! Run with `cargo bench -p dfinery-bench --bench decode`; the ratio report
//! (`cargo run --release -p dfinery-bench`) prints the same comparison as a ratio. The root
//! `benches/export.rs` measures the streamed variant on a hand-made CSV.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dfinery_bench::export::{
    borrowed_rows, csv_rows, csv_rows_reused, csv_serde_rows, export_csv, typed_rows,
};
use dfinery_bench::lab::Lab;

fn decode(c: &mut Criterion) {
    let lab = Lab::in_process().expect("the emulator starts");
    let csv = export_csv(&lab, 4_000).expect("an export");
    let rows = csv_rows(&csv).expect("valid CSV");
    let mut group = c.benchmark_group("export_decode");
    group.throughput(Throughput::Elements(rows as u64));
    group.bench_function("typed_purchase", |b| b.iter(|| typed_rows(&csv)));
    group.bench_function("csv_serde_deserialize", |b| b.iter(|| csv_serde_rows(&csv)));
    group.bench_function("borrowed_next_row", |b| b.iter(|| borrowed_rows(&csv)));
    group.bench_function("csv_string_records", |b| b.iter(|| csv_rows(&csv)));
    group.bench_function("csv_reused_string_record", |b| {
        b.iter(|| csv_rows_reused(&csv))
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
