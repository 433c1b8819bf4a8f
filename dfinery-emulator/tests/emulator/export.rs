//! Both Export endpoints: auth, parameter and date checks, filters and the CSV layout.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Server, batch, fixture, login, read, uuid};

fn all_events(from: &str, to: &str) -> Value {
    json!({"events_condition_type": "all", "from_date": from, "to_date": to})
}

#[tokio::test]
async fn bad_or_missing_tokens_are_401_unauthorized_token() {
    let server = Server::start().await;
    let url = server.emu.url("/api/v1/export/event");
    let body = all_events("2024-08-26", "2024-08-26");
    let attempts = [
        server.http.post(&url).json(&body),
        server.http.post(&url).bearer_auth("nope").json(&body),
        server
            .http
            .post(&url)
            .bearer_auth(server.emu.import_token())
            .json(&body),
        server
            .http
            .post(&url)
            .header("access_token", server.emu.export_token())
            .json(&body),
        server
            .http
            .post(&url)
            .header("authorization", server.emu.export_token())
            .json(&body),
    ];
    for request in attempts {
        let answer = read(request).await;
        assert_eq!(answer.status, 401);
        assert_eq!(
            answer.json(),
            json!({"result": "fail", "message": "unauthorized_token"})
        );
    }
    let kept: Vec<String> = server
        .emu
        .rejections()
        .into_iter()
        .map(|r| r.violations[0].expected.clone())
        .collect();
    assert_eq!(
        kept,
        [
            "the header `Authorization: Bearer <Export API token>`",
            "the Export API token of this service; the token sent is not it",
            "the Export API token; this is the Import API token, which goes in `access_token` \
             to the Import API",
            "the Export API token in `Authorization: Bearer …`; the exports read no \
             `access_token` header",
            "`Authorization: Bearer <Export API token>`; the value sent does not start with \
             `Bearer `",
        ]
    );
    let other_service = format!(
        "{}/api/v1/export/userprofile?service_id=other",
        server.emu.base_url()
    );
    let request = server
        .http
        .post(other_service)
        .bearer_auth(server.emu.export_token())
        .json(&json!({}));
    assert_eq!(read(request).await.status, 401);
    let no_service = format!("{}/api/v1/export/userprofile", server.emu.base_url());
    let request = server
        .http
        .post(no_service)
        .bearer_auth(server.emu.export_token())
        .json(&json!({}));
    assert_eq!(read(request).await.message(), "invalid_parameter");
}

#[tokio::test]
async fn bad_parameters_are_400_invalid_parameter() {
    let server = Server::start().await;
    let bodies = [
        json!({"from_date": "2024-08-26", "to_date": "2024-08-26"}),
        json!({"events_condition_type": "any", "from_date": "2024-08-26", "to_date": "2024-08-26"}),
        json!({"events_condition_type": "include", "from_date": "2024-08-26", "to_date": "2024-08-26"}),
        json!({"events_condition_type": "all", "from_date": "2024/08/26", "to_date": "2024-08-26"}),
        json!({"events_condition_type": "all", "from_date": "2024-08-26"}),
        json!({"events_condition_type": "all", "from_date": "2024-08-26", "to_date": "2024-08-25"}),
        json!({"events_condition_type": "all", "events": "df_login", "from_date": "2024-08-26", "to_date": "2024-08-26"}),
        json!({"event_condition_type": "all", "from_date": "2024-08-26", "to_date": "2024-08-26"}),
        json!(["all"]),
    ];
    for body in bodies {
        let answer = server.export("/api/v1/export/event", &body).await;
        assert_eq!(answer.status, 400, "{body}");
        assert_eq!(
            answer.json(),
            json!({"result": "fail", "message": "invalid_parameter"}),
            "{body}"
        );
    }
    let answer = server
        .export(
            "/api/v1/export/userprofile",
            &json!({"properties": ["df_name"]}),
        )
        .await;
    assert_eq!(
        (answer.status, answer.message()),
        (400, "invalid_parameter".to_owned())
    );
    let answer = server
        .export(
            "/api/v1/export/userprofile",
            &json!({"properties_condition_type": "all", "audience": "unknown"}),
        )
        .await;
    assert_eq!(answer.message(), "invalid_parameter");
    let rejection = server.emu.rejections().pop().unwrap();
    assert_eq!(rejection.violations[0].path, "audience");

    let request = server
        .http
        .post(server.emu.url("/api/v1/export/event"))
        .bearer_auth(server.emu.export_token())
        .header("content-type", "application/json")
        .body("{not json");
    let answer = read(request).await;
    assert_eq!(
        (answer.status, answer.message()),
        (400, "invalid_parameter".to_owned())
    );
}

