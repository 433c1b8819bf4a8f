//! `dfinery check`: a good registry, a broken one (every problem with its line and column),
//! `--init`, and `--coverage` against a manifest of derived types.

use std::path::Path;
use std::process::Output;

use crate::support::{dfinery, fixture, registry_path, text};

/// `dfinery check --registry PATH`, run to its end.
fn check(path: impl AsRef<Path>) -> Output {
    dfinery()
        .args(["check", "--registry"])
        .arg(path.as_ref())
        .output()
        .unwrap()
}

/// `dfinery check --registry` (the fixture) `--coverage MANIFEST`, run to its end.
fn coverage(manifest: impl AsRef<Path>) -> Output {
    dfinery()
        .args(["check", "--registry"])
        .arg(registry_path())
        .arg("--coverage")
        .arg(manifest.as_ref())
        .output()
        .unwrap()
}

/// Every problem was shown by walking the file's lines from its start to the problem's line,
/// so a file of many problems took time in their number times its length: 16,000 problems in
/// a 16,000-line file took 24 s, 100,000 more than 10 minutes. The lines are found once now.
/// (The bound is generous: about a second here.)
#[test]
fn a_registry_of_many_problems_is_shown_in_time_linear_in_its_length() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dfinery.toml");
    let lines = 30_000;
    let mut registry = String::from("[user_properties]\n");
    for i in 0..lines {
        registry.push_str(&format!("p{i} = \"strng\"\n"));
    }
    std::fs::write(&path, registry).unwrap();
    let started = std::time::Instant::now();
    let output = check(&path);
    let took = started.elapsed();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let out = text(&output.stdout);
    let last = lines + 1;
    assert!(
        out.contains(&format!(
            "  --> {}:{last}:{col}\n {pad} |\n {last} | p{n} = \"strng\"\n",
            path.display(),
            col = format!("p{} = ", lines - 1).len() + 1,
            pad = " ".repeat(last.to_string().len()),
            n = lines - 1
        )),
        "{}",
        &out[out.len().saturating_sub(600)..]
    );
    assert!(
        out.ends_with(&format!("has {lines} problems\n")),
        "{}",
        &out[out.len().saturating_sub(300)..]
    );
    assert!(took < std::time::Duration::from_secs(20), "{took:?}");
}

#[test]
fn a_good_registry_passes_with_a_summary() {
    let output = check(registry_path());
    assert_eq!(output.status.code(), Some(0));
    let out = text(&output.stdout);
    assert!(
        out.contains(
            "is valid: 3 events (2 standard, 1 custom), 8 user properties, service id `cli-shop`"
        ),
        "{out}"
    );
}

