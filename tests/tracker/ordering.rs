//! Order per user (`docs/protocol.md` §8.3): an identity update queued before a profile update
//! before events is delivered in that order, also when a send fails and is retried, and one
//! user's order holds while other users' requests run beside it.

use std::collections::BTreeMap;
use std::time::Duration;

use dfinery::UserProperties;
use dfinery_emulator::ScriptedResponse;

use crate::support::{Recorder, client_to, emulator, login, user};

const IDENTITIES: &str = "/api/v1/identities";
const PROFILE: &str = "/api/v1/user-profile";
const EVENTS: &str = "/api/v1/events";

fn gender(value: &str) -> UserProperties {
    UserProperties::builder()
        .property("df_gender", value)
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn identity_then_profile_then_events_even_when_the_first_send_fails() {
    let emulator = emulator().await;
    // The first request fails; without client retries the tracker retries it itself.
    emulator.push_script([ScriptedResponse::ServerError]);
    let (url, proxy) = Recorder::start(emulator.base_url()).await;
    let client = client_to(&url)
        .retry(crate::support::no_retry())
        .build()
        .unwrap();
    let tracker = dfinery::Tracker::builder(client)
        .redelivery_backoff(Duration::from_millis(100), Duration::from_secs(1))
        .build()
        .unwrap();
    let dana = user("dana");
    tracker.try_identify(&dana).unwrap();
    tracker.try_update_profile(&dana, gender("Female")).unwrap();
    for _ in 0..3 {
        tracker.try_track(&dana, login()).unwrap();
    }
    let report = tracker.shutdown().await.unwrap();
    assert_eq!(report.delivered, 5);
    let paths: Vec<String> = proxy.seen().into_iter().map(|s| s.path).collect();
    assert_eq!(paths, [IDENTITIES, IDENTITIES, PROFILE, EVENTS]);
    let profile = emulator.profile("dana").expect("the identity was created");
    assert_eq!(profile.properties["df_gender"], "Female");
    assert_eq!(
        report.metrics.retried, 1,
        "the failed identity update was sent again"
    );
}

#[tokio::test(start_paused = true)]
async fn each_user_keeps_its_order_while_users_are_sent_side_by_side() {
    let emulator = emulator().await;
    let (url, proxy) = Recorder::start(emulator.base_url()).await;
    let tracker = dfinery::Tracker::builder(client_to(&url).build().unwrap())
        .max_in_flight(4)
        .build()
        .unwrap();
    let mut expected: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for round in 0..3 {
        for n in 0..6 {
            let name = format!("user-{n}");
            let who = user(&name);
            let steps = expected.entry(name).or_default();
            match (round + n) % 3 {
                0 => {
                    tracker.try_identify(&who).unwrap();
                    steps.push(IDENTITIES);
                }
                1 => {
                    tracker.try_update_profile(&who, gender("Other")).unwrap();
                    steps.push(PROFILE);
                }
                _ => {
                    tracker.try_track(&who, login()).unwrap();
                    steps.push(EVENTS);
                }
            }
        }
    }
    tracker.flush().await.unwrap();
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for request in proxy.seen() {
        seen.entry(request.external_id())
            .or_default()
            .push(request.path);
    }
    assert_eq!(seen.len(), 6);
    for (name, steps) in expected {
        assert_eq!(seen[&name], steps, "{name}");
    }
    tracker.shutdown().await.unwrap();
}
