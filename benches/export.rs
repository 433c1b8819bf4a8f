//! Export decoding speed: rows per second decoded into a typed `#[derive(DfineryEvent)]` struct
//! (with items gathered back into their events, and the system columns), against plain
//! `csv::StringRecord` iteration over the same bytes, in the same run.
//!
//! The CSV is made here in the emulator's layout (one row per item, quoting where needed):
//! 10 000 purchases of 2 items each, 20 000 rows. After criterion's report, a ratio report
//! prints each variant's rows per second and its time relative to the `csv` baseline.
//!
//! Run with `cargo bench --bench export`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput};
use dfinery::export::ExportRows;
use dfinery::{Datetime, DfineryEvent, DfineryItem};
use uuid::Uuid;

#[derive(Debug, DfineryItem)]
#[dfinery(event = "df_purchase", registry = "tests/dfinery.toml", decode)]
struct LineItem {
    #[dfinery(rename = "df_item_id")]
    id: String,
    #[dfinery(rename = "df_item_name")]
    name: String,
    #[dfinery(rename = "df_price")]
    price: f64,
    #[dfinery(rename = "df_quantity")]
    quantity: i64,
    #[dfinery(rename = "df_discount")]
    discount: f64,
    #[dfinery(rename = "df_category1")]
    category: Option<String>,
}

#[derive(Debug, DfineryEvent)]
#[dfinery(event = "df_purchase", registry = "tests/dfinery.toml", decode)]
struct Purchase {
    df_order_id: String,
    df_payment_method: String,
    df_total_purchase_amount: f64,
    df_delivery_charge: f64,
    df_discount: f64,
    store_id: Option<String>,
    #[dfinery(items)]
    items: Vec<LineItem>,
    #[dfinery(datetime)]
    at: Datetime,
    #[dfinery(log_id)]
    id: Uuid,
}

const EVENTS: usize = 10_000;
const ITEMS: usize = 2;
const ROWS: usize = EVENTS * ITEMS;

/// The export: the emulator's columns for `df_purchase`, one row per item.
fn export_csv() -> Vec<u8> {
    let mut header = vec![
        "df_unified_id",
        "df_api_version",
        "event_name",
        "df_server_datetime",
        "df_correction_datetime",
        "event_log_id",
        "event_datetime",
    ];
    let mut properties = vec![
        "df_delivery_charge",
        "df_discount",
        "df_order_id",
        "df_payment_method",
        "df_total_purchase_amount",
        "store_id",
        "df_items_df_category1",
        "df_items_df_discount",
        "df_items_df_item_id",
        "df_items_df_item_name",
        "df_items_df_price",
        "df_items_df_quantity",
    ];
    properties.sort_unstable();
    header.extend(properties.iter().copied());
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    out.write_record(&header).expect("writing to memory");
    for e in 0..EVENTS {
        let id = Uuid::from_u128(e as u128).to_string();
        let at = "2024-06-24T06:01:48.501Z";
        for i in 0..ITEMS {
            let row: Vec<String> = header
                .iter()
                .map(|column| match *column {
                    "df_unified_id" => format!("unified-{}", e % 97),
                    "df_api_version" => "v1".to_owned(),
                    "event_name" => "df_purchase".to_owned(),
                    "df_server_datetime" => "2024-06-24T06:02:00.123Z".to_owned(),
                    "df_correction_datetime" | "event_datetime" => at.to_owned(),
                    "event_log_id" => id.clone(),
                    "df_delivery_charge" => "3000.0".to_owned(),
                    "df_discount" => "0.0".to_owned(),
                    "df_order_id" => format!("ORDER-{e}, \"web\""),
                    "df_payment_method" => "BankTransfer".to_owned(),
                    "df_total_purchase_amount" => format!("{}.5", 9000 + e),
                    "store_id" if e % 2 == 0 => String::new(),
                    "store_id" => "store-7".to_owned(),
                    "df_items_df_category1" => "Food, snacks".to_owned(),
                    "df_items_df_discount" => "0.0".to_owned(),
                    "df_items_df_item_id" => format!("SKU-{e}-{i}"),
                    "df_items_df_item_name" => "Cracker\nsalted".to_owned(),
                    "df_items_df_price" => "5000.0".to_owned(),
                    "df_items_df_quantity" => format!("{}", i + 1),
                    _ => String::new(),
                })
                .collect();
            out.write_record(&row).expect("writing to memory");
        }
    }
    out.into_inner().expect("writing to memory")
}

