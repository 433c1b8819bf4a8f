//! `dfinery send`: 50,000 lines with 1% bad lines (the report lists exactly those), an
//! interrupted send resumed without loss or duplicates, CSV, and the errors a user meets.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dfinery_core::Datetime;

use crate::support::{
    BIN, assert_no_bar, coupon_line, dfinery, dfinery_at, emulator, env, stored_seqs, text,
    write_lines,
};

const NOW: &str = "2024-06-24T06:01:48.501Z";

#[test]
fn fifty_thousand_lines_with_one_percent_bad_report_exactly_those_then_send_the_rest() {
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let bad: BTreeSet<u64> = (1..=50_000).filter(|n| n % 100 == 37).collect();
    assert_eq!(bad.len(), 500);
    let file = write_lines(
        dir.path(),
        "backfill.ndjson",
        (1..=50_000u64).map(|n| {
            if bad.contains(&n) {
                // A misspelt property: unknown, and the required `code` is missing.
                coupon_line(n, 100, NOW).replace("\"code\"", "\"cod\"")
            } else {
                coupon_line(n, 100, NOW)
            }
        }),
    );

    let output = dfinery_at(&emulator)
        .arg("send")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let out = text(&output.stdout);
    let reported: BTreeSet<u64> = out
        .lines()
        .filter_map(|l| l.strip_prefix("line ")?.split(':').next()?.parse().ok())
        .collect();
    assert_eq!(reported, bad, "the report lists exactly the bad lines");
    assert!(
        out.contains(
            "line 37: unknown property `cod` for event `coupon_used`; did you mean `code`?"
        ),
        "{out}"
    );
    assert!(
        out.contains("500 of 50000 lines are invalid; nothing was sent"),
        "{out}"
    );
    assert!(
        emulator.events().is_empty(),
        "nothing is sent when a line is invalid"
    );
    assert!(!dir.path().join("backfill.ndjson.dfinery-send").exists());

    let output = dfinery_at(&emulator)
        .arg("send")
        .arg(&file)
        .arg("--skip-invalid")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let out = text(&output.stdout);
    assert!(out.contains("sent 49500, skipped 500, failed 0"), "{out}");
    assert_no_bar(&output.stderr);
    let expected: Vec<i64> = (1..=50_000i64).filter(|n| n % 100 != 37).collect();
    assert_eq!(
        stored_seqs(&emulator),
        expected,
        "every valid line exactly once"
    );
    let ids: BTreeSet<String> = emulator
        .events()
        .into_iter()
        .map(|e| e.event_log_id)
        .collect();
    assert_eq!(ids.len(), 49_500);
    assert!(
        !dir.path().join("backfill.ndjson.dfinery-send").exists(),
        "a complete send leaves no state"
    );
}

/// The check of an NDJSON file runs on every core, over blocks of whole lines: line numbers
/// must still count every line (blank ones, CRLF ones, one cut by a block's end) and the last
/// line may lack its line end.
#[test]
fn the_check_numbers_lines_exactly_across_blocks_blank_lines_and_crlf() {
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.ndjson");
    let mut bytes = Vec::new();
    let mut bad = BTreeSet::new();
    let lines = 40_001u64;
    for n in 1..=lines {
        let text = if n % 1_000 == 0 {
            String::new() // a blank line: no event, but a line
        } else if n % 997 == 0 || n == lines {
            bad.insert(n);
            coupon_line(n, 100, NOW).replace("\"code\"", "\"cod\"")
        } else {
            coupon_line(n, 100, NOW)
        };
        bytes.extend_from_slice(text.as_bytes());
        if n == lines {
            break; // the last line has no line end
        }
        bytes.extend_from_slice(if n % 7 == 0 { b"\r\n" } else { b"\n" });
    }
    assert!(bytes.len() > 4 << 20, "several blocks of 1 MiB");
    std::fs::write(&path, &bytes).unwrap();

    let output = dfinery_at(&emulator)
        .arg("send")
        .arg(&path)
        .arg("--check-only")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let out = text(&output.stdout);
    let reported: Vec<u64> = out
        .lines()
        .filter(|l| l.contains("unknown property"))
        .filter_map(|l| l.strip_prefix("line ")?.split(':').next()?.parse().ok())
        .collect();
    assert_eq!(
        reported,
        bad.iter().copied().collect::<Vec<_>>(),
        "exactly the bad lines, in order"
    );
    let events = lines - lines / 1_000;
    assert!(
        out.contains(&format!(
            "checked {events} events in `{}`: {} valid, {} invalid",
            path.display(),
            events - bad.len() as u64,
            bad.len()
        )),
        "{out}"
    );
    assert!(emulator.events().is_empty());
}

/// Starts `dfinery send FILE` against `emulator` in the background (stderr to `stderr`) and
/// returns once it has stored `stored` events, still running; the guard kills it if the test
/// panics.
fn send_until_stored(
    emulator: &dfinery_emulator::EmulatorHandle,
    file: &std::path::Path,
    stderr: Stdio,
    stored: usize,
) -> (std::process::Child, crate::support::KillOnPanic) {
    let mut child = Command::new(BIN);
    child
        .arg("send")
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
    for (key, value) in env(emulator) {
        child.env(key, value);
    }
    let mut child = child.spawn().unwrap();
    let guard = crate::support::KillOnPanic(child.id());
    let deadline = Instant::now() + Duration::from_secs(60);
    while emulator.events().len() < stored {
        assert!(Instant::now() < deadline, "the send never got going");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the send ended before it was stopped"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    (child, guard)
}

/// Resumes the stopped send of `file` (`lines` lines, numbered by `seq` from 1) and checks that
/// it says so and that the emulator then holds every line exactly once.
fn resumes_with_every_line_once(
    emulator: &dfinery_emulator::EmulatorHandle,
    file: &std::path::Path,
    lines: u64,
) {
    let output = send_resumed(emulator, file, false);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("resuming after line"),
        "{}",
        text(&output.stderr)
    );
    let expected: Vec<i64> = (1..=lines as i64).collect();
    assert_eq!(stored_seqs(emulator), expected, "every line exactly once");
}

#[test]
fn an_interrupted_send_resumes_without_loss_or_duplicates() {
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let lines = 20_000u64;
    let file = write_lines(
        dir.path(),
        "events.ndjson",
        (1..=lines).map(|n| coupon_line(n, 40, NOW)),
    );
    let (mut child, _guard) = send_until_stored(&emulator, &file, Stdio::null(), 1_000);
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), None, "killed mid-run by a signal");
    assert!(
        dir.path()
            .join("events.ndjson.dfinery-send/send.lock")
            .is_file(),
        "the killed send leaves its lock file (its lock went with it)"
    );
    let stored_before = emulator.events().len();
    assert!(
        stored_before < lines as usize,
        "interrupted with {stored_before} stored"
    );

    let output = dfinery_at(&emulator)
        .arg("send")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(3),
        "a leftover send is not started over silently"
    );
    assert!(
        text(&output.stderr).contains("pass `--resume` to finish it"),
        "{}",
        text(&output.stderr)
    );

    resumes_with_every_line_once(&emulator, &file, lines);
    assert!(!dir.path().join("events.ndjson.dfinery-send").exists());
}

#[test]
fn sigterm_mid_send_stops_it_as_ctrl_c_does_and_resume_delivers_every_line_once() {
    // SIGTERM (`docker stop`, systemd, Kubernetes) killed the send outright (exit 143, no
    // message, no last checkpoint), where Ctrl-C stops it cleanly.
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    // Far more than is stored when the signal is sent: the send is still reading its file.
    let lines = 60_000u64;
    let file = write_lines(
        dir.path(),
        "events.ndjson",
        (1..=lines).map(|n| coupon_line(n, 40, NOW)),
    );
    let stderr = std::fs::File::create(dir.path().join("stderr.txt")).unwrap();
    let (mut child, _guard) = send_until_stored(&emulator, &file, stderr.into(), 1_000);
    stops_as_on_ctrl_c(&mut child, "TERM", dir.path(), &file);
    let state = dir.path().join("events.ndjson.dfinery-send");
    assert!(state.join("spool.redb").is_file(), "the spool is kept");
    assert!(
        state.join("progress.json").is_file(),
        "the progress is kept"
    );
    let stored_before = emulator.events().len();
    assert!(
        stored_before < lines as usize,
        "stopped with {stored_before} stored"
    );

    resumes_with_every_line_once(&emulator, &file, lines);
    assert!(!state.exists(), "the completed send removes its folder");
}

#[test]
fn a_csv_file_with_a_header_is_sent_with_typed_cells() {
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let now = Datetime::now().to_string();
    let file = write_lines(
        dir.path(),
        "events.csv",
        [
            "external_id,email,name,datetime,code,amount,seq".to_owned(),
            format!("u1,u1@example.com,coupon_used,{now},WELCOME,12.5,1"),
            format!("u2,,coupon_used,{now},\"A,B\",,2"),
            format!("u3,,df_login,{now},,,"),
        ],
    );
    let output = dfinery_at(&emulator)
        .args(["--json", "send"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["sent"], 3);
    assert_eq!(summary["skipped"], 0);
    let mut coupons = emulator.events_named("coupon_used");
    coupons.sort_by_key(|e| e.properties["seq"].as_i64());
    assert_eq!(coupons[0].properties["amount"], serde_json::json!(12.5));
    assert_eq!(coupons[0].properties["seq"], serde_json::json!(1));
    assert_eq!(coupons[1].properties["code"], "A,B");
    assert_eq!(emulator.events_named("df_login").len(), 1);
}

#[test]
fn a_state_dir_that_holds_other_files_is_used_but_never_deleted() {
    // `--state-dir` pointed at an existing folder was taken for an interrupted send; the
    // `--restart` the message suggested, or a `--resume`, then deleted the whole folder with
    // everything in it.
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(dir.path(), "events.ndjson", [coupon_line(1, 1, NOW)]);
    let folder = dir.path().join("work");
    std::fs::create_dir(&folder).unwrap();
    let kept = folder.join("notes.txt");
    std::fs::write(&kept, "not dfinery's").unwrap();
    for flags in [&[][..], &["--restart"], &["--resume"]] {
        let output = dfinery_at(&emulator)
            .arg("send")
            .arg(&file)
            .arg("--state-dir")
            .arg(&folder)
            .args(flags)
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{flags:?}: {}",
            text(&output.stderr)
        );
        assert_eq!(
            std::fs::read_to_string(&kept).ok().as_deref(),
            Some("not dfinery's"),
            "{flags:?}"
        );
        let left: Vec<_> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["notes.txt"], "{flags:?}: only the send's files go");
    }
    // A folder that was there first is the user's even when empty: kept after the send.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let output = dfinery_at(&emulator)
        .arg("send")
        .arg(&file)
        .arg("--state-dir")
        .arg(&empty)
        .arg("--restart")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(empty.is_dir(), "an empty folder of the user's was deleted");
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
    // One the send makes is its own: gone once the send is complete.
    let made = dir.path().join("made/here");
    let output = dfinery_at(&emulator)
        .arg("send")
        .arg(&file)
        .arg("--state-dir")
        .arg(&made)
        .arg("--restart")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(!made.exists(), "the send's own folder was left");
    // A file is not a folder: said so, and the file is left alone.
    let output = dfinery_at(&emulator)
        .arg("send")
        .arg(&file)
        .arg("--state-dir")
        .arg(&kept)
        .arg("--restart")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let err = text(&output.stderr);
    assert!(err.contains("is not a folder"), "{err}");
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), "not dfinery's");
}

#[test]
fn a_csv_header_naming_a_column_twice_is_refused_before_any_line_is_read() {
    // Both columns were read and the later cell silently replaced the earlier one: the event
    // went out under the second name or user, and the first value was lost.
    let registry = crate::support::registry_path();
    let dir = tempfile::tempdir().unwrap();
    for (header, row, repeat) in [
        (
            "external_id,name,datetime,external_id",
            "u1,df_login,{now},u2",
            "column 4 `external_id` repeats column 1 `external_id`",
        ),
        (
            "external_id,name,event_name,datetime",
            "u1,df_login,coupon_used,{now}",
            "column 3 `event_name` repeats column 2 `name`",
        ),
        (
            "external_id,name,datetime,code,code",
            "u1,coupon_used,{now},A,B",
            "column 5 `code` repeats column 4 `code`",
        ),
    ] {
        let file = write_lines(
            dir.path(),
            "twice.csv",
            [header.to_owned(), row.replace("{now}", NOW)],
        );
        let output = dfinery()
            .arg("send")
            .arg(&file)
            .arg("--registry")
            .arg(&registry)
            .arg("--check-only")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(3), "{header}");
        let err = text(&output.stderr);
        assert!(
            err.contains(repeat) && err.contains("twice.csv"),
            "{header}: {err}"
        );
        assert!(err.contains("keep one"), "the fix: {err}");
    }
}

