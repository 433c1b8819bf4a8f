//! `--json` for scripts: every command that fails prints one JSON object on stdout too, so
//! `dfinery --json … | jq` reads an object on failure as on success.

use crate::support::{coupon_line, dfinery, registry_path, text, write_lines};

/// Stdout's lines, each parsed as JSON.
fn objects(stdout: &[u8]) -> Vec<serde_json::Value> {
    text(stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

#[test]
fn a_configuration_error_is_one_json_object_on_stdout_with_its_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(
        dir.path(),
        "e.ndjson",
        [coupon_line(1, 1, "2024-06-24T06:01:48.501Z")],
    );
    let output = dfinery()
        .args(["--json", "send", "--registry"])
        .arg(registry_path())
        .arg(&file)
        .env("DFINERY_BASE_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    let objects = objects(&output.stdout);
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert_eq!(objects[0]["exit_code"], 3);
    let message = objects[0]["error"].as_str().unwrap();
    assert!(message.contains("DFINERY_IMPORT_TOKEN"), "{message}");
    // The person reading stderr still gets the same line.
    assert!(
        text(&output.stderr).contains(message),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn an_export_refused_before_it_starts_is_one_json_object() {
    let dir = tempfile::tempdir().unwrap();
    let output = dfinery()
        .args(["--json", "export", "profiles", "-o"])
        .arg(dir.path().join("p.csv"))
        .env("DFINERY_BASE_URL", "http://127.0.0.1:9")
        .env("DFINERY_SERVICE_ID", "svc")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    let objects = objects(&output.stdout);
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert_eq!(objects[0]["exit_code"], 3);
    assert!(objects[0]["error"].is_string(), "{objects:?}");
}

#[test]
fn a_failed_send_that_printed_its_report_prints_no_second_object() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(
        dir.path(),
        "e.ndjson",
        [coupon_line(1, 1, "2024-06-24T06:01:48.501Z")],
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let output = dfinery()
        .args(["--json", "send", "--timeout", "1", "--registry"])
        .arg(registry_path())
        .arg(&file)
        .env("DFINERY_BASE_URL", &url)
        .env("DFINERY_IMPORT_TOKEN", "t")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4), "{}", text(&output.stderr));
    let objects = objects(&output.stdout);
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert_eq!(objects[0]["left_in_spool"], 1, "{objects:?}");
    let error = objects[0]["error"]
        .as_str()
        .expect("the report carries the error");
    assert!(error.contains("--resume"), "{error}");
}
