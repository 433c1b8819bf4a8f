//! Against an emulator in this process: the pipeline, the emulator comparison and the export
//! all deliver and read back every event (short windows; figures are not checked).

use std::time::Duration;

use dfinery_bench::export::{
    borrowed_rows, csv_rows, csv_rows_reused, csv_serde_rows, export_csv, owned_fields_per_row,
    typed_rows,
};
use dfinery_bench::fixtures::ITEMS_PER_PURCHASE;
use dfinery_bench::lab::Lab;
use dfinery_bench::{emulator, pipeline};

const WINDOW: Duration = Duration::from_millis(200);

#[test]
fn the_tracker_with_and_without_spool_and_the_naive_client_store_every_event() {
    let lab = Lab::in_process().expect("the emulator starts");
    let dir = std::env::temp_dir().join(format!("dfinery-bench-test-{}", std::process::id()));
    let spool = pipeline::spool_path(&dir).expect("a folder");
    // The same emulator stands in for the sink: the runs count what it stored.
    let runs =
        pipeline::measure(&lab, &lab, &spool, 2, WINDOW, None, 2).expect("every event stored");
    for run in [
        runs.tracker,
        runs.tracker_spool,
        runs.naive,
        runs.sink,
        runs.sink_spool,
        runs.sink_naive,
    ] {
        assert!(run.events > 0, "{run:?}");
    }
    // Two rounds of the sink runs, the figures taken from one of them.
    assert_eq!(runs.sink_rounds.len(), 2);
    assert!(
        runs.sink_rounds
            .iter()
            .any(|(memory, _)| *memory == runs.sink)
    );
    assert!(
        runs.sink_rounds
            .iter()
            .any(|(_, spool)| *spool == runs.sink_spool)
    );
    assert!(runs.send.is_none() && runs.send_rounds.is_empty());
    // Batching: many events per request for the Tracker, one per request for the naive client.
    assert!(
        runs.tracker.requests < runs.tracker.events,
        "{:?}",
        runs.tracker
    );
    assert_eq!(runs.naive.requests, runs.naive.events);
    assert!(!spool.exists(), "the spool is removed after the run");
    let _ = std::fs::remove_dir_all(dir);
    let text = pipeline::comparison(&runs, false).to_string();
    assert!(text.contains("includes the events it stored"), "{text}");
    assert!(text.contains("median speed of 2 rounds"), "{text}");
}

#[test]
fn the_emulator_answers_every_batch_and_is_reset_after() {
    let lab = Lab::in_process().expect("the emulator starts");
    let bodies = emulator::batch_bodies(2).expect("bodies");
    let t = emulator::measure(&lab, &bodies, WINDOW, 2).expect("every request answered");
    assert!(t.requests > 0);
    assert_eq!(
        lab.counts().expect("counts").stored,
        0,
        "reset after the run"
    );
}

#[test]
fn an_export_decodes_to_as_many_rows_every_way() {
    let lab = Lab::in_process().expect("the emulator starts");
    let csv = export_csv(&lab, 30).expect("an export");
    assert_eq!(csv_rows(&csv).expect("valid CSV"), 30 * ITEMS_PER_PURCHASE);
    assert_eq!(typed_rows(&csv).expect("decodes"), 30 * ITEMS_PER_PURCHASE);
    assert_eq!(borrowed_rows(&csv).expect("reads"), 30 * ITEMS_PER_PURCHASE);
    // Each item owns an id and a name (and its categories when set); each event five more
    // strings, shared by its five rows.
    let owned = owned_fields_per_row(&csv);
    assert!((3.0..=5.0).contains(&owned), "{owned}");
    assert_eq!(
        csv_rows_reused(&csv).expect("valid CSV"),
        30 * ITEMS_PER_PURCHASE
    );
    assert_eq!(
        csv_serde_rows(&csv).expect("deserialises"),
        30 * ITEMS_PER_PURCHASE
    );
}

#[test]
fn a_spool_folder_that_cannot_be_made_is_named() {
    let file = std::env::temp_dir().join(format!("dfinery-bench-notdir-{}", std::process::id()));
    std::fs::write(&file, "not a folder").expect("a file");
    let folder = file.join("spool");
    let error = pipeline::spool_path(&folder)
        .expect_err("a folder under a file")
        .to_string();
    let _ = std::fs::remove_file(&file);
    assert!(error.contains(&folder.display().to_string()), "{error}");
    assert!(error.contains("spool"), "{error}");
}

/// Set in the child process of the proxy test, where the proxy variables are set.
const PROXY_CHILD: &str = "DFINERY_BENCH_PROXY_CHILD";

