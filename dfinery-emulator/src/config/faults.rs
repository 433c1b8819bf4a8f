//! Fault injection settings: scripted responses, a seeded share of server errors and dropped
//! connections, and added latency, so a client's failure paths can be tested and replayed.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{ExportFailure, ImportCode};

/// What faults to inject. The default injects none.
///
/// Faults apply to the six DFINERY endpoints (never to `/_emulator/…`) after the service id,
/// the token and the rate limit are checked, in this order: the next [`script`](Self::script)
/// entry if any is left, else a dropped connection with probability
/// [`drop_rate`](Self::drop_rate), else a server error with probability
/// [`error_rate`](Self::error_rate); then [`latency`](Self::latency) is added to whatever is
/// answered. The random draws come from [`seed`](Self::seed), so a failing test replays.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultConfig {
    /// Seed of the random draws. Default: 0.
    pub seed: u64,
    /// Share of requests (0.0 to 1.0) answered with a server error: HTTP 500 + `50000` on the
    /// Import API, HTTP 500 `unknown_error` on the Export API. Default: 0.0.
    pub error_rate: f64,
    /// Share of requests (0.0 to 1.0) whose connection is dropped: an Import request gets no
    /// response at all, an Export response stops after the CSV header. Default: 0.0.
    pub drop_rate: f64,
    /// Time added before answering. Default: none.
    pub latency: Latency,
    /// Responses served in order, one per request, before any random fault. Default: empty.
    pub script: Vec<ScriptedResponse>,
}

impl FaultConfig {
    /// No faults: the default.
    pub fn none() -> FaultConfig {
        FaultConfig::default()
    }

    /// Faults that serve `script` in order and nothing else.
    pub fn scripted(script: impl IntoIterator<Item = ScriptedResponse>) -> FaultConfig {
        FaultConfig {
            script: script.into_iter().collect(),
            ..FaultConfig::default()
        }
    }

    /// Checks the rates are within 0.0 to 1.0, the script's statuses are HTTP statuses and the
    /// latency range is ordered.
    pub(crate) fn validate(&self) -> Result<(), String> {
        for (name, rate) in [
            ("error_rate", self.error_rate),
            ("drop_rate", self.drop_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!(
                    "fault `{name}` is {rate}; give a share between 0.0 and 1.0"
                ));
            }
        }
        for (index, entry) in self.script.iter().enumerate() {
            if let Some(status) = entry.status()
                && !ScriptedResponse::STATUSES.contains(&status)
            {
                return Err(format!(
                    "fault `script[{index}]` has status {status}, which is not an HTTP status; give one from 100 to 599"
                ));
            }
        }
        if self.latency.min > self.latency.max {
            return Err(format!(
                "fault latency minimum {:?} is above its maximum {:?}; swap them",
                self.latency.min, self.latency.max
            ));
        }
        Ok(())
    }
}

/// Latency added to every answer, drawn uniformly between `min` and `max`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Latency {
    /// The shortest added delay.
    pub min: Duration,
    /// The longest added delay.
    pub max: Duration,
}

impl Latency {
    /// No added latency.
    pub const fn none() -> Latency {
        Latency {
            min: Duration::ZERO,
            max: Duration::ZERO,
        }
    }

    /// Exactly `delay` on every answer.
    pub const fn fixed(delay: Duration) -> Latency {
        Latency {
            min: delay,
            max: delay,
        }
    }

    /// A delay drawn uniformly between `min` and `max` (inclusive).
    pub const fn between(min: Duration, max: Duration) -> Latency {
        Latency { min, max }
    }
}

