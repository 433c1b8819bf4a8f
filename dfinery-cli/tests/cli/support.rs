//! What the tests share: the binary with a clean environment, an emulator in this process or in
//! a child, event files and output checks.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

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
    env_for(
        emulator.base_url(),
        emulator.service_id(),
        emulator.import_token(),
        emulator.export_token(),
    )
}

/// The environment that points `dfinery` at the emulator at `base_url`.
fn env_for(
    base_url: &str,
    service_id: &str,
    import_token: &str,
    export_token: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("DFINERY_BASE_URL", base_url.to_owned()),
        ("DFINERY_SERVICE_ID", service_id.to_owned()),
        ("DFINERY_IMPORT_TOKEN", import_token.to_owned()),
        ("DFINERY_EXPORT_TOKEN", export_token.to_owned()),
        ("DFINERY_REGISTRY", registry_path().display().to_string()),
    ]
}

/// How long a test waits for a child emulator to start or answer: generous, for a loaded host.
const CHILD_WITHIN: Duration = Duration::from_secs(60);

/// `dfinery emulator` in a child process, killed on drop (also when the test panics).
///
/// A test that counts the emulator's 429s runs it here rather than in the test process: a
/// test process paused for a moment (a loaded CI host, a harness stopping it for 1.5 s) paused
/// an emulator inside it too, the requests of `dfinery send` children waited in the kernel and
/// landed in one rate window when it resumed, and the 429s counted were the pause's. The child
/// keeps serving through such a pause; what it counted and stored is read over HTTP
/// (`--inspect`'s `/_emulator/stats` and `/_emulator/events`).
pub struct ChildEmulator {
    child: Child,
    info: serde_json::Value,
}

impl ChildEmulator {
    /// `dfinery --json emulator --port 0 --inspect --registry <fixture> ARGS`, once it serves
    /// (at most a minute).
    pub fn start(args: &[&str]) -> ChildEmulator {
        let mut child = std::process::Command::new(BIN)
            .args([
                "--json",
                "emulator",
                "--port",
                "0",
                "--inspect",
                "--registry",
            ])
            .arg(registry_path())
            .args(args)
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("`dfinery emulator` starts");
        let stdout = child.stdout.take().expect("the child's stdout is piped");
        let (send, first) = std::sync::mpsc::channel();
        // Reads the first line (the URL and tokens), then the rest to the end, so the child
        // never writes to a closed pipe.
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
            let _ = send.send(lines.next());
            lines.for_each(drop);
        });
        let mut emulator = ChildEmulator {
            child,
            info: serde_json::Value::Null,
        };
        let line = match first.recv_timeout(CHILD_WITHIN) {
            Ok(Some(line)) => line,
            Ok(None) | Err(RecvTimeoutError::Disconnected) => panic!(
                "`dfinery emulator {}` exited before printing its URL (run it by hand to see why)",
                args.join(" ")
            ),
            Err(RecvTimeoutError::Timeout) => panic!(
                "`dfinery emulator {}` printed no URL within {CHILD_WITHIN:?}",
                args.join(" ")
            ),
        };
        emulator.info = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("`dfinery --json emulator`'s first line: {e}: {line}"));
        emulator
    }

    /// One of the fields of the first line: `base_url`, `service_id`, `import_token`,
    /// `export_token`.
    pub fn info(&self, field: &str) -> &str {
        self.info[field]
            .as_str()
            .unwrap_or_else(|| panic!("no `{field}` in {}", self.info))
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        self.info("base_url")
    }

    /// The environment that points `dfinery` at this emulator.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        env_for(
            self.base_url(),
            self.info("service_id"),
            self.info("import_token"),
            self.info("export_token"),
        )
    }

    /// `GET /_emulator/stats`: the counters.
    pub fn stats(&self) -> serde_json::Value {
        self.get_json("/_emulator/stats")
    }

    /// The `seq` property of every stored event (`GET /_emulator/events`), sorted.
    pub fn stored_seqs(&self) -> Vec<i64> {
        let events = self.get_json("/_emulator/events");
        let mut seqs: Vec<i64> = events
            .as_array()
            .unwrap_or_else(|| panic!("`/_emulator/events` is an array: {events}"))
            .iter()
            .map(|e| {
                e["properties"]["seq"]
                    .as_i64()
                    .expect("every test event has a `seq`")
            })
            .collect();
        seqs.sort_unstable();
        seqs
    }

    fn get_json(&self, path: &str) -> serde_json::Value {
        let answer = http_get(self.base_url(), path);
        let (head, body) = answer
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("`GET {path}`: no end of headers in {answer}"));
        assert!(head.starts_with("HTTP/1.1 200"), "`GET {path}`: {head}");
        serde_json::from_str(body).unwrap_or_else(|e| panic!("`GET {path}`: {e}: {body}"))
    }
}

impl Drop for ChildEmulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET path` on `base_url` with a raw HTTP/1.1 request (the tests have no HTTP client): the
/// whole answer, headers and body, read within a minute.
pub fn http_get(base_url: &str, path: &str) -> String {
    let addr = base_url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr)
        .unwrap_or_else(|e| panic!("`GET {path}`: cannot connect to {addr}: {e}"));
    stream.set_read_timeout(Some(CHILD_WITHIN)).unwrap();
    stream.set_write_timeout(Some(CHILD_WITHIN)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .unwrap_or_else(|e| panic!("`GET {path}` on {addr}: {e}"));
    answer
}

/// The output of `child` once it exits, within `within`; killed and a failure past it.
pub fn output_within(child: Child, within: Duration) -> std::process::Output {
    let pid = child.id();
    let (send, done) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(child.wait_with_output());
    });
    match done.recv_timeout(within) {
        Ok(output) => output.expect("the child's output is read"),
        Err(_) => {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("process {pid} did not exit within {within:?}; killed");
        }
    }
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

/// A loopback address nothing listens on: a port bound, then closed.
pub fn closed_port() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}
