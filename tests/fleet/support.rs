//! A `redis-server` child on a free loopback port, persistence off, killed on drop.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The environment variable naming a running Redis for the tests (set by `.ci/run`).
pub const ENV_URL: &str = "DFINERY_TEST_REDIS_URL";

/// A `redis-server` binary: `$DFINERY_REDIS_SERVER`, else `redis-server` on the `PATH` or in
/// `/usr/bin` / `/usr/sbin`.
fn binary() -> Option<PathBuf> {
    let candidates = std::env::var_os("DFINERY_REDIS_SERVER")
        .map(PathBuf::from)
        .into_iter()
        .chain([
            PathBuf::from("redis-server"),
            PathBuf::from("/usr/bin/redis-server"),
            PathBuf::from("/usr/sbin/redis-server"),
        ]);
    for candidate in candidates {
        let works = Command::new(&candidate)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if works {
            return Some(candidate);
        }
    }
    None
}

/// Says why a test cannot run: a failure in CI, a skip message locally (`None`).
fn missing(what: &str) -> Option<RedisServer> {
    assert!(
        std::env::var_os("CI").is_none(),
        "{what}: no `redis-server` found; CI must provide one (`apt-get install -y redis-server`, see .ci/run)"
    );
    eprintln!(
        "SKIPPED {what}: no `redis-server` binary (install it with `apt-get install -y redis-server`, or set DFINERY_REDIS_SERVER)"
    );
    None
}

/// A redis-server started by the test.
pub struct RedisServer {
    binary: PathBuf,
    port: u16,
    child: Option<Child>,
    /// Settings given on the command line after the test's own.
    extra: Vec<String>,
}

impl RedisServer {
    /// Starts one on a free loopback port; `None` (after a message) when there is no binary
    /// outside CI.
    pub fn start(what: &str) -> Option<RedisServer> {
        RedisServer::start_with(what, &[])
    }

    /// As [`start`](Self::start), with `extra` arguments (`--cluster-enabled yes`…).
    pub fn start_with(what: &str, extra: &[&str]) -> Option<RedisServer> {
        let Some(binary) = binary() else {
            return missing(what);
        };
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let mut server = RedisServer {
            binary,
            port,
            child: None,
            extra: extra.iter().map(ToString::to_string).collect(),
        };
        server.restart();
        Some(server)
    }

    /// `redis://127.0.0.1:PORT/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server (again) on the same port and waits until it accepts connections.
    pub fn restart(&mut self) {
        self.kill();
        let child = Command::new(&self.binary)
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--dir", &std::env::temp_dir().display().to_string()])
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).is_err() {
            // One that refused its arguments (a build without TLS, given `--tls-port`) is
            // said to have, not waited for.
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "redis-server exited at start ({status}) with the arguments {:?} (a build \
                     without TLS refuses `--tls-port`)",
                    self.extra
                );
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not listen on port {} within 20 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A Redis for a test that does not kill it: `$DFINERY_TEST_REDIS_URL`, else one of its own
/// (kept alive by the returned guard); `None` when the test is skipped.
pub fn redis_for(what: &str) -> Option<(String, Option<RedisServer>)> {
    if let Ok(url) = std::env::var(ENV_URL)
        && !url.trim().is_empty()
    {
        return Some((url, None));
    }
    let server = RedisServer::start(what)?;
    Some((server.url(), Some(server)))
}

/// A key prefix no other test uses.
pub fn unique_prefix(test: &str) -> String {
    format!("dfinery-test:{test}:{}", uuid::Uuid::new_v4().simple())
}

/// The orders of a child process the fleet tests start (this test binary run again, as a fleet
/// worker or as the emulator): the JSON in the environment variable `var`, or `None`, said on
/// stderr, when the `#[ignore]`d test `role` is run some other way.
pub fn child_orders(var: &str, role: &str) -> Option<serde_json::Value> {
    let Ok(spec) = std::env::var(var) else {
        eprintln!("{role} runs only as a child of the fleet tests");
        return None;
    };
    Some(serde_json::from_str(&spec).unwrap_or_else(|e| panic!("`{var}`: {e}: {spec}")))
}

/// The runtime of such a child: two workers, as the CI host has cores.
pub fn child_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a Tokio runtime for the child")
}
