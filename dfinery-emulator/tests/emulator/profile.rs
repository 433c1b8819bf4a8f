//! `POST /api/v1/user-profile`: user properties against the registry, last `request_datetime`
//! wins, `null` clears, and `40403` for several profiles in one body.

use serde_json::{Value, json};

use crate::support::Server;

fn profile(properties: Value, at: &str) -> Value {
    json!({"identity": {"external_id": "u-1"}, "user_properties": properties, "request_datetime": at})
}

#[tokio::test]
async fn the_latest_request_datetime_wins_and_null_clears() {
    let server = Server::start().await;
    let send = |properties: Value, at: &'static str| {
        let server = &server;
        async move {
            server
                .import("/api/v1/user-profile", &profile(properties, at))
                .await
                .code()
        }
    };
    assert_eq!(
        send(
            json!({"tier": "gold", "lifetime_points": 10}),
            "2024-08-26T06:00:00.000Z"
        )
        .await,
        "20000"
    );
    // An older write arriving late loses.
    assert_eq!(
        send(json!({"tier": "bronze"}), "2024-08-26T05:00:00.000Z").await,
        "20000"
    );
    let properties = server.emu.profile("u-1").unwrap().properties;
    assert_eq!(properties["tier"], "gold");
    // null clears.
    assert_eq!(
        send(json!({"tier": null}), "2024-08-26T07:00:00Z").await,
        "20000"
    );
    let properties = server.emu.profile("u-1").unwrap().properties;
    assert!(!properties.contains_key("tier"));
    assert_eq!(properties["lifetime_points"], 10);
}

#[tokio::test]
async fn unknown_mistyped_and_out_of_enum_properties_are_40001() {
    let server = Server::start().await;
    let body = profile(
        json!({"df_gender": "female", "df_birth": "1999-1-1", "lifetime_pints": 3, "favorite_brands": vec!["b"; 300],
               "df_push_optin": "true"}),
        "2024-08-26T06:00:00.000Z",
    );
    let answer = server.import("/api/v1/user-profile", &body).await;
    assert_eq!((answer.status, answer.code()), (200, "40001".to_owned()));
    let found = answer.violations();
    let found: Vec<(&str, &str)> = found
        .iter()
        .map(|(p, r)| (p.as_str(), r.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("user_properties.df_birth", "type"),
            ("user_properties.df_gender", "enum"),
            ("user_properties.df_push_optin", "type"),
            ("user_properties.lifetime_pints", "unknown_property"),
        ]
    );
    let data = answer.json()["data"].clone();
    assert!(
        data[1]["expected"]
            .as_str()
            .unwrap()
            .ends_with("did you mean `Female`?"),
        "{data}"
    );
    assert!(
        server.emu.profile("u-1").is_none(),
        "a refused profile is not created"
    );
}

#[tokio::test]
async fn several_profiles_in_one_body_is_40403() {
    let server = Server::start().await;
    let one = profile(json!({"tier": "gold"}), "2024-08-26T06:00:00.000Z");
    let answer = server
        .import("/api/v1/user-profile", &json!([one.clone(), one.clone()]))
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json()["message"],
        "TOO_MANY_USER_PROFILES",
        "{}",
        answer.text
    );
    assert_eq!(answer.code(), "40403");
    let answer = server
        .import(
            "/api/v1/user-profile",
            &json!({"identity": {"external_id": "u-1"}, "user_properties": [{"tier": "gold"}, {"tier": "silver"}],
                    "request_datetime": "2024-08-26T06:00:00.000Z"}),
        )
        .await;
    assert_eq!(answer.code(), "40403");
    // The top-level shape is checked before the count (docs/protocol.md §10): a field
    // misspelt, one missing, or an identity that is no object is 40000, though
    // `user_properties` holds two profiles.
    for body in [
        json!({"identty": {}, "user_properties": [{}, {}]}),
        json!({"identity": {"external_id": "u-1"}, "user_properties": [{}, {}]}),
        json!({"identity": "u-1", "user_properties": [{}, {}],
               "request_datetime": "2024-08-26T06:00:00.000Z"}),
    ] {
        let answer = server.import("/api/v1/user-profile", &body).await;
        assert_eq!(answer.code(), "40000", "{body}: {}", answer.text);
    }
    // A lone profile in an array is not the documented shape.
    assert_eq!(
        server
            .import("/api/v1/user-profile", &json!([one]))
            .await
            .code(),
        "40000"
    );
}

#[tokio::test]
async fn profile_bodies_need_every_field() {
    let server = Server::start().await;
    for body in [
        json!({"identity": {"external_id": "u-1"}, "request_datetime": "2024-08-26T06:00:00Z"}),
        json!({"identity": {"external_id": "u-1"}, "user_properties": {}}),
        json!({"user_properties": {}, "request_datetime": "2024-08-26T06:00:00Z"}),
        json!({"identity": {"external_id": "u-1"}, "user_properties": "tier=gold", "request_datetime": "2024-08-26T06:00:00Z"}),
    ] {
        let answer = server.import("/api/v1/user-profile", &body).await;
        assert_eq!(
            (answer.status, answer.code()),
            (400, "40000".to_owned()),
            "{body}"
        );
    }
}

#[tokio::test]
async fn the_deprecated_df_push_optin_is_still_accepted() {
    let server = Server::start().await;
    let body = profile(
        json!({"df_push_optin": true, "df_push_ads_optin": false}),
        "2024-08-26T06:00:00.000Z",
    );
    let answer = server.import("/api/v1/user-profile", &body).await;
    assert_eq!((answer.status, answer.code()), (200, "20000".to_owned()));
    let properties = server.emu.profile("u-1").unwrap().properties;
    assert_eq!(properties["df_push_optin"], true);
}
