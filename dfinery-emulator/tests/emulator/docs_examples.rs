//! Every request example of `docs/protocol.md` sent over HTTP gets the documented response.

use serde_json::json;

use crate::support::{Server, fixture};

const OK: &str = r#"{"status":true,"code":"20000","message":"OK","data":true}"#;

fn assert_ok(answer: &crate::support::Answer) {
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(
        answer.json(),
        serde_json::from_str::<serde_json::Value>(OK).unwrap()
    );
    assert_eq!(answer.header("content-type"), "application/json");
}

/// The first JSON block after the heading `heading` of `docs/protocol.md`, as written there.
fn protocol_example(heading: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/protocol.md");
    let text = std::fs::read_to_string(path).expect("docs/protocol.md is in the repository");
    let section = &text[text
        .find(heading)
        .expect("the heading is in docs/protocol.md")..];
    let start = section
        .find("```json\n")
        .expect("a JSON example follows the heading")
        + 8;
    let end = start + section[start..].find("```").expect("the example ends");
    section[start..end].to_owned()
}

#[tokio::test]
async fn the_event_example_of_the_protocol_text_itself_is_accepted() {
    // The fixture below is fuller; the example in the text lacked the required properties of
    // `df_purchase`, and the emulator refused it (40001).
    let server = Server::start().await;
    let example: serde_json::Value =
        serde_json::from_str(&protocol_example("### 3.2 Events")).expect("the example is JSON");
    let answer = server.import("/api/v1/events", &example).await;
    assert_ok(&answer);
}

#[tokio::test]
async fn event_example_is_accepted_and_stored() {
    let server = Server::start().await;
    let answer = server
        .import("/api/v1/events", &fixture("events_example.json"))
        .await;
    assert_ok(&answer);
    let events = server.emu.events();
    assert_eq!(events.len(), 2);
    let purchase = &events[0];
    assert_eq!(purchase.event_name, "df_purchase");
    assert_eq!(
        purchase.event_log_id,
        "5b0f9a0e-1c2d-4e3f-8a9b-0c1d2e3f4a5b"
    );
    assert_eq!(
        purchase.identity.external_id.as_deref(),
        Some("dfn-user-123")
    );
    assert_eq!(purchase.items[0]["df_price"], json!(5000.0));
    assert_eq!(purchase.property("df_order_id"), Some(&json!("ORDER-123")));
    assert_eq!(events[1].df_unified_id, purchase.df_unified_id);
    let profile = server.emu.profile("dfn-user-123").unwrap();
    assert_eq!(profile.identity.phone_no.as_deref(), Some("821012345678"));
    assert_eq!(profile.df_unified_id, purchase.df_unified_id);
}

#[tokio::test]
async fn identity_example_creates_the_unified_profile() {
    let server = Server::start().await;
    assert_ok(
        &server
            .import("/api/v1/identities", &fixture("identity_example.json"))
            .await,
    );
    let profile = server.emu.profile("dfn-user-123").unwrap();
    assert_eq!(profile.identity.email.as_deref(), Some("dfn@gmail.com"));
    assert_eq!(profile.identity.phone_no.as_deref(), Some("821012345678"));
}

#[tokio::test]
async fn delete_example_removes_the_profile_and_is_idempotent() {
    let server = Server::start().await;
    server
        .import("/api/v1/identities", &fixture("identity_example.json"))
        .await;
    assert_ok(
        &server
            .import("/api/v1/identities/delete", &fixture("delete_example.json"))
            .await,
    );
    assert!(server.emu.profile("dfn-user-123").is_none());
    assert!(server.emu.profiles().is_empty());
    assert_ok(
        &server
            .import("/api/v1/identities/delete", &fixture("delete_example.json"))
            .await,
    );
}

#[tokio::test]
async fn profile_examples_set_user_properties() {
    let server = Server::start().await;
    assert_ok(
        &server
            .import("/api/v1/user-profile", &fixture("profile_example.json"))
            .await,
    );
    let profile = server.emu.profile("dfn-user-123").unwrap();
    assert_eq!(profile.properties["df_gender"], json!("Female"));

    assert_ok(
        &server
            .import(
                "/api/v1/user-profile",
                &fixture("profile_rich_example.json"),
            )
            .await,
    );
    let profile = server.emu.profile("dfn-user-123").unwrap();
    assert_eq!(profile.properties["df_gender"], json!("Male"));
    assert_eq!(profile.properties["favorite_brands"], json!(["A", "B"]));
    assert_eq!(profile.properties["lifetime_points"], json!(34000));
    assert_eq!(profile.properties["df_push_ads_optin"], json!(true));
    assert_eq!(profile.properties.len(), 9);
}

#[tokio::test]
async fn event_export_example_answers_csv() {
    let server = Server::start().await;
    let mut body = fixture("events_example.json");
    body["events"][0]["event_datetime"] = json!("2024-08-25T06:01:48.501Z");
    body["events"][1]["event_datetime"] = json!("2024-08-26T06:00:00Z");
    assert_ok(&server.import("/api/v1/events", &body).await);

    let answer = server
        .export(
            "/api/v1/export/event",
            &fixture("export_event_example.json"),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.header("content-type"), "text/csv; charset=utf-8");
    let rows = answer.csv();
    assert_eq!(
        rows[0],
        [
            "df_discount",
            "df_items_df_price",
            "df_unified_id",
            "df_api_version",
            "event_name",
            "df_server_datetime",
            "df_correction_datetime",
            "event_log_id",
            "event_datetime",
        ],
        "property columns first, as in the docs' example export"
    );
    assert_eq!(rows.len(), 2, "only df_purchase is included: {rows:?}");
    let unified = server.emu.events()[0].df_unified_id.clone();
    assert_eq!(
        rows[1],
        [
            "0.0",
            "5000.0",
            unified.as_str(),
            "v1",
            "df_purchase",
            "2024-08-26T12:00:00.000Z",
            "2024-08-25T06:01:48.501Z",
            "5b0f9a0e-1c2d-4e3f-8a9b-0c1d2e3f4a5b",
            "2024-08-25T06:01:48.501Z",
        ]
    );
}

#[tokio::test]
async fn profile_export_example_answers_csv_for_the_audience() {
    let (builder, clock) = crate::support::builder();
    let server = Server::with(builder.audience("nwh3nu", ["dfn-user-123"]), clock).await;
    server
        .import(
            "/api/v1/user-profile",
            &fixture("profile_rich_example.json"),
        )
        .await;
    let outsider = json!({"identity": {"external_id": "other"}, "user_properties": {"df_name": "Kim"},
        "request_datetime": "2024-06-24T06:42:25.394Z"});
    server.import("/api/v1/user-profile", &outsider).await;

    let answer = server
        .export(
            "/api/v1/export/userprofile",
            &fixture("export_profile_example.json"),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let rows = answer.csv();
    assert!(!rows[0].contains(&"df_birth".to_owned()), "{:?}", rows[0]);
    assert!(rows[0].contains(&"df_unified_id".to_owned()));
    assert_ne!(rows[0][0], "df_unified_id", "property columns come first");
    assert!(rows[0].contains(&"df_gender".to_owned()));
    assert_eq!(rows.len(), 2, "only the audience's member: {rows:?}");
    let column = |name: &str| rows[0].iter().position(|c| c == name).unwrap();
    assert_eq!(rows[1][column("df_name")], "Hong Gildong");
    assert_eq!(rows[1][column("favorite_brands")], r#"["A","B"]"#);
    assert_eq!(rows[1][column("df_sms_ads_optin")], "false");
    assert_eq!(rows[1][column("tier")], "");
}