#[test]
fn a_deprecated_standard_name_is_a_warning_not_an_error() {
    let path = fixture("deprecated.toml");
    let output = check(&path);
    assert_eq!(output.status.code(), Some(0), "a warning does not fail");
    let out = text(&output.stdout);
    assert!(
        out.contains(
            "warning: `df_push_optin` is deprecated in DFINERY's SDKs (still accepted); use the other consent flags instead: `df_push_ads_optin`, `df_push_night_ads_optin`, `df_sms_ads_optin` or `df_kakao_ads_optin`"
        ),
        "{out}"
    );
    assert!(
        out.contains(&format!("--> {}:3:40", path.display())),
        "{out}"
    );
    assert!(!out.contains("error:"), "{out}");
    assert!(out.contains("is valid (1 warning): "), "{out}");

    let output = dfinery()
        .args(["--json", "check", "--registry"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["valid"], true);
    assert_eq!(value["problems"], serde_json::json!([]));
    assert_eq!(value["warnings"][0]["line"], 3);
    assert_eq!(value["warnings"][0]["column"], 40);
}

#[test]
fn a_broken_registry_lists_every_problem_with_line_and_column() {
    let path = fixture("broken.toml");
    let output = check(&path);
    assert_eq!(output.status.code(), Some(1));
    let out = text(&output.stdout);
    let shown = path.display().to_string();
    for (position, message) in [
        (
            "1:32",
            "unknown standard event `df_purchas`; did you mean `df_purchase`?",
        ),
        (
            "4:19",
            "unknown type `strng` for property `code` of event `coupon_used`; did you mean `string`?",
        ),
        (
            "5:51",
            "`required` of property `amount` of event `coupon_used` must be `true` or `false`, found a string",
        ),
    ] {
        assert!(
            out.contains(&format!("--> {shown}:{position}")),
            "no {position} in:\n{out}"
        );
        assert!(out.contains(message), "no {message} in:\n{out}");
    }
    assert!(out.contains(" 4 | properties.code = \"strng\""), "{out}");
    assert!(out.contains("has 3 problems"), "{out}");

    let output = dfinery()
        .args(["--json", "check", "--registry"])
        .arg(&path)
        .output()
        .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["valid"], false);
    let lines: Vec<_> = value["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["line"].as_u64().unwrap(), p["column"].as_u64().unwrap()))
        .collect();
    assert_eq!(lines, [(1, 32), (4, 19), (5, 51)]);
}

#[test]
fn a_missing_registry_exits_3_and_names_the_fix() {
    // Under a fresh folder: a fixed path such as `/nonexistent/…` may exist on some machine.
    let dir = tempfile::tempdir().unwrap();
    let output = check(dir.path().join("missing/dfinery.toml"));
    assert_eq!(output.status.code(), Some(3));
    assert!(text(&output.stderr).contains("dfinery check --init"));
}

#[test]
fn an_error_written_to_a_closed_stderr_keeps_its_exit_code() {
    // `dfinery send big.ndjson 2>&1 | head` closes the pipe before the last error is written;
    // writing to it once panicked (`failed printing to stderr`) and exited 101 instead of 3.
    let closed_stderr = || {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        writer
    };
    let missing = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(crate::support::BIN)
        .args(["check", "--registry"])
        .arg(missing.path().join("missing/dfinery.toml"))
        .env_remove("DFINERY_REGISTRY")
        .stdout(std::process::Stdio::null())
        .stderr(closed_stderr())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(3));
    // A log line first (`INFO exporting events …`): the logger's own report of the failed
    // write went through `eprintln!` too. (A refused token: an unwritable output is refused
    // before that line.)
    let emulator = crate::support::emulator();
    let dir = tempfile::tempdir().unwrap();
    let mut command = std::process::Command::new(crate::support::BIN);
    for (key, value) in crate::support::env(&emulator) {
        command.env(key, value);
    }
    let status = command
        .env("DFINERY_EXPORT_TOKEN", "refused")
        .args(["export", "events", "--days", "1", "-o"])
        .arg(dir.path().join("x.csv"))
        .stdout(std::process::Stdio::null())
        .stderr(closed_stderr())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(3));
}

