//! Throughput of the emulator: 100-event `df_purchase` batches over loopback HTTP.
//!
//! Run with `cargo bench -p dfinery-emulator --bench emulator`. Requests per second is
//! 1 / (time per iteration); criterion also reports events per second.

use std::cell::Cell;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use dfinery_emulator::{Emulator, EmulatorHandle};
use serde_json::{Value, json};

/// Forget stored events this often, so memory stays flat however long the bench runs.
const RESET_EVERY: u32 = 2_000;

fn purchase() -> Value {
    json!({
        "event_log_id": uuid::Uuid::new_v4().to_string(),
        "event_name": "df_purchase",
        "event_datetime": "2024-06-24T06:01:48.501Z",
        "event_items": [
            {"df_item_id": "SKU-001", "df_item_name": "Cracker", "df_price": 5000.0, "df_quantity": 2,
             "df_discount": 500.0, "df_category1": "Food", "df_category2": "Snack"}
        ],
        "event_properties": {
            "df_order_id": "ORDER-123", "df_payment_method": "BankTransfer",
            "df_total_purchase_amount": 9000.0, "df_delivery_charge": 3000.0, "df_discount": 0.0
        }
    })
}

fn batch() -> Vec<u8> {
    let events: Vec<Value> = (0..100).map(|_| purchase()).collect();
    json!({"common": {"identity": {"external_id": "bench-user"}}, "events": events})
        .to_string()
        .into_bytes()
}

async fn send(http: &reqwest::Client, emulator: &EmulatorHandle, url: &str, body: Vec<u8>) {
    let response = http
        .post(url)
        .header("access_token", emulator.import_token())
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the emulator answers");
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("a body");
    assert!(text.contains("\"20000\""), "{text}");
}

fn loopback_batches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let emulator = runtime
        .block_on(Emulator::start())
        .expect("the emulator starts");
    let http = reqwest::Client::new();
    let url = emulator.url("/api/v1/events");
    let sent = Cell::new(0u32);

    let mut group = c.benchmark_group("emulator");
    group.throughput(Throughput::Elements(100));
    group.bench_function("df_purchase_batch_100_over_loopback", |b| {
        b.iter_batched(
            || {
                sent.set(sent.get() + 1);
                if sent.get().is_multiple_of(RESET_EVERY) {
                    emulator.reset();
                }
                batch()
            },
            |body| runtime.block_on(send(&http, &emulator, &url, body)),
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

criterion_group!(benches, loopback_batches);
criterion_main!(benches);
