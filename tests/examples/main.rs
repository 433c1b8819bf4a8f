//! The examples as tests. The README's first command is `cargo run --example quickstart`: its
//! `main` (and `offline_store`'s and `web_server`'s) is compiled here as a module and run, so an example that
//! breaks, or whose exported events no longer equal what it sent (its `main` then returns an
//! error, which is its exit code), fails `cargo test`. When `cargo test` also built the
//! example binaries (it does for the whole workspace), the binary itself is run and its exit
//! code and verdict line checked.

#[path = "../../examples/quickstart.rs"]
mod quickstart;

#[path = "../../examples/offline_store.rs"]
mod offline_store;

#[path = "../../examples/web_server.rs"]
mod web_server;

// Kept as written (the README lines it mirrors are compared verbatim), so not rustfmt-ed.
#[rustfmt::skip]
mod readme;

use std::path::PathBuf;
use std::process::Command;

/// `target/<profile>/examples/<name>`, next to this test's own `deps/` folder, if built.
fn example_binary(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?;
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    path.is_file().then_some(path)
}

/// Runs the built example `name` and returns its standard output, after checking it exited
/// with 0; `None` when the binary is not built (`cargo test --test examples` builds no
/// example), in which case `main_test` still runs its `main`.
fn run_example_binary(name: &str, main_test: &str) -> Option<String> {
    let Some(binary) = example_binary(name) else {
        eprintln!(
            "the {name} binary is not built (`cargo test --test examples` builds no example); \
             its `main` is still run by `{main_test}`"
        );
        return None;
    };
    let out = Command::new(&binary)
        .output()
        .unwrap_or_else(|e| panic!("the {name} binary could not run: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{} exited with {}:\n{stdout}\n{}",
        binary.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    Some(stdout)
}

#[test]
fn the_quickstart_runs_and_gets_back_what_it_sent() {
    // Its `main` builds its own Tokio runtime, so this test is a plain one.
    if let Err(error) = quickstart::main() {
        panic!("the quickstart failed: {error}");
    }
}

#[test]
fn the_quickstart_binary_exits_0_saying_the_events_are_equal() {
    let Some(stdout) = run_example_binary(
        "quickstart",
        "the_quickstart_runs_and_gets_back_what_it_sent",
    ) else {
        return;
    };
    assert!(stdout.contains("Equal to what was sent: yes"), "{stdout}");
    assert!(
        stdout.contains("3. Sent 2 events (2 items) in 1 request(s)"),
        "{stdout}"
    );
}

#[test]
fn the_offline_store_example_runs() {
    if let Err(error) = offline_store::main() {
        panic!("the offline_store example failed: {error}");
    }
}

#[test]
fn the_web_server_example_stores_every_accepted_order_once() {
    // Its `main` returns an error unless the shop accepted all 200 orders, refused the one
    // without a user id with 400, and the emulator stored each accepted purchase once.
    if let Err(error) = web_server::main() {
        panic!("the web_server example failed: {error}");
    }
}

#[test]
fn the_web_server_binary_exits_0_saying_every_order_was_stored_once() {
    let Some(stdout) = run_example_binary(
        "web_server",
        "the_web_server_example_stores_every_accepted_order_once",
    ) else {
        return;
    };
    assert!(
        stdout.contains("Shut down: 200 delivered, 0 dead-lettered, 0 left in the spool"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Every accepted order stored once: yes"),
        "{stdout}"
    );
}

/// `real_endpoint` with a bad setting or an unreachable DFINERY: it returned the error from
/// `main`, so Rust printed its `Debug` form (`Error: InvalidBaseUrl { url: "nonsense", … }`,
/// `Error: Transport { endpoint: Identities, source: reqwest::Error { … } }`) rather than its
/// message, which says what to fix. Nothing leaves the machine: the URL is refused before any
/// request, or names a loopback port nothing listens on.
#[test]
fn the_real_endpoint_binary_prints_an_error_s_message_and_its_fix() {
    let Some(binary) = example_binary("real_endpoint") else {
        eprintln!(
            "the real_endpoint binary is not built (`cargo test --test examples` builds no example)"
        );
        return;
    };
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    for (base_url, user, expected) in [
        (
            "nonsense",
            None,
            "error: invalid `DFINERY_BASE_URL` `nonsense`: ",
        ),
        (
            closed.as_str(),
            None,
            "; check the network and `DFINERY_BASE_URL`",
        ),
        (closed.as_str(), Some(""), "error: "),
    ] {
        let mut command = Command::new(&binary);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("DFINERY_") {
                command.env_remove(name);
            }
        }
        command
            .env("DFINERY_SERVICE_ID", "example")
            .env("DFINERY_IMPORT_TOKEN", "not-a-token")
            .env("DFINERY_BASE_URL", base_url);
        if let Some(user) = user {
            command.env("DFINERY_EXAMPLE_USER", user);
        }
        let out = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{base_url}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{base_url}: no `{expected}` in:\n{stderr}"
        );
        assert!(
            !stderr.contains(" { "),
            "{base_url}: a Debug form in:\n{stderr}"
        );
    }
}

/// `real_endpoint` with `DFINERY_EXPORT_TOKEN` set but empty, as a user turns the export off:
/// `from_env` leaves an empty variable unset, so the client has no export token, and the
/// example must not try to export. Before, it checked only that the variable was set, sent
/// the event, then failed with "needs the export token, which is not set" (exit 1).
#[test]
fn the_real_endpoint_binary_exports_only_with_an_export_token() {
    let Some(binary) = example_binary("real_endpoint") else {
        eprintln!(
            "the real_endpoint binary is not built (`cargo test --test examples` builds no example)"
        );
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let emulator = runtime
        .block_on(dfinery_emulator::Emulator::builder().start())
        .unwrap();
    let mut command = Command::new(&binary);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("DFINERY_") {
            command.env_remove(name);
        }
    }
    let out = command
        .env("DFINERY_SERVICE_ID", emulator.service_id())
        .env("DFINERY_IMPORT_TOKEN", emulator.import_token())
        .env("DFINERY_EXPORT_TOKEN", "")
        .env("DFINERY_BASE_URL", emulator.base_url())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("Sent 1 event(s)"), "{stdout}");
    assert!(!stdout.contains("Exported"), "{stdout}");
    drop(emulator);
}
