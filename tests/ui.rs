//! The derives' compile-time checks: trybuild compile-fail and compile-pass cases under
//! `tests/ui/<topic>/`, each with a reviewed `.stderr`.
//!
//! Pinned to rustc 1.95 (`rust-toolchain.toml`): compiler messages change between releases.
//! The version is read from the compiler cargo itself uses (`$RUSTC` if set, else the `rustc`
//! next to `$CARGO`). On another compiler the cases **fail** when `CI` is set, so CI can never
//! go green without compiling them; only on a developer machine are they skipped, with a
//! message on stderr (shown with `--nocapture`, and in the failure-free summary as a note).
//! Bless with `TRYBUILD=overwrite`, then read every line of the diff.
//!
//! trybuild builds the cases in its own project under `target/`, where no `dfinery.toml`
//! sits, so each group names its registry with the `DFINERY_REGISTRY` env var, which the
//! derives read (docs/design.md's lookup order) and cargo passes on to the compiler.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The compiler the `.stderr` files were written with (`rustc --version` prefix).
const PINNED: &str = "rustc 1.95.";

/// The topics checked against `tests/dfinery.toml`.
const TOPICS: &[&str] = &[
    "event", "types", "attrs", "item", "profile", "enum", "stub", "export", "send",
];

/// The compiler cargo uses for this build: `$RUSTC` when set (cargo honours it too), else the
/// `rustc` beside the `cargo` running the tests (`$CARGO`, the pinned toolchain's cargo under
/// rustup), else `rustc` on `PATH`.
fn cargo_rustc() -> OsString {
    if let Some(rustc) = std::env::var_os("RUSTC") {
        return rustc;
    }
    if let Some(cargo) = std::env::var_os("CARGO") {
        let sibling =
            Path::new(&cargo).with_file_name(format!("rustc{}", std::env::consts::EXE_SUFFIX));
        if sibling.is_file() {
            return sibling.into_os_string();
        }
    }
    "rustc".into()
}

/// `<rustc> --version`, or a description of why it could not be read.
fn version_of(rustc: &OsString) -> String {
    match Command::new(rustc).arg("--version").output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        Ok(out) => format!(
            "`{} --version` failed ({}): {}",
            Path::new(rustc).display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => format!(
            "`{} --version` could not run: {e}",
            Path::new(rustc).display()
        ),
    }
}

/// What to do with the cases on compiler `version`.
#[derive(Debug, PartialEq)]
enum Gate {
    /// The pinned compiler: run every case.
    Run,
    /// Another compiler on a developer machine: skip, saying why.
    Skip(String),
    /// Another compiler in CI: fail, saying why and how to fix it.
    Fail(String),
}

/// Decides whether the cases run; `ci` is whether the `CI` env var is set.
fn gate(version: &str, ci: bool) -> Gate {
    if version.starts_with(PINNED) {
        return Gate::Run;
    }
    if ci {
        Gate::Fail(format!(
            "the UI tests are pinned to `{PINNED}x` (rust-toolchain.toml) but cargo's compiler is \
             `{version}`; CI must run them on the pinned compiler: install it with \
             `rustup toolchain install 1.95.0` (or link it, see .ci/run)"
        ))
    } else {
        Gate::Skip(format!(
            "skipping the UI tests: their `.stderr` files are pinned to `{PINNED}x`, and cargo's \
             compiler is `{version}` (with `CI` set this is a failure)"
        ))
    }
}

/// Runs `fail` and `pass` globs with `DFINERY_REGISTRY` set to `registry`.
fn run(registry: &Path, fail: &[String], pass: &[String]) {
    // SAFETY: the only other test in this binary touches the environment only through
    // `std::process::Command`, which takes std's environment lock, as `set_var` does;
    // trybuild's cargo child processes inherit the variable.
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
    let version = version_of(&cargo_rustc());
    match gate(&version, std::env::var_os("CI").is_some()) {
        Gate::Run => {}
        Gate::Skip(why) => {
            eprintln!("{why}");
            return;
        }
        Gate::Fail(why) => panic!("{why}"),
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
        &[
            glob("registry", "broken.rs"),
            glob("registry", "broken_many_types.rs"),
        ],
        &[],
    );
    run(
        &ui.join("registry/many_problems.toml"),
        &[glob("registry", "many_problems.rs")],
        &[],
    );
    run(
        &ui.join("registry/does-not-exist.toml"),
        &[glob("registry", "missing.rs")],
        &[],
    );
    run(
        &ui.join("registry"),
        &[glob("registry", "directory.rs")],
        &[],
    );
}

/// A fake `rustc` reporting 1.96 is read as such, and with `CI` set the gate fails with a
/// message naming both versions; without `CI` it only skips. `scripts/ui-fake-rustc.sh` runs
/// the same scenario end to end through cargo.
#[cfg(unix)]
#[test]
fn another_compiler_fails_in_ci_and_skips_only_locally() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("dfinery-ui-fake-rustc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fake = dir.join("rustc");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho 'rustc 1.96.0 (0000000 2026-05-28)'\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    // Another test of this binary may fork (trybuild runs cargo) while the script is open for
    // writing here: the child holds the write end until it execs, and running the script then
    // fails with ETXTBSY ("Text file busy"). Tried again until the child has let go.
    let mut version = version_of(&fake.clone().into_os_string());
    for _ in 0..200 {
        if !version.contains("Text file busy") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        version = version_of(&fake.clone().into_os_string());
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(version, "rustc 1.96.0 (0000000 2026-05-28)");

    match gate(&version, true) {
        Gate::Fail(why) => {
            assert!(why.contains("rustc 1.96.0"), "{why}");
            assert!(why.contains("rustc 1.95."), "{why}");
        }
        other => panic!("a 1.96 compiler in CI must fail the UI test, got {other:?}"),
    }
    assert!(matches!(gate(&version, false), Gate::Skip(_)));
    assert_eq!(gate("rustc 1.95.0 (59807616e 2026-04-14)", true), Gate::Run);
    // A compiler that cannot even report its version is "another compiler" too.
    let missing = version_of(&dir.join("no-such-rustc").into_os_string());
    assert!(matches!(gate(&missing, true), Gate::Fail(_)), "{missing}");
}
