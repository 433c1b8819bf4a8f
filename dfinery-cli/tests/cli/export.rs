//! `dfinery export`: events and profiles written atomically to a file, and the failures that
//! leave nothing behind.

use dfinery_core::Datetime;

use crate::support::{
    coupon_line, dfinery, dfinery_at, emulator, registry_path, text, write_lines,
};

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
    // The check that `-o` can be written leaves nothing beside the exports.
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// `--export-token X` with `DFINERY_EXPORT_TOKEN=X` is the flag's token: a refused one names
/// the flag, not the variable (the command line told them apart by comparing the values).
#[test]
fn a_refused_export_token_typed_as_the_same_text_as_its_variable_names_the_flag() {
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    for what in ["events", "profiles"] {
        let output = dfinery_at(&emulator)
            .args(["export", what, "-o"])
            .arg(dir.path().join("out.csv"))
            .args(["--export-token", "wrong-export-token"])
            .env("DFINERY_EXPORT_TOKEN", "wrong-export-token")
            .output()
            .unwrap();
        let err = text(&output.stderr);
        assert_eq!(output.status.code(), Some(3), "{what}: {err}");
        assert!(
            err.contains("refused the token from `--export-token`"),
            "{what}: {err}"
        );
        assert!(!err.contains("DFINERY_EXPORT_TOKEN"), "{what}: {err}");
        assert!(!err.contains("wrong-export-token"), "{what}: {err}");
    }
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
fn an_export_refused_as_invalid_exits_1_and_does_not_point_at_an_empty_list() {
    // An audience DFINERY does not know: HTTP 400 `invalid_parameter`, which lists nothing.
    // It exited 4 (network or server) and said "fix what is listed".
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("profiles.csv");
    let output = dfinery_at(&emulator)
        .args(["export", "profiles", "--audience", "no-such-audience", "-o"])
        .arg(&csv)
        .output()
        .unwrap();
    let err = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "refused the request as invalid (HTTP 400, invalid_parameter); the answer names no \
             reason: check each value the request sends (for an export, its dates, names and \
             audience id) and send it again"
        ),
        "{err}"
    );
    assert!(!err.contains("fix what is listed"), "{err}");
    assert!(!csv.exists());

    // DFINERY's clock two days ahead: the 31 days the CLI allows start outside its look-back,
    // and the answer's code says so (it was "fix what is listed", with nothing listed).
    let ahead = dfinery_emulator::Emulator::builder()
        .registry(dfinery_emulator::Registry::load(registry_path()).unwrap())
        .clock_offset_ms(2 * 86_400_000)
        .start_blocking()
        .unwrap();
    let output = dfinery_at(&ahead)
        .args(["export", "events", "--days", "31", "-o"])
        .arg(dir.path().join("events.csv"))
        .output()
        .unwrap();
    let err = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "(HTTP 400, exceed_date_range_limit); the start date is outside DFINERY's 30-day \
             look-back by its own clock: start later (near midnight UTC its date may not be \
             yours)"
        ),
        "{err}"
    );
}

