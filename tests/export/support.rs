//! An emulator with the test registry, a client pointed at it, fixture files and a few helpers.

use std::path::PathBuf;
use std::time::Duration;

use dfinery::{Client, Date, Datetime, Identifier, Identity};
use dfinery::{ClientBuilder, RetryPolicy};
use dfinery_emulator::{Emulator, EmulatorBuilder, EmulatorHandle};

/// The registry the derives and the emulator share.
pub const REGISTRY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/dfinery.toml");

/// An emulator enforcing the test registry, configured by `configure`.
pub async fn emulator_with(
    configure: impl FnOnce(EmulatorBuilder) -> EmulatorBuilder,
) -> EmulatorHandle {
    configure(Emulator::builder().registry_path(REGISTRY))
        .start()
        .await
        .expect("the emulator starts")
}

/// An emulator enforcing the test registry.
pub async fn emulator() -> EmulatorHandle {
    emulator_with(|builder| builder).await
}

/// Retries that keep the suite fast.
pub fn fast_retry() -> RetryPolicy {
    let mut retry = RetryPolicy::default();
    retry.max_attempts = 5;
    retry.initial_backoff = Duration::from_millis(2);
    retry.max_backoff = Duration::from_millis(20);
    retry.max_rate_limit_wait = Duration::from_secs(5);
    retry
}

/// A client builder for `emulator` with both tokens.
pub fn client_for(emulator: &EmulatorHandle) -> ClientBuilder {
    Client::builder()
        .service_id(emulator.service_id())
        .import_token(emulator.import_token())
        .export_token(emulator.export_token())
        .base_url(emulator.base_url())
        .retry(fast_retry())
}

/// The client for `emulator`.
pub fn client(emulator: &EmulatorHandle) -> Client {
    client_for(emulator).build().expect("the client builds")
}

/// A client for a plain server at `base_url`, with export token only and no retries.
pub fn client_at(base_url: &str) -> Client {
    Client::builder()
        .service_id("svc")
        .export_token("export-token")
        .base_url(base_url)
        .retry({
            let mut retry = fast_retry();
            retry.max_attempts = 1;
            retry
        })
        .export_read_timeout(Duration::from_secs(5))
        .build()
        .expect("the client builds")
}

/// An identity with only an external id.
pub fn user(id: &str) -> Identity {
    Identity::new(Identifier::ExternalId, id).expect("a valid external id")
}

/// Yesterday and today (UTC): events made "now" are always inside.
pub fn days() -> (Date, Date) {
    let today = Datetime::now().date();
    let yesterday = format!("{today}T00:00:00Z")
        .parse::<Datetime>()
        .and_then(|midnight| Datetime::from_unix_millis(midnight.unix_millis() - 86_400_000))
        .map(Datetime::date)
        .unwrap_or(today);
    (yesterday, today)
}

/// The path of fixture `name`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/export/fixtures")
        .join(name)
}

/// The bytes of fixture `name`.
pub fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).expect("the fixture exists")
}
