//! `--help` of every command: it runs, lists the flags, and documents the exit codes.

use crate::support::{dfinery, text};

fn help(args: &[&str]) -> String {
    let output = dfinery().args(args).arg("--help").output().unwrap();
    assert!(output.status.success(), "{args:?} --help failed");
    text(&output.stdout)
}

#[test]
fn every_command_has_help_with_its_flags_and_the_exit_codes() {
    let cases: [(&[&str], &[&str]); 7] = [
        (&[], &["emulator", "check", "send", "export", "--json"]),
        (
            &["emulator"],
            &[
                "--registry",
                "--port",
                "--service-id",
                "--import-token",
                "--export-token",
                "--inspect",
            ],
        ),
        (
            &["check"],
            &["--registry", "--init", "--force", "--coverage"],
        ),
        (
            &["send"],
            &[
                "<FILE>",
                "--skip-invalid",
                "--resume",
                "--restart",
                "--state-dir",
                "--check-only",
                "--timeout",
                "--request-timeout",
                "--base-url",
                "DFINERY_IMPORT_TOKEN",
            ],
        ),
        (&["export"], &["events", "profiles"]),
        (
            &["export", "events"],
            &[
                "--output",
                "--from",
                "--to",
                "--days",
                "--event",
                "--exclude-event",
                "--property",
                "--item-property",
            ],
        ),
        (
            &["export", "profiles"],
            &["--output", "--property", "--audience", "--external-id"],
        ),
    ];
    for (args, flags) in cases {
        let text = help(args);
        for flag in flags {
            assert!(
                text.contains(flag),
                "`dfinery {args:?} --help` lacks `{flag}`:\n{text}"
            );
        }
        if !args.is_empty() && args != ["export"] {
            assert!(
                text.contains("Exit codes:"),
                "`{args:?} --help` lacks the exit codes"
            );
            assert!(text.contains("4  network or server"), "{text}");
        }
    }
}

#[test]
fn a_token_in_the_environment_is_never_shown_by_help() {
    let output = dfinery()
        .args(["send", "--help"])
        .env("DFINERY_IMPORT_TOKEN", "secret-in-env")
        .output()
        .unwrap();
    assert!(!text(&output.stdout).contains("secret-in-env"));
}

#[test]
fn the_password_of_a_redis_url_in_the_environment_is_never_shown_by_help() {
    for flag in ["--help", "-h"] {
        let output = dfinery()
            .args(["send", flag])
            .env(
                "DFINERY_REDIS_URL",
                "redis://:secret-in-env@127.0.0.1:6379/0",
            )
            .output()
            .unwrap();
        let help = text(&output.stdout);
        assert!(help.contains("DFINERY_REDIS_URL"), "{flag}: {help}");
        assert!(!help.contains("secret-in-env"), "{flag}: {help}");
    }
}

#[test]
fn settings_from_the_environment_are_not_shown_as_required_in_the_usage_line() {
    // With `DFINERY_IMPORT_TOKEN` set, a missing file said
    // "Usage: dfinery send --import-token <TOKEN> <FILE>", as if the flag were required.
    let output = dfinery()
        .args(["send"])
        .env("DFINERY_IMPORT_TOKEN", "secret-in-env")
        .env("DFINERY_SERVICE_ID", "shop")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = text(&output.stderr);
    assert!(
        err.contains("the following required arguments were not provided:\n  <FILE>"),
        "{err}"
    );
    assert!(err.contains("Usage: dfinery send <FILE>\n"), "{err}");
    assert!(
        !err.contains("--import-token") && !err.contains("--service-id"),
        "{err}"
    );
    assert!(!err.contains("secret-in-env"), "{err}");
    // What was typed is still shown, and a flag given with the environment's setting too.
    let output = dfinery()
        .args(["send", "--service-id", "other"])
        .env("DFINERY_IMPORT_TOKEN", "secret-in-env")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = text(&output.stderr);
    assert!(
        err.contains("Usage: dfinery send --service-id <ID> <FILE>"),
        "{err}"
    );
    assert!(!err.contains("--import-token"), "{err}");
}

