//! What the tests share: the binary with a clean environment, an in-process emulator, event
//! files and output checks.

use std::io::Write;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use dfinery_emulator::{Emulator, EmulatorHandle, Registry};

/// The built `dfinery` binary.
pub const BIN: &str = env!("CARGO_BIN_EXE_dfinery");

/// The registry fixture.
pub fn registry_path() -> PathBuf {
    fixture("dfinery.toml")
}

/// A fixture file.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cli/fixtures")
        .join(name)
}

/// `dfinery` with none of the `DFINERY_*` variables of the machine running the tests.
pub fn dfinery() -> Command {
    let mut command = Command::new(BIN);
    for var in [
        "DFINERY_BASE_URL",
        "DFINERY_SERVICE_ID",
        "DFINERY_IMPORT_TOKEN",
        "DFINERY_EXPORT_TOKEN",
        "DFINERY_REGISTRY",
    ] {
        command.env_remove(var);
    }
    command
}

/// An emulator enforcing the registry fixture, on its own runtime.
pub fn emulator() -> EmulatorHandle {
    let registry = Registry::load(registry_path()).expect("the fixture registry parses");
    Emulator::builder()
        .registry(registry)
        .start_blocking()
        .expect("the emulator starts")
}

/// `dfinery` pointed at `emulator` through the environment, as a user would.
pub fn dfinery_at(emulator: &EmulatorHandle) -> Command {
    let mut command = dfinery();
    for (key, value) in env(emulator) {
        command.env(key, value);
    }
    command
}

/// The environment that points `dfinery` at `emulator`.
pub fn env(emulator: &EmulatorHandle) -> Vec<(&'static str, String)> {
    vec![
        ("DFINERY_BASE_URL", emulator.base_url().to_owned()),
        ("DFINERY_SERVICE_ID", emulator.service_id().to_owned()),
        ("DFINERY_IMPORT_TOKEN", emulator.import_token().to_owned()),
        ("DFINERY_EXPORT_TOKEN", emulator.export_token().to_owned()),
        ("DFINERY_REGISTRY", registry_path().display().to_string()),
    ]
}

/// A `coupon_used` event line of user `u<n % users>`, numbered `n` in its `code`.
pub fn coupon_line(n: u64, users: u64, datetime: &str) -> String {
    format!(
        r#"{{"identity":{{"external_id":"u{}"}},"name":"coupon_used","datetime":"{datetime}","properties":{{"code":"C{n}","seq":{n}}}}}"#,
        n % users
    )
}

/// Writes `lines` to `name` in `dir`, one per line.
pub fn write_lines(dir: &Path, name: &str, lines: impl IntoIterator<Item = String>) -> PathBuf {
    let path = dir.join(name);
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for line in lines {
        writeln!(file, "{line}").unwrap();
    }
    file.flush().unwrap();
    path
}

/// The `seq` property of every stored event, sorted.
pub fn stored_seqs(emulator: &EmulatorHandle) -> Vec<i64> {
    let mut seqs: Vec<i64> = emulator
        .events()
        .iter()
        .map(|e| {
            e.properties["seq"]
                .as_i64()
                .expect("every test event has a `seq`")
        })
        .collect();
    seqs.sort_unstable();
    seqs
}

/// Asserts that captured stderr holds no progress-bar drawing (the bars draw only on a
/// terminal).
pub fn assert_no_bar(stderr: &[u8]) {
    let text = String::from_utf8_lossy(stderr);
    assert!(
        !text.contains('\r'),
        "a bar drew on captured stderr: {text:?}"
    );
    assert!(
        !text.contains("\u{1b}["),
        "escape codes on captured stderr: {text:?}"
    );
}

/// Text of captured output.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Kills the process `pid` when dropped during a panic, so a failing test does not leave a
/// spawned `dfinery emulator` (or `dfinery send`) running after the suite. A passing test stops
/// its child itself; the guard does nothing then.
pub struct KillOnPanic(pub u32);

impl Drop for KillOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &self.0.to_string()])
                .status();
        }
    }
}
