//! The emulator's data: unified profiles, stored events (de-duplicated on `event_log_id`),
//! refused requests and counters.

mod profiles;
mod stats;

use std::collections::{HashSet, VecDeque};
use std::time::SystemTime;

use serde_json::{Map, Value};

pub(crate) use profiles::Profiles;
pub(crate) use stats::Counters;

use crate::model::{Rejection, StoredEvent, StoredIdentity};

/// How many refused requests are kept for inspection; older ones are forgotten.
const KEPT_REJECTIONS: usize = 1_000;

/// An event that passed validation, ready to store.
#[derive(Debug, Clone)]
pub(crate) struct NewEvent {
    pub(crate) event_log_id: String,
    pub(crate) event_name: String,
    pub(crate) event_datetime: String,
    pub(crate) items: Vec<Map<String, Value>>,
    pub(crate) properties: Map<String, Value>,
}

/// Everything stored for the service.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub(crate) profiles: Profiles,
    events: Vec<StoredEvent>,
    seen: HashSet<String>,
    rejections: VecDeque<Rejection>,
}

/// What storing a batch of events did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stored {
    pub(crate) accepted: u64,
    pub(crate) duplicates: u64,
}

impl Store {
    /// Attaches the batch to the profile `identity` selects and stores every event whose
    /// `event_log_id` (compared case-insensitively) is new.
    pub(crate) fn store_events(
        &mut self,
        identity: &StoredIdentity,
        events: Vec<NewEvent>,
        now: SystemTime,
        new_id: impl FnOnce() -> String,
    ) -> Stored {
        let profile = self.profiles.upsert(identity, new_id);
        let mut stored = Stored {
            accepted: 0,
            duplicates: 0,
        };
        for event in events {
            if !self.seen.insert(event.event_log_id.to_ascii_lowercase()) {
                stored.duplicates += 1;
                continue;
            }
            stored.accepted += 1;
            self.events.push(StoredEvent {
                df_unified_id: profile.unified_id.clone(),
                identity: identity.clone(),
                event_log_id: event.event_log_id,
                event_name: event.event_name,
                event_datetime: event.event_datetime,
                server_datetime: now,
                items: event.items,
                properties: event.properties,
            });
        }
        stored
    }

    /// Every stored event in arrival order.
    pub(crate) fn events(&self) -> &[StoredEvent] {
        &self.events
    }

    /// Remembers a refused request (the oldest is forgotten past 1,000).
    pub(crate) fn reject(&mut self, rejection: Rejection) {
        if self.rejections.len() == KEPT_REJECTIONS {
            self.rejections.pop_front();
        }
        self.rejections.push_back(rejection);
    }

    /// The refused requests kept, oldest first.
    pub(crate) fn rejections(&self) -> Vec<Rejection> {
        self.rejections.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str) -> NewEvent {
        NewEvent {
            event_log_id: id.to_owned(),
            event_name: "df_login".to_owned(),
            event_datetime: "2024-06-24T06:00:00.000Z".to_owned(),
            items: Vec::new(),
            properties: Map::new(),
        }
    }

    #[test]
    fn events_are_deduplicated_on_event_log_id_ignoring_case() {
        let mut store = Store::default();
        let who = StoredIdentity::external("u-1");
        let now = SystemTime::UNIX_EPOCH;
        let first = store.store_events(
            &who,
            vec![
                event("5b0f9a0e-1c2d-4e3f-8a9b-0c1d2e3f4a5b"),
                event("5B0F9A0E-1C2D-4E3F-8A9B-0C1D2E3F4A5B"),
            ],
            now,
            || "p1".into(),
        );
        assert_eq!(
            first,
            Stored {
                accepted: 1,
                duplicates: 1
            }
        );
        let again = store.store_events(
            &who,
            vec![event("5b0f9a0e-1c2d-4e3f-8a9b-0c1d2e3f4a5b")],
            now,
            || "p2".into(),
        );
        assert_eq!(
            again,
            Stored {
                accepted: 0,
                duplicates: 1
            }
        );
        assert_eq!(store.events().len(), 1);
        assert_eq!(store.events()[0].df_unified_id, "p1");
    }

    #[test]
    fn only_the_latest_rejections_are_kept() {
        let mut store = Store::default();
        for n in 0..KEPT_REJECTIONS + 2 {
            store.reject(Rejection {
                endpoint: "/api/v1/events".into(),
                code: n.to_string(),
                violations: Vec::new(),
            });
        }
        let kept = store.rejections();
        assert_eq!(kept.len(), KEPT_REJECTIONS);
        assert_eq!(kept[0].code, "2");
    }
}
