//! Rate limits per API: headers on every answer, 429 (or 200 + `40401`), windows on the
//! emulator's clock, and at most 5 exports at once.

use std::time::Duration;

use dfinery_emulator::{Api, FaultConfig, Latency, RateLimit, Window};
use serde_json::json;

use crate::support::{Server, batch, builder, login, read, uuid};

const AT: &str = "2024-08-26T06:00:00.000Z";

fn identity() -> serde_json::Value {
    json!({"identity": {"external_id": "u-1"}, "request_datetime": AT})
}

#[tokio::test]
async fn every_answer_carries_the_rate_limit_headers() {
    let server = Server::start().await;
    // The clock is at 2024-08-26T12:00:00Z: the minute window resets at 12:01.
    let answer = server
        .import("/api/v1/events", &batch("u-1", vec![login(&uuid(), AT)]))
        .await;
    assert_eq!(answer.header("x-ratelimit-limit"), "1m");
    assert_eq!(answer.header("x-ratelimit-remaining"), "999999");
    assert_eq!(answer.header("x-ratelimit-reset"), "1724673660000");
    let refused = read(
        server
            .http
            .post(server.emu.url("/api/v1/identities"))
            .json(&identity()),
    )
    .await;
    assert_eq!(refused.code(), "40201");
    assert_eq!(
        refused.header("x-ratelimit-remaining"),
        "10000",
        "a refused token is not counted"
    );
    let export = server
        .export("/api/v1/export/event", &json!({"events_condition_type": "all", "from_date": "2024-08-26", "to_date": "2024-08-26"}))
        .await;
    assert_eq!(export.header("x-ratelimit-limit"), "1H");
    assert_eq!(export.header("x-ratelimit-remaining"), "99");
    assert_eq!(export.header("x-ratelimit-reset"), "1724677200000");
}

#[tokio::test]
async fn an_exceeded_limit_is_429_40401_until_the_window_resets() {
    let (builder, clock) = builder();
    let limited = builder.rate_limit(Api::Identity, RateLimit::new(2, Window::minutes(1)));
    let server = Server::with(limited, clock).await;
    for remaining in ["1", "0"] {
        let answer = server.import("/api/v1/identities", &identity()).await;
        assert_eq!(
            (answer.code(), answer.header("x-ratelimit-remaining")),
            ("20000".to_owned(), remaining)
        );
    }
    let answer = server
        .import("/api/v1/identities/delete", &identity())
        .await;
    assert_eq!(answer.status, 429);
    assert_eq!(
        answer.json(),
        json!({"status": false, "code": "40401", "message": "TOO_MANY_REQUEST", "data": null})
    );
    assert_eq!(answer.header("x-ratelimit-remaining"), "0");
    // Other APIs have their own budget.
    let answer = server
        .import("/api/v1/events", &batch("u-1", vec![login(&uuid(), AT)]))
        .await;
    assert_eq!(answer.code(), "20000");
    server.clock.advance(Duration::from_secs(60));
    assert_eq!(
        server
            .import("/api/v1/identities", &identity())
            .await
            .code(),
        "20000"
    );
    assert_eq!(server.emu.stats().rate_limited, 1);
}

#[tokio::test]
async fn the_status_200_option_answers_200_40401() {
    let (builder, clock) = builder();
    let limited = builder
        .rate_limit(Api::Profile, RateLimit::new(0, Window::seconds(1)))
        .rate_limit_status_200(true);
    let server = Server::with(limited, clock).await;
    let body =
        json!({"identity": {"external_id": "u"}, "user_properties": {}, "request_datetime": AT});
    let answer = server.import("/api/v1/user-profile", &body).await;
    assert_eq!((answer.status, answer.code()), (200, "40401".to_owned()));
    assert_eq!(answer.header("x-ratelimit-limit"), "1s");
}

