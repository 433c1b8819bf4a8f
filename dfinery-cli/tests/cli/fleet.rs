//! `dfinery send --partition K/N --redis-url URL`: two processes split one file by user and
//! share one rate budget through a real redis-server, against an emulator whose Event limit is
//! scaled down: every line stored once, no 429. Without `redis-server` the test is skipped with
//! a message (and fails in CI, where `.ci/run` installs it).
//!
//! The emulator that counts the 429s runs in a child process ([`ChildEmulator`]), so a pause of
//! the test process cannot put the pause's 429s on the shared budget's account.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dfinery_emulator::{Emulator, EmulatorHandle, Registry};

use crate::support::{
    BIN, ChildEmulator, coupon_line, env, output_within, registry_path, stored_seqs, text,
    write_lines,
};

/// A redis-server on a free loopback port, persistence off, killed on drop.
struct Redis(Child, u16);

impl Redis {
    fn start() -> Option<Redis> {
        Redis::start_with(&[])
    }

    /// One started with more `redis-server` arguments, e.g. `--requirepass`.
    fn start_with(args: &[&str]) -> Option<Redis> {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(["--dir", &std::env::temp_dir().display().to_string()])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(child) = child else {
            assert!(
                std::env::var_os("CI").is_none(),
                "no `redis-server` in CI; `.ci/run` installs it"
            );
            eprintln!("SKIPPED: no `redis-server` binary (apt-get install -y redis-server)");
            return None;
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Redis(child, port))
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn two_partitions_share_one_budget_and_store_every_line_once() {
    let Some(redis) = Redis::start() else {
        return;
    };
    let emulator = ChildEmulator::start(&["--rate-limit", "event=10/1s"]);
    let dir = tempfile::tempdir().unwrap();
    // 60 users, 2 events each: one request per user and flush at least.
    let file = write_lines(
        dir.path(),
        "events.ndjson",
        (1..=120u64).map(|n| coupon_line(n, 60, "2024-06-24T06:01:48.501Z")),
    );
    let url = format!("redis://127.0.0.1:{}/0", redis.1);
    let started = Instant::now();
    let senders: Vec<Child> = ["1/2", "2/2"]
        .iter()
        .map(|partition| {
            let mut command = Command::new(BIN);
            command.envs(emulator.env());
            command
                .args(["--json", "send"])
                .arg(&file)
                .args(["--partition", partition, "--redis-url", &url])
                .args(["--rate-limit", "event=10/1s", "--timeout", "60"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut sent = Vec::new();
    for sender in senders {
        let output = output_within(sender, Duration::from_secs(120));
        assert!(output.status.success(), "{}", text(&output.stderr));
        // Shared all along: nothing to say at the end.
        assert!(
            !text(&output.stderr).contains("paced by this instance alone"),
            "{}",
            text(&output.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        sent.push(report["sent"].as_u64().unwrap());
    }
    let stats = emulator.stats();
    println!(
        "two partitions: sent {sent:?} in {:?}, {} requests, {} Event 429s",
        started.elapsed(),
        stats["requests"],
        stats["rate_limited_by_api"]["event"]
    );
    // Each partition sent its own users' events, and together every line.
    assert!(sent.iter().all(|&n| n > 0), "{sent:?}");
    assert_eq!(sent.iter().sum::<u64>(), 120);
    assert_eq!(emulator.stored_seqs(), (1..=120).collect::<Vec<i64>>());
    assert_eq!(stats["rate_limited_by_api"]["event"], 0, "{stats}");
    // Each partition kept its own state while running, and removed it when done.
    for partition in ["part-1-of-2", "part-2-of-2"] {
        assert!(
            !dir.path()
                .join(format!("events.ndjson.dfinery-send.{partition}"))
                .exists()
        );
    }
}

/// An emulator with the tests' registry, and a file of four events of two users (in a folder
/// removed when the returned `TempDir` is dropped).
fn four_events() -> (EmulatorHandle, tempfile::TempDir, PathBuf) {
    let emulator = Emulator::builder()
        .registry(Registry::load(registry_path()).unwrap())
        .start_blocking()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(
        dir.path(),
        "events.ndjson",
        (1..=4u64).map(|n| coupon_line(n, 2, "2024-06-24T06:01:48.501Z")),
    );
    (emulator, dir, file)
}

#[test]
fn a_send_whose_redis_was_never_reached_says_at_the_end_that_it_paced_alone() {
    // A valid URL where nothing listens: one warning at the start, then "sent 4" with exit 0,
    // and nothing at the end said the fleet's budget had not been shared.
    let (emulator, _dir, file) = four_events();
    let closed = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let url = format!(
        "redis://127.0.0.1:{}/0",
        closed.local_addr().unwrap().port()
    );
    drop(closed);
    let output = Command::new(BIN)
        .envs(env(&emulator))
        .arg("send")
        .arg(&file)
        .args(["--redis-url", &url])
        .output()
        .unwrap();
    let err = text(&output.stderr);
    assert!(output.status.success(), "{err}");
    assert!(
        err.contains("requests were paced by this instance alone, not by the shared rate budget"),
        "{err}"
    );
    assert_eq!(stored_seqs(&emulator), (1..=4).collect::<Vec<i64>>());
}

#[test]
fn a_redis_refusing_the_script_is_named_as_such_and_the_send_goes_on() {
    // A user whose ACL has no scripting: Redis answers `NOPERM` to every call, which read as
    // "cannot be reached" and sent the reader to the network.
    let Some(redis) = Redis::start_with(&[
        "--user",
        "default",
        "on",
        "nopass",
        "~*",
        "&*",
        "+@all",
        "-@scripting",
    ]) else {
        return;
    };
    let (emulator, _dir, file) = four_events();
    let output = Command::new(BIN)
        .envs(env(&emulator))
        .arg("send")
        .arg(&file)
        .args(["--redis-url", &format!("redis://127.0.0.1:{}/0", redis.1)])
        .output()
        .unwrap();
    let err = text(&output.stderr);
    assert!(output.status.success(), "{err}");
    assert!(
        err.contains("the shared rate budget's Redis refuses the budget's script (NOPERM)"),
        "{err}"
    );
    // The ACL that lets it, on the budget's keys.
    assert!(
        err.contains("ACL SETUSER <user> +evalsha +script|load")
            && err.contains("~dfinery:budget:*"),
        "{err}"
    );
    assert!(!err.contains("cannot be reached"), "{err}");
    assert_eq!(stored_seqs(&emulator), (1..=4).collect::<Vec<i64>>());
}

#[test]
fn a_redis_refusing_the_url_s_password_is_named_as_such_and_the_send_goes_on() {
    let Some(redis) = Redis::start_with(&["--requirepass", "right-pass"]) else {
        return;
    };
    let (emulator, _dir, file) = four_events();
    // A wrong password, and none: Redis is up and answers, so "cannot be reached" sent the
    // reader to the network instead of the URL.
    // The warning names the URL to check, its password masked.
    for (url, named) in [
        (
            format!("redis://:wrong-pass@127.0.0.1:{}/0", redis.1),
            format!("redis://:***@127.0.0.1:{}/0", redis.1),
        ),
        (
            format!("redis://127.0.0.1:{}/0", redis.1),
            format!("redis://127.0.0.1:{}/0", redis.1),
        ),
    ] {
        let output = Command::new(BIN)
            .envs(env(&emulator))
            .arg("send")
            .arg(&file)
            .args(["--redis-url", &url, "--restart"])
            .output()
            .unwrap();
        let err = text(&output.stderr);
        assert!(output.status.success(), "{url}: {err}");
        assert!(
            err.contains(&format!(
                "the shared rate budget's Redis refused this instance's credentials; check the \
                 user and password in the Redis URL {named}; pacing locally until Redis accepts \
                 them"
            )),
            "{url}: {err}"
        );
        assert!(!err.contains("cannot be reached"), "{url}: {err}");
        assert!(!err.contains("wrong-pass"), "{url}: {err}");
    }
    assert_eq!(stored_seqs(&emulator), (1..=4).collect::<Vec<i64>>());
}

/// An empty `DFINERY_REDIS_URL` (or `--redis-url ""`) is a usage error naming the variable:
/// it met what `--rate-limit` requires and then turned the shared budget off without a word,
/// so a fleet sent unshared.
#[test]
fn an_empty_redis_url_is_a_usage_error_naming_the_variable() {
    let (emulator, _dir, file) = four_events();
    let cases: [(Option<&str>, &[&str]); 4] = [
        (Some(""), &["--rate-limit", "event=10/1s"]),
        (Some(""), &["--partition", "1/2"]),
        (Some("  "), &[]),
        (None, &["--redis-url", ""]),
    ];
    for (variable, args) in cases {
        let mut command = Command::new(BIN);
        command
            .envs(env(&emulator))
            .env_remove("DFINERY_REDIS_URL")
            .arg("send")
            .arg(&file)
            .args(args);
        if let Some(value) = variable {
            command.env("DFINERY_REDIS_URL", value);
        }
        let output = command.output().unwrap();
        let err = text(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{variable:?} {args:?}: {err}"
        );
        assert!(
            err.contains("the Redis URL is empty") && err.contains("DFINERY_REDIS_URL"),
            "{variable:?} {args:?}: {err}"
        );
    }
    assert!(stored_seqs(&emulator).is_empty(), "nothing is sent");
}

/// A Redis URL of a scheme the budget does not take (`http://`, or none) is refused naming the
/// scheme, the schemes it takes, and where the URL came from (`DFINERY_REDIS_URL` or
/// `--redis-url`): the error said only that the URL "did not parse", with no word of the
/// variable that a user who never typed the URL had set.
#[test]
fn a_redis_url_of_another_scheme_is_named_with_where_it_came_from() {
    let (emulator, _dir, file) = four_events();
    for (from_env, url, said) in [
        (true, "http://127.0.0.1:6379/0", "unsupported scheme `http`"),
        (false, "127.0.0.1:6379", "no scheme"),
    ] {
        let mut command = Command::new(BIN);
        command.envs(env(&emulator)).arg("send").arg(&file);
        if from_env {
            command.env("DFINERY_REDIS_URL", url);
        } else {
            command
                .env_remove("DFINERY_REDIS_URL")
                .args(["--redis-url", url]);
        }
        let output = command.output().unwrap();
        let err = text(&output.stderr);
        assert!(!output.status.success(), "{url}: {err}");
        assert!(
            err.contains(said) && err.contains("rediss://"),
            "{url}: {err}"
        );
        let source = if from_env {
            "DFINERY_REDIS_URL"
        } else {
            "--redis-url"
        };
        assert!(
            err.contains(source),
            "{url}: the URL's source is named: {err}"
        );
        assert_eq!(stored_seqs(&emulator), Vec::<i64>::new(), "nothing sent");
    }
}