#[test]
fn an_empty_csv_file_is_said_to_have_no_header_row() {
    // It was "needs the columns `name` and `datetime`; found " with nothing after "found".
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [("empty.csv", ""), ("blank.csv", "\n\n")] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let output = dfinery()
            .arg("send")
            .arg(&path)
            .arg("--registry")
            .arg(crate::support::registry_path())
            .arg("--check-only")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(3), "{name}");
        let err = text(&output.stderr);
        assert!(err.contains("has no header row"), "{name}: {err}");
    }
}

#[test]
fn a_byte_order_mark_before_the_first_ndjson_line_is_not_part_of_the_event() {
    // Windows editors save UTF-8 with a byte-order mark; the first line was reported as
    // "not JSON: expected value at line 1 column 1", a mark the user cannot see. CSV files
    // already had it skipped by the CSV reader.
    let registry = crate::support::registry_path();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bom.ndjson");
    let line = coupon_line(1, 1, NOW);
    std::fs::write(&path, format!("\u{feff}{line}\n{line}\n")).unwrap();
    let output = dfinery()
        .arg("send")
        .arg(&path)
        .arg("--registry")
        .arg(&registry)
        .arg("--check-only")
        .output()
        .unwrap();
    let out = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{out}{}",
        text(&output.stderr)
    );
    assert!(out.contains("2 valid, 0 invalid"), "{out}");
}

#[test]
fn a_second_send_of_the_same_file_stores_nothing_twice() {
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(
        dir.path(),
        "e.ndjson",
        (1..=50).map(|n| coupon_line(n, 5, NOW)),
    );
    for _ in 0..2 {
        let output = dfinery_at(&emulator)
            .arg("send")
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    }
    assert_eq!(stored_seqs(&emulator), (1..=50).collect::<Vec<_>>());
    assert_eq!(emulator.stats().duplicates, 50);
}

#[test]
fn skip_invalid_with_no_valid_line_sends_nothing_and_exits_1() {
    // It built the tracker, sent nothing, printed "sent 0, skipped 2" and exited 0.
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(
        dir.path(),
        "bad.ndjson",
        ["{}".to_owned(), "[1]".to_owned()],
    );
    let output = dfinery()
        .args(["send", "--skip-invalid", "--registry"])
        .arg(crate::support::registry_path())
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let out = text(&output.stdout);
    assert!(
        out.contains("all 2 lines are invalid; nothing was sent: fix them"),
        "{out}"
    );
    assert!(!out.contains("sent 0"), "{out}");
}

#[test]
fn lines_that_repeat_an_event_log_id_are_named_with_the_line_they_repeat() {
    // Two lines with one `event_log_id` and different contents: DFINERY keeps the first and
    // confirms both, and the send said "sent 3" and nothing else.
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let id = "5b0f9a0e-1c2d-4e3f-8a9b-0c1d2e3f4a5b";
    let with_id =
        |n: u64| coupon_line(n, 5, NOW).replacen('{', &format!(r#"{{"event_log_id":"{id}","#), 1);
    let file = write_lines(
        dir.path(),
        "ids.ndjson",
        [with_id(1), coupon_line(2, 5, NOW), with_id(3)],
    );
    for json in [false, true] {
        let mut command = dfinery_at(&emulator);
        if json {
            command.arg("--json");
        }
        let output = command.arg("send").arg(&file).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let out = text(&output.stdout);
        if json {
            let report: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
            assert_eq!(report["repeated_ids"], 1, "{out}");
            assert_eq!(report["repeated_lines"][0]["line"], 3, "{out}");
            assert_eq!(report["repeated_lines"][0]["first_line"], 1, "{out}");
        } else {
            assert!(
                out.contains(&format!(
                    "line 3: `event_log_id` `{id}` is line 1's too; DFINERY stores one event per id (the first it accepts), so at most one of the two is stored"
                )),
                "{out}"
            );
        }
    }
    assert_eq!(
        emulator.events().len(),
        2,
        "the first of the two, and line 2"
    );
}

/// A port nothing listens on (bound, then closed). The client's message says "check the
/// network and `base_url`", the library's setting; the command line's is `--base-url` (or
/// `DFINERY_BASE_URL`), and that is what the error, the `--json` report and the log lines name.
#[test]
fn an_unreachable_dfinery_is_named_by_the_command_line_s_own_option() {
    let closed = crate::support::closed_port();
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(
        dir.path(),
        "e.ndjson",
        (1..=3).map(|n| coupon_line(n, 1, NOW)),
    );
    let send = |json: bool| {
        let mut command = dfinery();
        if json {
            // The first run's events are in its spool.
            command.args(["--json", "send", "--resume"]);
        } else {
            command.arg("send");
        }
        command
            .arg(&file)
            .arg("--registry")
            .arg(crate::support::registry_path())
            // Long enough for the client's five tries of the first request (their backoff is
            // at most 3 s in all), so the error names the last failure. With 5 s, a stall of
            // the command spanning the deadline (4.5 s from 0.7 s in, SIGSTOP) ended it before
            // the last try, and the error named no failure. The send retries until the
            // timeout, so each run takes it all.
            .args(["--base-url", &format!("http://{closed}"), "--timeout", "10"])
            .args(["--service-id", "cli-shop"])
            .env("DFINERY_IMPORT_TOKEN", "t")
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap()
    };
    let hint = "could not reach `POST /api/v1/events`; check the network and `--base-url` (or `DFINERY_BASE_URL`)";
    let output = send(false);
    let err = text(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{err}");
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: 3 events were not confirmed"),
        "{err}"
    );
    assert!(last.contains(hint), "{err}");
    assert!(!err.contains("`base_url`"), "the library's name: {err}");

    let output = send(true);
    assert_eq!(output.status.code(), Some(4), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let error = report["error"].as_str().unwrap_or_default();
    assert!(error.contains(hint), "{report}");
    assert!(!text(&output.stderr).contains("`base_url`"));
}

#[test]
fn missing_or_refused_settings_exit_3_and_never_show_the_token() {
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(
        dir.path(),
        "e.ndjson",
        (1..=3).map(|n| coupon_line(n, 1, NOW)),
    );

    let output = dfinery_at(&emulator)
        .arg("send")
        .arg(&file)
        .env_remove("DFINERY_IMPORT_TOKEN")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(text(&output.stderr).contains("no import token; set `DFINERY_IMPORT_TOKEN`"));

    let output = dfinery_at(&emulator)
        .arg("send")
        .arg(&file)
        .env("DFINERY_IMPORT_TOKEN", "secret-wrong-token")
        .output()
        .unwrap();
    // A refused token is a setting to fix (docs/cli.md, `--help`), not events to look at.
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(all.contains("sent 0, skipped 0, failed 3"), "{all}");
    assert!(all.contains("line 1: refused:"), "{all}");
    assert!(
        text(&output.stderr).contains(
            "DFINERY refused the token or the service id, so 3 events were not stored; check the import token from `DFINERY_IMPORT_TOKEN` and the service id from `DFINERY_SERVICE_ID`"
        ),
        "{all}"
    );
    // The fix for the token first, then the send to run again; never the library's advice to
    // resend `undelivered` (its `SendError`, which the Tracker does not show), which would only
    // be refused again.
    let error = text(&output.stderr)
        .lines()
        .find(|line| line.starts_with("error: "))
        .unwrap_or_default()
        .to_owned();
    let fix = error.find("check the import token from `DFINERY_IMPORT_TOKEN`");
    let again = error.find("then send `");
    assert!(fix.is_some() && again.is_some() && fix < again, "{error}");
    for line in text(&output.stdout)
        .lines()
        .filter(|l| l.contains("refused:"))
    {
        assert!(
            line.ends_with("refused the token from `DFINERY_IMPORT_TOKEN` (HTTP 200, 40201 INVALID_TOKEN); set `DFINERY_IMPORT_TOKEN` to the import token the DFINERY console shows"),
            "{line}"
        );
    }
    assert!(
        !all.contains("undelivered") && !all.contains("resend"),
        "{all}"
    );
    assert!(
        !all.contains("secret-wrong-token"),
        "the token leaked: {all}"
    );

    let output = dfinery_at(&emulator)
        .arg("send")
        .arg(&file)
        .env("DFINERY_SERVICE_ID", "another-service")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("refused the service id from `DFINERY_SERVICE_ID`"),
        "{}",
        text(&output.stdout)
    );
    assert!(emulator.events().is_empty());
}

/// A service id DFINERY refuses is named by where it came from, with the fix there: the
/// registry's `[service] id`, `--service-id` or `DFINERY_SERVICE_ID`. It said "check
/// `DFINERY_SERVICE_ID`" for an id the registry gave, a variable the user never set.
#[test]
fn a_refused_service_id_is_named_by_where_it_came_from() {
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(dir.path(), "e.ndjson", [coupon_line(1, 1, NOW)]);
    // The fixture registry, but another service's id.
    let registry = dir.path().join("dfinery.toml");
    let fixture = std::fs::read_to_string(crate::support::registry_path()).unwrap();
    std::fs::write(
        &registry,
        fixture.replace("id = \"cli-shop\"", "id = \"another-shop\""),
    )
    .unwrap();
    let shown = format!("`id` of `[service]` in `{}`", registry.display());
    for (how, source, fix) in [
        (
            "registry",
            shown.clone(),
            format!("set {shown} to the service id the DFINERY console shows"),
        ),
        (
            "flag",
            "`--service-id`".to_owned(),
            "pass `--service-id` the service id the DFINERY console shows".to_owned(),
        ),
        (
            "env",
            "`DFINERY_SERVICE_ID`".to_owned(),
            "set `DFINERY_SERVICE_ID` to the service id the DFINERY console shows".to_owned(),
        ),
    ] {
        let mut command = dfinery_at(&emulator);
        command
            .arg("send")
            .arg(&file)
            .arg("--restart")
            .env("DFINERY_REGISTRY", &registry)
            .env_remove("DFINERY_SERVICE_ID");
        match how {
            "flag" => {
                command.args(["--service-id", "flag-shop"]);
            }
            "env" => {
                command.env("DFINERY_SERVICE_ID", "env-shop");
            }
            _ => {}
        }
        let output = command.output().unwrap();
        let (out, err) = (text(&output.stdout), text(&output.stderr));
        assert_eq!(output.status.code(), Some(3), "{how}: {err}");
        assert!(
            out.contains(&format!(
                "refused the service id from {source} (HTTP 200, 40101 INVALID_SERVICE_ID); {fix}"
            )),
            "{how}: {out}"
        );
        assert!(
            err.contains(&format!(
                "check the import token from `DFINERY_IMPORT_TOKEN` and the service id from {source}, then send"
            )),
            "{how}: {err}"
        );
        if how != "env" {
            assert!(
                !format!("{out}{err}").contains("`DFINERY_SERVICE_ID`"),
                "{how}: {out}{err}"
            );
        }
    }
    assert!(emulator.events().is_empty());
}

/// A token DFINERY refuses is named by where it came from, with the fix there: given with
/// `--import-token`, it said "check the import token (`DFINERY_IMPORT_TOKEN`)", a variable the
/// user never set.
#[test]
fn a_refused_token_is_named_by_the_flag_it_came_from() {
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(dir.path(), "e.ndjson", [coupon_line(1, 1, NOW)]);
    let output = dfinery_at(&emulator)
        .arg("send")
        .arg(&file)
        .args(["--import-token", "secret-wrong-token"])
        .env_remove("DFINERY_IMPORT_TOKEN")
        .output()
        .unwrap();
    let (out, err) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert!(
        out.contains(
            "refused the token from `--import-token` (HTTP 200, 40201 INVALID_TOKEN); pass `--import-token` the import token the DFINERY console shows"
        ),
        "{out}"
    );
    assert!(
        err.contains("check the import token from `--import-token` and the service id from"),
        "{err}"
    );
    let all = format!("{out}{err}");
    assert!(!all.contains("DFINERY_IMPORT_TOKEN"), "{all}");
    assert!(
        !all.contains("secret-wrong-token"),
        "the token leaked: {all}"
    );
    assert!(emulator.events().is_empty());
}

/// A token or service id typed as a flag is named by its flag even when its variable holds
/// the same text: the command line told the two apart by comparing the value with the
/// variable's, so `--import-token X` with `DFINERY_IMPORT_TOKEN=X` (a variable left over from
/// another shell) was named as the variable, whose fix would change nothing the command used.
#[test]
fn a_flag_given_the_same_text_as_its_variable_is_named_as_the_flag() {
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(dir.path(), "e.ndjson", [coupon_line(1, 1, NOW)]);
    for (flag, variable, value, what) in [
        (
            "--import-token",
            "DFINERY_IMPORT_TOKEN",
            "secret-wrong-token",
            "the token",
        ),
        (
            "--service-id",
            "DFINERY_SERVICE_ID",
            "another-service",
            "the service id",
        ),
    ] {
        let output = dfinery_at(&emulator)
            .arg("send")
            .arg(&file)
            .arg("--restart")
            .args([flag, value])
            .env(variable, value)
            .output()
            .unwrap();
        let (out, err) = (text(&output.stdout), text(&output.stderr));
        assert_eq!(output.status.code(), Some(3), "{flag}: {err}");
        assert!(
            out.contains(&format!("refused {what} from `{flag}` (HTTP 200, 40")),
            "{flag}: {out}"
        );
        assert!(out.contains(&format!("; pass `{flag}` ")), "{flag}: {out}");
        assert!(err.contains(&format!("from `{flag}`")), "{flag}: {err}");
        assert!(
            !format!("{out}{err}").contains(&format!("`{variable}`")),
            "{flag}: {out}{err}"
        );
        assert!(
            !format!("{out}{err}").contains("secret-wrong-token"),
            "the token leaked: {out}{err}"
        );
    }
    assert!(emulator.events().is_empty());
}

#[test]
fn a_file_whose_every_line_is_invalid_does_not_offer_to_send_the_other_none() {
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(dir.path(), "e.ndjson", ["{".to_owned(), "[]".to_owned()]);
    let output = dfinery_at(&emulator)
        .arg("send")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let out = text(&output.stdout);
    assert!(
        out.contains("all 2 lines are invalid; nothing was sent: fix them"),
        "{out}"
    );
    assert!(!out.contains("--skip-invalid"), "{out}");
}

/// `dfinery send FILE --timeout 1` to a port nobody listens on: every event stays in the spool.
fn sent_to_a_closed_port(file: &std::path::Path) -> std::process::Output {
    sent_to_a_closed_port_with(file, &[])
}

/// [`sent_to_a_closed_port`], with `args` after the file.
fn sent_to_a_closed_port_with(
    file: &std::path::Path,
    args: &[&std::ffi::OsStr],
) -> std::process::Output {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    dfinery()
        .args(["send", "--timeout", "1", "--registry"])
        .arg(crate::support::registry_path())
        .arg(file)
        .args(args)
        .env("DFINERY_BASE_URL", &url)
        .env("DFINERY_IMPORT_TOKEN", "t")
        .output()
        .unwrap()
}

#[test]
fn an_unreachable_server_keeps_the_events_for_resume_and_exits_4() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(
        dir.path(),
        "e.ndjson",
        (1..=3).map(|n| coupon_line(n, 1, NOW)),
    );
    let output = sent_to_a_closed_port(&file);
    assert_eq!(output.status.code(), Some(4), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains(&format!("run `dfinery send {} ", file.display()))
            && text(&output.stderr).contains("--resume` to deliver them"),
        "{}",
        text(&output.stderr)
    );
    assert!(dir.path().join("e.ndjson.dfinery-send/spool.redb").exists());
}

#[test]
fn a_send_is_resumed_by_another_path_to_the_same_file() {
    // The file's path was compared as written: `sub/../e.ndjson`, then `e.ndjson`, was "the
    // interrupted send of another file", refused for `--resume` and `--restart` alike.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let file = write_lines(
        dir.path(),
        "e.ndjson",
        (1..=3).map(|n| coupon_line(n, 1, NOW)),
    );
    let output = sent_to_a_closed_port(&dir.path().join("sub/../e.ndjson"));
    assert_eq!(output.status.code(), Some(4), "{}", text(&output.stderr));
    let emulator = emulator();
    resumes_with_every_line_once(&emulator, &file, 3);
}