#[tokio::test]
async fn exports_over_the_hourly_count_are_429_too_many_api_requests() {
    let (builder, clock) = builder();
    let server = Server::with(
        builder.rate_limit(Api::Export, RateLimit::new(1, Window::hours(1))),
        clock,
    )
    .await;
    let body = json!({"properties_condition_type": "all"});
    assert_eq!(
        server
            .export("/api/v1/export/userprofile", &body)
            .await
            .status,
        200
    );
    // Both export endpoints share the limit.
    let answer = server
        .export("/api/v1/export/event", &json!({"events_condition_type": "all", "from_date": "2024-08-26", "to_date": "2024-08-26"}))
        .await;
    assert_eq!(answer.status, 429);
    assert_eq!(
        answer.json(),
        json!({"result": "fail", "message": "too_many_api_requests"})
    );
    server.clock.advance(Duration::from_secs(3_600));
    assert_eq!(
        server
            .export("/api/v1/export/userprofile", &body)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_sixth_concurrent_export_is_429_too_many_api_requests() {
    let (builder, clock) = builder();
    // Latency holds each admitted export (and its slot) for a while.
    let slow = FaultConfig {
        latency: Latency::fixed(Duration::from_millis(1_500)),
        ..FaultConfig::default()
    };
    let server = Server::with(builder.faults(slow), clock).await;
    let body = json!({"properties_condition_type": "all"});
    let exports = (0..6).map(|_| server.export("/api/v1/export/userprofile", &body));
    let answers = futures_util::future::join_all(exports).await;
    let mut statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    statuses.sort();
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429]);
    let refused = answers.iter().find(|a| a.status == 429).unwrap();
    assert_eq!(refused.message(), "too_many_api_requests");
    // Its headers show the hourly window's real count (the refused call counted like the five
    // running), not 0: a client can tell it from a spent window and retry before the reset.
    assert_eq!(refused.header("x-ratelimit-remaining"), "94");
    assert_eq!(refused.header("x-ratelimit-limit"), "1H");
    // The slots are free again once the exports finished.
    assert_eq!(
        server
            .export("/api/v1/export/userprofile", &body)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_clock_beyond_the_calendar_still_answers_every_call() {
    // A clock past year 9999 (or before year 0) once panicked every handler, so the client
    // saw the connection close. An offset that far ahead is refused at start (see below), but
    // a manual clock can still be set there once the emulator runs.
    let (builder, clock) = builder();
    let server = Server::with(builder, clock.clone()).await;
    clock.set(std::time::UNIX_EPOCH + Duration::from_secs(i64::MAX as u64 / 2));
    let answer = server
        .import("/api/v1/events", &batch("u-1", vec![login(&uuid(), AT)]))
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(!answer.code().is_empty(), "{answer:?}");
    assert!(answer.header("date").ends_with(" GMT"), "{answer:?}");
    let export = server
        .export("/api/v1/export/event", &json!({"events_condition_type": "all", "from_date": "2024-08-26", "to_date": "2024-08-26"}))
        .await;
    assert!(export.status >= 200, "{export:?}");
}

/// The milliseconds from the support clock's instant ([`NOW`](crate::support::NOW)) to
/// 9999-12-31T23:59:59.999Z, the latest instant DFINERY's datetimes can hold.
fn to_the_end_of_9999() -> i64 {
    let now = dfinery_emulator::ManualClock::at(crate::support::NOW)
        .unwrap()
        .now();
    let end = dfinery_emulator::ManualClock::at("9999-12-31T23:59:59.999Z")
        .unwrap()
        .now();
    i64::try_from(end.duration_since(now).unwrap().as_millis()).unwrap()
}

/// The message of the configuration error a start with `offset_ms` is refused with.
async fn refused_offset(offset_ms: i64) -> String {
    let (builder, _clock) = builder();
    let error = builder
        .clock_offset_ms(offset_ms)
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(error, dfinery_emulator::StartError::Config(_)),
        "{error:?}"
    );
    error.to_string()
}

#[tokio::test]
async fn a_clock_offset_past_the_end_of_9999_is_refused_at_start() {
    // It was taken and the clock saturated: every date stopped at 9999-12-31 (each event
    // stored at the same instant, every export's "today" the same day), or, with `i64::MAX`,
    // the clock silently kept its unshifted time.
    let latest = to_the_end_of_9999();
    for offset_ms in [i64::MAX, latest + 1] {
        let message = refused_offset(offset_ms).await;
        assert!(
            message.contains(&format!("the clock offset of {offset_ms} ms")),
            "{message}"
        );
        assert!(message.contains("past the end of 9999"), "{message}");
        assert!(
            message.contains(&format!("give an offset of at most {latest} ms")),
            "{message}"
        );
    }
    // Up to the last millisecond of 9999 is fine.
    let (builder, clock) = builder();
    let server = Server::with(builder.clock_offset_ms(latest), clock).await;
    let answer = server
        .import("/api/v1/events", &batch("u-1", vec![login(&uuid(), AT)]))
        .await;
    assert_eq!(
        answer.header("date"),
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "{answer:?}"
    );
}

#[tokio::test]
async fn a_clock_offset_before_1970_is_refused_at_start() {
    // Its milliseconds since 1970 stayed 0, so the rate windows never reset: every call
    // past the first window's limit was refused for good.
    for offset_ms in [i64::MIN, -4_000_000_000_000] {
        let message = refused_offset(offset_ms).await;
        assert!(message.contains("before 1970-01-01"), "{message}");
        assert!(message.contains("give an offset of at most"), "{message}");
    }
    // As far behind as 1970 itself is fine.
    let (builder, clock) = builder();
    let behind = -i64::try_from(
        clock
            .now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    let server = Server::with(builder.clock_offset_ms(behind), clock).await;
    let answer = server
        .import("/api/v1/events", &batch("u-1", vec![login(&uuid(), AT)]))
        .await;
    assert_eq!(
        answer.header("date"),
        "Thu, 01 Jan 1970 00:00:00 GMT",
        "{answer:?}"
    );
}

#[tokio::test]
async fn a_clock_given_already_offset_keeps_its_offset() {
    // `.clock(clock.offset_by_ms(..))` lost its offset: the builder set the offset to its
    // own `clock_offset_ms` (0 by default) instead of adding it.
    let manual = dfinery_emulator::ManualClock::at(crate::support::NOW).unwrap();
    let shifted = dfinery_emulator::Clock::from(manual.clone()).offset_by_ms(3_600_000);
    let emu = dfinery_emulator::Emulator::builder()
        .clock(shifted)
        .clock_offset_ms(60_000)
        .start()
        .await
        .unwrap();
    let answer = read(reqwest::Client::new().post(emu.url("/api/v1/events"))).await;
    assert_eq!(answer.header("date"), "Mon, 26 Aug 2024 13:01:00 GMT");
}
