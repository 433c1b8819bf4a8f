//! `POST /api/v1/events`: a test per result code of the validation pipeline, duplicates, and
//! the value rules of the registry.

use dfinery_emulator::ItemLimit;
use serde_json::{Value, json};

use crate::support::{Server, batch, fixture, login, read, uuid};

#[tokio::test]
async fn missing_service_id_is_400_bad_request() {
    let server = Server::start().await;
    let request = server
        .http
        .post(format!("{}/api/v1/events", server.emu.base_url()))
        .header("access_token", server.emu.import_token())
        .json(&fixture("events_example.json"));
    let answer = read(request).await;
    assert_eq!((answer.status, answer.code()), (400, "40000".to_owned()));
    assert_eq!(answer.json()["message"], "BAD_REQUEST");
    assert_eq!(answer.json()["status"], false);
}

#[tokio::test]
async fn another_service_id_is_40101() {
    let server = Server::start().await;
    let url = format!(
        "{}/api/v1/events?service_id=someone-else",
        server.emu.base_url()
    );
    let request = server
        .http
        .post(url)
        .header("access_token", server.emu.import_token())
        .json(&fixture("events_example.json"));
    let answer = read(request).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json(),
        json!({"status": false, "code": "40101", "message": "INVALID_SERVICE_ID", "data": null})
    );
    assert!(server.emu.events().is_empty());
    // Kept with both ids (it said only "the emulator's service id").
    let kept = server.emu.rejections().pop().unwrap();
    assert_eq!(
        kept.violations[0].expected,
        "this emulator's service id `test-service`; `someone-else` was sent"
    );
}

/// A `service_id` given twice was taken from its last occurrence: `?service_id=other&…=ours`
/// was stored and `?…=ours&service_id=other` refused, one request accepted or not by the order
/// of its query (a server that reads the parameter as one text, as Spring does, sees
/// `other,ours`). Both are refused as another service's, and say the parameter was repeated.
#[tokio::test]
async fn a_service_id_given_twice_is_refused_whatever_its_order() {
    let server = Server::start().await;
    let ours = server.emu.service_id().to_owned();
    for query in [
        format!("service_id=someone-else&service_id={ours}"),
        format!("service_id={ours}&service_id=someone-else"),
        format!("service_id={ours}&service_id={ours}"),
    ] {
        let url = format!("{}/api/v1/events?{query}", server.emu.base_url());
        let request = server
            .http
            .post(url)
            .header("access_token", server.emu.import_token())
            .json(&fixture("events_example.json"));
        assert_eq!(read(request).await.code(), "40101", "{query}");
        let kept = server.emu.rejections().pop().unwrap();
        assert!(
            kept.violations[0].expected.contains("given 2 times"),
            "{query}: {}",
            kept.violations[0].expected
        );
        let url = format!(
            "{}/api/v1/export/userprofile?{query}",
            server.emu.base_url()
        );
        let request = server
            .http
            .post(url)
            .bearer_auth(server.emu.export_token())
            .json(&json!({"properties_condition_type": "all"}));
        assert_eq!(read(request).await.status, 401, "{query}");
    }
    assert!(server.emu.events().is_empty());
}

#[tokio::test]
async fn handle_urls_carry_a_service_id_with_url_special_characters_whole() {
    let (builder, clock) = crate::support::builder();
    let server = Server::with(builder.service_id("shop&co+1#%é"), clock).await;
    let url = server.emu.url("/api/v1/events");
    assert!(
        url.ends_with("/api/v1/events?service_id=shop%26co%2B1%23%25%C3%A9"),
        "{url}"
    );
    let answer = server
        .import("/api/v1/events", &fixture("events_example.json"))
        .await;
    assert_eq!(answer.code(), "20000", "{}", answer.text);
}

