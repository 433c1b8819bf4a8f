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

#[tokio::test]
async fn the_sink_refuses_json_that_is_not_an_object_and_says_what_it_found() {
    let (builder, clock) = builder();
    let server = Server::with(builder.sink(true), clock).await;
    // Arrays were taken for objects: `[[1,2,3]]` was answered 20000 and counted 3 events.
    for (body, found) in [
        ("[]", "an array"),
        ("[[1,2,3]]", "an array"),
        (" \"x\"", "a string"),
        ("12", "a number"),
        ("null", "null"),
        ("true", "a boolean"),
    ] {
        let answer = server.import_raw("/api/v1/events", body).await;
        assert_eq!(
            (answer.status, answer.code()),
            (400, "40000".to_owned()),
            "{body}"
        );
        let expected = answer.json()["data"][0]["expected"].clone();
        assert_eq!(expected, format!("a JSON object, found {found}"), "{body}");
    }
    let answer = server
        .import_raw("/api/v1/events", r#"{"events": {"a": 1}}"#)
        .await;
    assert_eq!(answer.code(), "40000");
    assert_eq!(
        answer.violations(),
        [("events".to_owned(), "shape".to_owned())]
    );
    assert!(!answer.text.contains("Shape"), "{}", answer.text);
    let answer = server.import_raw("/api/v1/events", "[1,").await;
    assert_eq!(answer.violations(), [("$".to_owned(), "json".to_owned())]);
    assert_eq!(server.emu.stats().sunk, 0);
}

#[tokio::test]
async fn the_sink_counts_events_of_event_requests_only() {
    let (builder, clock) = builder();
    let server = Server::with(builder.sink(true), clock).await;
    // An `events` array in an identity or profile body was counted as sunk events.
    let odd = json!({"identity": {"external_id": "u-1"}, "events": [1, 2, 3]});
    for path in [
        "/api/v1/identities",
        "/api/v1/identities/delete",
        "/api/v1/user-profile",
    ] {
        assert_eq!(server.import(path, &odd).await.code(), "20000", "{path}");
    }
    assert_eq!(server.emu.stats().sunk, 0);
    let events = batch("u-1", vec![login(&uuid(), "2024-08-26T11:00:00.000Z")]);
    assert_eq!(
        server.import("/api/v1/events", &events).await.code(),
        "20000"
    );
    assert_eq!(server.emu.stats().sunk, 1);
}

/// The sink answers `20000` to any JSON object, as its documentation says: an Identity or
/// Profile body whose `events` is not an array (a key those APIs never read) was refused, and
/// an `/events` body naming `events` twice was refused though the normal mode reads it (the
/// last key wins there, and the sink now counts that one).
#[tokio::test]
async fn the_sink_takes_any_json_object_and_counts_the_last_events_key() {
    let (builder, clock) = builder();
    let server = Server::with(builder.sink(true), clock).await;
    let odd = json!({"identity": {"external_id": "u-1"}, "events": 5});
    for path in ["/api/v1/identities", "/api/v1/user-profile"] {
        assert_eq!(server.import(path, &odd).await.code(), "20000", "{path}");
    }
    let twice = r#"{"common":{"identity":{"external_id":"u-1"}},"events":[1],"events":[1,2,3]}"#;
    let answer = server.import_raw("/api/v1/events", twice).await;
    assert_eq!(answer.code(), "20000");
    assert_eq!(server.emu.stats().sunk, 3);
}

/// With the inspector on (`--sink --inspect`, the way to watch a sink's counters), the sink's
/// bodies are not read for the page: each request is recorded with the events the sink counted,
/// and nothing of its body (no events listed, no identity, nothing tallied against the
/// registry). The inspector read, parsed and recorded every body, which cost the emulator about
/// 25 times the sink's own work: its events and identity were on the page and its unregistered
/// event counted in the registry panel.
#[tokio::test]
async fn with_the_inspector_the_sink_records_its_counts_without_reading_bodies() {
    let (builder, clock) = builder();
    let server = Server::with(builder.sink(true).inspector(true), clock).await;
    let valid = batch(
        "u-1",
        (0..3)
            .map(|_| login(&uuid(), "2024-08-26T11:00:00.000Z"))
            .collect(),
    );
    let unknown = batch(
        "u-2",
        vec![json!({"event_log_id": uuid(), "event_name": "not_registered"})],
    );
    let profile = json!({"identity": {"external_id": "u-3"}, "user_properties": {"x": 1}});
    for (path, body) in [
        ("/api/v1/events", &valid),
        ("/api/v1/events", &unknown),
        ("/api/v1/user-profile", &profile),
    ] {
        assert_eq!(server.import(path, body).await.code(), "20000");
    }
    let snapshot = server.inspector_snapshot().await;
    let records = snapshot["records"].as_array().unwrap();
    let counts: Vec<_> = records
        .iter()
        .map(|r| {
            (
                r["endpoint"].as_str().unwrap(),
                r["event_count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            ("/api/v1/events", 3),
            ("/api/v1/events", 1),
            ("/api/v1/user-profile", 0)
        ]
    );
    for record in records {
        assert_eq!(record["sunk"], true, "{record}");
        assert_eq!(record["events"], json!([]), "{record}");
        assert_eq!(record["user_properties"], json!([]), "{record}");
        assert_eq!(record["identity"], serde_json::Value::Null, "{record}");
        assert!(
            record["note"].as_str().unwrap().contains("sink"),
            "{record}"
        );
    }
    let registry = read(
        server
            .http
            .get(server.emu.url("/_emulator/inspector/registry")),
    )
    .await
    .json();
    assert!(
        !registry.to_string().contains("not_registered"),
        "{registry}"
    );
    assert_eq!(server.emu.stats().sunk, 4);
}

/// A body whose strings are not UTF-8 is not JSON (RFC 8259 §8.1), and the normal mode
/// refuses it (`40000`, "invalid unicode code point"): the sink answered `20000` to it, and
/// counted its events, since it skipped the strings it did not keep without checking them.
#[tokio::test]
async fn the_sink_refuses_a_body_that_is_not_utf_8_as_the_normal_mode_does() {
    let (builder, clock) = builder();
    let server = Server::with(builder.sink(true), clock).await;
    for (path, body) in [
        (
            "/api/v1/events",
            &b"{\"events\":[{\"event_name\":\"\xff\"}]}"[..],
        ),
        ("/api/v1/events", &b"{\"events\":[],\"x\":\"\xc3\"}"[..]),
        (
            "/api/v1/user-profile",
            &b"{\"identity\":{\"external_id\":\"\xfe\"}}"[..],
        ),
    ] {
        let answer = server.import_raw(path, body.to_vec()).await;
        assert_eq!(
            (answer.status, answer.code()),
            (400, "40000".to_owned()),
            "{path} {}",
            String::from_utf8_lossy(body)
        );
        assert_eq!(answer.violations(), [("$".to_owned(), "json".to_owned())]);
    }
    assert_eq!(server.emu.stats().sunk, 0);
}
