//! `POST /api/v1/identities` and `/identities/delete`: unified profiles with `external_id`
//! authoritative.

use serde_json::json;

use crate::support::{Server, batch, login, uuid};

const AT: &str = "2024-08-26T06:00:00.000Z";

#[tokio::test]
async fn identifiers_attach_to_the_profile_external_id_selects() {
    let server = Server::start().await;
    // An anonymous visitor known by e-mail sends an event…
    let anonymous =
        json!({"common": {"identity": {"email": "kim@x.io"}}, "events": [login(&uuid(), AT)]});
    assert_eq!(
        server.import("/api/v1/events", &anonymous).await.code(),
        "20000"
    );
    // …then signs in: the e-mail attaches to the external id's profile.
    let upsert =
        json!({"identity": {"external_id": "u-1", "email": "kim@x.io"}, "request_datetime": AT});
    assert_eq!(
        server.import("/api/v1/identities", &upsert).await.code(),
        "20000"
    );
    let profiles = server.emu.profiles();
    assert_eq!(profiles.len(), 1, "{profiles:?}");
    assert_eq!(profiles[0].identity.external_id.as_deref(), Some("u-1"));
    // Later events by e-mail only land on that profile.
    assert_eq!(
        server
            .import("/api/v1/events", &anonymous_again())
            .await
            .code(),
        "20000"
    );
    let events = server.emu.events();
    assert_eq!(events[1].df_unified_id, profiles[0].df_unified_id);
}

fn anonymous_again() -> serde_json::Value {
    json!({"common": {"identity": {"email": "kim@x.io"}}, "events": [login(&uuid(), AT)]})
}

#[tokio::test]
async fn another_external_id_is_another_user() {
    let server = Server::start().await;
    for id in ["u-1", "u-2"] {
        let body = json!({"identity": {"external_id": id, "phone_no": "821012345678"}, "request_datetime": AT});
        assert_eq!(
            server.import("/api/v1/identities", &body).await.code(),
            "20000"
        );
    }
    // The phone number moved to u-2; u-1 keeps its external id.
    assert_eq!(server.emu.profiles().len(), 2);
    assert_eq!(server.emu.profile("u-1").unwrap().identity.phone_no, None);
    assert_eq!(
        server
            .emu
            .profile("u-2")
            .unwrap()
            .identity
            .phone_no
            .as_deref(),
        Some("821012345678")
    );
}

#[tokio::test]
async fn identity_bodies_are_validated() {
    let server = Server::start().await;
    let cases = [
        (
            json!({"identity": {}, "request_datetime": AT}),
            "40001",
            "identity",
        ),
        (
            json!({"identity": {"external_id": 1}, "request_datetime": AT}),
            "40001",
            "identity.external_id",
        ),
        (
            json!({"identity": {"external_id": "u"}, "request_datetime": "yesterday"}),
            "40001",
            "request_datetime",
        ),
        (
            json!({"identity": {"external_id": "u"}}),
            "40000",
            "request_datetime",
        ),
        (json!({"request_datetime": AT}), "40000", "identity"),
        (
            json!({"identity": {"external_id": "u"}, "request_datetime": AT, "user_properties": {}}),
            "40000",
            "user_properties",
        ),
    ];
    for (body, code, path) in cases {
        let answer = server.import("/api/v1/identities", &body).await;
        assert_eq!(answer.code(), code, "{body}");
        assert_eq!(answer.violations()[0].0, path, "{body}");
    }
    assert!(server.emu.profiles().is_empty());
}

#[tokio::test]
async fn delete_needs_an_external_id_and_keeps_the_events() {
    let server = Server::start().await;
    assert_eq!(
        server
            .import("/api/v1/events", &batch("u-1", vec![login(&uuid(), AT)]))
            .await
            .code(),
        "20000"
    );
    let by_email = json!({"identity": {"email": "kim@x.io"}, "request_datetime": AT});
    let answer = server.import("/api/v1/identities/delete", &by_email).await;
    assert_eq!(answer.code(), "40001");
    let delete = json!({"identity": {"external_id": "u-1"}, "request_datetime": AT});
    assert_eq!(
        server
            .import("/api/v1/identities/delete", &delete)
            .await
            .code(),
        "20000"
    );
    assert!(server.emu.profile("u-1").is_none());
    assert_eq!(server.emu.events().len(), 1);
    // The next event for u-1 makes a new profile.
    assert_eq!(
        server
            .import("/api/v1/events", &batch("u-1", vec![login(&uuid(), AT)]))
            .await
            .code(),
        "20000"
    );
    let events = server.emu.events();
    assert_ne!(events[0].df_unified_id, events[1].df_unified_id);
}