#[tokio::test]
async fn missing_wrong_or_export_tokens_are_40201() {
    let server = Server::start().await;
    let body = fixture("events_example.json");
    let url = server.emu.url("/api/v1/events");
    let attempts = [
        server.http.post(&url).json(&body),
        server
            .http
            .post(&url)
            .header("access_token", "nope")
            .json(&body),
        server
            .http
            .post(&url)
            .header("access_token", server.emu.export_token())
            .json(&body),
        server
            .http
            .post(&url)
            .bearer_auth(server.emu.import_token())
            .json(&body),
        server
            .http
            .post(&url)
            .header("ACCESS_TOKEN", "nope")
            .json(&body),
        server
            .http
            .post(&url)
            .header("access-token", server.emu.import_token())
            .json(&body),
    ];
    for request in attempts {
        let answer = read(request).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.code(), "40201");
        assert_eq!(answer.json()["message"], "INVALID_TOKEN");
    }
    // What was wrong is kept for each (it was "the API token of the right kind" for all).
    let kept: Vec<String> = server
        .emu
        .rejections()
        .into_iter()
        .map(|r| format!("{}: {}", r.violations[0].path, r.violations[0].expected))
        .collect();
    assert_eq!(
        kept,
        [
            "access_token: the header `access_token` with the Import API token",
            "access_token: the Import API token of this service; the token sent is not it",
            "access_token: the Import API token; this is the Export API token, which goes in \
             `Authorization: Bearer …` to the two exports",
            "access_token: the Import API token in the header `access_token`; the Import API \
             reads no `Authorization` header",
            "access_token: the Import API token of this service; the token sent is not it",
            "access_token: the header `access_token`, with an underscore; `access-token` was sent",
        ]
    );
    let shown = format!("{kept:?}");
    assert!(!shown.contains(server.emu.import_token()), "{shown}");
    // Header names are case-insensitive.
    let answer = read(
        server
            .http
            .post(&url)
            .header("Access_Token", server.emu.import_token())
            .json(&body),
    )
    .await;
    assert_eq!(answer.code(), "20000");
}

#[tokio::test]
async fn malformed_json_is_400_bad_request_never_500() {
    let server = Server::start().await;
    for body in ["", "{", "not json", "[1,2", "\u{0}", "{\"common\": }"] {
        let answer = server.import_raw("/api/v1/events", body).await;
        assert_eq!(answer.status, 400, "{body:?}");
        assert_eq!(answer.code(), "40000");
        assert_eq!(answer.violations()[0], ("$".to_owned(), "json".to_owned()));
    }
}

#[tokio::test]
async fn a_wrong_content_type_or_shape_is_400_bad_request() {
    let server = Server::start().await;
    let request = server
        .http
        .post(server.emu.url("/api/v1/events"))
        .header("access_token", server.emu.import_token())
        .header("content-type", "text/plain")
        .body(fixture("events_example.json").to_string());
    let answer = read(request).await;
    assert_eq!((answer.status, answer.code()), (400, "40000".to_owned()));
    assert_eq!(answer.violations()[0].1, "content_type");

    let shapes = [
        (json!([]), "$"),
        (json!({"events": []}), "common"),
        (json!({"common": {}, "events": []}), "common.identity"),
        (
            json!({"common": {"identity": {"external_id": "a"}}}),
            "events",
        ),
        (
            json!({"common": {"identity": {"external_id": "a"}}, "events": {}}),
            "events",
        ),
        (
            json!({"common": {"identity": "a"}, "events": []}),
            "common.identity",
        ),
        (
            json!({"common": {"identity": {"external_id": "a"}}, "events": [], "extra": 1}),
            "extra",
        ),
    ];
    for (body, path) in shapes {
        let answer = server.import("/api/v1/events", &body).await;
        assert_eq!(
            (answer.status, answer.code()),
            (400, "40000".to_owned()),
            "{body}"
        );
        assert_eq!(answer.violations()[0].0, path, "{body}");
    }
}

