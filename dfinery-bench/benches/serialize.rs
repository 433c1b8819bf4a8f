//! Comparison 1 in detail: a derived `df_purchase` with five items to wire JSON bytes, against
//! `#[derive(Serialize)]` + `serde_json::to_vec` (the floor) and a `json!` value (what other
//! SDKs do).
//!
//! Run with `cargo bench -p dfinery-bench --bench serialize`; the ratio report
//! (`cargo run --release -p dfinery-bench`) prints the same comparison as ratios.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dfinery_bench::fixtures::{purchase, serde_purchase};
use dfinery_bench::serialize::{json_value, serde, typed};

fn serialisation(c: &mut Criterion) {
    let purchase = purchase();
    let twin = serde_purchase(&purchase);
    let mut group = c.benchmark_group("serialize_df_purchase_5_items");
    group.throughput(Throughput::Elements(1));
    group.bench_function("dfinery_derive_to_record_to_vec", |b| {
        b.iter(|| typed(&purchase));
    });
    group.bench_function("serde_derive_to_vec", |b| b.iter(|| serde(&twin)));
    group.bench_function("json_value_to_vec", |b| b.iter(|| json_value(&purchase)));
    group.finish();
}

criterion_group!(benches, serialisation);
criterion_main!(benches);
