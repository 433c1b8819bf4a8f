//! What the `Tracker` costs and what it buys.
//!
//! - `track`: the time one `try_track()` call takes on the caller's thread, in memory and with
//!   the spool (the call hands the event to the spool's writer thread and does not wait for
//!   its commit; with 8 threads tracking at once they share the writer's groups).
//! - `end_to_end`: 2,000 events of 20 users delivered to the emulator over loopback HTTP, by
//!   the Tracker (batches of up to 100 per user) and by a naive loop of one request per event,
//!   in the same run.
//!
//! After criterion's report, a ratio report prints each variant against its baseline.
//!
//! Run with `cargo bench --bench tracker`.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use dfinery::{Client, EventRecord, Identifier, Identity, ItemBuilder, Tracker};
use dfinery_emulator::{Emulator, EmulatorHandle};
use tokio::runtime::Runtime;

/// Users and events per user of the end-to-end runs.
const USERS: usize = 20;
const PER_USER: usize = 100;
const EVENTS: usize = USERS * PER_USER;

/// A base URL where nothing listens: the `track` runs never deliver, so only the call is timed.
const NOWHERE: &str = "http://127.0.0.1:1";

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

fn client(base_url: &str, service_id: &str) -> Client {
    Client::builder()
        .service_id(service_id)
        .import_token(dfinery_emulator::DEFAULT_IMPORT_TOKEN)
        .base_url(base_url)
        .build()
        .expect("the client builds")
}

/// A `df_purchase` with one item, about 400 bytes on the wire.
fn purchase() -> EventRecord {
    let item = ItemBuilder::new()
        .property("df_item_id", "SKU-001")
        .property("df_item_name", "Cracker")
        .property("df_price", 5000.0)
        .property("df_quantity", 2)
        .property("df_discount", 500.0);
    EventRecord::builder("df_purchase")
        .item(item)
        .property("df_order_id", "ORDER-123")
        .property("df_payment_method", "BankTransfer")
        .property("df_total_purchase_amount", 9000.0)
        .property("df_delivery_charge", 3000.0)
        .property("df_discount", 0.0)
        .build()
        .expect("a valid event")
}

fn spool_path() -> PathBuf {
    let dir = std::env::temp_dir().join("dfinery-tracker-bench");
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let path = dir.join(format!("{}.redb", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// Times `iters` calls of `track` from `threads` threads on a fresh tracker.
fn time_track(runtime: &Runtime, iters: u64, threads: u64, spool: bool) -> Duration {
    let path = spool_path();
    let tracker = {
        let _entered = runtime.enter();
        let builder = Tracker::builder(client(NOWHERE, "bench"))
            .queue_cap(iters as usize + 1, usize::MAX >> 5);
        let builder = if spool { builder.spool(&path) } else { builder };
        builder.build().expect("the tracker builds")
    };
    let event = purchase();
    let per_thread = iters.div_ceil(threads);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (tracker, event) = (&tracker, &event);
            scope.spawn(move || {
                let who =
                    Identity::new(Identifier::ExternalId, format!("bench-{t}")).expect("an id");
                for _ in 0..per_thread.min(iters.saturating_sub(t * per_thread)) {
                    black_box(tracker.try_track(&who, event).expect("queued"));
                }
            });
        }
    });
    let elapsed = start.elapsed();
    let _ = runtime.block_on(tracker.shutdown_within(Duration::ZERO));
    drop(tracker);
    let _ = std::fs::remove_file(&path);
    elapsed
}

/// Delivers `EVENTS` events with a Tracker; returns when DFINERY confirmed them all.
async fn with_tracker(emulator: &EmulatorHandle) {
    let tracker = Tracker::builder(client(emulator.base_url(), emulator.service_id()))
        .build()
        .expect("the tracker builds");
    let event = purchase();
    for u in 0..USERS {
        let who = Identity::new(Identifier::ExternalId, format!("user-{u}")).expect("an id");
        for _ in 0..PER_USER {
            tracker
                .try_track(&who, event.clone().with_event_log_id(uuid::Uuid::new_v4()))
                .expect("queued");
        }
    }
    let report = tracker.shutdown().await.expect("a report");
    assert_eq!(report.delivered, EVENTS as u64);
}