#[test]
fn a_conflict_with_settings_in_the_environment_shows_only_what_was_typed() {
    // `--days` with `--to` said "Usage: dfinery export events --output <FILE> --days <N>
    // --base-url <URL> --service-id <ID> --import-token <TOKEN> --export-token <TOKEN>".
    let output = dfinery()
        .args([
            "export",
            "events",
            "--days",
            "1",
            "--to",
            "2026-12-01",
            "-o",
            "x.csv",
        ])
        .env("DFINERY_BASE_URL", "http://127.0.0.1:9")
        .env("DFINERY_SERVICE_ID", "shop")
        .env("DFINERY_EXPORT_TOKEN", "secret-in-env")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = text(&output.stderr);
    assert!(
        err.contains("the argument '--days <N>' cannot be used with '--to <DATE>'"),
        "{err}"
    );
    assert!(
        err.contains("Usage: dfinery export events --output <FILE> --days <N>\n"),
        "{err}"
    );
    assert!(
        !err.contains("--export-token") && !err.contains("--base-url"),
        "{err}"
    );
    assert!(!err.contains("secret-in-env"), "{err}");
}

/// Settings in the environment, each value a secret or holding one.
const SECRET_ENV: [(&str, &str); 5] = [
    ("DFINERY_IMPORT_TOKEN", "secret-import-token"),
    ("DFINERY_EXPORT_TOKEN", "secret-export-token"),
    (
        "DFINERY_REDIS_URL",
        "redis://:secret-password@127.0.0.1:9/0",
    ),
    (
        "DFINERY_BASE_URL",
        "http://secret-user:secret-pass@127.0.0.1:9",
    ),
    ("DFINERY_SERVICE_ID", "secret-service"),
];

#[test]
fn a_requirement_the_environment_meets_leaves_the_other_settings_out_of_the_usage_line() {
    // `--rate-limit` requires `--redis-url`, which `DFINERY_REDIS_URL` filled: parsed again
    // without the environment, `--redis-url` was missing too, that error was not the same, and
    // the first one was kept, saying "Usage: dfinery send --redis-url <URL> --rate-limit
    // <API=N/PERIOD> --base-url <URL> --service-id <ID> --import-token <TOKEN> --export-token
    // <TOKEN> <FILE>".
    for (flag, value, usage) in [
        (
            "--rate-limit",
            "event=1/1s",
            "Usage: dfinery send --redis-url <URL> --rate-limit <API=N/PERIOD> <FILE>\n",
        ),
        (
            "--expected-instances",
            "3",
            "Usage: dfinery send --redis-url <URL> --expected-instances <N> <FILE>\n",
        ),
    ] {
        let output = dfinery()
            .args(["send", flag, value])
            .envs(SECRET_ENV)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{flag}");
        let err = text(&output.stderr);
        assert!(
            err.contains("the following required arguments were not provided:\n  <FILE>\n\n"),
            "only the file is missing, `--redis-url` is set: {err}"
        );
        assert!(err.contains(usage), "{err}");
        for shown in [
            "--import-token",
            "--export-token",
            "--base-url",
            "--service-id",
            "secret",
        ] {
            assert!(!err.contains(shown), "{shown}: {err}");
        }
    }
}

#[test]
fn other_usage_errors_show_no_setting_from_the_environment() {
    // A guard: an invalid value, an unknown flag, an unknown subcommand and a conflict are
    // found before clap reads the environment (or, for the conflict, shown with the usage of a
    // parse without it), so their message and usage line name no setting it filled, and never
    // its value.
    for (args, message, usage) in [
        (
            &["send", "e.ndjson", "--timeout", "x"][..],
            "error: invalid value 'x' for '--timeout <SECS>'",
            None,
        ),
        (
            &["send", "e.ndjson", "--format", "xml"],
            "error: invalid value 'xml' for '--format <FORMAT>'",
            None,
        ),
        (
            &["send", "e.ndjson", "--bogus"],
            "error: unexpected argument '--bogus' found",
            Some("Usage: dfinery send <FILE>\n"),
        ),
        (
            &["sendd", "e.ndjson"],
            "error: unrecognized subcommand 'sendd'",
            Some("Usage: dfinery [OPTIONS] <COMMAND>\n"),
        ),
        (
            &["send", "e.ndjson", "--resume", "--restart"],
            "error: the argument '--resume' cannot be used with '--restart'",
            Some("Usage: dfinery send --resume <FILE>\n"),
        ),
    ] {
        let output = dfinery().args(args).envs(SECRET_ENV).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let err = text(&output.stderr);
        assert!(err.starts_with(message), "{args:?}: {err}");
        if let Some(usage) = usage {
            assert!(err.contains(usage), "{args:?}: {err}");
        }
        for shown in [
            "--import-token",
            "--export-token",
            "--redis-url",
            "--base-url",
            "--service-id",
            "secret",
        ] {
            assert!(!err.contains(shown), "{args:?}, {shown}: {err}");
        }
    }
}