#[tokio::test]
async fn a_wrong_shape_says_what_was_found_there() {
    let server = Server::start().await;
    let identity = || json!({"external_id": "a"});
    let event = || login(&uuid(), "2024-08-26T06:00:00.000Z");
    let cases = [
        (json!([]), "a JSON object, found an array"),
        (
            json!({"common": {"identity": identity()}, "events": {}}),
            "an array of events, found an object",
        ),
        (
            json!({"common": {"identity": "a"}, "events": []}),
            "a JSON object, found a string",
        ),
        (
            json!({"common": {"identity": identity()}, "events": [7]}),
            "an event object, found a number",
        ),
        (
            json!({"common": {"identity": identity()}, "events": [
                {"event_log_id": uuid(), "event_name": true, "event_datetime": "2024-08-26T06:00:00Z"}]}),
            "a JSON string, found a boolean",
        ),
        (
            json!({"common": {"identity": {"external_id": null}}, "events": [event()]}),
            "a String (JSON string), found null",
        ),
    ];
    for (body, expected) in cases {
        let answer = server.import("/api/v1/events", &body).await;
        assert_eq!(answer.json()["data"][0]["expected"], expected, "{body}");
    }
}

/// `rejected` counts the events of requests refused for what they hold (`40001`, `40402`), as
/// `docs/emulator.md` says; those of a body refused for its shape (`40000`) are not counted, as
/// none are for a body that is not JSON at all.
#[tokio::test]
async fn events_of_a_body_refused_for_its_shape_are_not_counted_rejected() {
    let server = Server::start().await;
    let events: Vec<_> = (0..3)
        .map(|_| login(&uuid(), "2024-08-26T06:00:00.000Z"))
        .collect();
    let body = json!({"common": {"identity": {"external_id": "a"}}, "events": events, "extra": 0});
    let answer = server.import("/api/v1/events", &body).await;
    assert_eq!(answer.code(), "40000", "{:?}", answer.json());
    assert_eq!(server.emu.stats().rejected, 0);
}

#[tokio::test]
async fn more_than_100_events_is_40402() {
    let server = Server::start().await;
    let events = (0..101)
        .map(|_| login(&uuid(), "2024-08-26T06:00:00.000Z"))
        .collect();
    let answer = server.import("/api/v1/events", &batch("u-1", events)).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.code(), "40402");
    assert_eq!(answer.json()["message"], "TOO_MANY_EVENTS");
    assert_eq!(server.emu.stats().rejected, 101);
    assert!(server.emu.events().is_empty());

    let events = (0..100)
        .map(|_| login(&uuid(), "2024-08-26T06:00:00.000Z"))
        .collect();
    assert_eq!(
        server
            .import("/api/v1/events", &batch("u-1", events))
            .await
            .code(),
        "20000"
    );
    assert_eq!(server.emu.stats().accepted, 100);
}

#[tokio::test]
async fn no_events_or_no_identifier_is_40001() {
    let server = Server::start().await;
    let answer = server.import("/api/v1/events", &batch("u-1", vec![])).await;
    assert_eq!(answer.code(), "40001");
    assert_eq!(
        answer.violations(),
        [("events".to_owned(), "count".to_owned())]
    );

    let body =
        json!({"common": {"identity": {}}, "events": [login(&uuid(), "2024-08-26T06:00:00Z")]});
    let answer = server.import("/api/v1/events", &body).await;
    assert_eq!((answer.status, answer.code()), (200, "40001".to_owned()));
    assert_eq!(answer.json()["message"], "VALIDATION_FAILURE");
    assert_eq!(
        answer.violations(),
        [("common.identity".to_owned(), "identity".to_owned())]
    );
}

