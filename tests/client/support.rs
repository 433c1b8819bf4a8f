//! Starting an emulator with the test registry and a client pointed at it.

use std::time::Duration;

use dfinery::export::EventQuery;
use dfinery::wire::EventExportRequest;
use dfinery::{Client, Identifier, Identity};
use dfinery::{ClientBuilder, RetryPolicy};
use dfinery_emulator::{Emulator, EmulatorBuilder, EmulatorHandle};

/// The registry the derives and the emulator share.
pub const REGISTRY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/dfinery.toml");

/// Retries that keep the suite fast: many attempts, millisecond backoff.
pub fn fast_retry() -> RetryPolicy {
    let mut retry = RetryPolicy::default();
    retry.max_attempts = 10;
    retry.initial_backoff = Duration::from_millis(2);
    retry.max_backoff = Duration::from_millis(20);
    retry.max_rate_limit_wait = Duration::from_secs(5);
    retry
}

/// No client retries: a failure comes back at once.
pub fn no_retry() -> RetryPolicy {
    let mut retry = RetryPolicy::default();
    retry.max_attempts = 1;
    retry
}

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

/// A client builder for `emulator`, with both tokens and [`fast_retry`].
pub fn client_for(emulator: &EmulatorHandle) -> ClientBuilder {
    Client::builder()
        .service_id(emulator.service_id())
        .import_token(emulator.import_token())
        .export_token(emulator.export_token())
        .base_url(emulator.base_url())
        .retry(fast_retry())
}

/// The client for `emulator`, built.
pub fn client(emulator: &EmulatorHandle) -> Client {
    client_for(emulator).build().expect("the client builds")
}

/// An identity with only an external id.
pub fn user(id: &str) -> Identity {
    Identity::new(Identifier::ExternalId, id).expect("a valid external id")
}

/// Every event stored today.
pub fn today() -> EventExportRequest {
    EventQuery::last_days(1)
        .to_request()
        .expect("today's query is valid")
}
