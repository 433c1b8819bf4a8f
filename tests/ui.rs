//! The derives' compile-time checks: trybuild compile-fail and compile-pass cases under
//! `tests/ui/<topic>/`, each with a reviewed `.stderr`.
//!
//! Pinned to rustc 1.95: compiler messages change between releases, so on any other compiler
//! the cases are skipped (with a message) rather than failed. Bless with `TRYBUILD=overwrite`,
//! then read every line of the diff.
//!
//! trybuild builds the cases in its own project under `target/`, where no `dfinery.toml`
//! sits, so each group names its registry with the `DFINERY_REGISTRY` env var, which the
//! derives read (docs/design.md's lookup order) and cargo passes on to the compiler.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The compiler the `.stderr` files were written with.
const PINNED: &str = "rustc 1.95";

/// The topics checked against `tests/dfinery.toml`.
const TOPICS: &[&str] = &[
    "event", "types", "attrs", "item", "profile", "enum", "stub", "export",
];

fn rustc_version() -> String {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    Command::new(rustc)
        .arg("--version")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
        .unwrap_or_default()
}

/// Runs `fail` and `pass` globs with `DFINERY_REGISTRY` set to `registry`.
fn run(registry: &Path, fail: &[String], pass: &[String]) {
    // SAFETY: this is the only test in this binary, so no other thread reads the environment
    // while it is written; trybuild's cargo child processes inherit it.
    unsafe { std::env::set_var("DFINERY_REGISTRY", registry) };
    let cases = trybuild::TestCases::new();
    for glob in fail {
        cases.compile_fail(glob);
    }
    for glob in pass {
        cases.pass(glob);
    }
    // Dropping runs the cases, and panics if any does not match.
    drop(cases);
}

#[test]
fn ui() {
    let version = rustc_version();
    if !version.starts_with(PINNED) {
        eprintln!(
            "skipping the UI tests: their `.stderr` files are pinned to `{PINNED}`, and this is `{}`",
            version.trim()
        );
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let ui = root.join("tests/ui");
    let glob = |topic: &str, name: &str| format!("tests/ui/{topic}/{name}");
    let fail: Vec<String> = TOPICS.iter().map(|t| glob(t, "*.rs")).collect();
    run(
        &root.join("tests/dfinery.toml"),
        &fail,
        &[glob("pass", "*.rs")],
    );
    run(
        &ui.join("registry/broken.toml"),
        &[glob("registry", "broken.rs")],
        &[],
    );
    run(
        &ui.join("registry/does-not-exist.toml"),
        &[glob("registry", "missing.rs")],
        &[],
    );
}