/// Delivers `EVENTS` events with one request per event, one after another.
async fn naive_loop(emulator: &EmulatorHandle) {
    let client = client(emulator.base_url(), emulator.service_id());
    let event = purchase();
    for u in 0..USERS {
        let who = Identity::new(Identifier::ExternalId, format!("user-{u}")).expect("an id");
        for _ in 0..PER_USER {
            let record = event.clone().with_event_log_id(uuid::Uuid::new_v4());
            client.send_events(&who, [record]).await.expect("sent");
        }
    }
}

fn track(c: &mut Criterion) {
    let runtime = runtime();
    let mut group = c.benchmark_group("track");
    group.throughput(Throughput::Elements(1));
    group.bench_function("memory", |b| {
        b.iter_custom(|iters| time_track(&runtime, iters, 1, false));
    });
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("spool", |b| {
        b.iter_custom(|iters| time_track(&runtime, iters, 1, true));
    });
    group.bench_function("spool_8_threads", |b| {
        b.iter_custom(|iters| time_track(&runtime, iters, 8, true));
    });
    group.finish();
}

fn end_to_end(c: &mut Criterion) {
    let runtime = runtime();
    let emulator = runtime
        .block_on(Emulator::start())
        .expect("the emulator starts");
    let mut group = c.benchmark_group("end_to_end");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.sample_size(10);
    group.bench_function("tracker", |b| {
        b.iter(|| {
            runtime.block_on(with_tracker(&emulator));
            emulator.reset();
        });
    });
    group.bench_function("naive_loop", |b| {
        b.iter(|| {
            runtime.block_on(naive_loop(&emulator));
            emulator.reset();
        });
    });
    group.finish();
}

/// The mean of `runs` timings of `f`.
fn mean(runs: u32, mut f: impl FnMut() -> Duration) -> Duration {
    (0..runs).map(|_| f()).sum::<Duration>() / runs
}

/// Each variant against its baseline, measured again here so the ratios come from one run.
fn ratio_report() {
    let runtime = runtime();
    let n = 200;
    let memory = mean(5, || time_track(&runtime, 20_000, 1, false)) / 20_000;
    let spool = mean(3, || time_track(&runtime, n, 1, true)) / n as u32;
    let spool8 = mean(3, || time_track(&runtime, 8 * n, 8, true)) / (8 * n) as u32;
    let emulator = runtime
        .block_on(Emulator::start())
        .expect("the emulator starts");
    let timed = |naive: bool| {
        let start = Instant::now();
        if naive {
            runtime.block_on(naive_loop(&emulator));
        } else {
            runtime.block_on(with_tracker(&emulator));
        }
        emulator.reset();
        start.elapsed()
    };
    let tracker = mean(3, || timed(false));
    let naive = mean(3, || timed(true));
    let per_second = |d: Duration| EVENTS as f64 / d.as_secs_f64();
    println!("\nratio report (same run):");
    println!("  track(), in memory:         {memory:>12.2?} per event");
    println!(
        "  track(), spool, 1 thread:   {spool:>12.2?} per event ({:.0}x the in-memory call)",
        spool.as_secs_f64() / memory.as_secs_f64()
    );
    println!(
        "  track(), spool, 8 threads:  {spool8:>12.2?} per event ({:.1}x faster than 1 thread: both cores, and the writer's groups shared)",
        spool.as_secs_f64() / spool8.as_secs_f64()
    );
    println!(
        "  end to end, Tracker:        {:>12.0} events/s",
        per_second(tracker)
    );
    println!(
        "  end to end, naive loop:     {:>12.0} events/s (the Tracker delivers {:.1}x as many per second)",
        per_second(naive),
        naive.as_secs_f64() / tracker.as_secs_f64()
    );
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    track(&mut criterion);
    end_to_end(&mut criterion);
    criterion.final_summary();
    // `cargo bench` passes `--bench`; `cargo test --benches` runs each bench once, without it.
    if std::env::args().any(|arg| arg == "--bench") {
        ratio_report();
    }
}
