//! The examples as tests. The README's first command is `cargo run --example quickstart`: its
//! `main` (and `offline_store`'s) is compiled here as a module and run, so an example that
//! breaks, or whose exported events no longer equal what it sent (its `main` then returns an
//! error, which is its exit code), fails `cargo test`. When `cargo test` also built the
//! example binaries (it does for the whole workspace), the binary itself is run and its exit
//! code and verdict line checked.

#[path = "../../examples/quickstart.rs"]
mod quickstart;

#[path = "../../examples/offline_store.rs"]
mod offline_store;

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

#[test]
fn the_quickstart_runs_and_gets_back_what_it_sent() {
    // Its `main` builds its own Tokio runtime, so this test is a plain one.
    if let Err(error) = quickstart::main() {
        panic!("the quickstart failed: {error}");
    }
}

#[test]
fn the_quickstart_binary_exits_0_saying_the_events_are_equal() {
    let Some(binary) = example_binary("quickstart") else {
        eprintln!(
            "the quickstart binary is not built (`cargo test --test examples` builds no example); \
             its `main` is still run by `the_quickstart_runs_and_gets_back_what_it_sent`"
        );
        return;
    };
    let out = Command::new(&binary)
        .output()
        .expect("the quickstart binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{} exited with {}:\n{stdout}\n{}",
        binary.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
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
