//! [`EmulatorHandle`]: a running emulator's address, what it stored, and control over faults,
//! audiences and its life.

use std::collections::BTreeSet;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use dfinery_schema::Registry;
use tokio::runtime::Runtime;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::server::app::App;
use crate::{
    Api, ConfigError, FaultConfig, RateLimit, Rejection, ScriptedResponse, Stats, StoredEvent,
    StoredProfile,
};

/// A running emulator. Dropping it stops the server (in the background); call
/// [`shutdown`](Self::shutdown) to wait until it has stopped.
pub struct EmulatorHandle {
    app: Arc<App>,
    addr: SocketAddr,
    base_url: String,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    /// The emulator's own runtime, when started with
    /// [`start_blocking`](crate::EmulatorBuilder::start_blocking).
    runtime: Option<Runtime>,
}

impl EmulatorHandle {
    pub(crate) fn new(
        app: Arc<App>,
        addr: SocketAddr,
        shutdown: watch::Sender<bool>,
        task: JoinHandle<()>,
    ) -> EmulatorHandle {
        EmulatorHandle {
            app,
            base_url: base_url(addr),
            addr,
            shutdown,
            task: Some(task),
            runtime: None,
        }
    }

    /// Keeps `runtime` (which serves this emulator) alive as long as the handle.
    pub(crate) fn with_runtime(mut self, runtime: Runtime) -> EmulatorHandle {
        self.runtime = Some(runtime);
        self
    }

    /// The base URL to give a client instead of `https://openapi.dfinery.ai`, e.g.
    /// `http://127.0.0.1:41234` (no trailing slash). When bound to every interface
    /// (`0.0.0.0` or `::`), the URL names the loopback address (`127.0.0.1`, `[::1]`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The URL of the live inspector page, e.g. `http://127.0.0.1:41234/_emulator/`, when
    /// [`inspector`](crate::EmulatorBuilder::inspector) is on; else `None`.
    pub fn inspector_url(&self) -> Option<String> {
        self.app
            .inspector
            .as_ref()
            .map(|_| format!("{}/_emulator/", self.base_url))
    }

    /// The address the emulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The full URL of an endpoint with this emulator's `service_id`, e.g.
    /// `url("/api/v1/events")` → `http://127.0.0.1:41234/api/v1/events?service_id=emulator`.
    /// The service id is percent-encoded, so one holding `&`, `+`, `#` or `%` reads back
    /// whole.
    pub fn url(&self, path: &str) -> String {
        format!(
            "{}{path}?service_id={}",
            self.base_url,
            percent_encode(self.service_id())
        )
    }

    /// The service id requests must name.
    pub fn service_id(&self) -> &str {
        &self.app.settings.service_id
    }

    /// The Import API token the emulator accepts.
    pub fn import_token(&self) -> &str {
        self.app.settings.import_token.expose()
    }

    /// The Export API token the emulator accepts.
    pub fn export_token(&self) -> &str {
        self.app.settings.export_token.expose()
    }

    /// The registry the emulator enforces.
    pub fn registry(&self) -> &Registry {
        &self.app.settings.registry
    }

    /// Every stored event, in arrival order.
    pub fn events(&self) -> Vec<StoredEvent> {
        self.app.store().events().to_vec()
    }

    /// The stored events named `name`, in arrival order.
    pub fn events_named(&self, name: &str) -> Vec<StoredEvent> {
        self.app
            .store()
            .events()
            .iter()
            .filter(|e| e.event_name == name)
            .cloned()
            .collect()
    }

    /// Every unified profile, in creation order.
    pub fn profiles(&self) -> Vec<StoredProfile> {
        self.app.store().profiles.all()
    }

    /// The profile holding `external_id`, if any.
    pub fn profile(&self, external_id: &str) -> Option<StoredProfile> {
        self.app.store().profiles.by_external_id(external_id)
    }

    /// The counters since start or the last [`reset`](Self::reset).
    pub fn stats(&self) -> Stats {
        self.app.counters.snapshot()
    }