/// One canned answer of a [`FaultConfig::script`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ScriptedResponse {
    /// Handle the request normally (lets a script fail the second request but not the first).
    Normal,
    /// A server error in the API's own shape: HTTP 500 + `50000` (Import) or HTTP 500
    /// `unknown_error` (Export).
    ServerError,
    /// Drop the connection: no response for an Import request, a CSV cut after its header for
    /// an Export request.
    Drop,
    /// Answer with this status and JSON body, whatever the endpoint.
    Json {
        /// The HTTP status.
        status: u16,
        /// The body.
        body: Value,
    },
    /// Answer with this status and a `text/plain` body, e.g. a proxy's error page.
    Text {
        /// The HTTP status.
        status: u16,
        /// The body.
        body: String,
    },
}

impl ScriptedResponse {
    /// The statuses a [`Json`](Self::Json) or [`Text`](Self::Text) entry may have. One outside
    /// is refused by [`EmulatorBuilder::start`](crate::EmulatorBuilder::start) and
    /// [`EmulatorHandle::set_faults`](crate::EmulatorHandle::set_faults); pushed with
    /// [`EmulatorHandle::push_script`](crate::EmulatorHandle::push_script), it is answered
    /// with HTTP 500 and a line saying so.
    pub const STATUSES: std::ops::RangeInclusive<u16> = 100..=599;

    /// The HTTP status of a `Json` or `Text` entry.
    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            ScriptedResponse::Json { status, .. } | ScriptedResponse::Text { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// An Import envelope with `code` and its usual HTTP status, e.g. HTTP 200 + `40001`.
    pub fn import(code: ImportCode) -> ScriptedResponse {
        ScriptedResponse::Json {
            status: code.status(),
            body: json!({
                "status": code == ImportCode::Ok,
                "code": code.code(),
                "message": code.message(),
                "data": if code == ImportCode::Ok { Value::Bool(true) } else { Value::Null },
            }),
        }
    }

    /// An Export failure body with its documented HTTP status, e.g. 500 `query_error`.
    pub fn export(failure: ExportFailure) -> ScriptedResponse {
        ScriptedResponse::Json {
            status: failure.status(),
            body: json!({ "result": "fail", "message": failure.message() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_outside_zero_to_one_are_refused() {
        let config = FaultConfig {
            error_rate: 1.5,
            ..FaultConfig::default()
        };
        assert_eq!(
            config.validate().unwrap_err(),
            "fault `error_rate` is 1.5; give a share between 0.0 and 1.0"
        );
        let config = FaultConfig {
            drop_rate: f64::NAN,
            ..FaultConfig::default()
        };
        assert!(config.validate().is_err());
        assert!(FaultConfig::default().validate().is_ok());
    }

    #[test]
    fn scripted_statuses_outside_http_are_refused() {
        for status in [0, 42, 600, 1_000] {
            let config = FaultConfig::scripted([
                ScriptedResponse::Normal,
                ScriptedResponse::Text {
                    status,
                    body: String::new(),
                },
            ]);
            assert_eq!(
                config.validate().unwrap_err(),
                format!(
                    "fault `script[1]` has status {status}, which is not an HTTP status; give one from 100 to 599"
                )
            );
        }
        let fine = FaultConfig::scripted([ScriptedResponse::Json {
            status: 599,
            body: Value::Null,
        }]);
        assert!(fine.validate().is_ok());
    }

    #[test]
    fn reversed_latency_is_refused() {
        let config = FaultConfig {
            latency: Latency::between(Duration::from_secs(2), Duration::from_secs(1)),
            ..FaultConfig::default()
        };
        assert!(config.validate().unwrap_err().contains("swap them"));
    }

    #[test]
    fn canned_bodies_follow_the_documented_shapes() {
        let ScriptedResponse::Json { status, body } =
            ScriptedResponse::import(ImportCode::InternalServerError)
        else {
            panic!("expected a JSON answer");
        };
        assert_eq!(status, 500);
        assert_eq!(
            body,
            json!({"status": false, "code": "50000", "message": "INTERNAL_SERVER_ERROR", "data": null})
        );
        assert_eq!(
            ScriptedResponse::export(ExportFailure::QueryError),
            ScriptedResponse::Json {
                status: 500,
                body: json!({"result": "fail", "message": "query_error"})
            }
        );
    }
}
