//! Sink mode: the gate still holds (service id, token), any well-formed JSON body is answered
//! `20000` without validation or storage, and requests and events are counted.

use serde_json::json;

use crate::support::{Server, batch, builder, login, read, uuid};

#[tokio::test]
async fn the_sink_answers_20000_without_checking_or_storing_and_counts_events() {
    let (builder, clock) = builder();
    let server = Server::with(builder.sink(true).inspection_http(true), clock).await;
    // Valid, and invalid in ways the registry would refuse (an unknown event, an empty batch,
    // a bad datetime): all answered 20000, none stored.
    let valid = batch(
        "u-1",
        (0..3)
            .map(|_| login(&uuid(), "2024-08-26T11:00:00.000Z"))
            .collect(),
    );
    let unknown = batch(
        "u-2",
        vec![
            json!({"event_log_id": uuid(), "event_name": "not_registered", "event_datetime": "nope"}),
        ],
    );
    for body in [&valid, &unknown, &batch("u-3", vec![])] {
        assert_eq!(server.import("/api/v1/events", body).await.code(), "20000");
    }
    let profile = json!({"identity": {"external_id": "u-1"}, "user_properties": {"whatever": 1}});
    assert_eq!(
        server.import("/api/v1/user-profile", &profile).await.code(),
        "20000"
    );
    // Not JSON: still a bad request.
    assert_eq!(
        server
            .import_raw("/api/v1/events", "{not json")
            .await
            .code(),
        "40000"
    );
    // A wrong token: still refused, and nothing counted as sunk.
    let refused = read(
        server
            .http
            .post(server.emu.url("/api/v1/events"))
            .header("access_token", "wrong")
            .json(&valid),
    )
    .await;
    assert_eq!(refused.code(), "40201", "{}", refused.text);

    let stats = server.emu.stats();
    assert_eq!(stats.sunk, 4, "{stats:?}");
    assert_eq!(stats.requests, 6, "{stats:?}");
    assert_eq!(stats.accepted, 0, "{stats:?}");
    assert!(server.emu.events().is_empty(), "nothing stored");
    let over_http = read(
        server
            .http
            .get(format!("{}/_emulator/stats", server.emu.base_url())),
    )
    .await
    .json();
    assert_eq!(over_http["sunk"], 4);
}
