//! Comparison 1 in detail: a derived `df_purchase` with five items to wire JSON bytes, against
//! `#[derive(Serialize)]` (the floor) and a `json!` value (what other SDKs do): the goal's pair
//! (each into a buffer kept across events) and the `to_vec` pair.
//!
//! Run with `cargo bench -p dfinery-bench --bench serialize`; the ratio report
//! (`cargo run --release -p dfinery-bench`) prints the same comparison as ratios.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dfinery_bench::fixtures::{purchase, serde_purchase};
use dfinery_bench::serialize::{json_value, serde, serde_into, typed, typed_into};

fn serialisation(c: &mut Criterion) {
    let purchase = purchase();
    let twin = serde_purchase(&purchase);
    let mut group = c.benchmark_group("serialize_df_purchase_5_items");
    group.throughput(Throughput::Elements(1));
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    group.bench_function("dfinery_derive_to_record_into_kept_buffer", |b| {
        b.iter(|| typed_into(&purchase, &mut ours));
    });
    group.bench_function("serde_derive_to_writer_into_kept_buffer", |b| {
        b.iter(|| serde_into(&twin, &mut theirs));
    });
    group.bench_function("dfinery_derive_to_record_to_vec", |b| {
        b.iter(|| typed(&purchase));
    });
    group.bench_function("serde_derive_to_vec", |b| b.iter(|| serde(&twin)));
    group.bench_function("json_value_to_vec", |b| b.iter(|| json_value(&purchase)));
    group.finish();
}

criterion_group!(benches, serialisation);
criterion_main!(benches);