#[test]
fn an_output_that_cannot_be_written_is_refused_before_the_export_is_asked_for() {
    // The export was requested (DFINERY allows 100 an hour) and only then was the file found
    // unwritable.
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder/events.csv");
    // A folder's name that does not exist yet, with its separator, and a file's with one:
    // both passed the checks and failed at the rename, after the whole download.
    let new_folder = std::path::PathBuf::from(format!("{}/out/", dir.path().display()));
    std::fs::write(dir.path().join("data.csv"), "").unwrap();
    let after_a_file = std::path::PathBuf::from(format!("{}/data.csv/", dir.path().display()));
    for (what, output_path, says) in [
        ("events", &missing, "does not exist; create it first"),
        ("profiles", &missing, "does not exist; create it first"),
        (
            "events",
            &dir.path().to_path_buf(),
            "is a folder; give `-o` a file",
        ),
        (
            "events",
            &new_folder,
            "ends in a path separator, so it names a folder",
        ),
        (
            "events",
            &after_a_file,
            "ends in a path separator, so it names a folder",
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
    // A folder that exists but takes no new file (`/proc`), and a device: the first passed the
    // checks above and failed once the export had been asked for; the second would have been
    // replaced by the export's file.
    #[cfg(target_os = "linux")]
    for (output_path, says) in [
        (
            "/proc/x.csv",
            "cannot create a file in the folder `/proc` of `-o /proc/x.csv`",
        ),
        ("/dev/null", "`-o /dev/null` is not a regular file"),
    ] {
        let output = dfinery_at(&emulator)
            .args(["export", "events", "-o", output_path])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(3), "{output_path}");
        let err = text(&output.stderr);
        assert!(err.contains(says), "{err}");
        assert!(
            err.contains("give `-o`") || err.contains("give the path"),
            "{err}"
        );
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
        // Item properties are included, which DFINERY's filter cannot mix with excluding: the
        // refusal named the query's modes, not the flags.
        (
            &[
                "events",
                "--exclude-property",
                "df_discount",
                "--item-property",
                "df_price",
            ][..],
            "`--item-property` names properties to include",
        ),
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

#[test]
fn dates_out_of_order_or_range_are_named_by_their_flags() {
    // They were named `from_date` and `to_date`, the API's fields, which no flag is called.
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("out.csv");
    for (args, says) in [
        (
            &["--from", "2024-06-02", "--to", "2024-06-01"][..],
            "`--from` 2024-06-02 is after `--to` 2024-06-01; swap them",
        ),
        (&["--days", "400"][..], "`--days 400` starts on "),
        (
            &["--from", "2000-01-01"][..],
            "`--from` 2000-01-01 is more than 30 days before today",
        ),
        // One flag alone is named as itself: `--to` alone was called `--from`, and `--from`
        // alone in the future was told to swap with a `--to` never given.
        (
            &["--to", "2000-01-01"][..],
            "`--to` 2000-01-01 is more than 30 days before today",
        ),
        (
            &["--from", "2999-01-01"][..],
            "`--from` 2999-01-01 is after today (",
        ),
    ] {
        let output = dfinery_at(&emulator)
            .args(["export", "events"])
            .args(args)
            .arg("-o")
            .arg(&csv)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let err = text(&output.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!err.contains("from_date"), "{args:?}: {err}");
    }
    assert_eq!(emulator.stats().requests, 0);
}

#[test]
fn an_event_name_the_registry_lacks_is_warned_of_and_the_export_goes_ahead() {
    // `--event coupon_usd` exported 0 rows without a word: DFINERY knows no such event.
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("out.csv");
    let export = |args: &[&str], registry: Option<&std::path::Path>| {
        let mut command = dfinery_at(&emulator);
        if let Some(registry) = registry {
            command.env("DFINERY_REGISTRY", registry);
        }
        let output = command
            .args(["export", "events"])
            .args(args)
            .arg("-o")
            .arg(&csv)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        text(&output.stderr)
    };
    let err = export(&["--event", "coupon_usd"], None);
    assert!(
        err.contains("`--event coupon_usd`: no event of that name")
            && err.contains("(did you mean `coupon_used`?)"),
        "{err}"
    );
    assert!(csv.exists(), "the export went ahead");
    assert_eq!(emulator.stats().requests, 1);
    let err = export(&["--exclude-event", "df_nothere"], None);
    assert!(err.contains("`--exclude-event df_nothere`"), "{err}");

    let err = export(&["--event", "coupon_used"], None);
    assert!(!err.contains("no event of that name"), "{err}");

    // A registry with problems does not stop the export: the names are just not checked.
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        "[events.coupon_used]\nproperties.code = \"strng\"\n",
    )
    .unwrap();
    let err = export(&["--event", "coupon_usd"], Some(&broken));
    assert!(
        err.contains("the event names are not checked") && err.contains("1 problem"),
        "{err}"
    );
}

#[test]
fn ctrl_c_during_a_download_leaves_no_partial_file() {
    // Ctrl-C killed the process mid-download, and the hidden `.events.csv.<pid>-<n>.partial`
    // file it was writing stayed in the folder for good.
    stopped_during_a_download("INT");
}

#[test]
fn sigterm_during_a_download_stops_it_as_ctrl_c_does() {
    // SIGTERM (`docker stop`, systemd, Kubernetes) killed the process mid-download: no message,
    // exit 143, and the partial file left behind.
    stopped_during_a_download("TERM");
}

/// Starts `dfinery export profiles` against a server that sends the start of a body and then
/// nothing, sends it the signal `signal` (`INT`, `TERM`) once its partial file appears, and
/// checks the clean stop: exit 1, `interrupted; nothing was written`, no file left behind.
fn stopped_during_a_download(signal: &str) {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};
    // A server that answers with the start of a CSV body and then sends nothing more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buf).unwrap();
            if n == 0 {
                return;
            }
            request.extend_from_slice(&buf[..n]);
        }
        let body = "df_name\nAlice\n";
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n",
            body.len()
        );
        let _ = stream.flush();
        std::thread::sleep(Duration::from_secs(600));
    });
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(crate::support::BIN)
        .args(["-q", "export", "profiles", "-o"])
        .arg(dir.path().join("profiles.csv"))
        .env("DFINERY_BASE_URL", &url)
        .env("DFINERY_SERVICE_ID", "shop")
        .env("DFINERY_EXPORT_TOKEN", "t")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("stderr.txt")).unwrap())
        .spawn()
        .unwrap();
    let _guard = crate::support::KillOnPanic(child.id());
    let partial = || {
        std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .any(|name| name.ends_with(".partial"))
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while !partial() {
        assert!(Instant::now() < deadline, "the download never started");
        assert!(child.try_wait().unwrap().is_none(), "the export ended");
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the export did not stop on SIG{signal}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let err = std::fs::read_to_string(dir.path().join("stderr.txt")).unwrap();
    assert_eq!(status.code(), Some(1), "SIG{signal}: {status:?}: {err}");
    assert!(err.contains("interrupted; nothing was written"), "{err}");
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "stderr.txt")
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn an_export_without_a_service_id_says_where_to_give_one() {
    // It advised setting `[service] id` in the registry, which an export never reads.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("dfinery.toml"),
        "[service]\nid = \"shop\"\n",
    )
    .unwrap();
    let output = dfinery()
        .current_dir(dir.path())
        .env("DFINERY_EXPORT_TOKEN", "t")
        .args(["export", "profiles", "-o", "p.csv"])
        .output()
        .unwrap();
    let err = text(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert!(
        err.contains("no service id; pass `--service-id` or set `DFINERY_SERVICE_ID`"),
        "{err}"
    );
    assert!(!err.contains("[service] id"), "{err}");
}

#[test]
fn an_output_name_too_long_for_the_temporary_file_is_refused_before_the_export() {
    // The check made a shorter file than the export's temporary one, so a name of 230 bytes
    // passed it and failed after the export had been asked for (one of 100 an hour).
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join(format!("{}.csv", "x".repeat(226)));
    let output = dfinery_at(&emulator)
        .args(["export", "profiles", "-o"])
        .arg(&csv)
        .output()
        .unwrap();
    let err = text(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert!(err.contains("cannot create a file in the folder"), "{err}");
    assert_eq!(emulator.stats().requests, 0, "nothing was asked of DFINERY");
}

#[test]
fn an_export_that_does_not_start_within_the_timeout_is_asked_for_once_and_names_the_flag() {
    // Each try of an export spends one of DFINERY's 100 an hour: one that had not started
    // within the client's 30 s was tried five times.
    use dfinery_emulator::{FaultConfig, Latency};
    use std::time::Duration;
    let emulator = emulator();
    emulator
        .set_faults(FaultConfig {
            latency: Latency::fixed(Duration::from_secs(30)),
            ..FaultConfig::default()
        })
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("profiles.csv");
    let output = dfinery_at(&emulator)
        .args(["export", "profiles", "--timeout", "1", "-o"])
        .arg(&csv)
        .output()
        .unwrap();
    let err = text(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{err}");
    assert!(
        err.contains("did not start the export within 1 s (`--timeout`)"),
        "{err}"
    );
    assert_eq!(emulator.stats().requests, 1, "{err}");
    assert!(!csv.exists());

    let output = dfinery_at(&emulator)
        .args(["export", "profiles", "--timeout", "0", "-o"])
        .arg(&csv)
        .output()
        .unwrap();
    let err = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("give 1 or more (the default is 120)"), "{err}");
    assert_eq!(emulator.stats().requests, 1);
}

/// A port nothing listens on (bound, then closed): the error named the library's `base_url`,
/// not the command line's `--base-url` (or `DFINERY_BASE_URL`).
#[test]
fn an_unreachable_dfinery_is_named_by_the_command_line_s_own_option() {
    let closed = crate::support::closed_port();
    let dir = tempfile::tempdir().unwrap();
    let output = dfinery()
        .args(["export", "profiles", "-o"])
        .arg(dir.path().join("profiles.csv"))
        // The client's five tries (at most 3 s of backoff) end the command with their own
        // error long before `--timeout`, which the command does not wait out: with 5 s, a
        // stall of the command spanning the deadline (seconds, on a loaded host) ended it
        // before the last try.
        .args(["--base-url", &format!("http://{closed}"), "--timeout", "60"])
        .args(["--service-id", "cli-shop", "--export-token", "t"])
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    let err = text(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{err}");
    assert!(
        err.lines().last().unwrap_or_default().contains(
            "could not reach `POST /api/v1/export/userprofile`; check the network and `--base-url` (or `DFINERY_BASE_URL`)"
        ),
        "{err}"
    );
    assert!(!err.contains("`base_url`"), "the library's name: {err}");
    assert!(!dir.path().join("profiles.csv").exists());
}
