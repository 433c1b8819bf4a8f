//! The fuzz corpora as regression tests on stable: every input committed under
//! `fuzz/corpus/<target>/` is run through the very function its fuzz target calls
//! (`fuzz/checks.rs`, compiled here as a module), so an input that once found a bug, or that
//! covers a path the fuzzer reached, keeps being checked by `cargo test`.

#[path = "../../fuzz/checks.rs"]
mod checks;

use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;

use dfinery_emulator::{Emulator, Registry};

/// Every input of `fuzz/corpus/<target>/`, sorted by name.
fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the corpus `{}` is readable: {e}", dir.display()))
        .map(|entry| entry.expect("a corpus entry").path())
        .filter(|path| path.is_file())
        .map(|path| {
            let bytes = std::fs::read(&path).expect("a corpus input is readable");
            (path, bytes)
        })
        .collect();
    inputs.sort();
    inputs
}

/// Runs `check` on every input of `target`'s corpus; fails naming each input that panicked.
fn replay(target: &str, check: impl Fn(&[u8])) -> usize {
    let inputs = corpus(target);
    assert!(
        inputs.len() >= 100,
        "the `{target}` corpus holds {} inputs; it was committed with hundreds",
        inputs.len()
    );
    let failed: Vec<String> = inputs
        .iter()
        .filter(|(_, bytes)| panic::catch_unwind(AssertUnwindSafe(|| check(bytes))).is_err())
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} `{target}` inputs failed its check (reproduce with `cargo fuzz run {target} FILE`):\n{}",
        failed.len(),
        inputs.len(),
        failed.join("\n")
    );
    inputs.len()
}

#[test]
fn the_registry_parser_corpus_replays() {
    replay("registry_parser", checks::registry_parser);
}

#[test]
fn the_export_csv_corpus_replays() {
    replay("export_csv", checks::export_csv);
}

#[test]
fn the_ratelimit_headers_corpus_replays() {
    replay("ratelimit_headers", checks::ratelimit_headers);
}

#[test]
fn the_emulator_request_corpus_replays() {
    let registry =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/dfinery.toml"))
            .expect("the test registry is readable");
    let emulator = Emulator::builder()
        .registry(Registry::parse(&registry).expect("the test registry parses"))
        .start_blocking()
        .expect("the emulator starts");
    replay("emulator_request", |data| {
        checks::emulator_request(&emulator, data);
    });
}

/// The replay notices a failing input: a check that rejects one input fails naming it.
#[test]
fn a_failing_input_is_reported_by_name() {
    let first = corpus("registry_parser").remove(0);
    let outcome = panic::catch_unwind(|| {
        replay("registry_parser", |data| {
            assert_ne!(data, first.1.as_slice(), "the planted failure");
        })
    });
    let message = *outcome
        .expect_err("the replay fails")
        .downcast::<String>()
        .expect("a formatted message");
    assert!(message.starts_with("1 of "), "{message}");
    assert!(message.contains(&*first.0.to_string_lossy()), "{message}");
}