/// The baseline: every row as a `csv::StringRecord`, each field touched.
fn csv_string_records(bytes: &[u8]) -> usize {
    let mut reader = csv::Reader::from_reader(bytes);
    let mut fields = 0;
    for record in reader.records() {
        fields += record.expect("valid CSV").iter().count();
    }
    fields
}

/// Every row as an `ExportRow`, read by position (no decoding).
fn export_rows(bytes: &[u8]) -> usize {
    let mut reader = ExportRows::new(bytes).expect("a header");
    let mut fields = 0;
    while let Some(row) = reader.next_row().expect("valid CSV") {
        fields += row.iter().count();
    }
    fields
}

/// Every purchase decoded into `Purchase`, items gathered, system columns read.
fn typed(bytes: &[u8]) -> usize {
    let events = ExportRows::new(bytes)
        .expect("a header")
        .events::<Purchase>()
        .expect("the columns");
    let mut items = 0;
    for event in events {
        let event = event.expect("decodes");
        items += black_box(&event.event).items.len();
    }
    items
}

/// As `typed`, from a stream of 16 KiB chunks, as an export arrives.
fn typed_streamed(runtime: &tokio::runtime::Runtime, bytes: &Bytes) -> usize {
    runtime.block_on(async {
        let chunks: Vec<Result<Bytes, dfinery::Error>> = (0..bytes.len())
            .step_by(16 * 1024)
            .map(|at| Ok(bytes.slice(at..(at + 16 * 1024).min(bytes.len()))))
            .collect();
        let rows = ExportRows::from_stream(futures_util::stream::iter(chunks))
            .await
            .expect("a header");
        let mut events = rows.events::<Purchase>().expect("the columns");
        let mut items = 0;
        while let Some(event) = events.try_next().await.expect("decodes") {
            items += black_box(&event.event).items.len();
        }
        items
    })
}

fn benches(c: &mut Criterion, bytes: &Bytes, runtime: &tokio::runtime::Runtime) {
    let mut group = c.benchmark_group("export_decode");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.sample_size(20);
    group.bench_function("csv_string_records", |b| {
        b.iter(|| csv_string_records(black_box(bytes)))
    });
    group.bench_function("export_rows", |b| b.iter(|| export_rows(black_box(bytes))));
    group.bench_function("typed_purchase", |b| b.iter(|| typed(black_box(bytes))));
    group.bench_function("typed_purchase_streamed", |b| {
        b.iter(|| typed_streamed(runtime, black_box(bytes)))
    });
    group.finish();
}

/// The median time of `runs` calls of `f`.
fn median(runs: usize, mut f: impl FnMut() -> usize) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

/// Rows per second of each variant and its time relative to the `csv` baseline.
fn ratio_report(bytes: &Bytes, runtime: &tokio::runtime::Runtime) {
    let runs = 9;
    let baseline = median(runs, || csv_string_records(bytes));
    let variants = [
        ("csv_string_records", baseline),
        ("export_rows", median(runs, || export_rows(bytes))),
        ("typed_purchase", median(runs, || typed(bytes))),
        (
            "typed_purchase_streamed",
            median(runs, || typed_streamed(runtime, bytes)),
        ),
    ];
    println!("\nratio report: {ROWS} rows, {} bytes", bytes.len());
    for (name, time) in variants {
        let rows_per_second = ROWS as f64 / time.as_secs_f64();
        let ratio = time.as_secs_f64() / baseline.as_secs_f64();
        println!(
            "  {name:<24} {:>9.2} ms  {rows_per_second:>12.0} rows/s  {ratio:>5.2}x the csv baseline",
            time.as_secs_f64() * 1000.0
        );
    }
}

fn main() {
    let bytes = Bytes::from(export_csv());
    assert_eq!(typed(&bytes), ROWS, "every item decodes");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let mut criterion = Criterion::default().configure_from_args();
    benches(&mut criterion, &bytes, &runtime);
    criterion.final_summary();
    ratio_report(&bytes, &runtime);
}