#[test]
fn init_writes_a_starter_that_checks_and_keeps_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dfinery.toml");
    let run = |extra: &[&str]| {
        dfinery()
            .current_dir(dir.path())
            .arg("check")
            .args(extra)
            .output()
            .unwrap()
    };
    let output = run(&["--init"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let starter = std::fs::read_to_string(&path).unwrap();
    assert!(starter.contains("# \"df_purchase\","), "{starter}");
    assert!(starter.contains("# [events.coupon_used]"));
    assert_eq!(run(&[]).status.code(), Some(0));

    std::fs::write(&path, "standard_events = [\"df_login\"]\n").unwrap();
    let output = run(&["--init"]);
    assert_eq!(output.status.code(), Some(3));
    assert!(text(&output.stderr).contains("--force"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "standard_events = [\"df_login\"]\n"
    );
    assert_eq!(run(&["--init", "--force"]).status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), starter);
}

#[test]
fn init_at_another_path_names_the_check_that_reads_it() {
    // It said "then run `dfinery check`", which reads `dfinery.toml`, not the file written.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry/shop.toml");
    std::fs::create_dir(dir.path().join("registry")).unwrap();
    let init = || {
        dfinery()
            .args(["check", "--init", "--registry"])
            .arg(&path)
            .output()
            .unwrap()
    };
    let check = format!("`dfinery check --registry {}`", path.display());
    let output = init();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let out = text(&output.stdout);
    assert!(out.contains(&format!("then run {check}")), "{out}");
    let output = init();
    assert_eq!(output.status.code(), Some(3));
    let err = text(&output.stderr);
    assert!(err.contains(&format!("check it with {check}")), "{err}");
}

/// A folder this user may not write in: it said "cannot write `...`: Permission denied (os
/// error 13)" and no more. Linux's `/sys` takes no new file from anyone, root included (a
/// read-only temporary folder would not stop a test running as root); the other kinds of
/// refusal are unit-tested in `check::init`.
#[cfg(target_os = "linux")]
#[test]
fn init_into_a_folder_this_user_may_not_write_names_it_and_the_fix() {
    let path = std::path::Path::new("/sys/dfinery.toml");
    if !std::path::Path::new("/sys").is_dir() || path.exists() {
        eprintln!("skipped: no `/sys` folder to be refused by");
        return;
    }
    let output = dfinery()
        .args(["check", "--init", "--registry"])
        .arg(path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    let err = text(&output.stderr);
    assert!(err.contains("cannot write `/sys/dfinery.toml`"), "{err}");
    assert!(
        err.contains(
            "this user may not create files in the folder `/sys`: give `--registry` a path in a folder you can write"
        ),
        "{err}"
    );
}

/// A path where no file can be made, whoever runs the test (root included): under a regular
/// file, it said "create the folder `…/notes.txt` first", which `mkdir` refuses; in `/proc`,
/// "No such file or directory" and no fix. A missing folder names the `mkdir` that makes it.
#[test]
fn init_where_no_file_can_be_made_names_the_path_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let init = |path: &std::path::Path| {
        let output = dfinery()
            .args(["check", "--init", "--registry"])
            .arg(path)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
        assert!(!path.exists(), "{} was written", path.display());
        text(&output.stderr)
    };
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "").unwrap();
    for path in [file.join("dfinery.toml"), file.join("conf/dfinery.toml")] {
        let err = init(&path);
        assert!(
            err.contains(&format!("cannot write `{}`: ", path.display())),
            "{err}"
        );
        assert!(
            err.contains(&format!(
                "; `{}` is not a folder: give `--registry` a path in a folder you can write, e.g. `dfinery.toml` in the working folder",
                file.display()
            )),
            "{err}"
        );
        assert!(!err.contains("create the folder"), "{err}");
    }

    let missing = dir.path().join("conf/shop");
    let err = init(&missing.join("dfinery.toml"));
    assert!(
        err.contains(&format!(
            "; create the folder `{0}` first (`mkdir -p {0}`), or give `--registry` a path in a folder that exists",
            missing.display()
        )),
        "{err}"
    );

    // Linux's `/proc` takes no new file from anyone.
    let proc = std::path::Path::new("/proc/dfinery.toml");
    if cfg!(target_os = "linux") && std::path::Path::new("/proc/self").exists() {
        let err = init(proc);
        assert!(err.contains("cannot write `/proc/dfinery.toml`: "), "{err}");
        assert!(
            err.contains(
                "; the folder `/proc` takes no new file: give `--registry` a path in a folder you can write"
            ),
            "{err}"
        );
    } else {
        eprintln!("skipped `/proc`: no such folder here");
    }
}

/// A symbolic link whose target cannot be written: the link dangling into a missing folder was
/// said to be in "the current folder", which "takes no new file" (it takes files well); a link
/// that leads back to itself was said the same. The message names the link, where it leads,
/// and the fix there; a dangling link into a folder that exists is written through.
#[cfg(unix)]
#[test]
fn init_through_a_symbolic_link_names_where_it_leads() {
    let dir = tempfile::tempdir().unwrap();
    let init = |path: &std::path::Path| {
        dfinery()
            .current_dir(dir.path())
            .args(["check", "--init", "--registry"])
            .arg(path)
            .output()
            .unwrap()
    };
    std::os::unix::fs::symlink("conf/shop.toml", dir.path().join("dfinery.toml")).unwrap();
    let output = init(std::path::Path::new("dfinery.toml"));
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    let err = text(&output.stderr);
    assert!(
        err.contains("cannot write `dfinery.toml` (a symbolic link to `conf/shop.toml`): "),
        "{err}"
    );
    assert!(
        err.contains("; create the folder `conf` first (`mkdir -p conf`)"),
        "{err}"
    );
    assert!(!err.contains("takes no new file"), "{err}");

    std::os::unix::fs::symlink("loop.toml", dir.path().join("loop.toml")).unwrap();
    let output = init(std::path::Path::new("loop.toml"));
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    let err = text(&output.stderr);
    assert!(
        err.contains("; `loop.toml` is a symbolic link that leads back to itself: remove it, or give `--registry` another path"),
        "{err}"
    );

    std::fs::create_dir(dir.path().join("conf")).unwrap();
    let output = init(std::path::Path::new("dfinery.toml"));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(dir.path().join("conf/shop.toml").is_file());
}