#[cfg(unix)]
#[test]
fn a_file_in_a_folder_whose_name_is_not_utf_8_is_sent_and_resumed() {
    // The progress records the file's path in JSON, which refused a path that is not UTF-8
    // (a folder named in EUC-KR): every send of such a file failed before sending anything.
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join(std::ffi::OsStr::from_bytes(b"\xc7\xd1"));
    std::fs::create_dir(&folder).unwrap();
    let file = write_lines(&folder, "e.ndjson", (1..=3).map(|n| coupon_line(n, 1, NOW)));
    let output = sent_to_a_closed_port(&file);
    assert_eq!(output.status.code(), Some(4), "{}", text(&output.stderr));
    let emulator = emulator();
    resumes_with_every_line_once(&emulator, &file, 3);
}

#[test]
fn a_spool_entry_that_cannot_be_read_back_is_a_failure_and_keeps_the_folder() {
    // The tracker sets such an entry aside and counts it dead-lettered, but the command read
    // only the dead letters: the resumed send said `failed 0`, exited 0 and removed the folder
    // with the entry's bytes.
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(
        dir.path(),
        "e.ndjson",
        (1..=3).map(|n| {
            coupon_line(n, 1, NOW).replace(&format!("\"C{n}\""), &format!("\"zzcorrupt-{n}\""))
        }),
    );
    let output = sent_to_a_closed_port(&file);
    assert_eq!(output.status.code(), Some(4), "{}", text(&output.stderr));
    let state = dir.path().join("e.ndjson.dfinery-send");
    let spool = state.join("spool.redb");
    // Line 2's entry, same length, no longer JSON: `"zzco"rupt-2"`.
    let mut bytes = std::fs::read(&spool).unwrap();
    let needle = b"zzcorrupt-2";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the entry is stored as plain bytes");
    bytes[at + 4] = b'"';
    std::fs::write(&spool, &bytes).unwrap();

    let emulator = emulator();
    let output = send_resumed(&emulator, &file, false);
    let (out, err) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("could not be read back"), "{out}{err}");
    // A message set aside, not a refused event's record (`Unreadable::kind`).
    assert!(
        out.contains("(one event or more) could not be read back, so it is not delivered"),
        "{out}{err}"
    );
    // The entry set aside holds line 2 and what its batch held after it.
    let stored = stored_seqs(&emulator);
    assert!(stored.contains(&1) && !stored.contains(&2), "{stored:?}");
    assert!(spool.exists(), "the folder keeps the entry's bytes");
    // The way out the line names: every line again, each stored once.
    let output = dfinery_at(&emulator)
        .arg("send")
        .arg(&file)
        .arg("--restart")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(stored_seqs(&emulator), [1, 2, 3]);
}

/// A `dfinery send` of three lines to a closed port with `--timeout 600`, spawned and waited
/// for until it has queued every line (its progress says line 3): from then on it only
/// retries its delivery, until the timeout or a Ctrl-C.
fn a_send_stuck_delivering(dir: &std::path::Path) -> (std::process::Child, std::path::PathBuf) {
    a_send_stuck(dir, 3, 3)
}

/// A `dfinery send` of `lines` coupons to a closed port with `--timeout 600` (stderr in
/// `dir/stderr.txt`), spawned and waited for until its progress says it queued line
/// `queued` or later: DFINERY takes nothing, so once its queue holds 50,000 events the send
/// waits for room that never comes back.
fn a_send_stuck(
    dir: &std::path::Path,
    lines: u64,
    queued: u64,
) -> (std::process::Child, std::path::PathBuf) {
    a_send_stuck_with(dir, lines, queued, &[], "e.ndjson.dfinery-send")
}

/// [`a_send_stuck`] with more flags (`--state-dir`, `--partition`) after the file, its state
/// in `state` (relative to `dir`).
fn a_send_stuck_with(
    dir: &std::path::Path,
    lines: u64,
    queued: u64,
    flags: &[&std::ffi::OsStr],
    state: &str,
) -> (std::process::Child, std::path::PathBuf) {
    let file = write_lines(
        dir,
        "e.ndjson",
        (1..=lines).map(|n| coupon_line(n, 40, NOW)),
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut child = Command::new(BIN)
        .args(["-q", "send", "--timeout", "600", "--registry"])
        .arg(crate::support::registry_path())
        .arg(&file)
        .args(flags)
        .env("DFINERY_BASE_URL", &url)
        .env("DFINERY_IMPORT_TOKEN", "t")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        // A file, not a pipe: nobody reads the retries' warnings while it runs.
        .stderr(std::fs::File::create(dir.join("stderr.txt")).unwrap())
        .spawn()
        .unwrap();
    let progress = dir.join(state).join("progress.json");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let read = std::fs::read_to_string(&progress).unwrap_or_default();
        let through = serde_json::from_str::<serde_json::Value>(&read)
            .ok()
            .and_then(|p| p["queued_through_line"].as_u64());
        if through.is_some_and(|line| line >= queued) {
            break;
        }
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            panic!("the send never queued line {queued}: {read}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, file)
}

#[test]
fn a_running_send_is_not_taken_for_an_interrupted_one_nor_removed_by_restart() {
    // A second `dfinery send` of the same file said "an interrupted send is kept" (it is
    // running), `--resume` failed on a spool "already open ... give each tracker its own spool
    // file", and `--restart` deleted the running send's spool and progress from under it.
    let dir = tempfile::tempdir().unwrap();
    let (mut child, file) = a_send_stuck_delivering(dir.path());
    let _guard = crate::support::KillOnPanic(child.id());
    let state = dir.path().join("e.ndjson.dfinery-send");
    for flag in [None, Some("--resume"), Some("--restart")] {
        let output = dfinery()
            .args(["send", "--timeout", "1", "--registry"])
            .arg(crate::support::registry_path())
            .arg(&file)
            .args(flag)
            .env("DFINERY_BASE_URL", "http://127.0.0.1:9")
            .env("DFINERY_IMPORT_TOKEN", "t")
            .output()
            .unwrap();
        let err = text(&output.stderr);
        assert_eq!(output.status.code(), Some(3), "{flag:?}: {err}");
        assert!(
            err.contains(&format!(
                "another `dfinery send` (process {}) is using the send state `{}`",
                child.id(),
                state.display()
            )),
            "{flag:?}: {err}"
        );
        assert!(
            err.contains("wait for it to finish"),
            "{flag:?}: the fix: {err}"
        );
        assert!(
            state.join("spool.redb").exists(),
            "{flag:?}: the spool is kept"
        );
        assert!(state.join("progress.json").exists(), "{flag:?}");
    }
    let names: Vec<String> = std::fs::read_dir(&state)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n.contains("foreign")),
        "no spool was replaced under the running send: {names:?}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    // Killed, it leaves `send.lock` behind, with its lock gone: the send resumes.
    assert!(state.join("send.lock").is_file());
    let emulator = emulator();
    let output = send_resumed(&emulator, &file, false);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(emulator.events().len(), 3, "the three events kept");
    assert!(!state.exists(), "the send's folder goes with its lock file");
}

#[test]
fn of_two_sends_started_at_the_same_instant_one_runs_and_the_other_is_refused_by_the_lock() {
    // Neither found the other running (a send opens its spool only after it has cut the
    // record of ids and written its progress), so both went on until the spool stopped one.
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = a_file_repeating_an_id_across_line_3(dir.path());
    let state = file.with_file_name("ids.ndjson.dfinery-send");
    let start = |n: usize| {
        Command::new(BIN)
            .args(["-q", "send", "--timeout", "600", "--registry"])
            .arg(crate::support::registry_path())
            .arg(&file)
            .env("DFINERY_BASE_URL", "http://127.0.0.1:9")
            .env("DFINERY_IMPORT_TOKEN", "t")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join(format!("stderr-{n}.txt"))).unwrap())
            .spawn()
            .unwrap()
    };
    let mut sends = [start(0), start(1)];
    let _guards = sends
        .each_ref()
        .map(|c| crate::support::KillOnPanic(c.id()));
    // The one refused ends; the other retries its delivery until killed.
    let deadline = Instant::now() + Duration::from_secs(120);
    let (refused, status) = loop {
        if let Some(found) = sends
            .iter_mut()
            .enumerate()
            .find_map(|(n, c)| c.try_wait().unwrap().map(|status| (n, status)))
        {
            break found;
        }
        assert!(Instant::now() < deadline, "neither send was refused");
        std::thread::sleep(Duration::from_millis(20));
    };
    let running = 1 - refused;
    let err = std::fs::read_to_string(dir.path().join(format!("stderr-{refused}.txt"))).unwrap();
    assert_eq!(status.code(), Some(3), "{err}");
    assert!(
        err.contains(&format!(
            "another `dfinery send` (process {}) is using the send state `{}`",
            sends[running].id(),
            state.display()
        )),
        "{err}"
    );
    // The one running has its whole record of ids and its progress.
    let progress = state.join("progress.json");
    loop {
        let read = std::fs::read_to_string(&progress).unwrap_or_default();
        if read.contains("\"queued_through_line\":5") {
            assert!(read.contains("\"entries\":3"), "{read}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the send never queued its lines: {read}"
        );
        assert!(sends[running].try_wait().unwrap().is_none(), "it runs");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        std::fs::metadata(state.join("event-log-ids.bin"))
            .unwrap()
            .len(),
        3 * 24
    );
    sends[running].kill().unwrap();
    sends[running].wait().unwrap();
    let emulator = emulator();
    let output = send_resumed(&emulator, &file, false);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(emulator.events().len(), 3, "lines 1, 3 and 4");
    assert!(!state.exists());
}