#[test]
fn the_first_day_of_an_export_is_said_to_default_to_the_last() {
    // `--to 2026-12-01` alone exports that one day; the help said `--from` defaults to today,
    // which would have put it after `--to`.
    let help = help(&["export", "events"]);
    assert!(
        help.contains("[default: the `--to` day (today without it), or `--days` back from today]"),
        "{help}"
    );
}

#[test]
fn a_usage_mistake_exits_2_and_names_it() {
    let output = dfinery()
        .args(["send", "--resume", "--restart", "x.ndjson"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("cannot be used with"),
        "{}",
        text(&output.stderr)
    );
    let output = dfinery().args(["chek"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("check"));
}

#[test]
fn the_ndjson_line_in_send_help_passes_the_check() {
    // The example once lacked required properties and items, so the line a user copied from the
    // help was refused.
    let help = help(&["send"]);
    let line = help
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("{\"identity\""))
        .unwrap_or_else(|| panic!("no NDJSON example in:\n{help}"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("example.ndjson");
    std::fs::write(&file, format!("{line}\n")).unwrap();
    let registry =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/dfinery.toml");
    let output = dfinery()
        .arg("send")
        .arg(&file)
        .arg("--registry")
        .arg(&registry)
        .arg("--check-only")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{line}\n{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

#[test]
fn each_commands_long_help_starts_with_its_description() {
    // The descriptions sat on the argument structs, where clap ignores them for a subcommand
    // with a doc comment of its own: `--help` showed the one-line summary only.
    for (args, opening) in [
        (
            &["emulator"][..],
            "Run a local DFINERY (the emulator) in the foreground: the same",
        ),
        (
            &["check"],
            "Check the registry file and report every problem",
        ),
        (&["send"], "Send the events of a file through the Tracker."),
    ] {
        let help = help(args);
        assert!(help.starts_with(opening), "{args:?}:\n{help}");
    }
}

#[test]
fn a_shared_budget_of_zero_names_the_flag() {
    // Both were refused only once the send began, as configuration (exit 3), in the words of
    // the library's builder (`expected_instances`, `limit`) rather than the flag's.
    for (flag, value) in [
        ("--expected-instances", "0"),
        ("--rate-limit", "event=0/1s"),
    ] {
        let output = dfinery()
            .args([
                "send",
                "x.ndjson",
                "--redis-url",
                "redis://127.0.0.1:9/0",
                flag,
                value,
            ])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{flag}");
        let err = text(&output.stderr);
        assert!(err.contains(flag), "{flag}: {err}");
    }
}

#[test]
fn an_empty_registry_variable_is_named_not_taken_for_a_flag() {
    // `DFINERY_REGISTRY=` said "a value is required for '--registry <PATH>' but none was
    // supplied" to a command line without `--registry`.
    for command in [
        &["check"][..],
        &["send", "e.ndjson"],
        &["emulator", "--port", "0"],
    ] {
        let output = dfinery()
            .env("DFINERY_REGISTRY", "")
            .args(command)
            .timeout(std::time::Duration::from_secs(30)) // a running emulator never exits
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{command:?}");
        let err = text(&output.stderr);
        assert!(err.contains("set `DFINERY_REGISTRY`"), "{command:?}: {err}");
    }
}

#[test]
fn send_and_export_help_say_sigterm_stops_them_as_ctrl_c_does() {
    // `docker stop`, systemd and Kubernetes send SIGTERM; the help named no signal, and SIGTERM
    // killed both commands outright.
    for args in [
        &["send"][..],
        &["export", "events"],
        &["export", "profiles"],
    ] {
        let help = help(args);
        assert!(help.contains("Ctrl-C or SIGTERM"), "{args:?}:\n{help}");
    }
    assert!(
        help(&["send"]).contains("keeping what is undelivered for `--resume`"),
        "send's help says what a stop keeps"
    );
}

#[test]
fn the_exit_codes_say_what_each_code_is_for() {
    // Code 1 read "events not delivered", which is code 4's (events left in the spool for
    // `--resume`); 1 is for events DFINERY refused for good and for an interrupted send.
    let text = help(&["send"]);
    assert!(
        text.contains(
            "  1  problems found: invalid lines, events DFINERY refused for good, an export refused as invalid, registry errors, coverage gaps, an interrupted send or export\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "  4  network or server: DFINERY (or the emulator) unreachable or failing; a send keeps the events it could not deliver in its spool for `--resume`"
        ),
        "{text}"
    );
    assert!(!text.contains("events not delivered"), "{text}");
}