#[tokio::test]
async fn every_violation_is_listed_with_its_path_and_rule() {
    let server = Server::start().await;
    let body = json!({
        "common": {"identity": {"external_id": "u-1", "unified_id": "x"}},
        "events": [
            login(&uuid(), "2024-08-26T06:00:00.000Z"),
            {"event_log_id": "order-1", "event_name": "df_logn", "event_datetime": "2024-08-26 06:00:00"},
            {
                "event_log_id": uuid(), "event_name": "df_purchase", "event_datetime": "2024-08-26T06:00:00+09:00",
                "event_items": [{"df_item_id": "A", "df_item_name": "a", "df_price": "5000", "df_quantity": 1.5,
                                 "df_discount": 0, "df_colour": "red"}],
                "event_properties": {"df_order_id": "O", "df_payment_method": "card", "df_total_purchase_amount": 1,
                                     "df_delivery_charge": 0, "df_prise": 3, "df_items": []}
            },
            {"event_log_id": uuid(), "event_name": "df_login", "event_datetime": "2024-08-26T06:00:00Z", "extra": true},
            "not an event"
        ]
    });
    let answer = server.import("/api/v1/events", &body).await;
    assert_eq!(answer.code(), "40001");
    let expected = [
        ("common.identity.unified_id", "unknown_field"),
        ("events[1].event_log_id", "uuid"),
        ("events[1].event_datetime", "datetime"),
        ("events[1].event_name", "unknown_event"),
        ("events[2].event_datetime", "datetime"),
        ("events[2].event_properties.df_items", "unknown_property"),
        ("events[2].event_properties.df_prise", "unknown_property"),
        ("events[2].event_properties.df_discount", "required"),
        ("events[2].event_items[0].df_colour", "unknown_property"),
        ("events[2].event_items[0].df_price", "type"),
        ("events[2].event_items[0].df_quantity", "type"),
        ("events[3].extra", "unknown_field"),
        ("events[4]", "type"),
    ];
    let found = answer.violations();
    let found: Vec<(&str, &str)> = found
        .iter()
        .map(|(p, r)| (p.as_str(), r.as_str()))
        .collect();
    assert_eq!(found, expected);
    let data = answer.json()["data"].clone();
    let by_path = |path: &str| {
        data.as_array()
            .unwrap()
            .iter()
            .find(|v| v["path"] == path)
            .unwrap()["expected"]
            .clone()
    };
    assert_eq!(
        by_path("events[1].event_name"),
        "an event registered in the console; `df_logn` is not; did you mean `df_login`?"
    );
    assert_eq!(
        by_path("events[2].event_items[0].df_price"),
        "expected a Double (JSON number), found a string"
    );
    assert!(
        server.emu.events().is_empty(),
        "a bad event rejects the whole request"
    );
    assert_eq!(server.emu.stats().rejected, 5);
    let rejection = server.emu.rejections().pop().unwrap();
    assert_eq!(
        (rejection.endpoint.as_str(), rejection.code.as_str()),
        ("/api/v1/events", "40001")
    );
    assert_eq!(rejection.violations.len(), expected.len());
}

#[tokio::test]
async fn duplicate_event_log_ids_are_counted_not_stored_twice() {
    let server = Server::start().await;
    let body = fixture("events_example.json");
    assert_eq!(server.import("/api/v1/events", &body).await.code(), "20000");
    assert_eq!(server.import("/api/v1/events", &body).await.code(), "20000");
    let stats = server.emu.stats();
    assert_eq!(
        (stats.accepted, stats.duplicates, stats.requests),
        (2, 2, 2)
    );
    assert_eq!(server.emu.events().len(), 2);
}

#[tokio::test]
async fn numbers_follow_the_design_rules() {
    let server = Server::start().await;
    let coupon = |properties: Value| {
        batch(
            "u-1",
            vec![
                json!({"event_log_id": uuid(), "event_name": "coupon_used", "event_datetime": "2024-08-26T06:00:00Z",
                        "event_properties": properties}),
            ],
        )
    };
    // An integer literal is accepted for a Double.
    let answer = server
        .import(
            "/api/v1/events",
            &coupon(json!({"coupon_code": "C", "amount": 5000})),
        )
        .await;
    assert_eq!(answer.code(), "20000", "{}", answer.text);
    // A fractional number for a Long is a type violation, even 1.0.
    for count in [json!(1.0), json!(1.5), json!("1")] {
        let answer = server
            .import(
                "/api/v1/events",
                &coupon(json!({"coupon_code": "C", "count": count})),
            )
            .await;
        assert_eq!(
            answer.violations(),
            [(
                "events[0].event_properties.count".to_owned(),
                "type".to_owned()
            )]
        );
    }
}

