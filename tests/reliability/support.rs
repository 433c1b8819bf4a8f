//! Shared pieces: an emulator with the test registry, a client pointed at it with retries in
//! real time, identities, events, spool paths and the stored `event_log_id`s.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use dfinery::{Client, EventRecord, Identifier, Identity};
use dfinery::{ClientBuilder, RetryPolicy};
use dfinery_emulator::{Emulator, EmulatorBuilder, EmulatorHandle};

/// The registry the emulator enforces.
pub const REGISTRY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/dfinery.toml");

/// The service id of the test registry (`[service] id`).
pub const SERVICE_ID: &str = "dfinery-tests";

/// A base URL where nothing listens: DFINERY is down.
pub const DOWN: &str = "http://127.0.0.1:1";

/// An emulator enforcing the test registry, configured by `configure`.
pub async fn emulator_with(
    configure: impl FnOnce(EmulatorBuilder) -> EmulatorBuilder,
) -> EmulatorHandle {
    configure(Emulator::builder().registry_path(REGISTRY))
        .start()
        .await
        .expect("the emulator starts")
}

/// Client retries in real time, short enough for a bounded test.
pub fn real_time_retry() -> RetryPolicy {
    let mut retry = RetryPolicy::default();
    retry.max_attempts = 4;
    retry.initial_backoff = Duration::from_millis(10);
    retry.max_backoff = Duration::from_millis(200);
    retry.max_rate_limit_wait = Duration::from_secs(2);
    retry
}

/// A client builder for `base_url` with the emulator's default credentials.
pub fn client_to(base_url: &str) -> ClientBuilder {
    Client::builder()
        .service_id(SERVICE_ID)
        .import_token(dfinery_emulator::DEFAULT_IMPORT_TOKEN)
        .base_url(base_url)
        .timeout(Duration::from_secs(5))
        .retry(real_time_retry())
}

/// An identity with only an external id.
pub fn user(id: &str) -> Identity {
    Identity::new(Identifier::ExternalId, id).expect("a valid external id")
}

/// A registered event with no properties.
pub fn login() -> EventRecord {
    EventRecord::builder("df_login")
        .build()
        .expect("a valid event")
}

/// The distinct `event_log_id`s the emulator stored.
pub fn stored_ids(emulator: &EmulatorHandle) -> BTreeSet<String> {
    emulator
        .events()
        .into_iter()
        .map(|e| e.event_log_id)
        .collect()
}

/// A fresh path under the target's temporary folder, e.g. for a spool.
pub fn temp_path(name: &str, extension: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("reliability");
    std::fs::create_dir_all(&dir).expect("the temporary folder can be made");
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = dir.join(format!("{name}-{}-{n}.{extension}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    // A spool's journal, `<name>-journal`, left by an earlier process of the same id would
    // be read into the new spool at this path.
    let mut journal = path.clone().into_os_string();
    journal.push("-journal");
    let _ = std::fs::remove_file(journal);
    path
}
