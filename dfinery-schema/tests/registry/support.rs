//! Fixture helpers.

use std::path::PathBuf;

use dfinery_schema::{Diagnostic, Registry, RegistryError};

/// The path of `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Loads `tests/fixtures/<name>`, which must parse.
pub fn load_ok(name: &str) -> Registry {
    Registry::load(fixture(name)).unwrap_or_else(|e| panic!("{name} should parse:\n{e}"))
}

/// Loads `tests/fixtures/bad/<name>.toml`, which must fail; checks the error carries the path.
pub fn load_bad(name: &str) -> Vec<Diagnostic> {
    let path = fixture(&format!("bad/{name}.toml"));
    let err: RegistryError = match Registry::load(&path) {
        Ok(_) => panic!("{name} should not parse"),
        Err(err) => err,
    };
    assert_eq!(err.path.as_deref(), Some(path.as_path()));
    assert!(!err.diagnostics.is_empty());
    err.diagnostics
}