#[tokio::test]
async fn registry_value_rules_are_enforced() {
    let server = Server::start().await;
    let coupon = |properties: Value, items: Value| {
        batch(
            "u-1",
            vec![
                json!({"event_log_id": uuid(), "event_name": "coupon_used", "event_datetime": "2024-08-26T06:00:00Z",
                        "event_properties": properties, "event_items": items}),
            ],
        )
    };
    // DFINERY does not limit the number of values in an array, only their size.
    let good = coupon(
        json!({"coupon_code": "C", "tags": vec!["a"; 300], "scores": (0..500).collect::<Vec<i64>>(), "used_at": "2024-08-26T06:00:00.000Z",
               "valid_until": "2024-12-31", "first_time": true, "channel": "web"}),
        json!([{"sku": "S-1", "unit_price": 1.5}]),
    );
    assert_eq!(server.import("/api/v1/events", &good).await.code(), "20000");

    let bad = coupon(
        json!({"coupon_code": "C".repeat(33), "tags": ["t", 1], "scores": [1, 2.5],
               "used_at": "2024-08-26", "valid_until": "2024-02-30", "first_time": "yes", "channel": "fax"}),
        json!([{"unit_price": 1}]),
    );
    let answer = server.import("/api/v1/events", &bad).await;
    let mut found = answer.violations();
    found.sort();
    let mut expected: Vec<(String, String)> = [
        ("events[0].event_properties.coupon_code", "max_len"),
        ("events[0].event_properties.tags", "type"),
        ("events[0].event_properties.scores", "type"),
        ("events[0].event_properties.used_at", "type"),
        ("events[0].event_properties.valid_until", "type"),
        ("events[0].event_properties.first_time", "type"),
        ("events[0].event_properties.channel", "enum"),
        ("events[0].event_items[0].sku", "required"),
    ]
    .iter()
    .map(|(p, r)| ((*p).to_owned(), (*r).to_owned()))
    .collect();
    expected.sort();
    assert_eq!(found, expected);

    let large = coupon(
        json!({"coupon_code": "C", "tags": ["x".repeat(8_200)]}),
        json!([]),
    );
    let answer = server.import("/api/v1/events", &large).await;
    assert_eq!(
        answer.violations(),
        [(
            "events[0].event_properties.tags".to_owned(),
            "max_value_bytes".to_owned()
        )]
    );
}

fn purchase(items: usize) -> Value {
    let item = json!({"df_item_id": "A", "df_item_name": "a", "df_price": 1.0, "df_quantity": 1, "df_discount": 0.0});
    json!({"event_log_id": uuid(), "event_name": "df_purchase", "event_datetime": "2024-08-26T06:00:00Z",
           "event_items": vec![item; items],
           "event_properties": {"df_order_id": "O", "df_payment_method": "card", "df_total_purchase_amount": 1.0,
                                "df_delivery_charge": 0.0, "df_discount": 0.0}})
}

#[tokio::test]
async fn required_items_and_items_on_events_without_items() {
    let server = Server::start().await;
    let answer = server
        .import("/api/v1/events", &batch("u-1", vec![purchase(0)]))
        .await;
    assert_eq!(
        answer.violations(),
        [("events[0].event_items".to_owned(), "required".to_owned())]
    );
    let with_items = json!({"event_log_id": uuid(), "event_name": "df_login", "event_datetime": "2024-08-26T06:00:00Z",
                            "event_items": [{"df_item_id": "A"}]});
    let answer = server
        .import("/api/v1/events", &batch("u-1", vec![with_items]))
        .await;
    assert_eq!(
        answer.violations(),
        [(
            "events[0].event_items".to_owned(),
            "unknown_property".to_owned()
        )]
    );
}

#[tokio::test]
async fn items_are_limited_to_100_per_request_by_default() {
    let server = Server::start().await;
    let answer = server
        .import(
            "/api/v1/events",
            &batch("u-1", vec![purchase(60), purchase(60)]),
        )
        .await;
    assert_eq!((answer.status, answer.code()), (200, "40001".to_owned()));
    assert_eq!(
        answer.violations(),
        [("events".to_owned(), "items_per_request".to_owned())]
    );
    let expected = answer.json()["data"][0]["expected"].clone();
    assert_eq!(
        expected,
        "at most 100 items per request, all events together, found 120"
    );
    assert!(server.emu.events().is_empty(), "nothing of it is stored");
    let answer = server
        .import(
            "/api/v1/events",
            &batch("u-1", vec![purchase(50), purchase(50), purchase(0)]),
        )
        .await;
    assert_eq!(
        answer.violations(),
        [("events[2].event_items".to_owned(), "required".to_owned())]
    );
    let answer = server
        .import(
            "/api/v1/events",
            &batch("u-1", vec![purchase(40), purchase(60)]),
        )
        .await;
    assert_eq!(answer.code(), "20000");
    assert_eq!(server.emu.events().len(), 2);
}