#[test]
fn coverage_finds_a_property_the_registry_changed_since_the_build() {
    // A manifest listed names only: a field that can be absent for a property made required
    // since, a changed type or narrowed values passed as covered (exit 0).
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("built.json");
    std::fs::write(
        &manifest,
        r#"{"format":"dfinery-coverage/2","events":[{"rust_name":"Coupon","name":"coupon_used","properties":[{"name":"code","rust_field":"code","type":"string","absent":true,"max_len":12},{"name":"seq","rust_field":"seq","type":"double","absent":false}],"item_properties":[]}],"profiles":[{"rust_name":"Member","properties":[{"name":"tier","rust_field":"level","type":"string","absent":true,"enum":["bronze","silver","gold","platinum"]}]}]}"#,
    )
    .unwrap();
    let output = coverage(&manifest);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let out = text(&output.stdout);
    for expected in [
        "error: `Coupon` can leave out property `code` of event `coupon_used`, which the registry now requires: field `code` can be absent (an `Option` or a `Patch`, or a type parameter that may be one)",
        "error: `Coupon` sends property `seq` of event `coupon_used` as Double (field `seq`), but the registry now registers it as Long",
        "error: `Member` can send `platinum` as user property `tier` (field `level`), which the registry no longer allows; it allows `bronze`, `silver`, `gold`",
    ] {
        assert!(out.contains(expected), "no `{expected}` in:\n{out}");
    }
    // A property missing what format 2 gives every property is no manifest of it.
    std::fs::write(
        &manifest,
        r#"{"format":"dfinery-coverage/2","events":[{"rust_name":"Coupon","name":"coupon_used","properties":["code"]}]}"#,
    )
    .unwrap();
    let output = coverage(&manifest);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stdout));
    let err = text(&output.stderr);
    assert!(err.contains("is not a coverage manifest: "), "{err}");
}

#[test]
fn coverage_lists_what_the_registry_lacks_and_what_no_type_sends() {
    let output = coverage(fixture("coverage.json"));
    assert_eq!(output.status.code(), Some(1));
    let out = text(&output.stdout);
    for expected in [
        "coverage of 4 derived types:",
        "error: `Coupon` sends property `amont` of event `coupon_used`, which the registry lacks; did you mean `amount`?",
        "error: `Review` sends event `app_review`, which the registry lacks",
        // The way out of a gap: the registry or the code.
        "help: DFINERY refuses what its console lacks: register each of these in the console and in the registry file, or rebuild the crate (`cargo build` checks the derives",
        "note: registered events no Rust type sends: `df_login`",
        "note: registered user properties no Rust type sends: `df_gender`",
    ] {
        assert!(out.contains(expected), "no `{expected}` in:\n{out}");
    }
    assert!(!out.contains("`Purchase`"), "{out}");
    // What the registry requires and a type never sends: DFINERY refuses every such event.
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("required.json");
    std::fs::write(
        &manifest,
        r#"{"format":"dfinery-coverage/1","events":[{"rust_name":"Coupon","name":"coupon_used","properties":["amount"]}]}"#,
    )
    .unwrap();
    let output = coverage(&manifest);
    assert_eq!(output.status.code(), Some(1));
    let out = text(&output.stdout);
    assert!(
        out.contains("error: `Coupon` never sends property `code` of event `coupon_used`, which the registry requires"),
        "{out}"
    );

    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("m.json");
    std::fs::write(
        &manifest,
        r#"{"format":"dfinery-coverage/1","events":[{"rust_name":"Login","name":"df_login"}]}"#,
    )
    .unwrap();
    let output = dfinery()
        .args(["--json", "check", "--registry"])
        .arg(registry_path())
        .arg("--coverage")
        .arg(&manifest)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "notes alone do not fail");
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["coverage"]["gaps"], serde_json::json!([]));
    assert_eq!(
        value["coverage"]["unsent_events"],
        serde_json::json!(["coupon_used", "df_purchase"])
    );
}