    /// The refused requests kept (the latest 1,000), oldest first: gate refusals (service id,
    /// token) and refused bodies, each with its violations. Rate-limited requests and faults
    /// are only counted in [`stats`](Self::stats).
    pub fn rejections(&self) -> Vec<Rejection> {
        self.app.store().rejections()
    }

    /// Forgets stored events and profiles, refusals, counters and rate-limit windows. Faults
    /// and audiences stay.
    pub fn reset(&self) {
        self.app.reset();
    }

    /// Replaces the faults in force; the script and the random draws start over.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when a rate is outside 0.0 to 1.0 or the latency range is reversed;
    /// the faults in force are then unchanged.
    pub fn set_faults(&self, faults: FaultConfig) -> Result<(), ConfigError> {
        faults.validate().map_err(ConfigError)?;
        self.app.set_faults(faults);
        Ok(())
    }

    /// Changes the rate limit of `api` at once, as DFINERY does when a service's limit is
    /// changed: requests already counted in the current window stay counted (a window of
    /// another length starts afresh), the headers of the next answers and the inspector page
    /// show the new budget.
    pub fn set_rate_limit(&self, api: Api, limit: RateLimit) {
        self.app.limiter(api).set_limit(limit);
        if let Some(inspector) = &self.app.inspector {
            inspector.set_limit(api, limit);
        }
    }

    /// The rate limit of `api` in force.
    pub fn rate_limit(&self, api: Api) -> RateLimit {
        self.app.limiter(api).limit()
    }

    /// Appends responses to the fault script, served before any random fault. An entry whose
    /// status is outside [`ScriptedResponse::STATUSES`] is answered with HTTP 500 and a line
    /// saying so (use [`set_faults`](Self::set_faults) to have it refused).
    pub fn push_script(&self, entries: impl IntoIterator<Item = ScriptedResponse>) {
        self.app.faults().push_script(entries);
    }

    /// Defines (or replaces) an audience for the profile export's `audience` filter.
    pub fn set_audience<I, S>(&self, id: impl Into<String>, external_ids: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let members: BTreeSet<String> = external_ids.into_iter().map(Into::into).collect();
        self.app.set_audience(id.into(), members);
    }

    /// Ends the inspector's open event streams, which would otherwise hold their connections
    /// until the shutdown grace period cuts them.
    fn close_streams(&self) {
        if let Some(inspector) = &self.app.inspector {
            inspector.close();
        }
    }

    /// Stops accepting connections, lets open ones finish (at most a second) and waits for the
    /// server to stop; returns the final counters, which include the requests that finished
    /// during that second ([`stats`](Self::stats) read before the stop misses them).
    pub async fn shutdown(mut self) -> Stats {
        self.close_streams();
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.app.counters.snapshot()
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        self.close_streams();
        let _ = self.shutdown.send(true);
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The URL a client on this machine reaches `addr` at: an unspecified address (`0.0.0.0`,
/// `::`) listens on every interface but is no destination (connecting to it fails on some
/// systems), so the loopback address of its family stands in for it.
fn base_url(addr: SocketAddr) -> String {
    let mut reach = addr;
    if addr.ip().is_unspecified() {
        reach.set_ip(match addr.ip() {
            std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    format!("http://{reach}")
}

/// `text` with every byte but the URL-unreserved ones (`A-Z a-z 0-9 - . _ ~`) written `%XX`.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

impl fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorHandle")
            .field("base_url", &self.base_url)
            .field("service_id", &self.service_id())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_name_an_address_a_client_can_connect_to() {
        let url = |addr: &str| base_url(addr.parse().unwrap());
        assert_eq!(url("127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(url("192.168.1.5:80"), "http://192.168.1.5:80");
        // They were `http://0.0.0.0:8080` and `http://[::]:8080`.
        assert_eq!(url("0.0.0.0:8080"), "http://127.0.0.1:8080");
        assert_eq!(url("[::]:8080"), "http://[::1]:8080");
        assert_eq!(url("[::1]:9"), "http://[::1]:9");
    }

    #[test]
    fn service_ids_are_percent_encoded() {
        assert_eq!(percent_encode("a-Z_0.~"), "a-Z_0.~");
        assert_eq!(percent_encode("a b&c"), "a%20b%26c");
    }
}
