//! `dfinery export`: events and profiles written atomically to a file, and the failures that
//! leave nothing behind.

use dfinery_core::Datetime;

use crate::support::{coupon_line, dfinery_at, emulator, text, write_lines};

#[test]
fn events_sent_are_exported_to_a_file_with_their_rows() {
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let now = Datetime::now().to_string();
    let file = write_lines(
        dir.path(),
        "e.ndjson",
        (1..=120).map(|n| coupon_line(n, 7, &now)),
    );
    let output = dfinery_at(&emulator)
        .arg("send")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));

    let csv = dir.path().join("events.csv");
    let output = dfinery_at(&emulator)
        .args(["--json", "export", "events", "--event", "coupon_used", "-o"])
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["rows"], 120);
    let body = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(summary["bytes"], body.len());
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header = reader.headers().unwrap().clone();
    let seq = header
        .iter()
        .position(|h| h == "seq")
        .expect("a `seq` column");
    let mut seqs: Vec<i64> = reader
        .records()
        .map(|r| r.unwrap()[seq].parse().unwrap())
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=120).collect::<Vec<_>>());

    let output = dfinery_at(&emulator)
        .args(["export", "profiles", "--external-id", "-o"])
        .arg(dir.path().join("profiles.csv"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).starts_with("wrote 7 rows"),
        "{}",
        text(&output.stdout)
    );
}

#[test]
fn a_refused_export_leaves_no_file_and_bad_dates_are_usage_errors() {
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("events.csv");
    let output = dfinery_at(&emulator)
        .args(["export", "events", "-o"])
        .arg(&csv)
        .env("DFINERY_EXPORT_TOKEN", "wrong-export-token")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(3),
        "a refused token is configuration"
    );
    assert!(text(&output.stderr).contains("DFINERY_EXPORT_TOKEN"));
    assert!(!text(&output.stderr).contains("wrong-export-token"));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no file, no partial file"
    );

    let output = dfinery_at(&emulator)
        .args([
            "export",
            "events",
            "--from",
            "2024-06-30",
            "--to",
            "2024-06-01",
            "-o",
        ])
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(!csv.exists());
}

#[test]
fn an_output_that_cannot_be_written_is_refused_before_the_export_is_asked_for() {
    // The export was requested (DFINERY allows 100 an hour) and only then was the file found
    // unwritable.
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder/events.csv");
    for (what, output_path, says) in [
        ("events", &missing, "does not exist; create it first"),
        ("profiles", &missing, "does not exist; create it first"),
        (
            "events",
            &dir.path().to_path_buf(),
            "is a folder; give `-o` a file",
        ),
    ] {
        let output = dfinery_at(&emulator)
            .args(["export", what, "-o"])
            .arg(output_path)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(3), "{what} {output_path:?}");
        let err = text(&output.stderr);
        assert!(err.contains(says), "{err}");
    }
    let output = dfinery_at(&emulator)
        .args(["export", "profiles", "-o", "-"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("not standard output"));
    assert_eq!(emulator.stats().requests, 0, "no export was asked for");
    assert!(!dir.path().join("-").exists());
}

#[test]
fn zero_days_or_an_empty_name_is_a_usage_error_not_a_silent_default() {
    // `--days 0` exported today (one day); `--event ,` asked for events named "" and wrote an
    // empty file.
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("out.csv");
    for (args, says) in [
        (&["events", "--days", "0"][..], "--days"),
        (&["events", "--event", ","][..], "--event"),
        (&["events", "--property", "a,,b"][..], "--property"),
        (&["events", "--item-property", " "][..], "--item-property"),
        (
            &["profiles", "--exclude-property", ""][..],
            "--exclude-property",
        ),
    ] {
        let output = dfinery_at(&emulator)
            .arg("export")
            .args(args)
            .arg("-o")
            .arg(&csv)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let err = text(&output.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!csv.exists(), "{args:?}");
    }
    assert_eq!(emulator.stats().requests, 0);
}
