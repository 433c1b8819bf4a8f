//! The inspector over HTTP, without a browser: the stream's snapshot and records, the bound on
//! kept requests, reset, the registry view, the profile search, and the page being off unless
//! asked for.

use std::time::Duration;

use dfinery::{Datetime, UserProperties};
use dfinery_emulator::{Api, Emulator, FaultConfig, Latency, RateLimit, Window};
use serde_json::Value;

use crate::support::{Sse, client, emulator_with, misspelt_sign_up, purchase, stopped_clock, user};

fn find<'a>(list: &'a Value, key: &str, name: &str) -> &'a Value {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .find(|v| v[key] == name)
        .unwrap_or_else(|| panic!("`{name}` in {list}"))
}

#[tokio::test]
async fn the_stream_starts_with_a_snapshot_then_sends_each_request_with_typed_properties() {
    let emulator = emulator_with(|b| b).await;
    let url = emulator.inspector_url().expect("the inspector is on");
    let mut sse = Sse::open(&format!("{url}inspector/stream")).await;
    let snapshot = sse.next_named("snapshot").await;
    assert_eq!(snapshot["records"], serde_json::json!([]));
    assert_eq!(snapshot["capacity"], 500);

    let client = client(&emulator);
    client
        .send_events(&user("dfn-user-1"), [&purchase("ORD-1")])
        .await
        .expect("a valid purchase is accepted");
    let valid = sse.next_named("request").await;
    assert_eq!(valid["endpoint"], "/api/v1/events");
    assert_eq!(
        (valid["ok"].as_bool(), valid["code"].as_str()),
        (Some(true), Some("20000"))
    );
    assert_eq!(valid["identity"]["external_id"], "dfn-user-1");
    assert_eq!(valid["event_count"], 1);
    let event = &valid["events"][0];
    assert_eq!(event["name"], "df_purchase");
    let amount = find(&event["properties"], "name", "df_total_purchase_amount");
    assert_eq!(
        (amount["type"].as_str(), amount["value"].as_f64()),
        (Some("Double"), Some(5900.0))
    );
    let price = find(&event["items"][1], "name", "df_price");
    assert_eq!(price["type"], "Double");
    assert!(
        valid["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
        "{valid}"
    );

    client
        .send_events(&user("dfn-user-1"), [misspelt_sign_up()])
        .await
        .expect_err("the misspelt property is refused");
    let invalid = sse.next_named("request").await;
    assert_eq!(
        (invalid["ok"].as_bool(), invalid["code"].as_str()),
        (Some(false), Some("40001"))
    );
    let typo = find(
        &invalid["events"][0]["properties"],
        "name",
        "df_sign_chanel",
    );
    assert_eq!(typo["type"], "unregistered");
    assert_eq!(typo["violations"][0]["rule"], "unknown_property");
    assert_eq!(typo["violations"][0]["suggestion"], "df_sign_channel");
    assert!(invalid["id"].as_u64() > valid["id"].as_u64());
}

#[tokio::test]
async fn the_page_keeps_only_the_last_n_requests_and_the_store_keeps_everything() {
    let emulator = emulator_with(|b| b.inspector_capacity(3)).await;
    let client = client(&emulator);
    for n in 0..5 {
        client.identify(&user(&format!("u-{n}"))).await.unwrap();
    }
    let url = emulator.inspector_url().unwrap();
    let snapshot = Sse::open(&format!("{url}inspector/stream"))
        .await
        .next_named("snapshot")
        .await;
    let kept: Vec<&str> = snapshot["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["identity"]["external_id"].as_str().unwrap())
        .collect();
    assert_eq!(kept, ["u-2", "u-3", "u-4"]);
    assert_eq!(emulator.profiles().len(), 5, "the store is unchanged");
    assert!(
        Emulator::builder()
            .inspector(true)
            .inspector_capacity(0)
            .start()
            .await
            .unwrap_err()
            .to_string()
            .contains("inspector_capacity"),
    );
}

#[tokio::test]
async fn rate_limited_requests_are_counted_per_api() {
    // On a stopped clock: on the system clock the day window could reset between the calls.
    let emulator = emulator_with(|b| {
        b.rate_limit(Api::Identity, RateLimit::new(1, Window::days(1)))
            .clock(stopped_clock())
    })
    .await;
    let client = client(&emulator);
    let mut sse = Sse::open(&format!(
        "{}inspector/stream",
        emulator.inspector_url().unwrap()
    ))
    .await;
    let snapshot = sse.next_named("snapshot").await;
    let identity = find(&snapshot["rates"], "api", "Identity");
    assert_eq!(
        (identity["limit"].as_u64(), identity["window"].as_str()),
        (Some(1), Some("1d"))
    );
    // One identify a day: the first is accepted, the second refused.
    client
        .identify(&user("dfn-user-rl"))
        .await
        .expect("the first identify of the day is accepted");
    let accepted = sse.next_named("request").await;
    assert_ne!(accepted["limited"], true, "{accepted}");
    client
        .identify(&user("dfn-user-rl"))
        .await
        .expect_err("the second identify of the day is refused");
    let refused = sse.next_named("request").await;
    assert_eq!(refused["limited"], true, "{refused}");
    assert_eq!(
        (refused["status"].as_u64(), refused["code"].as_str()),
        (Some(429), Some("40401"))
    );
    assert_eq!(refused["rate"]["limited"], 1);
    assert_eq!(refused["rate"]["remaining"], 0);
}

#[tokio::test]
async fn reset_clears_the_page_and_the_registry_view_counts_what_arrived() {
    let emulator = emulator_with(|b| b).await;
    let client = client(&emulator);
    client
        .send_events(&user("dfn-user-2"), [&purchase("ORD-2")])
        .await
        .unwrap();
    let _ = client
        .send_events(&user("dfn-user-2"), [misspelt_sign_up()])
        .await;
    let url = emulator.inspector_url().unwrap();
    let view: Value = reqwest::get(format!("{url}inspector/registry"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let purchase_view = find(&view["events"], "name", "df_purchase");
    assert_eq!(purchase_view["received"], 1);
    assert_eq!(
        find(&purchase_view["properties"], "name", "df_order_id")["seen"],
        1
    );
    assert_eq!(find(&view["events"], "name", "df_refund")["received"], 0);
    let attempted = find(&view["unregistered"], "name", "df_sign_chanel");
    assert_eq!(
        (attempted["kind"].as_str(), attempted["suggestion"].as_str()),
        (Some("event property"), Some("df_sign_channel"))
    );

    let mut sse = Sse::open(&format!("{url}inspector/stream")).await;
    assert_eq!(
        sse.next_named("snapshot").await["records"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let reset = reqwest::Client::new()
        .post(format!("{url}reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);
    assert_eq!(sse.next_named("reset").await["resets"], 1);
    // A page that reconnects sees that it missed a reset.
    let mut again = Sse::open(&format!("{url}inspector/stream")).await;
    let snapshot = again.next_named("snapshot").await;
    assert_eq!(
        (
            snapshot["resets"].as_u64(),
            snapshot["records"].as_array().map(Vec::len)
        ),
        (Some(1), Some(0)),
        "{snapshot}"
    );
    let view: Value = reqwest::get(format!("{url}inspector/registry"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(find(&view["events"], "name", "df_purchase")["received"], 0);
    assert_eq!(view["unregistered"], serde_json::json!([]));
}

#[tokio::test]
async fn a_profile_search_answers_current_properties_and_the_updates_kept() {
    let emulator = emulator_with(|b| b).await;
    let client = client(&emulator);
    let who = user("dfn-user-3");
    let first = UserProperties::builder()
        .property("df_membership", "Silver")
        .build()
        .unwrap();
    let now = Datetime::now().unix_millis();
    let earlier = Datetime::from_unix_millis(now - 1_000).unwrap();
    client
        .update_profile_at(&who, first, earlier)
        .await
        .unwrap();
    let second = UserProperties::builder()
        .property("df_membership", "Gold")
        .build()
        .unwrap();
    let later = Datetime::from_unix_millis(now).unwrap();
    client.update_profile_at(&who, second, later).await.unwrap();
    let url = emulator.inspector_url().unwrap();
    let found: Value = reqwest::get(format!("{url}inspector/profiles?q=USER-3"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let only = &found["matches"][0];
    assert_eq!(only["profile"]["identity"]["external_id"], "dfn-user-3");
    assert_eq!(only["profile"]["properties"]["df_membership"], "Gold");
    let history = only["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["user_properties"][0]["value"], "Silver");
    let none: Value = reqwest::get(format!("{url}inspector/profiles?q=nobody"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(none["matches"], serde_json::json!([]));
}

#[tokio::test]
async fn shutting_down_ends_open_streams_cleanly() {
    let emulator = emulator_with(|b| b).await;
    let mut sse = Sse::open(&format!(
        "{}inspector/stream",
        emulator.inspector_url().unwrap()
    ))
    .await;
    sse.next_named("snapshot").await;
    emulator.shutdown().await;
    assert!(
        sse.ended().await,
        "the stream ends with its last chunk, not a cut connection"
    );
}

#[tokio::test]
async fn the_page_is_served_from_the_binary_only_when_asked_for() {
    let off = Emulator::builder()
        .inspection_http(true)
        .start()
        .await
        .unwrap();
    assert_eq!(off.inspector_url(), None);
    let status = reqwest::get(format!("{}/_emulator/", off.base_url()))
        .await
        .unwrap()
        .status();
    assert_eq!(
        status, 404,
        "the JSON inspection alone does not serve the page"
    );

    let on = emulator_with(|b| b).await;
    let url = on.inspector_url().unwrap();
    let page = reqwest::get(&url).await.unwrap();
    assert_eq!(page.status(), 200);
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(url.trim_end_matches('/'))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 308);
    assert_eq!(bare.headers()["location"], "/_emulator/");
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("<script src=\"inspector.js\""), "{html}");
    for asset in ["inspector.js", "inspector.css"] {
        let answer = reqwest::get(format!("{url}{asset}")).await.unwrap();
        assert_eq!(answer.status(), 200, "{asset}");
    }
    // The JSON inspection comes with the page.
    let stats = reqwest::get(format!("{url}stats")).await.unwrap();
    assert_eq!(stats.status(), 200);
}

#[tokio::test]
async fn the_page_without_the_inspector_says_how_to_turn_it_on() {
    for builder in [
        Emulator::builder(),
        Emulator::builder().inspection_http(true),
    ] {
        let off = builder.start().await.unwrap();
        for path in [
            "/_emulator",
            "/_emulator/",
            "/_emulator/inspector.js",
            "/_emulator/inspector/stream",
            "/_emulator/inspector/profiles?q=%ff",
        ] {
            let answer = reqwest::get(format!("{}{path}", off.base_url()))
                .await
                .unwrap();
            assert_eq!(answer.status(), 404, "{path}");
            let text = answer.text().await.unwrap();
            assert!(
                text.contains("--inspect") && text.contains(".inspector(true)"),
                "{path}: {text:?}"
            );
        }
    }
}

/// A page that stops reading while many large requests arrive: the server does not queue them
/// for it without bound; when it reads again it gets a fresh snapshot (at most the kept
/// requests) and the stream goes on to the latest request.
#[tokio::test]
async fn a_stream_that_falls_behind_gets_a_fresh_snapshot_and_goes_on() {
    let emulator = emulator_with(|b| b.inspector_capacity(8)).await;
    let url = emulator.inspector_url().unwrap();
    let mut sse = Sse::open(&format!("{url}inspector/stream")).await;
    let first = sse.next_named("snapshot").await;
    assert_eq!(
        first["records"],
        serde_json::json!([]),
        "nothing received yet"
    );
    let http = reqwest::Client::new();
    // 48 MB in all: more than the loopback socket buffers can hold (32 + 4 MiB at most here).
    let big = "x".repeat(160 * 1024);
    let total = 300;
    for n in 0..total {
        let body = serde_json::json!({
            "common": { "identity": { "external_id": format!("u-{n}") } },
            "events": [{
                "event_log_id": uuid::Uuid::new_v4().to_string(),
                "event_name": "df_sign_up",
                "event_datetime": "2024-06-24T06:01:48.501Z",
                "event_properties": { "df_sign_channel": big }
            }]
        });
        http.post(emulator.url("/api/v1/events"))
            .header("access_token", emulator.import_token())
            .json(&body)
            .send()
            .await
            .unwrap();
    }
    let last = format!("u-{}", total - 1);
    let (mut snapshots, mut read) = (0, 0);
    loop {
        let (name, data) = sse.next().await;
        read += 1;
        let latest = match name.as_str() {
            "snapshot" => {
                snapshots += 1;
                let records = data["records"].as_array().unwrap();
                assert!(records.len() <= 8, "{} records", records.len());
                records.last().cloned().unwrap_or_default()
            }
            "request" => data,
            other => panic!("unexpected event {other}"),
        };
        if latest["identity"]["external_id"] == last.as_str() {
            break;
        }
        assert!(read <= total, "the stream never reached {last}");
    }
    eprintln!("{total} requests of 160 KiB: {snapshots} snapshots, {read} events read");
    assert!(
        snapshots >= 1 && read < total,
        "the stream fell behind and caught up with a snapshot: {snapshots} snapshots, {read} events read"
    );
}

/// Many pages at once, half of them closed as soon as they opened: every page still open gets
/// each request, and the emulator goes on answering.
#[tokio::test]
async fn many_viewers_some_vanishing_each_get_every_request() {
    let emulator = emulator_with(|b| b).await;
    let url = format!("{}inspector/stream", emulator.inspector_url().unwrap());
    let mut open = Vec::new();
    for n in 0..40 {
        let mut sse = Sse::open(&url).await;
        sse.next_named("snapshot").await;
        if n % 2 == 0 {
            open.push(sse);
        } // else dropped here: the connection closes without a word
    }
    let client = client(&emulator);
    for n in 0..3 {
        client.identify(&user(&format!("v-{n}"))).await.unwrap();
    }
    for sse in &mut open {
        for n in 0..3 {
            let record = sse.next_named("request").await;
            assert_eq!(record["identity"]["external_id"], format!("v-{n}"));
        }
    }
    drop(open);
    client.identify(&user("after")).await.unwrap();
    let snapshot = Sse::open(&url).await.next_named("snapshot").await;
    assert_eq!(snapshot["records"].as_array().unwrap().len(), 4);
}

/// Unregistered names of 256 KiB each: the registry view keeps and shows a bounded prefix
/// of each (the page asks for this view after every request), not the megabytes.
#[tokio::test]
async fn the_registry_view_keeps_a_bounded_prefix_of_huge_unregistered_names() {
    let emulator = emulator_with(|b| b).await;
    let http = reqwest::Client::new();
    for n in 0..4 {
        let name = format!("{n}{}", "x".repeat(256 * 1024));
        let body = serde_json::json!({
            "common": { "identity": { "external_id": "dfn-huge" } },
            "events": [{
                "event_log_id": uuid::Uuid::new_v4().to_string(),
                "event_name": "df_sign_up",
                "event_datetime": "2024-06-24T06:01:48.501Z",
                "event_properties": { name.clone(): 1 }
            }, {
                "event_log_id": uuid::Uuid::new_v4().to_string(),
                "event_name": name,
                "event_datetime": "2024-06-24T06:01:48.501Z"
            }]
        });
        http.post(emulator.url("/api/v1/events"))
            .header("access_token", emulator.import_token())
            .json(&body)
            .send()
            .await
            .unwrap();
    }
    let started = std::time::Instant::now();
    let url = emulator.inspector_url().unwrap();
    let view: Value = reqwest::get(format!("{url}inspector/registry"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    eprintln!("registry view of 8 huge names: {:?}", started.elapsed());
    let attempted = view["unregistered"].as_array().unwrap();
    assert_eq!(attempted.len(), 8, "{} listed", attempted.len());
    for entry in attempted {
        let name = entry["name"].as_str().unwrap();
        assert!(name.len() <= 300, "a name of {} bytes kept", name.len());
        assert!(name.ends_with('…'), "the cut is shown: {}", &name[..20]);
    }
}

/// A request refused before its body is read (a wrong token) is shown by its answer only, and
/// an admitted one with more events than DFINERY takes shows its first 100: a body of a
/// million events, sent with no token, made the inspector build a copy of it many times its
/// size before anyone had checked who sent it.
#[tokio::test]
async fn bodies_refused_unread_are_not_shown_and_at_most_100_events_are() {
    let emulator = emulator_with(|b| b).await;
    let url = emulator.inspector_url().expect("the inspector is on");
    let mut sse = Sse::open(&format!("{url}inspector/stream")).await;
    sse.next_named("snapshot").await;
    let event = serde_json::json!({
        "event_log_id": "6f1c2b9e-0d3a-4c5b-8e7f-1a2b3c4d5e01",
        "event_name": "df_login",
        "event_datetime": "2024-06-24T06:01:48.501Z",
    });
    let body = |count: usize| {
        serde_json::json!({
            "common": { "identity": { "external_id": "u-1" } },
            "events": vec![event.clone(); count],
        })
    };
    let http = reqwest::Client::new();
    for (token, count) in [("not-the-token", 100_000), (emulator.import_token(), 150)] {
        http.post(emulator.url("/api/v1/events"))
            .header("access_token", token)
            .json(&body(count))
            .send()
            .await
            .unwrap();
    }
    let refused = sse.next_named("request").await;
    assert_eq!(refused["code"], "40201", "{refused}");
    assert_eq!(refused["event_count"], 0);
    assert_eq!(refused["events"], serde_json::json!([]));
    assert_eq!(refused["identity"], Value::Null);
    let too_many = sse.next_named("request").await;
    assert_eq!(too_many["code"], "40402", "{too_many}");
    assert_eq!(too_many["event_count"], 150);
    assert_eq!(too_many["events"].as_array().map(Vec::len), Some(100));
}

/// A window's reset is sent on the page's clock, the system's, whatever the emulator's own
/// clock is shifted by: with `--clock-offset=-300` the reset of a window just begun was five
/// minutes in the page's past, and the page showed a spent window as full.
#[tokio::test]
async fn a_window_s_reset_is_on_the_page_s_clock_whatever_the_emulator_s_shift() {
    let emulator = emulator_with(|b| {
        b.clock_offset_ms(-300_000)
            .rate_limit(Api::Profile, RateLimit::new(5, Window::minutes(1)))
    })
    .await;
    let url = emulator.inspector_url().expect("the inspector is on");
    let mut sse = Sse::open(&format!("{url}inspector/stream")).await;
    sse.next_named("snapshot").await;
    let client = client(&emulator);
    let properties = UserProperties::builder()
        .property("df_membership", "Gold")
        .build()
        .unwrap();
    // Its answer does not matter here (its time may be ahead of the shifted clock's): the
    // window is counted either way.
    let _ = client.update_profile(&user("u-1"), properties).await;
    let record = sse.next_named("request").await;
    let reset = record["rate"]["reset_ms"].as_u64().expect("a reset");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    // Within the minute to come on the page's clock (a second's slack for the request).
    assert!(
        reset + 1_000 >= now && reset <= now + 61_000,
        "reset {reset}, now {now}: {record}"
    );
}

/// An export refused after its body was read (a parameter, the date range) is shown with its
/// violations, the suggestion among them, and counted as admitted, as an Import `40001` is:
/// it was shown with none and the rate panel said "admitted 0" of a window that had counted it.
#[tokio::test]
async fn an_export_refused_after_its_body_is_read_shows_its_violations_and_counts_as_admitted() {
    let emulator = emulator_with(|b| {
        b.rate_limit(Api::Export, RateLimit::new(5, Window::hours(1)))
            .clock(stopped_clock())
    })
    .await;
    let url = emulator.inspector_url().expect("the inspector is on");
    let mut sse = Sse::open(&format!("{url}inspector/stream")).await;
    sse.next_named("snapshot").await;
    let http = reqwest::Client::new();
    let bodies = [
        serde_json::json!({
            "events": ["df_purchase"],
            "events_condition_type": "ALL",
            "from_date": "2024-08-26",
            "to_date": "2024-08-26",
        }),
        serde_json::json!({
            "events_condition_type": "all",
            "from_date": "2000-01-01",
            "to_date": "2000-01-01",
        }),
    ];
    for body in &bodies {
        let answer = http
            .post(emulator.url("/api/v1/export/event"))
            .bearer_auth(emulator.export_token())
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400);
    }
    let invalid = sse.next_named("request").await;
    assert_eq!(invalid["code"], "invalid_parameter", "{invalid}");
    assert_eq!(invalid["violation_count"], 1, "{invalid}");
    let condition = find(&invalid["violations"], "path", "events_condition_type");
    assert_eq!(condition["suggestion"], "all", "{invalid}");
    // An export's `events` names event types: none of them is an event sent.
    assert_eq!(invalid["event_count"], 0, "{invalid}");
    assert_eq!(invalid["rate"]["admitted"], 1, "{invalid}");
    assert_eq!(invalid["rate"]["remaining"], 4, "{invalid}");
    let range = sse.next_named("request").await;
    assert_eq!(range["code"], "exceed_date_range_limit", "{range}");
    assert_eq!(range["violation_count"], 1, "{range}");
    assert_eq!(range["violations"][0]["path"], "from_date", "{range}");
    assert_eq!(range["rate"]["admitted"], 2, "{range}");
    assert_eq!(range["rate"]["remaining"], 3, "{range}");
    let answer = http
        .post(emulator.url("/api/v1/export/userprofile"))
        .bearer_auth(emulator.export_token())
        .json(&serde_json::json!({"properties_condition_type": "all", "audience": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let audience = sse.next_named("request").await;
    assert_eq!(audience["code"], "invalid_parameter", "{audience}");
    assert_eq!(audience["violations"][0]["path"], "audience", "{audience}");
    assert_eq!(audience["rate"]["admitted"], 3, "{audience}");
    assert_eq!(audience["rate"]["remaining"], 2, "{audience}");
}

/// A flood of violations is counted whole: the badge said 101 (the 100 listed and the
/// `truncated` entry) of a body with thousands.
#[tokio::test]
async fn a_flood_of_violations_is_counted_whole_not_as_the_101_listed() {
    let emulator = emulator_with(|b| b).await;
    let url = emulator.inspector_url().expect("the inspector is on");
    let mut sse = Sse::open(&format!("{url}inspector/stream")).await;
    sse.next_named("snapshot").await;
    let properties: serde_json::Map<String, Value> = (0..3_000)
        .map(|i| (format!("unknown_{i:04}"), Value::from(i)))
        .collect();
    let body = serde_json::json!({
        "common": { "identity": { "external_id": "u-1" } },
        "events": [{
            "event_log_id": "6f1c2b9e-0d3a-4c5b-8e7f-1a2b3c4d5e01",
            "event_name": "df_login",
            "event_datetime": "2024-06-24T06:01:48.501Z",
            "event_properties": properties,
        }],
    });
    let answer: Value = reqwest::Client::new()
        .post(emulator.url("/api/v1/events"))
        .header("access_token", emulator.import_token())
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["code"], "40001", "{answer}");
    // The answer lists 100 and says how many more there are.
    let listed = answer["data"].as_array().expect("violations listed");
    assert_eq!(listed.len(), 101);
    let more: usize = listed[100]["expected"]
        .as_str()
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a count of the rest: {}", listed[100]));
    let found = 100 + more;
    assert!(found >= 3_000, "{found}");
    let record = sse.next_named("request").await;
    assert_eq!(
        record["violation_count"], found,
        "{}",
        record["violation_count"]
    );
}

/// A slow answer's window reset is not moved by how long it took: the clocks' shift was
/// measured from a time taken before the request was handled, so on an unshifted clock the
/// reset shown was early by the request's duration.
#[tokio::test]
async fn a_slow_answer_s_window_reset_is_not_early_by_its_duration() {
    let emulator = emulator_with(|b| {
        b.rate_limit(Api::Profile, RateLimit::new(5, Window::hours(1)))
            .faults(FaultConfig {
                latency: Latency::fixed(Duration::from_millis(1_500)),
                ..FaultConfig::default()
            })
    })
    .await;
    let url = emulator.inspector_url().expect("the inspector is on");
    let mut sse = Sse::open(&format!("{url}inspector/stream")).await;
    sse.next_named("snapshot").await;
    // Its answer does not matter (it lacks `request_datetime`): the window counts it.
    let answer = reqwest::Client::new()
        .post(emulator.url("/api/v1/user-profile"))
        .header("access_token", emulator.import_token())
        .json(&serde_json::json!({
            "identity": { "external_id": "u-1" },
            "user_properties": { "df_membership": "Gold" },
        }))
        .send()
        .await
        .unwrap();
    let sent: u64 = answer.headers()["x-ratelimit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let record = sse.next_named("request").await;
    let shown = record["rate"]["reset_ms"].as_u64().expect("a reset");
    // The emulator's clock is the system's: the reset shown is the one sent (the clocks are
    // read together, a few milliseconds at most between them on a loaded machine).
    assert!(
        shown.abs_diff(sent) < 500,
        "shown {shown}, sent {sent}: {record}"
    );
}

/// A profile's numbers reach the page's search as their JSON text, as a request's do: parsed
/// by the page's script, a Long past 2^53 showed as `…992` and a Double `1.0` as `1`.
#[tokio::test]
async fn a_profile_search_gives_numbers_as_their_json_text() {
    let emulator = emulator_with(|b| b).await;
    let client = client(&emulator);
    let properties = UserProperties::builder()
        .property("lifetime_points", 9_007_199_254_740_993_i64)
        .property("avg_basket", 1.0_f64)
        .property("df_membership", "Gold")
        .build()
        .unwrap();
    client
        .update_profile(&user("dfn-user-texts"), properties)
        .await
        .unwrap();
    let url = emulator.inspector_url().unwrap();
    let found: Value = reqwest::get(format!("{url}inspector/profiles?q=user-texts"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let texts = &found["matches"][0]["texts"];
    assert_eq!(texts["lifetime_points"], "9007199254740993", "{found}");
    assert_eq!(texts["avg_basket"], "1.0", "{found}");
    // A string needs no copy.
    assert_eq!(texts.get("df_membership"), None, "{found}");
}

/// After the fresh snapshot a page that fell behind gets, only what happened after it follows:
/// the messages still queued for it (older requests, a reset already in the snapshot) were
/// sent after it, so a page emptied itself on the stale `reset` and then dropped the requests
/// the snapshot had shown (their ids were not new), showing nothing of what the emulator kept.
#[tokio::test]
async fn after_a_stream_s_catch_up_snapshot_nothing_older_follows() {
    let emulator = emulator_with(|b| b.inspector_capacity(8)).await;
    let url = emulator.inspector_url().unwrap();
    let mut sse = Sse::open(&format!("{url}inspector/stream")).await;
    sse.next_named("snapshot").await;
    let http = reqwest::Client::new();
    let send = |who: String, value: String| {
        let body = serde_json::json!({
            "common": { "identity": { "external_id": who } },
            "events": [{
                "event_log_id": uuid::Uuid::new_v4().to_string(),
                "event_name": "df_sign_up",
                "event_datetime": "2024-06-24T06:01:48.501Z",
                "event_properties": { "df_sign_channel": value }
            }]
        });
        let request = http
            .post(emulator.url("/api/v1/events"))
            .header("access_token", emulator.import_token())
            .json(&body);
        async move { request.send().await.unwrap() }
    };
    // 48 MB unread: more than the loopback socket buffers hold, so the stream falls behind.
    let big = "x".repeat(160 * 1024);
    for n in 0..300 {
        send(format!("u-{n}"), big.clone()).await;
    }
    // While it is behind: a reset, then two requests (fewer than the 8 the stream queues).
    emulator.reset();
    for who in ["after-1", "after-2"] {
        send(who.to_owned(), "Kakao".to_owned()).await;
    }
    // The requests written before the stream fell behind, then its fresh snapshot.
    let mut read = 0;
    let snapshot = loop {
        let (name, data) = sse.next().await;
        if name == "snapshot" {
            break data;
        }
        read += 1;
        assert!(read <= 300, "the stream never fell behind");
    };
    let shown: Vec<&str> = snapshot["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["identity"]["external_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        shown,
        ["after-1", "after-2"],
        "the snapshot is after the reset"
    );
    send("after-3".to_owned(), "Kakao".to_owned()).await;
    let (name, data) = sse.next().await;
    assert_eq!(
        (name.as_str(), data["identity"]["external_id"].as_str()),
        ("request", Some("after-3")),
        "the request after the snapshot comes next, nothing the snapshot already holds"
    );
}
