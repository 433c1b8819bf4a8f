//! Secrets and unsafe code: an import token given to a Tracker (refused by DFINERY, so it
//! meets every error path) and the tokens of an emulator never appear in `Debug`, errors,
//! reports, dead letters, the spool file or anything `tracing` records; a plain `http://` URL
//! to a host that is not loopback is refused; every `unsafe` in the repository carries a
//! `SAFETY:` comment.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dfinery::ClientBuildError;
use dfinery::{Client, Tracker};
use dfinery_emulator::Emulator;

use crate::capture::Capture;
use crate::support::{REGISTRY, SERVICE_ID, login, temp_path, user};

const TRACKER_TOKEN: &str = "imp-tracker-4b1d-SECRET";
const EMULATOR_IMPORT: &str = "imp-emulator-77aa-SECRET";
const EMULATOR_EXPORT: &str = "exp-emulator-03fe-SECRET";

/// Every event of every thread at every level (read also by the tests of what other threads,
/// such as the spool's writer, log).
pub(crate) fn capture() -> &'static Capture {
    crate::capture::every_thread()
}

fn assert_hidden(what: &str, text: &str) {
    for secret in [TRACKER_TOKEN, EMULATOR_IMPORT, EMULATOR_EXPORT] {
        assert!(!text.contains(secret), "{what} shows a token: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_never_show_in_the_tracker_or_the_emulator() {
    let capture = capture();
    let builder = Emulator::builder()
        .registry_path(REGISTRY)
        .import_token(EMULATOR_IMPORT)
        .export_token(EMULATOR_EXPORT);
    assert_hidden("the emulator builder's Debug", &format!("{builder:?}"));
    let emulator = builder.start().await.unwrap();
    assert_hidden("the emulator handle's Debug", &format!("{emulator:?}"));

    // The wrong token: every message is refused (`40201`) and dead-lettered.
    let spool = temp_path("secrets", "redb");
    let client = Client::builder()
        .service_id(SERVICE_ID)
        .import_token(TRACKER_TOKEN)
        .base_url(emulator.base_url())
        .build()
        .unwrap();
    assert_hidden("the client's Debug", &format!("{client:?}"));
    let letters = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&letters);
    let tracker = Tracker::builder(client)
        .spool(&spool)
        .on_dead_letter(move |letter| sink.lock().unwrap().push(letter))
        .build()
        .unwrap();
    assert_hidden("the tracker's Debug", &format!("{tracker:?}"));
    for n in 0..5 {
        tracker.try_track(&user(&format!("s{n}")), login()).unwrap();
    }
    let report = tracker
        .shutdown_within(Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(report.dead_lettered, 5, "{report:?}");
    assert_hidden("the shutdown report", &format!("{report:?}"));
    let letters = letters.lock().unwrap().clone();
    assert_eq!(letters.len(), 5);
    for letter in &letters {
        assert!(!letter.reason.is_empty());
        assert_hidden("a dead letter", &format!("{letter:?} {}", letter.reason));
    }
    drop(tracker);
    let bytes = std::fs::read(&spool).unwrap();
    assert_hidden("the spool file", &String::from_utf8_lossy(&bytes));
    // Since spool format 3 every message is first appended to a journal beside the file,
    // `<name>-journal`, whose bytes stay there after a checkpoint: it is read too.
    let mut journal = spool.clone().into_os_string();
    journal.push("-journal");
    let bytes = std::fs::read(&journal).expect("the spool's journal is beside it");
    let journal = String::from_utf8_lossy(&bytes);
    assert!(
        journal.contains("df_login"),
        "the journal holds the messages it was given"
    );
    assert_hidden("the spool's journal", &journal);

    // A wrong token sent straight to the emulator: not echoed in its answer or its records.
    let answer = reqwest::Client::new()
        .post(emulator.url("/api/v1/events"))
        .header("access_token", TRACKER_TOKEN)
        .body("{}")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_hidden("the emulator's answer", &answer);
    assert_hidden(
        "the emulator's rejections",
        &format!("{:?}", emulator.rejections()),
    );
    assert_hidden("the emulator's stats", &format!("{:?}", emulator.stats()));
    let logs = capture.text();
    assert!(!logs.is_empty(), "the tracker and the emulator logged");
    assert_hidden("the logs", &logs);
}

#[test]
fn plain_http_to_a_host_that_is_not_loopback_is_refused() {
    for url in [
        "http://openapi.dfinery.ai",
        "http://10.0.0.8:8080",
        "http://[2001:db8::1]",
    ] {
        let error = Client::builder()
            .service_id(SERVICE_ID)
            .import_token(TRACKER_TOKEN)
            .base_url(url)
            .build()
            .unwrap_err();
        assert!(
            matches!(error, ClientBuildError::InsecureBaseUrl { .. }),
            "{url}: {error:?}"
        );
        assert!(error.to_string().contains("use `https://`"), "{error}");
        assert_hidden("a build error", &format!("{error} {error:?}"));
    }
    for url in [
        "https://openapi.dfinery.ai",
        "http://127.0.0.1:9",
        "http://localhost:9",
        "http://[::1]:9",
    ] {
        Client::builder()
            .service_id(SERVICE_ID)
            .import_token(TRACKER_TOKEN)
            .base_url(url)
            .build()
            .unwrap_or_else(|e| panic!("{url}: {e}"));
    }
}

/// Every Rust file of the repository outside `target` folders.
fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !name.starts_with("target") && !name.starts_with('.') && name != "corpus" {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_unsafe_carries_a_safety_comment() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(root, &mut files);
    assert!(
        files.len() > 100,
        "the whole repository is read: {}",
        files.len()
    );
    let mut unproven = Vec::new();
    let mut seen = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            let is_unsafe = code.contains("unsafe {")
                || code.contains("unsafe impl")
                || code.contains("unsafe fn");
            // Test fixtures that are about `unsafe` itself, and this check's own patterns.
            if !is_unsafe || code.contains("\"") {
                continue;
            }
            seen += 1;
            // An `unsafe fn` inside an `unsafe impl` is covered by the impl's comment.
            let window = &lines[n.saturating_sub(12)..n];
            let proven = window.iter().any(|l| l.contains("SAFETY:"));
            if !proven {
                unproven.push(format!("{}:{}", file.display(), n + 1));
            }
        }
    }
    assert!(seen > 0, "the scan finds the known unsafe blocks");
    assert!(
        unproven.is_empty(),
        "unsafe without a `SAFETY:` comment: {unproven:#?}"
    );
}