/// Every file in `folder` (not below it), with its bytes and modification time.
fn snapshot(
    folder: &std::path::Path,
) -> std::collections::BTreeMap<String, (Vec<u8>, std::time::SystemTime)> {
    std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            let modified = entry.metadata().unwrap().modified().unwrap();
            (name, (std::fs::read(entry.path()).unwrap(), modified))
        })
        .collect()
}

#[test]
fn a_send_on_a_state_another_send_holds_is_refused_before_it_reads_or_writes_it() {
    // Two sends started at the same instant on the same state both passed the check for a
    // running send (the spool is opened later), and each cut the other's record of ids and
    // wrote its `progress.json` before the spool's lock stopped one of them.
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = a_file_repeating_an_id_across_line_3(dir.path());
    // A record of ids ahead of its checkpoint: what a send that gets in cuts back.
    interrupted_after_line_3(&file, true);
    let state = file.with_file_name("ids.ndjson.dfinery-send");
    let lock = state.join("send.lock");
    // Held as a send holds it (`flock` on Unix, its process id in it), by this process.
    let mut held = std::fs::File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock)
        .unwrap();
    held.try_lock().unwrap();
    held.set_len(0).unwrap();
    std::io::Write::write_all(&mut held, format!("{}\n", std::process::id()).as_bytes()).unwrap();
    let before = snapshot(&state);
    for flag in [None, Some("--resume"), Some("--restart")] {
        let output = dfinery_at(&emulator)
            .arg("send")
            .arg(&file)
            .args(flag)
            .output()
            .unwrap();
        let err = text(&output.stderr);
        assert_eq!(output.status.code(), Some(3), "{flag:?}: {err}");
        assert!(
            err.contains(&format!(
                "another `dfinery send` (process {}) is using the send state `{}`: it holds `{}` locked; wait for it to finish",
                std::process::id(),
                state.display(),
                lock.display()
            )),
            "{flag:?}: {err}"
        );
        assert!(
            err.contains("give this send another `--state-dir`"),
            "{flag:?}: {err}"
        );
        assert!(!err.contains("resuming"), "{flag:?}: {err}");
        assert_eq!(snapshot(&state), before, "{flag:?}: no file changed");
        assert!(emulator.events().is_empty(), "{flag:?}: nothing sent");
    }
    // Released (its process ended), the lock file left behind is in nobody's way.
    drop(held);
    let output = send_resumed(&emulator, &file, false);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("resuming after line 3"));
    assert_eq!(emulator.events().len(), 3, "lines 1, 3 and 4");
    assert!(!state.exists());
}

/// `dfinery send FILE --resume` to a closed port, with the tests' registry.
fn resume_to_a_closed_port(file: &std::path::Path) -> std::process::Output {
    dfinery()
        .args(["send", "--resume", "--timeout", "1", "--registry"])
        .arg(crate::support::registry_path())
        .arg(file)
        .env("DFINERY_BASE_URL", "http://127.0.0.1:9")
        .env("DFINERY_IMPORT_TOKEN", "t")
        .output()
        .unwrap()
}

#[test]
fn a_progress_that_cannot_be_written_names_the_file_and_the_step() {
    // `progress.json` was written without a sync, and a failure named only the folder.
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = a_file_repeating_an_id_across_line_3(dir.path());
    interrupted_after_line_3(&file, true);
    let state = file.with_file_name("ids.ndjson.dfinery-send");
    let tmp = state.join("progress.json.tmp");
    let progress = std::fs::read(state.join("progress.json")).unwrap();
    let refused = |output: std::process::Output, why: &str| {
        let err = text(&output.stderr);
        assert_eq!(output.status.code(), Some(3), "{err}");
        assert!(
            err.contains(&format!(
                "cannot create `{}`, the progress of the send: {why}",
                tmp.display()
            )),
            "{err}"
        );
        assert!(
            err.contains("give `--state-dir` a folder"),
            "the fix: {err}"
        );
        assert_eq!(
            std::fs::read(state.join("progress.json")).unwrap(),
            progress,
            "the checkpoint before is kept whole"
        );
    };
    // A folder where the temporary file goes: refused to root too.
    std::fs::create_dir(&tmp).unwrap();
    refused(resume_to_a_closed_port(&file), "Is a directory");
    std::fs::remove_dir(&tmp).unwrap();
    // A folder this user may not write in (root may: then only the case above is shown).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o555)).unwrap();
        let probe = state.join("probe");
        if std::fs::write(&probe, "").is_ok() {
            let _ = std::fs::remove_file(&probe);
            eprintln!("read-only folder skipped: this user writes in one (root)");
        } else {
            let output = resume_to_a_closed_port(&file);
            std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o755)).unwrap();
            refused(output, "Permission denied");
        }
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// Sends SIGINT (Ctrl-C) to `child` and waits for it to end, for at most `limit`.
fn interrupt(child: &mut std::process::Child, limit: Duration) -> Option<std::process::ExitStatus> {
    stop(child, "INT", limit)
}

/// Sends the signal `signal` (`INT`, `TERM`) to `child` and waits for it to end, for at most
/// `limit`.
fn stop(
    child: &mut std::process::Child,
    signal: &str,
    limit: Duration,
) -> Option<std::process::ExitStatus> {
    send_signal(child, signal);
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// Sends `signal` (`INT`, `TERM`) to `child`.
fn send_signal(child: &std::process::Child, signal: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

#[test]
fn ctrl_c_while_the_last_events_are_delivered_stops_the_send_and_keeps_them() {
    // Ctrl-C was only looked at while lines were read: once every line was queued, the send
    // went on waiting for the whole `--timeout` (300 s by default) before it stopped.
    stopped_while_the_last_events_are_delivered("INT");
}

#[test]
fn sigterm_while_the_last_events_are_delivered_stops_the_send_as_ctrl_c_does() {
    // SIGTERM killed the send outright (exit 143, no message) where Ctrl-C stops it.
    stopped_while_the_last_events_are_delivered("TERM");
}

/// Sends `signal` (`INT`, `TERM`) to the send of `file` (its stderr in `dir/stderr.txt`) and
/// checks that it stops as on Ctrl-C: exit 1, saying how to resume. The wait is generous for a
/// loaded machine and far below any `--timeout` the tests give a send.
fn stops_as_on_ctrl_c(
    child: &mut std::process::Child,
    signal: &str,
    dir: &std::path::Path,
    file: &std::path::Path,
) {
    let status = stop(child, signal, Duration::from_secs(120))
        .expect("the send stops on the signal without waiting out its --timeout");
    let err = std::fs::read_to_string(dir.join("stderr.txt")).unwrap();
    assert_eq!(status.code(), Some(1), "SIG{signal}: {status:?}: {err}");
    // With the flags the send was given that it needs (see
    // `the_command_an_interrupted_send_prints_names_its_state_dir_and_partition_and_resumes_it`).
    let command = command_to_continue(&err);
    assert!(
        command.starts_with(&format!("dfinery send {} ", file.display()))
            && command.ends_with(" --resume"),
        "{err}"
    );
}

/// Sends `signal` (`INT`, `TERM`) to a send that has queued every line and retries their
/// delivery: it stops well before its `--timeout`, exits 1, says how to resume and keeps the
/// events in its spool.
fn stopped_while_the_last_events_are_delivered(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, file) = a_send_stuck_delivering(dir.path());
    let _guard = crate::support::KillOnPanic(child.id());
    stops_as_on_ctrl_c(&mut child, signal, dir.path(), &file);
    let state = dir.path().join("e.ndjson.dfinery-send");
    assert!(
        state.join("spool.redb").exists(),
        "the events stay in the spool"
    );
}

#[test]
fn a_signal_stops_a_send_waiting_for_room_in_a_full_queue() {
    // Only the reading thread looked at the stop: the chunks already read were still handed
    // to the Tracker, and with its queue full (50,000 events) and DFINERY taking nothing, the
    // hand-over waited for room that never came back. Ctrl-C and SIGTERM did nothing, and the
    // send ran until DFINERY came back, or forever.
    let dir = tempfile::tempdir().unwrap();
    let lines = 56_000;
    // The checkpoint at line 50,000 fills the queue; the chunks read ahead wait for room.
    let (mut child, file) = a_send_stuck(dir.path(), lines, 50_000);
    let _guard = crate::support::KillOnPanic(child.id());
    // The next chunk is in hand within microseconds; this makes sure of it.
    std::thread::sleep(Duration::from_millis(500));
    stops_as_on_ctrl_c(&mut child, "TERM", dir.path(), &file);
    // What was handed over is in the spool, the rest is read again: each line stored once.
    let emulator = emulator();
    resumes_with_every_line_once(&emulator, &file, lines);
}

#[test]
fn a_second_signal_quits_a_stopping_send_at_once() {
    // The first signal stops the send cleanly, giving its undelivered events 2 s; the second
    // ends it at once, as a kill would, and says how to continue.
    let dir = tempfile::tempdir().unwrap();
    let (mut child, file) = a_send_stuck_delivering(dir.path());
    let _guard = crate::support::KillOnPanic(child.id());
    let stderr = dir.path().join("stderr.txt");
    send_signal(&child, "INT");
    // The second is sent once the first is taken (two signals before then would be one).
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&stderr)
        .unwrap()
        .contains("Ctrl-C or SIGTERM again quits at once")
    {
        assert!(Instant::now() < deadline, "the first signal was not taken");
        std::thread::sleep(Duration::from_millis(10));
    }
    let status = stop(&mut child, "TERM", Duration::from_secs(60)).expect("the send quits");
    let err = std::fs::read_to_string(&stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "quit at once; run `dfinery send {} --registry {} --timeout 600 --resume` to continue",
            file.display(),
            crate::support::registry_path().display()
        )),
        "{err}"
    );
    assert!(
        !err.contains("interrupted;"),
        "not the clean stop, which waits 2 s: {err}"
    );
    let state = dir.path().join("e.ndjson.dfinery-send");
    assert!(
        state.join("spool.redb").exists(),
        "the events stay in the spool"
    );
    // Resumed, every line is stored once.
    let emulator = emulator();
    resumes_with_every_line_once(&emulator, &file, 3);
}

