//! Deciding, per request, which fault (if any) to inject: the script first, then seeded draws.

use std::collections::VecDeque;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::{FaultConfig, ScriptedResponse};

/// What to do with one request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decision {
    /// The fault to answer with; `None` handles the request normally.
    pub(crate) fault: Option<ScriptedResponse>,
    /// Delay before answering.
    pub(crate) latency: Duration,
}

/// The fault configuration in force, its remaining script and its random generator.
#[derive(Debug)]
pub(crate) struct FaultState {
    config: FaultConfig,
    script: VecDeque<ScriptedResponse>,
    rng: StdRng,
}

impl FaultState {
    pub(crate) fn new(config: FaultConfig) -> FaultState {
        FaultState {
            script: config.script.iter().cloned().collect(),
            rng: StdRng::seed_from_u64(config.seed),
            config,
        }
    }

    /// Decides the fate of the next request.
    pub(crate) fn decide(&mut self) -> Decision {
        let fault = match self.script.pop_front() {
            Some(ScriptedResponse::Normal) => None,
            Some(entry) => Some(entry),
            None if self.roll(self.config.drop_rate) => Some(ScriptedResponse::Drop),
            None if self.roll(self.config.error_rate) => Some(ScriptedResponse::ServerError),
            None => None,
        };
        let latency = self.config.latency;
        let latency = if latency.min == latency.max {
            latency.min
        } else {
            self.rng.random_range(latency.min..=latency.max)
        };
        Decision { fault, latency }
    }

    /// Appends entries to the script.
    pub(crate) fn push_script(&mut self, entries: impl IntoIterator<Item = ScriptedResponse>) {
        self.script.extend(entries);
    }

    fn roll(&mut self, rate: f64) -> bool {
        rate > 0.0 && self.rng.random::<f64>() < rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Latency;

    #[test]
    fn the_script_is_served_in_order_before_random_faults() {
        let mut state = FaultState::new(FaultConfig::scripted([
            ScriptedResponse::ServerError,
            ScriptedResponse::Normal,
            ScriptedResponse::Drop,
        ]));
        let faults: Vec<_> = (0..4).map(|_| state.decide().fault).collect();
        assert_eq!(
            faults,
            [
                Some(ScriptedResponse::ServerError),
                None,
                Some(ScriptedResponse::Drop),
                None
            ]
        );
    }

    #[test]
    fn the_same_seed_replays_the_same_faults() {
        let config = FaultConfig {
            seed: 7,
            error_rate: 0.3,
            drop_rate: 0.2,
            latency: Latency::between(Duration::ZERO, Duration::from_millis(50)),
            ..FaultConfig::default()
        };
        let run = || {
            let mut state = FaultState::new(config.clone());
            (0..200).map(|_| state.decide()).collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run());
        let errors = first
            .iter()
            .filter(|d| d.fault == Some(ScriptedResponse::ServerError))
            .count();
        let drops = first
            .iter()
            .filter(|d| d.fault == Some(ScriptedResponse::Drop))
            .count();
        // 200 draws at 30 % (of the 80 % not dropped) and 20 %: far from 0 and from 200.
        assert!((20..80).contains(&errors), "{errors} errors");
        assert!((15..70).contains(&drops), "{drops} drops");
        assert!(first.iter().all(|d| d.latency <= Duration::from_millis(50)));
    }
}
