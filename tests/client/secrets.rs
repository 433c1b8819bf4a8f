//! Tokens never show: not in `Debug` of the client or its builder, not in error messages, not
//! in anything `tracing` records, at every level.

use dfinery::Error;
use dfinery::{Client, EventRecord};
use dfinery_emulator::ScriptedResponse;

use crate::support::{emulator_with, today, user};

const IMPORT: &str = "imp-7f3c9a1e-SECRET";
const EXPORT: &str = "exp-91ab44d2-SECRET";
const WRONG: &str = "wrong-5e5e-SECRET";

fn assert_secret_free(what: &str, text: &str) {
    for token in [IMPORT, EXPORT, WRONG] {
        assert!(!text.contains(token), "{what} shows a token: {text}");
    }
}

fn builder(base_url: &str) -> dfinery::ClientBuilder {
    Client::builder()
        .service_id("secret-tests")
        .import_token(IMPORT)
        .export_token(EXPORT)
        .base_url(base_url)
        .retry({
            let mut retry = crate::support::fast_retry();
            retry.max_attempts = 2;
            retry
        })
}

// One thread, so this thread's capture sees the client's and the emulator's tasks.
#[tokio::test(flavor = "current_thread")]
async fn no_token_in_debug_errors_or_tracing_output() {
    let capture = crate::capture::this_thread(tracing::Level::TRACE);

    let emulator = emulator_with(|b| {
        b.service_id("secret-tests")
            .import_token(IMPORT)
            .export_token(EXPORT)
    })
    .await;
    let builder = builder(emulator.base_url());
    let client = builder.clone().build().unwrap();
    assert_secret_free("the builder's Debug", &format!("{builder:?} {builder:#?}"));
    assert_secret_free("the client's Debug", &format!("{client:?} {client:#?}"));

    // Calls that succeed, a call that is retried, and an export.
    client.identify(&user("u")).await.unwrap();
    emulator.push_script([ScriptedResponse::ServerError]);
    let records = vec![EventRecord::builder("df_login").build().unwrap()];
    client.send_events(&user("u"), records).await.unwrap();
    client
        .export_events(&today())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    // Calls that fail with the wrong tokens.
    let wrong = builder
        .import_token(WRONG)
        .export_token(WRONG)
        .build()
        .unwrap();
    let mut errors: Vec<Error> = vec![
        wrong.identify(&user("u")).await.unwrap_err(),
        wrong.export_events(&today()).await.unwrap_err(),
    ];
    let failed = wrong
        .send_events(
            &user("u"),
            vec![EventRecord::builder("df_login").build().unwrap()],
        )
        .await
        .unwrap_err();
    assert_secret_free("a send error", &format!("{failed} {failed:?}"));
    errors.push(failed.into());
    for error in &errors {
        assert!(matches!(error, Error::Auth { .. }), "{error:?}");
        assert_secret_free("an error", &format!("{error} {error:?}"));
    }

    // A builder error.
    let error = Client::builder()
        .service_id("s")
        .import_token(IMPORT)
        .base_url("http://example.com")
        .build()
        .unwrap_err();
    assert_secret_free("a build error", &format!("{error} {error:?}"));

    let logged = capture.text();
    // The spans were recorded (so the check below looks at real output) …
    assert!(logged.contains("dfinery.request"), "{logged}");
    assert!(logged.contains("endpoint=POST /api/v1/events"), "{logged}");
    assert!(logged.contains("retrying a failed call"), "{logged}");
    // … and hold no token.
    assert_secret_free("the tracing output", &logged);
}

#[test]
fn a_token_no_http_header_can_carry_is_refused_at_build_without_showing_it() {
    // Such a token (a line break or another control character pasted with it) was sent
    // without its header, so DFINERY answered "invalid token" to a token that looked right.
    for (token, setting) in [
        ("imp-7f3c\n9a1e-SECRET", "import_token"),
        ("imp-7f3c\t9a1e-SECRET\0", "import_token"),
        ("exp-91ab\r44d2-SECRET\u{7f}", "export_token"),
    ] {
        let kind = setting.trim_end_matches("_token");
        let builder = Client::builder().service_id("s");
        let builder = if setting == "import_token" {
            builder.import_token(token)
        } else {
            builder.export_token(token)
        };
        let error = builder.build().unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with(&format!(
                "the {kind} token from `ClientBuilder::{setting}` holds a character"
            )),
            "{text}"
        );
        assert!(
            text.ends_with(&format!(
                "give `ClientBuilder::{setting}` the {kind} token the DFINERY console shows"
            )),
            "{text}"
        );
        for secret in ["7f3c", "91ab"] {
            assert!(!format!("{text} {error:?}").contains(secret), "{text}");
        }
    }
}