#[tokio::test]
async fn items_per_event_is_the_other_reading() {
    let (builder, clock) = crate::support::builder();
    let server = Server::with(builder.item_limit(ItemLimit::PerEvent), clock).await;
    let answer = server
        .import(
            "/api/v1/events",
            &batch("u-1", vec![purchase(60), purchase(60)]),
        )
        .await;
    assert_eq!(answer.code(), "20000");
    assert_eq!(server.emu.events().len(), 2);
    let answer = server
        .import("/api/v1/events", &batch("u-1", vec![purchase(101)]))
        .await;
    assert_eq!(
        answer.violations(),
        [(
            "events[0].event_items".to_owned(),
            "items_per_event".to_owned()
        )]
    );
    assert_eq!(
        answer.json()["data"][0]["expected"],
        "at most 100 items per event, found 101"
    );
    // The limit itself is allowed: one event of exactly 100 items is stored.
    let answer = server
        .import("/api/v1/events", &batch("u-1", vec![purchase(100)]))
        .await;
    assert_eq!(answer.code(), "20000", "{:?}", answer.violations());
    assert_eq!(server.emu.events().len(), 3);
}

#[tokio::test]
async fn datetimes_are_accepted_with_or_without_milliseconds_only() {
    let server = Server::start().await;
    for ok in ["2024-08-26T06:00:00Z", "2024-08-26T06:00:00.123Z"] {
        let answer = server
            .import("/api/v1/events", &batch("u-1", vec![login(&uuid(), ok)]))
            .await;
        assert_eq!(answer.code(), "20000", "{ok}");
    }
    for bad in [
        "2024-08-26T06:00:00.1Z",
        "2024-08-26T06:00:00+00:00",
        "2024-08-26T06:00:00",
        "2024-02-30T00:00:00Z",
    ] {
        let answer = server
            .import("/api/v1/events", &batch("u-1", vec![login(&uuid(), bad)]))
            .await;
        assert_eq!(
            answer.violations(),
            [("events[0].event_datetime".to_owned(), "datetime".to_owned())],
            "{bad}"
        );
    }
}

#[tokio::test]
async fn a_flood_of_violations_is_answered_and_kept_bounded() {
    let server = Server::start().await;
    // 100 events with 50 unknown properties each, and one property named with 64 KB.
    let mut events: Vec<Value> = (0..100)
        .map(|_| {
            let properties: serde_json::Map<String, Value> =
                (0..50).map(|i| (format!("p{i}"), json!(1))).collect();
            json!({"event_log_id": uuid(), "event_name": "df_login",
                   "event_datetime": "2024-08-26T06:00:00.000Z", "event_properties": properties})
        })
        .collect();
    let long_name = "x".repeat(64 * 1024);
    events[0]["event_properties"] = json!({ long_name.as_str(): 1 });
    let answer = server.import("/api/v1/events", &batch("u-1", events)).await;
    assert_eq!(answer.code(), "40001");
    assert!(
        answer.text.len() < 64 * 1024,
        "a {} byte answer to 4,951 violations",
        answer.text.len()
    );
    let listed = answer.violations();
    assert_eq!(listed.len(), 101);
    assert_eq!(
        listed.last().unwrap(),
        &("$".to_owned(), "truncated".to_owned())
    );
    let data = answer.json()["data"].clone();
    assert!(
        data[100]["expected"]
            .as_str()
            .unwrap()
            .starts_with("4851 more violations not listed"),
        "{}",
        data[100]["expected"]
    );
    let first = data[0]["path"].as_str().unwrap();
    assert!(
        first.starts_with("events[0].event_properties.xxx"),
        "{first}"
    );
    assert!(first.ends_with("more bytes not shown)"), "{first}");
    let kept = server.emu.rejections().pop().unwrap();
    assert_eq!(kept.violations.len(), 101);
    assert_eq!(server.emu.stats().rejected, 100);
}