#[test]
fn a_manifest_with_a_key_it_does_not_know_is_refused_not_read_as_empty() {
    // `eventz` was ignored: the manifest read as zero types and the check passed with
    // "every event and property they send is registered".
    let dir = tempfile::tempdir().unwrap();
    for (body, key) in [
        (
            r#"{"format":"dfinery-coverage/1","eventz":[{"rust_name":"Review","name":"app_review"}]}"#,
            "eventz",
        ),
        (
            r#"{"format":"dfinery-coverage/1","events":[{"rust_name":"Coupon","name":"coupon_used","propertiez":["amont"]}]}"#,
            "propertiez",
        ),
    ] {
        let manifest = dir.path().join("m.json");
        std::fs::write(&manifest, body).unwrap();
        let output = coverage(&manifest);
        assert_eq!(output.status.code(), Some(3), "{key}");
        let err = text(&output.stderr);
        assert!(err.contains(&format!("unknown field `{key}`")), "{err}");
        assert!(err.contains("line 1 column"), "where: {err}");
    }
}

#[test]
fn a_folder_given_as_the_registry_is_named_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let output = check(dir.path());
    assert_eq!(output.status.code(), Some(3));
    let err = text(&output.stderr);
    assert!(
        err.contains("is a folder; give `--registry` the file"),
        "{err}"
    );
    // `--init` said "already exists; ... pass `--force` to replace it", and with `--force`
    // "Is a directory".
    for force in [false, true] {
        let output = dfinery()
            .args(["check", "--init", "--registry"])
            .arg(dir.path())
            .args(force.then_some("--force"))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(3));
        let err = text(&output.stderr);
        assert!(err.contains("is a folder"), "--force {force}: {err}");
        assert!(!err.contains("--force"), "--force {force}: {err}");
    }
    let output = dfinery()
        .args(["check", "--init", "--registry"])
        .arg(dir.path().join("no-such-folder/dfinery.toml"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let err = text(&output.stderr);
    assert!(err.contains("no-such-folder` first"), "{err}");
}

/// A registry passed through a pipe, as a shell's process substitution does
/// (`dfinery check --registry <(git show main:dfinery.toml)`), is read; `check --init --force`
/// refuses to write into a FIFO (it would wait for a reader, forever), and a socket is refused
/// without being opened. Each answers within 60 s.
#[cfg(unix)]
#[test]
fn a_registry_through_a_pipe_is_read_and_a_fifo_or_socket_is_never_written_or_opened() {
    let good = registry_path();
    // Process substitution: bash names the pipe `/dev/fd/N`.
    let output = std::process::Command::new("bash")
        .arg("-c")
        .arg(r#""$0" check --registry <(cat "$1")"#)
        .arg(crate::support::BIN)
        .arg(&good)
        .env_remove("DFINERY_REGISTRY")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let out = text(&output.stdout);
    assert!(out.contains("is valid: 3 events"), "{out}");

    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("dfinery.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo {}", fifo.display());
    // A named FIFO with a writer: read as the pipe above.
    let writer = {
        let (fifo, good) = (fifo.clone(), good.clone());
        std::thread::spawn(move || std::fs::write(&fifo, std::fs::read(&good).unwrap()))
    };
    let output = dfinery()
        .args(["check", "--registry"])
        .arg(&fifo)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    writer.join().unwrap().unwrap();

    let socket = dir.path().join("registry.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let cases: [(&[&str], &Path, &str); 2] = [
        (
            &["check", "--init", "--force"],
            &fifo,
            "is a FIFO (named pipe), not a regular file",
        ),
        (
            &["check"],
            &socket,
            "is a socket, and the registry is read from a regular file or a pipe only",
        ),
    ];
    for (args, path, says) in cases {
        // Killed after 60 s, it has no exit code.
        let output = dfinery()
            .args(args)
            .arg("--registry")
            .arg(path)
            .current_dir(dir.path())
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        let err = text(&output.stderr);
        assert_eq!(output.status.code(), Some(3), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[test]
fn the_caret_stays_under_the_value_on_a_line_indented_with_a_tab() {
    // The caret line was indented with spaces only: under a tab-indented line it showed 7
    // columns left of the value on a terminal with tab stops every 8.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tab.toml");
    std::fs::write(
        &path,
        "[events.coupon_used]\n\tproperties.code = \"strng\"\n",
    )
    .unwrap();
    let output = check(&path);
    assert_eq!(output.status.code(), Some(1));
    let out = text(&output.stdout);
    assert!(
        out.contains(" 2 | \tproperties.code = \"strng\"\n   | \t                  ^^^^^^^"),
        "{out}"
    );
}

#[test]
fn a_registry_that_is_not_utf8_or_never_ends_is_a_problem_at_its_place_not_read_whole() {
    // `/dev/zero` was read until memory ran out, and a byte that is not UTF-8 was reported
    // without a line: the CLI read the file itself instead of as the derive does.
    let dir = tempfile::tempdir().unwrap();
    let latin1 = dir.path().join("latin1.toml");
    std::fs::write(&latin1, b"[service]\nid = \"caf\xE9\"\n").unwrap();
    let output = check(&latin1);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let out = text(&output.stdout);
    assert!(
        out.contains("the registry file is not UTF-8")
            && out.contains(&format!("--> {}:2:10", latin1.display())),
        "{out}"
    );

    // Now refused before it is opened, as every entry that is neither a regular file nor a pipe is.
    #[cfg(unix)]
    {
        let output = check("/dev/zero");
        assert_eq!(output.status.code(), Some(3), "{}", text(&output.stdout));
        let err = text(&output.stderr);
        assert!(
            err.contains("is a device, and the registry is read"),
            "{err}"
        );
    }
}

/// Without `--registry`, `dfinery check` reads the registry the derives would: `dfinery.toml`
/// in the working folder, else in the crate's folder, else in the workspace's root, and names
/// it by its path from the working folder. Before, it looked in the working folder only, so run
/// from a member crate it said there was no registry while the build used the root's.
#[test]
fn without_registry_the_crate_s_then_the_workspace_s_registry_is_read_as_the_derives_do() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let app = root.join("app");
    let src = app.join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        root.join("Cargo.toml"),
        "[workspace]\nmembers = [\"app\"]\n",
    )
    .unwrap();
    std::fs::write(app.join("Cargo.toml"), "[package]\nname = \"app\"\n").unwrap();
    std::fs::copy(registry_path(), root.join("dfinery.toml")).unwrap();
    let run = |cwd: &Path| dfinery().arg("check").current_dir(cwd).output().unwrap();

    let output = run(&src);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let out = text(&output.stdout);
    assert!(out.contains("`../../dfinery.toml` is valid"), "{out}");

    // The crate's own comes before the workspace's, and the working folder's before both.
    std::fs::write(
        app.join("dfinery.toml"),
        "standard_events = [\"df_login\"]\n",
    )
    .unwrap();
    let out = text(&run(&src).stdout);
    assert!(out.contains("`../dfinery.toml` is valid: 1 event"), "{out}");
    std::fs::write(src.join("dfinery.toml"), "standard_events = [\"strng\"]\n").unwrap();
    let output = run(&src);
    assert_eq!(
        output.status.code(),
        Some(1),
        "the working folder's, broken, is the one read"
    );

    // Outside any crate, only the working folder is looked in.
    let elsewhere = tempfile::tempdir().unwrap();
    let output = run(elsewhere.path());
    assert_eq!(output.status.code(), Some(3));
    assert!(text(&output.stderr).contains("dfinery check --init"));
}
