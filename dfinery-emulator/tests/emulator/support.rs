//! Helpers shared by the emulator's integration tests: start an emulator, send requests over
//! real HTTP with reqwest, read fixtures.

use std::path::PathBuf;

use dfinery_emulator::{Emulator, EmulatorBuilder, EmulatorHandle, ManualClock, Registry};
use reqwest::header::HeaderMap;
use serde_json::Value;

/// The instant the tests' manual clocks start at.
pub const NOW: &str = "2024-08-26T12:00:00Z";

/// A fixture file's text.
pub fn fixture_text(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/emulator/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A JSON fixture.
pub fn fixture(name: &str) -> Value {
    serde_json::from_str(&fixture_text(name)).expect("fixture is JSON")
}

/// The tests' registry (`fixtures/dfinery.toml`).
pub fn registry() -> Registry {
    Registry::parse(&fixture_text("dfinery.toml")).expect("the test registry parses")
}

/// A builder on the test registry and a manual clock at [`NOW`].
pub fn builder() -> (EmulatorBuilder, ManualClock) {
    let clock = ManualClock::at(NOW).unwrap();
    (
        Emulator::builder()
            .registry(registry())
            .clock(clock.clone()),
        clock,
    )
}

/// An emulator and an HTTP client.
pub struct Server {
    pub emu: EmulatorHandle,
    pub http: reqwest::Client,
    pub clock: ManualClock,
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Answer {
    /// The body as JSON (panics with the text when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|_| panic!("not JSON: {:?}", self.text))
    }

    /// The Import envelope's `code`.
    pub fn code(&self) -> String {
        self.json()["code"].as_str().expect("a code").to_owned()
    }

    /// The Export failure's `message`.
    pub fn message(&self) -> String {
        self.json()["message"]
            .as_str()
            .expect("a message")
            .to_owned()
    }

    /// `(path, rule)` of each violation in `data`.
    pub fn violations(&self) -> Vec<(String, String)> {
        self.json()["data"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|v| {
                        (
                            v["path"].as_str().unwrap().to_owned(),
                            v["rule"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A header's text.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The CSV body as rows of fields, header first.
    pub fn csv(&self) -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(self.text.as_bytes())
            .records()
            .map(|r| r.expect("valid CSV").iter().map(str::to_owned).collect())
            .collect()
    }
}

impl Server {
    /// The test registry, a manual clock at [`NOW`], everything else default.
    pub async fn start() -> Server {
        let (builder, clock) = builder();
        Server::with(builder, clock).await
    }

    /// A server from a prepared builder.
    pub async fn with(builder: EmulatorBuilder, clock: ManualClock) -> Server {
        Server {
            emu: builder.start().await.expect("the emulator starts"),
            http: reqwest::Client::new(),
            clock,
        }
    }

    /// POSTs JSON to an Import endpoint with the right service id and token.
    pub async fn import(&self, path: &str, body: &Value) -> Answer {
        let request = self
            .http
            .post(self.emu.url(path))
            .header("access_token", self.emu.import_token())
            .json(body);
        read(request).await
    }

    /// POSTs JSON to an Export endpoint with the right service id and token.
    pub async fn export(&self, path: &str, body: &Value) -> Answer {
        let request = self
            .http
            .post(self.emu.url(path))
            .bearer_auth(self.emu.export_token())
            .json(body);
        read(request).await
    }

    /// POSTs raw bytes with the right Import token and a JSON content type.
    pub async fn import_raw(&self, path: &str, body: impl Into<reqwest::Body>) -> Answer {
        let request = self
            .http
            .post(self.emu.url(path))
            .header("access_token", self.emu.import_token())
            .header("content-type", "application/json")
            .body(body);
        read(request).await
    }

    /// The inspector's first message on its stream: the snapshot of what it keeps (the
    /// emulator started with `.inspector(true)`).
    pub async fn inspector_snapshot(&self) -> Value {
        let mut stream = self
            .http
            .get(self.emu.url("/_emulator/inspector/stream"))
            .send()
            .await
            .unwrap();
        let mut text = String::new();
        while !text.contains("\n\n") {
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(60), stream.chunk())
                .await
                .expect("the snapshot arrives")
                .unwrap()
                .expect("the stream is open");
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        let data = text
            .lines()
            .find_map(|line| line.strip_prefix("data: "))
            .expect("a data line");
        serde_json::from_str(data).unwrap()
    }
}

/// Sends and reads the whole answer.
pub async fn read(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("the emulator answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a body");
    Answer {
        status,
        headers,
        text,
    }
}

/// A `df_login` event with a given `event_log_id`.
pub fn login(id: &str, datetime: &str) -> Value {
    serde_json::json!({"event_log_id": id, "event_name": "df_login", "event_datetime": datetime})
}

/// An `/events` body for `external_id` holding `events`.
pub fn batch(external_id: &str, events: Vec<Value>) -> Value {
    serde_json::json!({"common": {"identity": {"external_id": external_id}}, "events": events})
}

/// A fresh UUIDv4 text.
pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}
