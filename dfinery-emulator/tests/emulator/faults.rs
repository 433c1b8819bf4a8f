//! Fault injection: `50000`, the export's `unknown_error` / `query_error` /
//! `client_connection_closed`, dropped connections, latency, and seeded replay.

use std::time::{Duration, Instant};

use dfinery_emulator::{ExportFailure, FaultConfig, ImportCode, Latency, ScriptedResponse};
use serde_json::json;

use crate::support::{Server, batch, builder, login, uuid};

const AT: &str = "2024-08-26T06:00:00.000Z";

fn identity() -> serde_json::Value {
    json!({"identity": {"external_id": "u-1"}, "request_datetime": AT})
}

fn profiles() -> serde_json::Value {
    json!({"properties_condition_type": "all"})
}

async fn with_faults(faults: FaultConfig) -> Server {
    let (builder, clock) = builder();
    Server::with(builder.faults(faults), clock).await
}

#[tokio::test]
async fn an_error_rate_of_one_answers_500_50000_and_500_unknown_error() {
    let server = with_faults(FaultConfig {
        error_rate: 1.0,
        ..FaultConfig::default()
    })
    .await;
    let answer = server.import("/api/v1/identities", &identity()).await;
    assert_eq!(answer.status, 500);
    assert_eq!(
        answer.json(),
        json!({"status": false, "code": "50000", "message": "INTERNAL_SERVER_ERROR", "data": null})
    );
    assert_eq!(answer.header("x-ratelimit-limit"), "1m");
    let answer = server
        .export("/api/v1/export/userprofile", &profiles())
        .await;
    assert_eq!(answer.status, 500);
    assert_eq!(
        answer.json(),
        json!({"result": "fail", "message": "unknown_error"})
    );
    assert!(
        server.emu.profiles().is_empty(),
        "a faulted request changes nothing"
    );
    assert_eq!(server.emu.stats().faults_injected, 2);
}

#[tokio::test]
async fn the_script_serves_canned_answers_in_order_then_normal_handling() {
    let server = with_faults(FaultConfig::scripted([
        ScriptedResponse::export(ExportFailure::QueryError),
        ScriptedResponse::export(ExportFailure::ClientConnectionClosed),
        ScriptedResponse::Normal,
        ScriptedResponse::import(ImportCode::TooManyRequest),
        ScriptedResponse::Text {
            status: 502,
            body: "<html>bad gateway</html>".into(),
        },
    ]))
    .await;
    let answer = server
        .export("/api/v1/export/userprofile", &profiles())
        .await;
    assert_eq!(
        (answer.status, answer.message()),
        (500, "query_error".to_owned())
    );
    let answer = server
        .export("/api/v1/export/userprofile", &profiles())
        .await;
    assert_eq!(
        (answer.status, answer.message()),
        (200, "client_connection_closed".to_owned())
    );
    assert_eq!(
        server
            .export("/api/v1/export/userprofile", &profiles())
            .await
            .header("content-type"),
        "text/csv; charset=utf-8"
    );
    let answer = server.import("/api/v1/identities", &identity()).await;
    assert_eq!((answer.status, answer.code()), (429, "40401".to_owned()));
    let answer = server.import("/api/v1/identities", &identity()).await;
    assert_eq!(
        (answer.status, answer.text.as_str()),
        (502, "<html>bad gateway</html>")
    );
    assert_eq!(
        server
            .import("/api/v1/identities", &identity())
            .await
            .code(),
        "20000"
    );
    assert_eq!(server.emu.stats().faults_injected, 4);

    server.emu.push_script([ScriptedResponse::ServerError]);
    assert_eq!(
        server
            .import("/api/v1/identities", &identity())
            .await
            .code(),
        "50000"
    );
}

#[tokio::test]
async fn a_scripted_status_that_is_not_http_is_refused_or_explained() {
    // Status 42 was answered as a silent HTTP 500 with the scripted body.
    let bad = FaultConfig::scripted([ScriptedResponse::Json {
        status: 42,
        body: json!({"code": "20000"}),
    }]);
    let (builder, _) = builder();
    let err = builder.faults(bad.clone()).start().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid emulator setting: fault `script[0]` has status 42, which is not an HTTP status; give one from 100 to 599"
    );
    let server = with_faults(FaultConfig::none()).await;
    assert!(server.emu.set_faults(bad.clone()).is_err());
    server.emu.push_script(bad.script);
    let answer = server.import("/api/v1/identities", &identity()).await;
    assert_eq!(answer.status, 500);
    assert!(
        answer.text.contains("asked for HTTP status 42"),
        "{}",
        answer.text
    );
}

#[tokio::test]
async fn a_dropped_import_gets_no_answer_and_stores_nothing() {
    let server = with_faults(FaultConfig::scripted([ScriptedResponse::Drop])).await;
    let body = batch("u-1", vec![login(&uuid(), AT)]);
    let result = server
        .http
        .post(server.emu.url("/api/v1/events"))
        .header("access_token", server.emu.import_token())
        .json(&body)
        .send()
        .await;
    let err = result.expect_err("the connection is closed without an answer");
    assert!(!err.is_timeout(), "{err}");
    assert!(server.emu.events().is_empty());
    // The retry is answered normally.
    assert_eq!(server.import("/api/v1/events", &body).await.code(), "20000");
}

#[tokio::test]
async fn a_dropped_export_cuts_the_csv_after_its_header() {
    let server = with_faults(FaultConfig::scripted([ScriptedResponse::Drop])).await;
    let response = server
        .http
        .post(server.emu.url("/api/v1/export/userprofile"))
        .bearer_auth(server.emu.export_token())
        .json(&profiles())
        .send()
        .await
        .expect("the headers arrive");
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.is_err(), "the body is cut");
}

#[tokio::test]
async fn latency_delays_the_answer() {
    let server = with_faults(FaultConfig {
        latency: Latency::fixed(Duration::from_millis(300)),
        ..FaultConfig::default()
    })
    .await;
    let started = Instant::now();
    assert_eq!(
        server
            .import("/api/v1/identities", &identity())
            .await
            .code(),
        "20000"
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(
        server.emu.stats().faults_injected,
        0,
        "latency alone is not a fault"
    );
}

#[tokio::test]
async fn the_same_seed_replays_the_same_faults() {
    let faults = FaultConfig {
        seed: 42,
        error_rate: 0.5,
        ..FaultConfig::default()
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        let server = with_faults(faults.clone()).await;
        let mut statuses = Vec::new();
        for _ in 0..24 {
            statuses.push(
                server
                    .import("/api/v1/identities", &identity())
                    .await
                    .status,
            );
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
    let errors = runs[0].iter().filter(|s| **s == 500).count();
    assert!((3..=21).contains(&errors), "{:?}", runs[0]);
}

#[tokio::test]
async fn faults_can_be_changed_on_a_running_emulator() {
    let server = Server::start().await;
    assert!(
        server
            .emu
            .set_faults(FaultConfig {
                drop_rate: 2.0,
                ..FaultConfig::default()
            })
            .is_err()
    );
    server
        .emu
        .set_faults(FaultConfig {
            error_rate: 1.0,
            ..FaultConfig::default()
        })
        .unwrap();
    assert_eq!(
        server
            .import("/api/v1/identities", &identity())
            .await
            .status,
        500
    );
    server.emu.set_faults(FaultConfig::none()).unwrap();
    assert_eq!(
        server
            .import("/api/v1/identities", &identity())
            .await
            .status,
        200
    );
}