#[test]
fn csv_rows_are_reported_on_their_own_line_with_crlf_and_blank_lines() {
    // The CSV reader places a row where it stood before reading it: on the `\n` of the line
    // before when lines end with `\r\n` (files saved by Excel), or on a blank line skipped
    // before it. Every row of such a file was reported one line too early.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    let ok = format!("u1,coupon_used,{NOW},A,1");
    let short = format!("u1,coupon_used,{NOW},A");
    let body = format!(
        "external_id,name,datetime,code,seq\r\n{ok}\r\n{short}\r\n\r\n{short}\r\n\"u\r\n1\",coupon_used,{NOW},A\r\n{short}\n\n{short}\n"
    );
    std::fs::write(&path, body).unwrap();
    let output = check_only(&path);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let out = text(&output.stdout);
    let reported: Vec<u64> = out
        .lines()
        .filter_map(|l| l.strip_prefix("line ")?.split(':').next()?.parse().ok())
        .collect();
    assert_eq!(reported, [3, 5, 6, 8, 10], "{out}");
}

#[test]
fn a_field_given_under_both_its_names_is_refused_not_half_read() {
    // `name` and `event_name` (and the other pairs) are the same field: given both, the short
    // one was read and the other silently dropped, so the event went out under one of two
    // names the line gave.
    let dir = tempfile::tempdir().unwrap();
    let base = coupon_line(1, 1, NOW);
    let lines = [
        base.replacen('{', r#"{"event_name":"df_login","#, 1),
        base.replacen('{', r#"{"event_datetime":"2024-01-01T00:00:00Z","#, 1),
        base.replacen('{', r#"{"event_properties":{"code":"B"},"#, 1),
        base.replacen('{', r#"{"items":[],"event_items":[],"#, 1),
        base.clone(),
    ];
    let file = write_lines(dir.path(), "both.ndjson", lines);
    let output = check_only(&file);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let out = text(&output.stdout);
    for (line, short, wire) in [
        (1, "name", "event_name"),
        (2, "datetime", "event_datetime"),
        (3, "properties", "event_properties"),
        (4, "items", "event_items"),
    ] {
        let expected =
            format!("line {line}: `{short}` and `{wire}` are the same field; keep one of them");
        assert!(out.contains(&expected), "no `{expected}` in:\n{out}");
    }
    assert!(out.contains("4 invalid"), "{out}");
}

#[test]
fn an_unknown_identifier_names_the_identifiers_there_are() {
    // `user_id`, close to no identifier, was "unknown identifier `identity.user_id`" and no
    // more: nothing said which keys an identity takes.
    let dir = tempfile::tempdir().unwrap();
    let base = coupon_line(1, 1, NOW);
    let lines = [
        base.replace(r#""external_id""#, r#""user_id""#),
        base.replace(r#""external_id""#, r#""externl_id""#),
    ];
    let file = write_lines(dir.path(), "ids.ndjson", lines);
    let output = check_only(&file);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let out = text(&output.stdout);
    assert!(
        out.contains(
            "line 1: unknown identifier `identity.user_id`; the identifiers are `external_id`, `phone_no`, `email`, `kakao_user_id` and `line_user_id`"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "line 2: unknown identifier `identity.externl_id`; did you mean `external_id`?"
        ),
        "{out}"
    );
}

#[test]
fn an_unknown_property_with_no_close_match_names_the_properties_of_the_event() {
    // `referrer`, close to no property, was "unknown property `referrer` for event
    // `coupon_used`" and no more: nothing said which properties the event has.
    let dir = tempfile::tempdir().unwrap();
    let base = coupon_line(1, 1, NOW);
    let lines = [
        base.replace(r#""seq""#, r#""referrer""#),
        base.replace(r#""seq""#, r#""amout""#),
    ];
    let file = write_lines(dir.path(), "props.ndjson", lines);
    let output = check_only(&file);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let out = text(&output.stdout);
    assert!(
        out.contains(
            "line 1: unknown property `referrer` for event `coupon_used`; the properties of event `coupon_used` are `amount`, `code` and `seq`"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "line 2: unknown property `amout` for event `coupon_used`; did you mean `amount`?"
        ),
        "{out}"
    );
}

#[test]
fn a_line_without_datetime_says_it_has_no_default_and_how_to_write_it() {
    // It was "missing `datetime`": not whether it defaults (it does not) nor how to write it.
    let dir = tempfile::tempdir().unwrap();
    let line = coupon_line(1, 1, NOW).replace(&format!(r#","datetime":"{NOW}""#), "");
    let file = write_lines(dir.path(), "no-time.ndjson", [line]);
    let output = check_only(&file);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let out = text(&output.stdout);
    assert!(
        out.contains(
            "line 1: missing `datetime`, which has no default; give the time of the event as `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC) or RFC 3339 with an offset"
        ),
        "{out}"
    );
}

#[test]
fn a_csv_header_with_a_misspelt_column_names_the_column_meant() {
    // `nam` for `name` was "needs the columns `name` and `datetime`; found `external_id`,
    // `nam`, `datetime`": the misspelt column was not named as the one meant.
    let dir = tempfile::tempdir().unwrap();
    for (header, expected) in [
        (
            "external_id,nam,datetime",
            "needs the columns `name` and `datetime`; rename column `nam` to `name`",
        ),
        (
            "external_id,nam,datetme",
            "needs the columns `name` and `datetime`; rename column `nam` to `name` and rename column `datetme` to `datetime`",
        ),
        (
            "external_id,title,datetime",
            "needs the columns `name` and `datetime`; found `external_id`, `title`, `datetime`; the columns are `name`, `datetime`, `event_log_id`, `items`, the identities (`external_id`, `phone_no`, `email`, `kakao_user_id`, `line_user_id`) and one per property",
        ),
    ] {
        let file = write_lines(
            dir.path(),
            "misspelt.csv",
            [header.to_owned(), format!("u1,coupon_used,{NOW}")],
        );
        let output = check_only(&file);
        assert_eq!(output.status.code(), Some(3), "{header}");
        let err = text(&output.stderr);
        assert!(err.contains(expected), "{header}: {err}");
    }
}

#[test]
fn a_line_that_is_not_utf8_says_where_and_how_to_fix_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.ndjson");
    let mut bytes = coupon_line(1, 1, NOW).into_bytes();
    bytes.push(b'\n');
    bytes.extend_from_slice(b"{\"identity\":{\"external_id\":\"caf\xe9\"}}\n");
    std::fs::write(&path, bytes).unwrap();
    let output = check_only(&path);
    assert_eq!(output.status.code(), Some(1));
    let out = text(&output.stdout);
    assert!(
        out.contains(
            "line 2: the line is not UTF-8 (byte 32 is not valid); save the file as UTF-8"
        ),
        "{out}"
    );

    let path = dir.path().join("latin1.csv");
    let mut bytes = b"external_id,name,datetime\ncaf\xe9,df_login,".to_vec();
    bytes.extend_from_slice(NOW.as_bytes());
    bytes.push(b'\n');
    std::fs::write(&path, bytes).unwrap();
    let output = check_only(&path);
    assert_eq!(output.status.code(), Some(1));
    let out = text(&output.stdout);
    assert!(
        out.contains("line 2: field 1 of the row is not UTF-8; save the file as UTF-8"),
        "{out}"
    );
}

/// `-` is a usage error (exit 2: the command line alone is wrong); whatever is found at the
/// path is configuration (exit 3, "an unreadable file" in docs/cli.md), each with the fix, and
/// nothing is written beside it. `/dev/null` exited 2, and a missing or unreadable file said
/// no more than the operating system's error.
#[test]
fn stdin_is_a_usage_error_and_a_missing_unreadable_or_irregular_file_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let send = |file: &std::path::Path| {
        dfinery()
            .arg("send")
            .arg(file)
            .args(["--registry"])
            .arg(crate::support::registry_path())
            .env("DFINERY_BASE_URL", "http://127.0.0.1:9")
            .env("DFINERY_IMPORT_TOKEN", "t")
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap()
    };
    let refused = |file: &std::path::Path, code: i32, expected: &[&str]| {
        let output = send(file);
        let err = text(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(code),
            "{}: {err}",
            file.display()
        );
        for part in expected {
            assert!(
                err.contains(part),
                "{}: no `{part}` in {err}",
                file.display()
            );
        }
    };
    refused(
        std::path::Path::new("-"),
        2,
        &["not standard input", "save the events to a file"],
    );
    refused(
        &dir.path().join("missing.ndjson"),
        3,
        &[
            "missing.ndjson` does not exist",
            "give the path of the file of events",
        ],
    );
    refused(dir.path(), 3, &["is a folder; give the file of events"]);
    // A pipe (`<(zcat events.gz)`) or a device has no length: it was read as empty and the
    // send reported as done.
    refused(
        std::path::Path::new("/dev/null"),
        3,
        &["is not a regular file", "save the events to a file"],
    );
    let fifo = dir.path().join("events.fifo");
    if std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        refused(&fifo, 3, &["is not a regular file"]);
    }
    // No read permission: a test running as root reads the file all the same.
    let locked = write_lines(dir.path(), "locked.ndjson", [coupon_line(1, 1, NOW)]);
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o200)).unwrap();
    }
    if std::fs::File::open(&locked).is_err() {
        refused(
            &locked,
            3,
            &[
                "Permission denied",
                "this user may not read it: have its owner give this user read permission",
            ],
        );
    } else {
        eprintln!("skipped the unreadable file: this user reads it all the same (root)");
    }
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("dfinery-send"))
        .collect();
    assert!(left.is_empty(), "a refused send left {left:?}");
}

#[test]
fn a_damaged_spool_on_resume_names_restart() {
    // The spool's own message told a library user to "move it aside and start again"; the
    // command's way is `--restart`.
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(
        dir.path(),
        "e.ndjson",
        (1..=3).map(|n| coupon_line(n, 1, NOW)),
    );
    let send = |flag: &str| {
        dfinery()
            .args(["send", "--timeout", "1", "--registry"])
            .arg(crate::support::registry_path())
            .arg(&file)
            .args([flag].into_iter().filter(|f| !f.is_empty()))
            .env("DFINERY_BASE_URL", "http://127.0.0.1:9")
            .env("DFINERY_IMPORT_TOKEN", "t")
            .output()
            .unwrap()
    };
    assert_eq!(send("").status.code(), Some(4), "kept for --resume");
    let spool = dir.path().join("e.ndjson.dfinery-send/spool.redb");
    std::fs::write(&spool, vec![0x5a; 8192]).unwrap();
    let output = send("--resume");
    assert_eq!(output.status.code(), Some(3));
    let err = text(&output.stderr);
    assert!(err.contains("spool.redb"), "{err}");
    assert!(err.contains("--restart"), "the fix: {err}");
}

#[test]
fn a_plain_http_url_to_another_host_names_the_flag_not_a_library_call() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(dir.path(), "e.ndjson", [coupon_line(1, 1, NOW)]);
    let output = dfinery()
        .args(["send", "--registry"])
        .arg(crate::support::registry_path())
        .arg(&file)
        .env("DFINERY_BASE_URL", "http://example.com")
        .env("DFINERY_IMPORT_TOKEN", "t")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let err = text(&output.stderr);
    assert!(!err.contains("allow_insecure_http"), "{err}");
    assert!(err.contains("`--base-url`"), "{err}");
    assert!(err.contains("https://"), "{err}");
    assert!(!dir.path().join("e.ndjson.dfinery-send").exists());
}

#[test]
fn a_state_dir_holding_another_files_send_is_not_resumed_or_discarded_for_this_one() {
    // The progress did not say which file it was for: the send of `b` with the `--state-dir`
    // where `a`'s interrupted send was kept said "an interrupted send of `b` is kept" or "`b`
    // changed since the interrupted send began; pass `--restart`", and `--restart` deleted
    // `a`'s undelivered events.
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let a = write_lines(
        dir.path(),
        "a.ndjson",
        (1..=3).map(|n| coupon_line(n, 1, NOW)),
    );
    let b = write_lines(
        dir.path(),
        "b.ndjson",
        (4..=5).map(|n| coupon_line(n, 1, NOW)),
    );
    let send = |file: &std::path::Path, flag: Option<&str>| {
        dfinery()
            .args(["send", "--timeout", "1", "--registry"])
            .arg(crate::support::registry_path())
            .arg(file)
            .arg("--state-dir")
            .arg(&state)
            .args(flag)
            .env("DFINERY_BASE_URL", "http://127.0.0.1:9")
            .env("DFINERY_IMPORT_TOKEN", "t")
            .output()
            .unwrap()
    };
    assert_eq!(send(&a, None).status.code(), Some(4), "kept for --resume");
    for flag in [None, Some("--resume"), Some("--restart")] {
        let output = send(&b, flag);
        assert_eq!(output.status.code(), Some(3), "{flag:?}");
        let err = text(&output.stderr);
        assert!(
            err.contains("holds the interrupted send of") && err.contains("a.ndjson"),
            "{flag:?}: {err}"
        );
        assert!(err.contains("another `--state-dir`"), "{flag:?}: {err}");
        assert!(
            state.join("spool.redb").exists(),
            "{flag:?}: `a`'s events are kept"
        );
    }
    // `a` itself still resumes from there.
    let output = send(&a, Some("--resume"));
    assert_eq!(output.status.code(), Some(4), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("resuming after line 3"));
}

#[test]
fn a_file_appended_to_while_it_is_sent_is_said_to_need_another_send() {
    // Lines written after the check were read by the sending pass: sent unchecked by the
    // report, or dropped without a word when invalid. Now the send reads what the file held
    // when it began, and says the file changed.
    let dir = tempfile::tempdir().unwrap();
    let (mut child, file) = a_send_stuck_delivering(dir.path());
    let _guard = crate::support::KillOnPanic(child.id());
    let mut appended = std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap();
    std::io::Write::write_all(&mut appended, b"{\"not\":\"checked\"}\n").unwrap();
    drop(appended);
    let status = interrupt(&mut child, Duration::from_secs(120)).expect("stops on Ctrl-C");
    let err = std::fs::read_to_string(dir.path().join("stderr.txt")).unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("changed while it was sent"), "{err}");
    assert!(err.contains("send it again"), "{err}");
}

#[test]
fn a_line_that_is_not_json_is_placed_by_its_column_and_a_csv_file_named_otherwise_gets_the_flag() {
    // "line 2: the line is not JSON: expected value at line 1 column 1": two different line
    // numbers for one line. A CSV file not named `.csv` got that on every row, no more.
    let dir = tempfile::tempdir().unwrap();
    let json = write_lines(
        dir.path(),
        "e.ndjson",
        [coupon_line(1, 1, NOW), r#"{"identity":}"#.to_owned()],
    );
    let csv = write_lines(
        dir.path(),
        "e.txt",
        [
            "external_id,name,datetime".to_owned(),
            format!("u1,df_login,{NOW}"),
        ],
    );
    let check = |file: &std::path::Path| {
        let output = dfinery()
            .arg("send")
            .arg(file)
            .arg("--registry")
            .arg(crate::support::registry_path())
            .arg("--check-only")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        text(&output.stdout)
    };
    let out = check(&json);
    assert!(
        out.contains("line 2: the line is not JSON: expected value at column 13\n"),
        "{out}"
    );
    let out = check(&csv);
    assert!(
        out.contains(
            "line 1: the line is not JSON: expected value at column 1; if the file is CSV, pass `--format csv`"
        ),
        "{out}"
    );
}

#[test]
fn a_state_dir_that_cannot_be_made_names_the_flag_to_change() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(dir.path(), "e.ndjson", [coupon_line(1, 1, NOW)]);
    let output = dfinery()
        .args(["send", "--registry"])
        .arg(crate::support::registry_path())
        .arg(&file)
        .arg("--state-dir")
        .arg(file.join("state")) // under a file: cannot be made
        .env("DFINERY_BASE_URL", "http://127.0.0.1:9")
        .env("DFINERY_IMPORT_TOKEN", "t")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let err = text(&output.stderr);
    assert!(err.contains("cannot create the send state"), "{err}");
    assert!(
        err.contains("give `--state-dir` a folder"),
        "the fix: {err}"
    );
}

#[test]
fn a_csv_row_that_does_not_fit_its_header_says_how_to_fix_it() {
    // A value under a header column with no name (a trailing comma) was reported as
    // "unknown property `` for event ..."; a row with a field too many or too few said so and
    // no more.
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(
        dir.path(),
        "rows.csv",
        [
            "external_id,name,datetime,".to_owned(),
            format!("u1,df_login,{NOW},"),
            format!("u1,df_login,{NOW},x"),
            format!("u1,df_login,{NOW},,Seoul, Korea"),
            format!("u1,df_login,{NOW}"),
        ],
    );
    let output = check_only(&file);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let out = text(&output.stdout);
    for expected in [
        "line 3: field 4 has a value, but its column has no name in the header row; name the column or empty the field",
        "line 4: the row has 6 fields but the header has 4; quote a value that holds a comma, e.g. `\"a,b\"`",
        "line 5: the row has 3 fields but the header has 4; give every column a field, empty for none",
        "4 events in `",
    ] {
        assert!(out.contains(expected), "no `{expected}` in:\n{out}");
    }
    assert!(out.contains("1 valid, 3 invalid"), "{out}");
}

#[test]
fn the_folders_a_state_dir_was_made_in_are_removed_with_it() {
    // `--state-dir new/deeper/state` made `new/deeper/state`; a complete send removed `state`
    // only, and left the empty `new/deeper` behind.
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(dir.path(), "e.ndjson", [coupon_line(1, 1, NOW)]);
    std::fs::create_dir(dir.path().join("kept")).unwrap();
    for (state, gone, kept) in [
        ("new/deeper/state", "new", None),
        ("kept/new/state", "kept/new", Some("kept")),
    ] {
        let output = dfinery_at(&emulator)
            .arg("send")
            .arg(&file)
            .arg("--state-dir")
            .arg(dir.path().join(state))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        assert!(
            !dir.path().join(gone).exists(),
            "{state}: `{gone}` is removed"
        );
        if let Some(kept) = kept {
            assert!(
                dir.path().join(kept).is_dir(),
                "{state}: `{kept}` was there first"
            );
        }
    }
}

/// `dfinery send FILE --check-only` with the tests' registry: checks every line, sends nothing.
fn check_only(file: &std::path::Path) -> std::process::Output {
    dfinery()
        .arg("send")
        .arg(file)
        .arg("--registry")
        .arg(crate::support::registry_path())
        .arg("--check-only")
        .output()
        .unwrap()
}

#[test]
fn a_timeout_of_zero_is_a_usage_error_saying_what_is_allowed() {
    // `--timeout 0` stopped delivering before anything was delivered: every event was left in
    // the spool and the send exited 4, as if DFINERY were unreachable. It is refused as the
    // other out-of-range numbers are, before anything is read or sent.
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(
        dir.path(),
        "e.ndjson",
        (1..=3).map(|n| coupon_line(n, 1, NOW)),
    );
    let output = dfinery_at(&emulator)
        .args(["send", "--timeout", "0"])
        .arg(&file)
        .output()
        .unwrap();
    let err = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "a usage error: {err}");
    assert!(
        err.contains("invalid value '0' for '--timeout <SECS>'") && err.contains("give 1 or more"),
        "{err}"
    );
    assert!(emulator.events().is_empty(), "nothing is sent");
    assert!(
        !dir.path().join("e.ndjson.dfinery-send").exists(),
        "no state is left"
    );
    // 1 is the least `--timeout` there is.
    let output = dfinery_at(&emulator)
        .args(["send", "--check-only", "--timeout", "1"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

/// A request DFINERY does not answer in time: the client's error says to raise its `timeout`,
/// which a user of the command line could not set (`--timeout` is how long the send keeps
/// delivering). `--request-timeout` sets it, and the error names that flag. The emulator
/// answers 5 s late and each request may wait 1 s: each of the client's five tries times out
/// (at most 8 s with the backoff between them), well within the send's `--timeout 15`.
#[test]
fn a_request_that_times_out_names_request_timeout_which_sets_it() {
    let emulator = emulator();
    emulator
        .set_faults(dfinery_emulator::FaultConfig {
            latency: dfinery_emulator::Latency::fixed(Duration::from_secs(5)),
            ..dfinery_emulator::FaultConfig::default()
        })
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(dir.path(), "e.ndjson", [coupon_line(1, 1, NOW)]);

    // 0 would give up every request before it is answered.
    let output = dfinery_at(&emulator)
        .args(["send", "--request-timeout", "0"])
        .arg(&file)
        .output()
        .unwrap();
    let err = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "a usage error: {err}");
    assert!(
        err.contains("invalid value '0' for '--request-timeout <SECS>'")
            && err.contains("give 1 or more (the default is 30)"),
        "{err}"
    );

    let output = dfinery_at(&emulator)
        .args(["send", "--request-timeout", "1", "--timeout", "15"])
        .arg(&file)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let err = text(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{err}");
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: 1 event was not confirmed"),
        "{err}"
    );
    assert!(
        last.contains(
            "`POST /api/v1/events` did not answer within 1s; retry, or raise `--request-timeout`"
        ),
        "{err}"
    );
    // In the singular throughout: it read "1 event was not confirmed; they are kept".
    assert!(last.contains("; it is kept in `"), "{err}");
    assert!(last.ends_with(" to deliver it"), "{err}");
    assert!(
        !err.contains("the client's `timeout`"),
        "the library's name: {err}"
    );
}

/// Lines 1, 2 and 5 of a five-line file give one `event_log_id`; lines 3 and 4 give none.
fn a_file_repeating_an_id_across_line_3(dir: &std::path::Path) -> (std::path::PathBuf, String) {
    let id = "5b0f9a0e-1c2d-4e3f-8a9b-0c1d2e3f4a5b";
    let with_id =
        |n: u64| coupon_line(n, 5, NOW).replacen('{', &format!(r#"{{"event_log_id":"{id}","#), 1);
    let lines = [
        with_id(1),
        with_id(2),
        coupon_line(3, 5, NOW),
        coupon_line(4, 5, NOW),
        with_id(5),
    ];
    (write_lines(dir, "ids.ndjson", lines), id.to_owned())
}

/// The state a crash right after the checkpoint at line 3 leaves for `file`: every line is
/// queued to a closed port (the spool holds all five events, the record of ids all three ids),
/// then the progress is set back to line 3, counting the record's first two ids (lines 1 and
/// 2); or, for `ids_recorded: false`, as a version before the record left it (no record, and
/// no mention of one in the progress).
fn interrupted_after_line_3(file: &std::path::Path, ids_recorded: bool) {
    let output = dfinery()
        .args(["send", "--timeout", "1", "--registry"])
        .arg(crate::support::registry_path())
        .arg(file)
        .env("DFINERY_BASE_URL", "http://127.0.0.1:9")
        .env("DFINERY_IMPORT_TOKEN", "t")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4), "{}", text(&output.stderr));
    let state = file.with_file_name("ids.ndjson.dfinery-send");
    let record = state.join("event-log-ids.bin");
    assert_eq!(
        std::fs::metadata(&record).unwrap().len(),
        3 * 24,
        "the three ids the file gives, 24 bytes each"
    );
    let progress_path = state.join("progress.json");
    let mut progress: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&progress_path).unwrap()).unwrap();
    assert_eq!(progress["queued_through_line"], 5);
    assert_eq!(progress["ids"]["entries"], 3);
    progress["queued_through_line"] = 3.into();
    if ids_recorded {
        progress["ids"]["entries"] = 2.into();
    } else {
        progress.as_object_mut().unwrap().remove("ids");
        std::fs::remove_file(&record).unwrap();
    }
    std::fs::write(&progress_path, progress.to_string()).unwrap();
}