#[tokio::test]
async fn from_date_before_the_30_day_look_back_is_exceed_date_range_limit() {
    let server = Server::start().await;
    // The clock says 2024-08-26: 2024-07-27 is the earliest day.
    let answer = server
        .export(
            "/api/v1/export/event",
            &all_events("2024-07-27", "2024-08-26"),
        )
        .await;
    assert_eq!(answer.status, 200);
    let answer = server
        .export(
            "/api/v1/export/event",
            &all_events("2024-07-26", "2024-08-26"),
        )
        .await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.json(),
        json!({"result": "fail", "message": "exceed_date_range_limit"})
    );
    // A day later the window has moved on.
    server.clock.advance(Duration::from_secs(86_400));
    let answer = server
        .export(
            "/api/v1/export/event",
            &all_events("2024-07-27", "2024-08-27"),
        )
        .await;
    assert_eq!(answer.message(), "exceed_date_range_limit");
}

#[tokio::test]
async fn one_row_per_item_and_one_for_an_event_without_items() {
    let server = Server::start().await;
    let item = |sku: &str, price: f64| json!({"sku": sku, "unit_price": price});
    let coupon = json!({"event_log_id": uuid(), "event_name": "coupon_used", "event_datetime": "2024-08-26T01:00:00Z",
        "event_properties": {"coupon_code": "SAVE, \"10\"", "tags": ["a", "b"], "first_time": true,
                             "used_at": "2024-08-26T01:00:00Z"},
        "event_items": [item("S-1", 1.5), item("S-2", 2.0)]});
    let body = batch(
        "u-1",
        vec![coupon, login(&uuid(), "2024-08-26T02:00:00.000Z")],
    );
    assert_eq!(server.import("/api/v1/events", &body).await.code(), "20000");

    let request = json!({"events": ["coupon_used", "df_login"], "events_condition_type": "include",
        "from_date": "2024-08-26", "to_date": "2024-08-26"});
    let rows = server.export("/api/v1/export/event", &request).await.csv();
    let header = rows[0].clone();
    let at = |name: &str| {
        header
            .iter()
            .position(|c| c == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert_eq!(rows[1][at("df_items_sku")], "S-1");
    assert_eq!(rows[2][at("df_items_sku")], "S-2");
    assert_eq!(rows[2][at("df_items_unit_price")], "2.0");
    for row in &rows[1..3] {
        assert_eq!(row[at("coupon_code")], "SAVE, \"10\"");
        assert_eq!(row[at("tags")], r#"["a","b"]"#);
        assert_eq!(row[at("first_time")], "true");
        assert_eq!(row[at("used_at")], "2024-08-26T01:00:00.000Z");
        assert_eq!(row[at("amount")], "");
    }
    assert_eq!(rows[3][at("event_name")], "df_login");
    assert_eq!(rows[3][at("df_items_sku")], "");
    assert_eq!(rows[3][at("event_datetime")], "2024-08-26T02:00:00.000Z");
    // Property columns come first, sorted by name, then the 7 system columns.
    assert_eq!(
        header[header.len() - 7..],
        [
            "df_unified_id",
            "df_api_version",
            "event_name",
            "df_server_datetime",
            "df_correction_datetime",
            "event_log_id",
            "event_datetime"
        ]
    );
    let properties = header[..header.len() - 7].to_vec();
    let mut sorted = properties.clone();
    sorted.sort();
    assert_eq!(properties, sorted);
}

#[tokio::test]
async fn filters_select_events_properties_and_dates() {
    let server = Server::start().await;
    let events = vec![
        login(&uuid(), "2024-08-20T23:59:59.999Z"),
        login(&uuid(), "2024-08-21T00:00:00.000Z"),
        json!({"event_log_id": uuid(), "event_name": "df_view_home", "event_datetime": "2024-08-22T00:00:00Z"}),
    ];
    assert_eq!(
        server
            .import("/api/v1/events", &batch("u-1", events))
            .await
            .code(),
        "20000"
    );

    let rows = server
        .export(
            "/api/v1/export/event",
            &all_events("2024-08-21", "2024-08-22"),
        )
        .await
        .csv();
    assert_eq!(
        rows.len(),
        3,
        "to_date is inclusive, from_date cuts the first: {rows:?}"
    );
    let request = json!({"events": ["df_login"], "events_condition_type": "exclude",
        "from_date": "2024-08-01", "to_date": "2024-08-31"});
    let rows = server.export("/api/v1/export/event", &request).await.csv();
    assert_eq!(rows.len(), 2);
    let name = rows[0].iter().position(|c| c == "event_name").unwrap();
    assert_eq!(rows[1][name], "df_view_home");
    let request = json!({"events_condition_type": "all", "properties_condition_type": "exclude",
        "properties": ["df_order_id"], "from_date": "2024-08-01", "to_date": "2024-08-31"});
    let header = server.export("/api/v1/export/event", &request).await.csv()[0].clone();
    assert!(!header.contains(&"df_order_id".to_owned()));
    assert!(header.contains(&"df_items_df_price".to_owned()));
    assert!(
        header.contains(&"df_unified_id".to_owned()),
        "system columns are always present"
    );
}

#[tokio::test]
async fn profile_export_adds_df_external_id_when_identities_are_asked() {
    let server = Server::start().await;
    for (id, tier) in [("u-1", "gold"), ("u-2", "silver")] {
        let body = json!({"identity": {"external_id": id}, "user_properties": {"tier": tier},
            "request_datetime": "2024-08-26T06:00:00Z"});
        assert_eq!(
            server.import("/api/v1/user-profile", &body).await.code(),
            "20000"
        );
    }
    let request = json!({"properties_condition_type": "include", "properties": ["tier"],
        "identities": ["df_external_id"], "identities_condition_type": "include"});
    let rows = server
        .export("/api/v1/export/userprofile", &request)
        .await
        .csv();
    assert_eq!(rows[0], ["tier", "df_unified_id", "df_external_id"]);
    assert_eq!((rows[1][0].as_str(), rows[1][2].as_str()), ("gold", "u-1"));
    assert_eq!(
        (rows[2][0].as_str(), rows[2][2].as_str()),
        ("silver", "u-2")
    );
    let rows = server
        .export(
            "/api/v1/export/userprofile",
            &json!({"properties_condition_type": "all"}),
        )
        .await
        .csv();
    assert!(!rows[0].contains(&"df_external_id".to_owned()));
    assert_eq!(
        rows[0].len(),
        1 + server.emu.registry().user_properties.len()
    );
}

#[tokio::test]
async fn large_exports_stream_every_row() {
    let server = Server::start().await;
    for _ in 0..30 {
        let events = (0..100)
            .map(|_| login(&uuid(), "2024-08-26T06:00:00Z"))
            .collect();
        assert_eq!(
            server
                .import("/api/v1/events", &batch("u-1", events))
                .await
                .code(),
            "20000"
        );
    }
    let answer = server
        .export(
            "/api/v1/export/event",
            &all_events("2024-08-26", "2024-08-26"),
        )
        .await;
    assert_eq!(
        answer.header("transfer-encoding"),
        "chunked",
        "the CSV is streamed"
    );
    let rows = answer.csv();
    assert_eq!(rows.len(), 3_001);
    let id = rows[0].iter().position(|c| c == "event_log_id").unwrap();
    let ids: std::collections::HashSet<&String> = rows[1..].iter().map(|r| &r[id]).collect();
    assert_eq!(ids.len(), 3_000);
    assert_eq!(server.emu.stats().exports, 1);
}

#[tokio::test]
async fn an_export_with_no_match_is_just_the_header() {
    let server = Server::start().await;
    let answer = server
        .export(
            "/api/v1/export/event",
            &fixture("export_event_example.json"),
        )
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.csv().len(),
        1,
        "just the header when nothing matches"
    );
}

#[tokio::test]
async fn a_body_of_many_unknown_parameters_is_kept_bounded() {
    let server = Server::start().await;
    let mut body = all_events("2024-08-26", "2024-08-26");
    for i in 0..500 {
        body[format!("param_{i}")] = json!(true);
    }
    let answer = server.export("/api/v1/export/event", &body).await;
    assert_eq!(
        (answer.status, answer.message()),
        (400, "invalid_parameter".to_owned())
    );
    // 99 listed, the rest counted in one entry: a violation with a suggestion is no longer
    // built for each of them before the list is cut.
    let kept = server.emu.rejections().pop().unwrap();
    assert_eq!(kept.violations.len(), 100);
    assert_eq!(kept.violations[99].rule, "truncated");
    assert!(
        kept.violations[99]
            .expected
            .starts_with("401 more unknown parameters not listed (only the first 99 are)"),
        "{}",
        kept.violations[99].expected
    );
}

#[tokio::test(start_paused = true)]
async fn a_stalled_body_is_refused_after_30_s_and_gives_its_export_slot_back() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let (builder, clock) = crate::support::builder();
    let server = Server::with(builder.export_concurrency(1), clock).await;
    // A request that announces 100 bytes of body, sends 10 and then stalls, holding the
    // connection open: it held the only export slot for as long as it stayed connected.
    let mut stalled = tokio::net::TcpStream::connect(server.emu.addr())
        .await
        .unwrap();
    let head = format!(
        "POST /api/v1/export/event?service_id={} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Authorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n\
         {{\"events_c",
        server.emu.service_id(),
        server.emu.export_token()
    );
    stalled.write_all(head.as_bytes()).await.unwrap();
    // Paused time runs ahead when everything waits: 120 s are a bound, not a wait.
    let mut answer = String::new();
    tokio::time::timeout(
        Duration::from_secs(120),
        stalled.read_to_string(&mut answer),
    )
    .await
    .expect("the stalled request is answered")
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("invalid_parameter"), "{answer}");
    let kept = server.emu.rejections().pop().unwrap();
    assert_eq!(
        kept.violations[0].expected,
        "a body of at most 16777216 bytes, sent in full within 30 s"
    );
    let answer = server
        .export(
            "/api/v1/export/event",
            &all_events("2024-08-26", "2024-08-26"),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
}

#[tokio::test]
async fn a_client_that_stops_reading_an_export_loses_its_connection_and_slot() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let (builder, clock) = crate::support::builder();
    let server = Server::with(
        builder
            .item_limit(dfinery_emulator::ItemLimit::PerEvent)
            .export_concurrency(1),
        clock,
    )
    .await;
    // 10,000 rows of about 1 KB: more CSV than the socket buffers hold.
    let item = json!({"sku": "s".repeat(1_000)});
    let events = (0..100)
        .map(|_| {
            json!({"event_log_id": uuid(), "event_name": "coupon_used",
                   "event_datetime": "2024-08-26T06:00:00.000Z",
                   "event_properties": {"coupon_code": "C"}, "event_items": vec![item.clone(); 100]})
        })
        .collect();
    let stored = server.import("/api/v1/events", &batch("u-1", events)).await;
    assert_eq!(stored.code(), "20000", "{}", stored.text);
    // From here on time only moves when every task waits: the minutes below are not waited.
    tokio::time::pause();
    let mut reader = tokio::net::TcpStream::connect(server.emu.addr())
        .await
        .unwrap();
    let body = all_events("2024-08-26", "2024-08-26").to_string();
    let request = format!(
        "POST /api/v1/export/event?service_id={} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Authorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        server.emu.service_id(),
        server.emu.export_token(),
        body.len()
    );
    reader.write_all(request.as_bytes()).await.unwrap();
    let mut start = [0_u8; 12];
    reader.read_exact(&mut start).await.unwrap();
    assert_eq!(&start, b"HTTP/1.1 200");
    // The reader stops reading. Its export held the only slot for as long as it stayed
    // connected: every other export was 429 too_many_api_requests.
    tokio::time::sleep(Duration::from_secs(200)).await;
    let answer = server
        .export(
            "/api/v1/export/userprofile",
            &json!({"properties_condition_type": "all"}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    drop(reader);
}

/// `Authorization: Bearer $TOKEN` with the variable unset sends `Bearer` and no token: the
/// refusal kept for it said the value "does not start with `Bearer `", which it does. An
/// empty `access_token` (`access_token: $TOKEN`, unset) was "the token sent is not it".
#[tokio::test]
async fn a_bearer_without_a_token_is_told_the_token_is_missing() {
    let server = Server::start().await;
    let url = server.emu.url("/api/v1/export/userprofile");
    let body = json!({"properties_condition_type": "all"});
    for value in ["Bearer ", "Bearer", "bearer  "] {
        let request = server
            .http
            .post(&url)
            .header("authorization", value)
            .json(&body);
        assert_eq!(read(request).await.status, 401, "{value:?}");
    }
    for rejection in server.emu.rejections() {
        let expected = &rejection.violations[0].expected;
        assert_eq!(
            expected,
            "`Authorization: Bearer <Export API token>`; the value sent has no token after \
             `Bearer` (an empty variable?)"
        );
    }
    assert_eq!(server.emu.rejections().len(), 3);
    server.emu.reset();
    let events = server.emu.url("/api/v1/events");
    let request = server
        .http
        .post(&events)
        .header("access_token", "")
        .json(&batch(
            "u-1",
            vec![login(&uuid(), "2024-08-26T11:00:00.000Z")],
        ));
    assert_eq!(read(request).await.code(), "40201");
    let kept = &server.emu.rejections()[0].violations[0];
    assert_eq!(
        (kept.path.as_str(), kept.expected.as_str()),
        (
            "access_token",
            "the header `access_token` with the Import API token; the one sent is empty (an \
             empty variable?)"
        )
    );
}
