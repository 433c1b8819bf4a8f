//! The two exports as raw CSV streams: content, a stream cut by the server, an error body
//! under another type than JSON, and the limit of five exports in flight.

use std::time::Duration;

use dfinery::Error;
use dfinery::export::ProfileQuery;
use dfinery::{EventRecord, UserProperties};
use dfinery_emulator::{FaultConfig, Latency, ScriptedResponse};
use futures_util::future::join_all;

use crate::model::{Login, purchase};
use crate::support::{client, client_for, emulator, emulator_with, today, user};

#[tokio::test]
async fn exported_events_come_back_as_csv() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let order = purchase("ORDER-7", 1, 5000.0);
    client
        .send_events(&user("u"), [&order as &dyn dfinery::Event, &Login {}])
        .await
        .unwrap();
    let csv = client
        .export_events(&today())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut lines = csv.lines();
    let header: Vec<_> = lines.next().unwrap().split(',').collect();
    assert!(
        header.contains(&"event_name") && header.contains(&"df_order_id"),
        "{header:?}"
    );
    let rows: Vec<_> = lines.collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(csv.contains("ORDER-7") && csv.contains("df_login"), "{csv}");
}

#[tokio::test]
async fn exported_profiles_come_back_as_csv() {
    let emulator = emulator().await;
    let client = client(&emulator);
    for (id, name) in [("a", "Ann"), ("b", "Bo")] {
        let props = UserProperties::builder()
            .property("df_name", name)
            .build()
            .unwrap();
        client.update_profile(&user(id), props).await.unwrap();
    }
    let csv = client
        .export_profiles(&ProfileQuery::new().to_request().unwrap())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.lines().next().unwrap().contains("df_unified_id"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.contains("Ann") && csv.contains("Bo"), "{csv}");
}

/// An emulator holding one `df_login`, and a client to it.
async fn with_one_login() -> (dfinery_emulator::EmulatorHandle, dfinery::Client) {
    let emulator = emulator().await;
    let client = client(&emulator);
    client
        .send_events(
            &user("u"),
            [EventRecord::builder("df_login").build().unwrap()],
        )
        .await
        .unwrap();
    (emulator, client)
}

#[tokio::test]
async fn a_stream_cut_by_the_server_ends_with_an_error() {
    let (emulator, client) = with_one_login().await;
    emulator.push_script([ScriptedResponse::Drop]);
    let stream = client.export_events(&today()).await.unwrap();
    let error = stream.collect_bytes().await.unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
}

/// An export error body under another type than JSON (a gateway's `text/plain`; DFINERY
/// answers its export errors with HTTP 200) is read before the CSV would start: a server error
/// is retried and the CSV follows, a refusal is the call's error, not a CSV failing at its end.
#[tokio::test]
async fn an_export_error_under_another_type_than_json_is_classified_before_the_csv_starts() {
    let (emulator, client) = with_one_login().await;
    let error_body = |message: &str| ScriptedResponse::Text {
        status: 200,
        body: format!("\r\n  {{\"result\":\"fail\",\"message\":\"{message}\"}}"),
    };
    emulator.push_script([error_body("unknown_error")]);
    let csv = client
        .export_events(&today())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.lines().next().unwrap().contains("df_unified_id"),
        "{csv}"
    );
    assert!(csv.contains("df_login"), "{csv}");

    emulator.push_script([error_body("unauthorized_token")]);
    let error = client.export_events(&today()).await.unwrap_err();
    assert!(matches!(error, Error::Auth { .. }), "{error:?}");
}

#[tokio::test]
async fn at_most_five_exports_are_in_flight() {
    // Each export holds the emulator's slot for 1 s: the eight overlap even on a loaded
    // machine. (With 150 ms, a stall of the test's thread as long as that between the fifth
    // and the sixth request let the first export end before the sixth arrived, and the eager
    // client below then met no refusal.)
    let slow = |b: dfinery_emulator::EmulatorBuilder| {
        b.faults(FaultConfig {
            latency: Latency::fixed(Duration::from_secs(1)),
            ..FaultConfig::default()
        })
    };
    // The client queues the sixth to eighth export: the emulator refuses none.
    let emulator = emulator_with(slow).await;
    let client = client_for(&emulator)
        .retry(crate::support::no_retry())
        .build()
        .unwrap();
    let exports =
        (0..8).map(|_| async { client.export_events(&today()).await?.collect_bytes().await });
    let results = join_all(exports).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(emulator.stats().rate_limited, 0);
    assert_eq!(emulator.stats().exports, 8);

    // Allowed eight at once, the client runs into the server's limit of five.
    let emulator = emulator_with(slow).await;
    let eager = client_for(&emulator)
        .retry(crate::support::no_retry())
        .export_concurrency(8)
        .build()
        .unwrap();
    let exports =
        (0..8).map(|_| async { eager.export_events(&today()).await?.collect_bytes().await });
    let refused = join_all(exports)
        .await
        .into_iter()
        .filter(|r| matches!(r, Err(Error::RateLimited { .. })))
        .count();
    assert!(refused > 0, "the emulator refused none");
    assert_eq!(emulator.stats().rate_limited as usize, refused);
}