/// `dfinery [--json] send FILE --resume` against `emulator`, run to its end.
fn send_resumed(
    emulator: &dfinery_emulator::EmulatorHandle,
    file: &std::path::Path,
    json: bool,
) -> std::process::Output {
    let mut command = dfinery_at(emulator);
    if json {
        command.arg("--json");
    }
    command
        .arg("send")
        .arg(file)
        .arg("--resume")
        .output()
        .unwrap()
}

#[test]
fn a_line_after_the_resume_point_repeating_an_id_from_before_it_is_named() {
    // The check compared the lines of one run only: line 5, sent after `--resume`, repeats the
    // id of line 1, sent before the interruption, and the resumed send said nothing of it.
    for json in [false, true] {
        let emulator = emulator();
        let dir = tempfile::tempdir().unwrap();
        let (file, id) = a_file_repeating_an_id_across_line_3(dir.path());
        interrupted_after_line_3(&file, true);
        let output = send_resumed(&emulator, &file, json);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let out = text(&output.stdout);
        if json {
            let report: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
            assert_eq!(report["resumed_after_line"], 3, "{out}");
            // As a send never interrupted names them: line 2 (before the resume point) and
            // line 5 (after it), both repeating line 1.
            assert_eq!(report["repeated_ids"], 2, "{out}");
            let lines: Vec<_> = report["repeated_lines"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["line"].clone(),
                        r["first_line"].clone(),
                        r["event_log_id"].clone(),
                    )
                })
                .collect();
            assert_eq!(
                lines,
                [
                    (2.into(), 1.into(), id.clone().into()),
                    (5.into(), 1.into(), id.clone().into())
                ],
                "{out}"
            );
            assert_eq!(report["repeated_unknown_through_line"], 0, "{out}");
        } else {
            assert!(
                out.contains(&format!(
                    "line 5: `event_log_id` `{id}` is line 1's too; DFINERY stores one event per id"
                )),
                "{out}"
            );
            assert!(out.contains("line 2: `event_log_id`"), "{out}");
            assert!(!out.contains("are not known"), "{out}");
        }
        assert_eq!(
            emulator.events().len(),
            3,
            "line 1's event (not 2's or 5's), and lines 3 and 4"
        );
        assert!(!file.with_file_name("ids.ndjson.dfinery-send").exists());
    }
}