#[test]
fn the_lab_talks_to_its_emulator_over_loopback_even_with_a_proxy_set() {
    if std::env::var_os(PROXY_CHILD).is_some() {
        // A proxy that refuses every connection: a request sent through it fails.
        let lab = Lab::in_process().expect("the emulator starts");
        let csv = export_csv(&lab, 2).expect("sent and exported past the proxy");
        assert_eq!(csv_rows(&csv).expect("valid CSV"), 2 * ITEMS_PER_PURCHASE);
        let bodies = emulator::batch_bodies(1).expect("bodies");
        emulator::measure(&lab, &bodies, Duration::from_millis(50), 1)
            .expect("posted past the proxy");
        lab.counts().expect("counted past the proxy");
        return;
    }
    // A free port that nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let proxy = format!("http://127.0.0.1:{port}");
    let output = std::process::Command::new(std::env::current_exe().expect("this test binary"))
        .args([
            "lab::the_lab_talks_to_its_emulator_over_loopback_even_with_a_proxy_set",
            "--exact",
            "--nocapture",
        ])
        .env(PROXY_CHILD, "1")
        .env("HTTP_PROXY", &proxy)
        .env("http_proxy", &proxy)
        .env("ALL_PROXY", &proxy)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .expect("the child test runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("1 passed"), "{text}");
}

#[test]
fn processes_the_report_starts_get_no_proxy() {
    let mut command = std::process::Command::new("dfinery");
    command.env("HTTP_PROXY", "http://proxy.example:3128");
    dfinery_bench::lab::without_proxies(&mut command);
    let envs: Vec<_> = command.get_envs().collect();
    for name in dfinery_bench::lab::PROXY_VARIABLES {
        assert!(
            envs.contains(&(std::ffi::OsStr::new(name), None)),
            "{name} removed: {envs:?}"
        );
    }
}

#[test]
fn an_export_without_rows_is_an_error_not_a_figure() {
    let lab = Lab::in_process().expect("the emulator starts");
    let csv = export_csv(&lab, 1).expect("an export");
    let header_end = csv.iter().position(|&b| b == b'\n').expect("a header line") + 1;
    let error = dfinery_bench::export::measure(&csv[..header_end], 1, Duration::from_millis(1))
        .expect_err("nothing to decode")
        .to_string();
    assert!(error.contains("no rows"), "{error}");
}

#[test]
fn the_emulator_comparison_never_posts_an_event_the_emulator_already_stored() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let lab = Lab::in_process().expect("the emulator starts");
    let bodies = emulator::batch_bodies(8).expect("bodies");
    // Watches the emulator's counters while the comparison runs: a duplicate is counted until
    // the next reset, so a watcher polling often sees it.
    let (done, seen) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
    );
    let stats = lab.url("/_emulator/stats");
    let watcher = {
        let (done, seen) = (Arc::clone(&done), Arc::clone(&seen));
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            let http = dfinery_bench::lab::http_client().expect("a client");
            runtime.block_on(async {
                while !done.load(Ordering::Relaxed) {
                    if let Ok(response) = http.get(&stats).send().await
                        && let Ok(value) = response.json::<serde_json::Value>().await
                    {
                        let duplicates = value["duplicates"].as_u64().unwrap_or(0);
                        seen.fetch_max(duplicates, Ordering::Relaxed);
                    }
                }
            });
        })
    };
    let result = emulator::measure(&lab, &bodies, Duration::from_millis(1500), 4);
    done.store(true, Ordering::Relaxed);
    watcher.join().expect("the watcher");
    let t = result.expect("every request answered");
    assert!(t.requests > 8, "{t:?}");
    assert_eq!(
        seen.load(Ordering::Relaxed),
        0,
        "events posted again before the reset that forgets them"
    );
}

#[test]
fn dfinery_send_is_started_with_only_the_settings_the_report_gives_it() {
    let lab = Lab::in_process().expect("the emulator starts");
    let command = pipeline::send_command(
        std::path::Path::new("dfinery"),
        std::path::Path::new("send.ndjson"),
        &lab,
    );
    let envs: Vec<_> = command.get_envs().collect();
    let value = |name: &str| {
        envs.iter()
            .find(|(k, _)| *k == std::ffi::OsStr::new(name))
            .map(|(_, v)| v.map(|v| v.to_string_lossy().into_owned()))
    };
    assert_eq!(
        value("DFINERY_BASE_URL"),
        Some(Some(lab.base_url().to_owned()))
    );
    // A fleet's shared budget in the user's environment would send the report's `dfinery
    // send` through Redis (off the machine, with round trips the Tracker runs do not make).
    assert_eq!(value("DFINERY_REDIS_URL"), Some(None), "{envs:?}");
    assert_eq!(value("DFINERY_REGISTRY"), Some(None), "{envs:?}");
    assert_eq!(value("HTTP_PROXY"), Some(None), "{envs:?}");
}
