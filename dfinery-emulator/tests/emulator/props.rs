//! Property tests: arbitrary bytes, arbitrary JSON and mutated valid bodies sent to every
//! endpoint never crash the emulator, never get a 500, and always get a documented answer.

use std::sync::OnceLock;

use dfinery_emulator::{Api, EmulatorHandle, ExportFailure, ImportCode, RateLimit, Window};
use proptest::prelude::*;
use serde_json::{Map, Value};
use tokio::runtime::Runtime;

use crate::support::{builder, fixture};

const ENDPOINTS: [&str; 6] = [
    "/api/v1/events",
    "/api/v1/identities",
    "/api/v1/identities/delete",
    "/api/v1/user-profile",
    "/api/v1/export/event",
    "/api/v1/export/userprofile",
];

/// Field names the emulator reads, so random objects often reach the deeper checks.
const KEYS: [&str; 27] = [
    "common",
    "identity",
    "events",
    "event_log_id",
    "event_name",
    "event_datetime",
    "event_items",
    "event_properties",
    "external_id",
    "email",
    "phone_no",
    "user_properties",
    "request_datetime",
    "df_price",
    "df_item_id",
    "df_order_id",
    "df_gender",
    "tier",
    "tags",
    "events_condition_type",
    "properties",
    "properties_condition_type",
    "from_date",
    "to_date",
    "audience",
    "identities",
    "identities_condition_type",
];

const STRINGS: [&str; 12] = [
    "df_purchase",
    "df_login",
    "coupon_used",
    "5b0f9a0e-1c2d-4e3f-8a9b-0c1d2e3f4a5b",
    "2024-08-26T06:00:00Z",
    "2024-08-26T06:00:00.000Z",
    "2024-08-26",
    "all",
    "include",
    "exclude",
    "Female",
    "df_external_id",
];

struct Shared {
    runtime: Runtime,
    emulator: EmulatorHandle,
    http: reqwest::Client,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let (builder, _clock) = builder();
        let builder = builder.rate_limit(Api::Export, RateLimit::new(1_000_000, Window::hours(1)));
        let emulator = runtime
            .block_on(builder.start())
            .expect("the emulator starts");
        Shared {
            runtime,
            emulator,
            http: reqwest::Client::new(),
        }
    })
}

/// Sends `body` to `endpoint` with valid credentials and checks the answer is documented.
fn check(endpoint: &str, body: Vec<u8>) -> Result<(), TestCaseError> {
    let shared = shared();
    let (status, content_type, text) = shared.runtime.block_on(async {
        let response = shared
            .http
            .post(shared.emulator.url(endpoint))
            .header("access_token", shared.emulator.import_token())
            .bearer_auth(shared.emulator.export_token())
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("the emulator answers");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (
            status,
            content_type,
            response.text().await.expect("a whole body"),
        )
    });
    prop_assert_ne!(status, 500, "{}", text);
    if endpoint.contains("/export/") && status == 200 && content_type.starts_with("text/csv") {
        return Ok(());
    }
    let json: Value = serde_json::from_str(&text)
        .map_err(|_| TestCaseError::fail(format!("not JSON: {text}")))?;
    if endpoint.contains("/export/") {
        prop_assert_eq!(&json["result"], "fail");
        let failure = ExportFailure::from_message(json["message"].as_str().unwrap_or_default());
        let failure =
            failure.ok_or_else(|| TestCaseError::fail(format!("undocumented: {text}")))?;
        prop_assert_eq!(failure.status(), status);
    } else {
        let code = ImportCode::from_code(json["code"].as_str().unwrap_or_default());
        let code = code.ok_or_else(|| TestCaseError::fail(format!("undocumented: {text}")))?;
        prop_assert_eq!(code.status(), status, "{}", text);
        prop_assert_eq!(json["message"].as_str(), Some(code.message()));
        prop_assert_eq!(json["status"].as_bool(), Some(code == ImportCode::Ok));
    }
    Ok(())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        prop::sample::select(&STRINGS[..]).prop_map(Value::from),
        ".{0,24}".prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(&KEYS[..]).prop_map(str::to_owned),
        1 => "[a-zA-Z_]{1,12}",
    ]
}

/// A documented example body with one field replaced by an arbitrary value.
fn mutated_example() -> impl Strategy<Value = (usize, Value)> {
    let examples = [
        fixture("events_example.json"),
        fixture("identity_example.json"),
        fixture("delete_example.json"),
        fixture("profile_rich_example.json"),
        fixture("export_event_example.json"),
        fixture("export_profile_example.json"),
    ];
    (
        0..examples.len(),
        any::<prop::sample::Index>(),
        json_value(),
    )
        .prop_map(move |(which, at, value)| {
            let mut body = examples[which].clone();
            let mut paths = Vec::new();
            collect_paths(&body, String::new(), &mut paths);
            let target = at.get(&paths).clone();
            if let Some(slot) = body.pointer_mut(&target) {
                *slot = value;
            }
            (which, body)
        })
}

fn collect_paths(value: &Value, here: String, out: &mut Vec<String>) {
    out.push(here.clone());
    match value {
        Value::Object(map) => map
            .iter()
            .for_each(|(k, v)| collect_paths(v, format!("{here}/{k}"), out)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| collect_paths(v, format!("{here}/{i}"), out)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_get_a_documented_answer(endpoint in prop::sample::select(&ENDPOINTS[..]), body in prop::collection::vec(any::<u8>(), 0..512)) {
        check(endpoint, body)?;
    }

    #[test]
    fn arbitrary_json_gets_a_documented_answer(endpoint in prop::sample::select(&ENDPOINTS[..]), body in json_value()) {
        check(endpoint, body.to_string().into_bytes())?;
    }

    #[test]
    fn mutated_examples_get_a_documented_answer((which, body) in mutated_example()) {
        check(ENDPOINTS[which], body.to_string().into_bytes())?;
    }
}