#[test]
fn a_send_interrupted_before_the_record_of_ids_still_resumes_and_says_what_is_not_known() {
    for json in [false, true] {
        let emulator = emulator();
        let dir = tempfile::tempdir().unwrap();
        let (file, _) = a_file_repeating_an_id_across_line_3(dir.path());
        interrupted_after_line_3(&file, false);
        let output = send_resumed(&emulator, &file, json);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let out = text(&output.stdout);
        if json {
            let report: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
            assert_eq!(report["resumed_after_line"], 3, "{out}");
            assert_eq!(report["repeated_ids"], 0, "line 1's id is not known: {out}");
            assert_eq!(report["repeated_unknown_through_line"], 3, "{out}");
        } else {
            assert!(
                out.contains("the `event_log_id`s of lines 1 to 3 are not known (the send was begun by an earlier version of dfinery"),
                "{out}"
            );
            assert!(!out.contains("line 5: `event_log_id`"), "{out}");
        }
        assert_eq!(emulator.events().len(), 3, "every line, each id once");
        assert!(!file.with_file_name("ids.ndjson.dfinery-send").exists());
    }
}

#[test]
fn a_send_larger_than_its_queue_stops_when_nothing_is_delivered_for_the_timeout() {
    // `--timeout` bounded only the last wait, for the events queued after the last line: a
    // file of more events than the queue holds (50,000), sent while DFINERY was unreachable,
    // waited for room that never came back, at a bar that did not move, until a signal stopped
    // it; three lines to the same closed port exited 4 after the timeout.
    let dir = tempfile::tempdir().unwrap();
    let lines = 56_000u64;
    let file = write_lines(
        dir.path(),
        "e.ndjson",
        (1..=lines).map(|n| coupon_line(n, 40, NOW)),
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let child = Command::new(BIN)
        .args(["send", "--timeout", "1", "--registry"])
        .arg(crate::support::registry_path())
        .arg(&file)
        .env("DFINERY_BASE_URL", &url)
        .env("DFINERY_IMPORT_TOKEN", "t")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Generous for a loaded machine: spooling 50,000 events, then a second without progress.
    let output = crate::support::output_within(child, Duration::from_secs(120));
    let err = text(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{err}");
    assert!(
        err.contains("nothing was delivered for 1 s (`--timeout`) while the send waited for room in its queue"),
        "{err}"
    );
    assert!(
        err.contains("--resume` to deliver them and send the rest"),
        "{err}"
    );
    let state = dir.path().join("e.ndjson.dfinery-send");
    assert!(state.join("spool.redb").is_file(), "the spool is kept");
    let progress: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state.join("progress.json")).unwrap())
            .unwrap();
    let through = progress["queued_through_line"].as_u64().unwrap();
    assert!(
        through < lines,
        "the lines not handed over are read again on resume: {progress}"
    );
    // What was handed over is in the spool, the rest is read again: each line stored once.
    let emulator = emulator();
    resumes_with_every_line_once(&emulator, &file, lines);
    assert!(!state.exists());
}

/// The command an interrupted send's message says to run: what is between "interrupted; run `"
/// and "` to continue" in `err`.
fn command_to_continue(err: &str) -> &str {
    err.split("interrupted; run `")
        .nth(1)
        .and_then(|rest| rest.split("` to continue").next())
        .unwrap_or_else(|| panic!("no command to continue with in: {err}"))
}

/// Runs `command` (`dfinery send …`) as a POSIX shell reads it, with the built binary for
/// `dfinery`, pointed at `emulator`.
#[cfg(unix)]
fn run_as_printed(
    emulator: &dfinery_emulator::EmulatorHandle,
    command: &str,
) -> std::process::Output {
    let rest = command
        .strip_prefix("dfinery ")
        .unwrap_or_else(|| panic!("not a `dfinery` command: {command}"));
    Command::new("sh")
        .arg("-c")
        .arg(format!("exec \"$DFINERY_BIN\" {rest}"))
        .env("DFINERY_BIN", BIN)
        .envs(env(emulator))
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[cfg(unix)]
#[test]
fn the_command_an_interrupted_send_prints_names_its_state_dir_and_partition_and_resumes_it() {
    // Every message saying how to continue printed `dfinery send FILE --resume`, whatever
    // `--state-dir` or `--partition` the send had: followed, it looked for no state where the
    // send kept it, and sent the whole file again from the first line.
    for case in ["--state-dir", "--partition"] {
        let dir = tempfile::tempdir().unwrap();
        // A space in the folder's name: the command quotes it.
        let folder = dir.path().join("send state");
        let (flags, state, shown): (Vec<std::ffi::OsString>, _, _) = if case == "--state-dir" {
            (
                vec!["--state-dir".into(), folder.clone().into()],
                "send state",
                format!("--state-dir '{}'", folder.display()),
            )
        } else {
            (
                vec!["--partition".into(), "1/2".into()],
                "e.ndjson.dfinery-send.part-1-of-2",
                "--partition 1/2".to_owned(),
            )
        };
        let flags: Vec<&std::ffi::OsStr> = flags.iter().map(|f| f.as_os_str()).collect();
        let (mut child, file) = a_send_stuck_with(dir.path(), 40, 40, &flags, state);
        let _guard = crate::support::KillOnPanic(child.id());
        let status = interrupt(&mut child, Duration::from_secs(120)).expect("stops on Ctrl-C");
        let err = std::fs::read_to_string(dir.path().join("stderr.txt")).unwrap();
        assert_eq!(status.code(), Some(1), "{case}: {err}");
        let command = command_to_continue(&err);
        assert!(
            command.starts_with(&format!("dfinery send {} ", file.display())),
            "{case}: {command}"
        );
        assert!(command.contains(&shown), "{case}: {command}");
        assert!(command.ends_with(" --resume"), "{case}: {command}");
        assert!(dir.path().join(state).join("spool.redb").is_file());

        // Followed as printed, it resumes this send.
        let emulator = emulator();
        let output = run_as_printed(&emulator, command);
        let err = text(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{case}: {command}: {err}");
        assert!(err.contains("resuming after line 40"), "{case}: {err}");
        assert!(
            !err.contains("sending from the first line"),
            "{case}: {err}"
        );
        assert!(
            !dir.path().join(state).exists(),
            "{case}: the send completed"
        );
        if case == "--partition" {
            // The other partition, then: every line once.
            let output = dfinery_at(&emulator)
                .arg("send")
                .arg(&file)
                .args(["--partition", "2/2"])
                .output()
                .unwrap();
            assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        }
        let expected: Vec<i64> = (1..=40).collect();
        assert_eq!(stored_seqs(&emulator), expected, "{case}: every line once");
    }
}

#[test]
fn a_partition_keeps_its_state_inside_the_state_dir_given() {
    // `--state-dir vol --partition 1/2` kept the state beside `vol`, in `vol.part-1-of-2`: with
    // a volume mounted at `vol`, on a root that may be read-only or is not kept across a
    // container's restart.
    let dir = tempfile::tempdir().unwrap();
    let vol = dir.path().join("vol");
    std::fs::create_dir(&vol).unwrap();
    let file = write_lines(
        dir.path(),
        "e.ndjson",
        (1..=40).map(|n| coupon_line(n, 40, NOW)),
    );
    let send = |flags: &[&str]| {
        dfinery()
            .args(["send", "--timeout", "1", "--registry"])
            .arg(crate::support::registry_path())
            .arg(&file)
            .arg("--state-dir")
            .arg(&vol)
            .args(["--partition", "1/2"])
            .args(flags)
            .env("DFINERY_BASE_URL", "http://127.0.0.1:9")
            .env("DFINERY_IMPORT_TOKEN", "t")
            .output()
            .unwrap()
    };
    let output = send(&[]);
    assert_eq!(output.status.code(), Some(4), "{}", text(&output.stderr));
    let state = vol.join("part-1-of-2");
    assert!(
        state.join("progress.json").is_file() && state.join("spool.redb").is_file(),
        "the partition's state is inside `vol`: {:?}",
        std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect::<Vec<_>>()
    );
    let beside = dir.path().join("vol.part-1-of-2");
    assert!(!beside.exists(), "nothing beside `vol`");
    // Where earlier versions kept it: said so, not sent again from the first line.
    std::fs::rename(&state, &beside).unwrap();
    let output = send(&["--resume"]);
    let err = text(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert!(
        err.contains(&format!(
            "is kept in `{}`, where earlier versions of dfinery kept it",
            beside.display()
        )) && err.contains(&format!("move it to `{}`", state.display())),
        "{err}"
    );
    std::fs::rename(&beside, &state).unwrap();

    let emulator = emulator();
    for (partition, flag) in [("1/2", Some("--resume")), ("2/2", None)] {
        let output = dfinery_at(&emulator)
            .arg("send")
            .arg(&file)
            .arg("--state-dir")
            .arg(&vol)
            .args(["--partition", partition])
            .args(flag)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    }
    let expected: Vec<i64> = (1..=40).collect();
    assert_eq!(stored_seqs(&emulator), expected, "every line once");
    assert!(vol.is_dir(), "the folder given is kept");
    assert_eq!(
        std::fs::read_dir(&vol).unwrap().count(),
        0,
        "and left empty"
    );
}

#[test]
fn a_partition_s_summary_counts_the_events_it_leaves_to_the_other_partitions() {
    // `sent 21, skipped 0, failed 0 (40 events in …)`: a partition's complete send said nothing
    // of the 19 events of the other partition's users, as if lost, and `--json` had no count
    // of them, so `sent + skipped + failed` never came to `events`.
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(
        dir.path(),
        "e.ndjson",
        (1..=40).map(|n| coupon_line(n, 40, NOW)),
    );
    let emulator = emulator();
    let mut sent = 0;
    for partition in ["1/2", "2/2"] {
        let output = dfinery_at(&emulator)
            .args(["--json", "send"])
            .arg(&file)
            .args(["--partition", partition])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let (events, this, others) = (
            report["events"].as_u64().unwrap(),
            report["sent"].as_u64().unwrap(),
            report["other_partitions"].as_u64(),
        );
        assert_eq!(events, 40, "{report}");
        assert!(this > 0 && this < 40, "{report}");
        assert_eq!(others, Some(40 - this), "{report}");
        sent += this;
    }
    assert_eq!(sent, 40);
    // In words too; none without `--partition`.
    let output = dfinery_at(&emulator)
        .arg("send")
        .arg(&file)
        .args(["--partition", "1/2"])
        .output()
        .unwrap();
    let out = text(&output.stdout);
    assert!(
        out.contains(" events in `") && out.contains(" for the other partitions; "),
        "{out}"
    );
    let output = dfinery_at(&emulator)
        .arg("send")
        .arg(&file)
        .output()
        .unwrap();
    assert!(!text(&output.stdout).contains("other partitions"));
}

#[test]
fn a_resume_split_another_way_than_the_interrupted_send_is_refused_naming_its_folders() {
    // `--partition 1/3 --resume` after sends split in 2 (or one without `--partition` after a
    // partition's, or the other way round) found nothing in its own folder and sent its split
    // from the first line, saying only "no interrupted send to resume" at info level: the
    // interrupted spools were left with their events for no command to deliver.
    let dir = tempfile::tempdir().unwrap();
    let vol = dir.path().join("vol");
    let file = write_lines(
        dir.path(),
        "e.ndjson",
        (1..=40).map(|n| coupon_line(n, 40, NOW)),
    );
    let send = |state_dir: Option<&std::path::Path>, flags: &[&str]| {
        let mut command = dfinery();
        command
            .args(["send", "--timeout", "1", "--registry"])
            .arg(crate::support::registry_path())
            .arg(&file)
            .args(flags)
            .env("DFINERY_BASE_URL", "http://127.0.0.1:9")
            .env("DFINERY_IMPORT_TOKEN", "t");
        if let Some(state_dir) = state_dir {
            command.arg("--state-dir").arg(state_dir);
        }
        command.output().unwrap()
    };
    let beside = |name: &str| dir.path().join(name);
    for (state_dir, first, then, kept) in [
        (None, None, Some("1/3"), beside("e.ndjson.dfinery-send")),
        (
            None,
            Some("1/2"),
            Some("1/3"),
            beside("e.ndjson.dfinery-send.part-1-of-2"),
        ),
        (
            None,
            Some("2/2"),
            None,
            beside("e.ndjson.dfinery-send.part-2-of-2"),
        ),
        (
            Some(vol.as_path()),
            Some("1/2"),
            Some("2/3"),
            vol.join("part-1-of-2"),
        ),
    ] {
        let partition =
            |p: Option<&'static str>| p.map_or_else(Vec::new, |p| vec!["--partition", p]);
        let output = send(state_dir, &partition(first));
        assert_eq!(output.status.code(), Some(4), "{}", text(&output.stderr));
        assert!(kept.join("spool.redb").is_file(), "{kept:?}");
        let mut flags = partition(then);
        flags.push("--resume");
        let output = send(state_dir, &flags);
        let err = text(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(3),
            "{first:?} then {then:?}: {err}"
        );
        assert!(
            err.contains("is kept split another way")
                && err.contains(&format!("`{}`", kept.display())),
            "{err}"
        );
        let resume = err
            .split("resume it as it was split (`")
            .nth(1)
            .and_then(|rest| rest.split('`').next())
            .unwrap_or_default();
        assert!(resume.ends_with(" --resume"), "{err}");
        match first {
            Some(p) => assert!(resume.contains(&format!(" --partition {p} ")), "{err}"),
            None => assert!(!resume.contains("--partition"), "{err}"),
        }
        assert!(!err.contains("sending from the first line"), "{err}");
        // Another partition of the same split resumes nothing of that one, and is not refused.
        if let Some(p) = first {
            let other = if p == "1/2" { "2/2" } else { "1/2" };
            let output = send(state_dir, &["--partition", other, "--resume"]);
            let err = text(&output.stderr);
            assert_eq!(output.status.code(), Some(4), "{other}: {err}");
            assert!(err.contains("sending from the first line"), "{err}");
            for folder in [
                dir.path().join(format!(
                    "e.ndjson.dfinery-send.part-{}",
                    other.replace('/', "-of-")
                )),
                vol.join(format!("part-{}", other.replace('/', "-of-"))),
            ] {
                let _ = std::fs::remove_dir_all(folder);
            }
        }
        // Without `--resume`, that split is sent from the first line; the folder is kept.
        let output = send(state_dir, &partition(then));
        assert_eq!(output.status.code(), Some(4), "{}", text(&output.stderr));
        assert!(kept.join("spool.redb").is_file());
        // Resumed as it was split, it goes on.
        let output = send(state_dir, &[partition(first), vec!["--resume"]].concat());
        assert_eq!(output.status.code(), Some(4), "{}", text(&output.stderr));
        assert!(text(&output.stderr).contains("resuming after line 40"));
        for folder in std::fs::read_dir(dir.path()).unwrap() {
            let folder = folder.unwrap().path();
            if folder.is_dir() {
                std::fs::remove_dir_all(folder).unwrap();
            }
        }
    }
}

#[test]
fn a_send_moved_with_its_file_resumes_and_restarts_from_its_new_place() {
    // The progress records the file's absolute path. Once the folder holding the file and its
    // state was renamed (or mounted elsewhere), the recorded path was gone and the paths were
    // compared as written: `--resume` and `--restart` were both refused as the state of
    // another file, and the command suggested named the old, missing one.
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    std::fs::create_dir(&first).unwrap();
    write_lines(&first, "e.ndjson", (1..=3).map(|n| coupon_line(n, 1, NOW)));
    let output = sent_to_a_closed_port(&first.join("e.ndjson"));
    assert_eq!(output.status.code(), Some(4), "{}", text(&output.stderr));
    let moved = dir.path().join("moved");
    std::fs::rename(&first, &moved).unwrap();
    let file = moved.join("e.ndjson");
    resumes_with_every_line_once(&emulator, &file, 3);
    assert!(!moved.join("e.ndjson.dfinery-send").exists());

    // Left again, moved again, and changed: not resumed, but started over.
    let output = sent_to_a_closed_port(&file);
    assert_eq!(output.status.code(), Some(4), "{}", text(&output.stderr));
    let again = dir.path().join("again");
    std::fs::rename(&moved, &again).unwrap();
    let file = again.join("e.ndjson");
    let mut appended = std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap();
    std::io::Write::write_all(
        &mut appended,
        format!("{}\n", coupon_line(4, 1, NOW)).as_bytes(),
    )
    .unwrap();
    drop(appended);
    let output = send_resumed(&emulator, &file, false);
    let err = text(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert!(
        err.contains(&format!(
            "holds the interrupted send of `{}`, which is no longer there",
            moved.join("e.ndjson").display()
        )) && err.contains("pass `--restart`"),
        "{err}"
    );
    let output = dfinery_at(&emulator)
        .arg("send")
        .arg(&file)
        .arg("--restart")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(stored_seqs(&emulator), [1, 2, 3, 4]);
    assert!(!again.join("e.ndjson.dfinery-send").exists());
}

#[test]
fn a_state_dir_holding_another_programs_progress_or_spool_is_refused_and_left_alone() {
    // A `--state-dir` folder holding a `progress.json` or a `spool.redb` of its own was taken
    // for an interrupted send: the send asked for `--resume` or `--restart`, `--resume` called
    // the file damaged, and `--restart` deleted it.
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(dir.path(), "events.ndjson", [coupon_line(1, 1, NOW)]);
    for (name, bytes) in [
        ("progress.json", &br#"{"x":1}"#[..]),
        ("spool.redb", b"not a spool"),
        ("send.lock", b"my own lock"),
    ] {
        let folder = dir.path().join(format!("work-{name}"));
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join(name), bytes).unwrap();
        std::fs::write(folder.join("notes.txt"), "not dfinery's").unwrap();
        let before = snapshot(&folder);
        for flags in [&[][..], &["--restart"], &["--resume"]] {
            let output = dfinery_at(&emulator)
                .arg("send")
                .arg(&file)
                .arg("--state-dir")
                .arg(&folder)
                .args(flags)
                .output()
                .unwrap();
            let err = text(&output.stderr);
            assert_eq!(output.status.code(), Some(3), "{name} {flags:?}: {err}");
            assert!(
                err.contains(&format!(
                    "`{}` is not a file of `dfinery send`",
                    folder.join(name).display()
                )),
                "{name} {flags:?}: {err}"
            );
            assert!(
                err.contains("give `--state-dir` an empty folder, or another one"),
                "{name} {flags:?}: the fix: {err}"
            );
            assert_eq!(
                snapshot(&folder),
                before,
                "{name} {flags:?}: nothing changed"
            );
            assert!(
                emulator.events().is_empty(),
                "{name} {flags:?}: nothing sent"
            );
        }
    }
}

#[test]
fn restart_in_a_shared_state_dir_keeps_the_spool_of_another_file_that_is_gone() {
    // A `--state-dir` shared by the sends of several files held the interrupted send of a file
    // since deleted (rotated away, say): `--restart` for another file discarded its spool, the
    // last copy of its undelivered events.
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let first = write_lines(
        dir.path(),
        "a.ndjson",
        (1..=3).map(|n| coupon_line(n, 1, NOW)),
    );
    let output = sent_to_a_closed_port_with(&first, &["--state-dir".as_ref(), state.as_ref()]);
    assert_eq!(output.status.code(), Some(4), "{}", text(&output.stderr));
    std::fs::remove_file(&first).unwrap();
    let second = write_lines(
        dir.path(),
        "b.ndjson",
        (4..=5).map(|n| coupon_line(n, 1, NOW)),
    );
    let output = dfinery_at(&emulator)
        .arg("send")
        .arg(&second)
        .arg("--state-dir")
        .arg(&state)
        .arg("--restart")
        .output()
        .unwrap();
    let err = text(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert!(
        err.contains("so `--restart` does not discard them: give this file another `--state-dir`"),
        "{err}"
    );
    assert!(state.join("spool.redb").is_file(), "the spool is kept");
    assert!(stored_seqs(&emulator).is_empty());
}

#[test]
fn a_send_stopped_while_delivering_counts_each_event_once_and_resume_sends_the_rest() {
    // On Ctrl-C the send waited 2 s for its shutdown, then read the counters and ended while
    // the Tracker went on delivering: events confirmed meanwhile were counted as sent and as
    // left in the spool (20,100 of 20,000 in two runs of three), and their deletes never
    // reached the spool, so `--resume` sent them again. The stop now cuts the same shutdown
    // short, and the counts are read once it has ended.
    let lines = 20_000u64;
    let slow = crate::support::ChildEmulator::start(&["--rate-limit", "event=10/1s"]);
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(
        dir.path(),
        "paced.ndjson",
        (1..=lines).map(|n| coupon_line(n, 100, NOW)),
    );
    let stdout = std::fs::File::create(dir.path().join("stdout.json")).unwrap();
    let mut child = Command::new(BIN);
    child
        .args(["--json", "-q", "send", "--registry"])
        .arg(crate::support::registry_path())
        .arg(&file)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::null());
    for (key, value) in slow.env() {
        child.env(key, value);
    }
    let mut child = child.spawn().unwrap();
    let _guard = crate::support::KillOnPanic(child.id());
    // Stopped while requests go out (at most 10 a second, up to 100 events each), the file
    // read or not: what is not sent then is left in the spool, or not read yet.
    let deadline = Instant::now() + Duration::from_secs(120);
    while slow.stats()["accepted"].as_u64().unwrap_or(0) < 1_000 {
        assert!(Instant::now() < deadline, "the send never got going");
        assert!(child.try_wait().unwrap().is_none(), "the send ended early");
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = interrupt(&mut child, Duration::from_secs(120)).expect("the send stops");
    assert_eq!(status.code(), Some(1), "interrupted");
    let report: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(dir.path().join("stdout.json"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    let (sent, left) = (
        report["sent"].as_u64().unwrap(),
        report["left_in_spool"].as_u64().unwrap(),
    );
    assert!(left > 0, "stopped before the end: {report}");
    assert!(
        sent + left <= lines,
        "each event counted once, as sent or as left: {report}"
    );
    let stored_before: BTreeSet<i64> = slow.stored_seqs().into_iter().collect();
    assert!(stored_before.len() as u64 >= sent, "{report}");

    // Resumed against a DFINERY without the limit: what was left and the lines not read.
    let emulator = emulator();
    let output = send_resumed(&emulator, &file, true);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let resumed: serde_json::Value = serde_json::from_str(text(&output.stdout).trim()).unwrap();
    // (An event whose request was on the wire at the stop's deadline is left too, and may
    // be stored already: DFINERY drops it as a duplicate of its `event_log_id`.)
    let resent = resumed["sent"].as_u64().unwrap();
    assert!(resent >= left && sent + resent >= lines, "{resumed}");
    let stored_after: BTreeSet<i64> = stored_seqs(&emulator).into_iter().collect();
    let all: BTreeSet<i64> = stored_before.union(&stored_after).copied().collect();
    assert_eq!(all, (1..=lines as i64).collect(), "every line stored");
}
