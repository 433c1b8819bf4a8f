//! Every error variant, produced by the emulator (or a closed port), with what was retried.

use std::time::Duration;

use dfinery::wire::{Endpoint, TokenKind};
use dfinery::{Error, ServerCode, ServiceIdSource, TokenSource};
use dfinery::{Event, EventRecord, Patch, ResultCode};
use dfinery_emulator::{
    Api, FaultConfig, ImportCode, Latency, RateLimit, ScriptedResponse, Window,
};
use serde_json::json;

use crate::model::{Login, Member, purchase};
use crate::support::{client, client_for, emulator, emulator_with, user};

fn import_code(error: &Error) -> Option<ResultCode> {
    match error.code() {
        Some(ServerCode::Import(code)) => Some(code.clone()),
        _ => None,
    }
}

#[tokio::test]
async fn validation_failure_lists_the_servers_violations_and_is_not_retried() {
    let emulator = emulator().await;
    let client = client(&emulator);
    // Unregistered property: the registry check is the server's (the builder has no registry).
    let record = EventRecord::builder("df_sign_up")
        .property("df_sign_chanel", "Kakao")
        .build()
        .unwrap();
    let failed = client.send_events(&user("u"), [record]).await.unwrap_err();
    let Error::Validation {
        status, violations, ..
    } = &failed.error
    else {
        panic!("{:?}", failed.error);
    };
    assert_eq!(*status, 200);
    assert!(
        violations.iter().any(|v| v.path.contains("df_sign_chanel")),
        "{violations:?}"
    );
    assert_eq!(
        import_code(&failed.error),
        Some(ResultCode::Documented(ImportCode::ValidationFailure))
    );
    assert!(failed.to_string().contains("df_sign_chanel"), "{failed}");
    assert_eq!(failed.undelivered.len(), 1);
    assert_eq!(emulator.stats().requests, 1, "not retried");
    assert!(emulator.events().is_empty());
}

#[tokio::test]
async fn bad_request_with_http_400_is_validation() {
    let emulator = emulator().await;
    emulator.push_script([ScriptedResponse::import(ImportCode::BadRequest)]);
    let error = client(&emulator).identify(&user("u")).await.unwrap_err();
    assert!(
        matches!(error, Error::Validation { status: 400, .. }),
        "{error:?}"
    );
    assert_eq!(
        import_code(&error),
        Some(ResultCode::Documented(ImportCode::BadRequest))
    );
    assert_eq!(emulator.stats().requests, 1);
}

#[tokio::test]
async fn wrong_tokens_are_auth_errors_for_import_and_export() {
    let emulator = emulator().await;
    let wrong = client_for(&emulator)
        .import_token("not-the-token")
        .export_token("not-the-export-token")
        .build()
        .unwrap();
    let error = wrong.identify(&user("u")).await.unwrap_err();
    assert!(
        matches!(error, Error::Auth { status: 200, .. }),
        "{error:?}"
    );
    assert_eq!(
        import_code(&error),
        Some(ResultCode::Documented(ImportCode::InvalidToken))
    );
    let error = wrong
        .export_events(&crate::support::today())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Auth { status: 401, .. }),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    assert_eq!(emulator.stats().requests, 2, "neither was retried");
}

/// A refused token is named by where it came from, with the fix there: it said "check the
/// import token (`DFINERY_IMPORT_TOKEN`)" whatever the source, so a user who gave it to the
/// builder looked for a variable never set.
#[tokio::test]
async fn a_refused_token_names_where_it_came_from() {
    let emulator = emulator().await;
    for (source, import_fix, export_fix) in [
        (
            TokenSource::Builder,
            "give `ClientBuilder::import_token` the import token the DFINERY console shows",
            "give `ClientBuilder::export_token` the export token the DFINERY console shows",
        ),
        (
            TokenSource::Env,
            "set `DFINERY_IMPORT_TOKEN` to the import token the DFINERY console shows",
            "set `DFINERY_EXPORT_TOKEN` to the export token the DFINERY console shows",
        ),
        (
            TokenSource::Flag("--token".to_owned()),
            "pass `--token` the import token the DFINERY console shows",
            "pass `--token` the export token the DFINERY console shows",
        ),
    ] {
        let wrong = client_for(&emulator)
            .import_token_from("not-the-token", source.clone())
            .export_token_from("not-the-export-token", source.clone())
            .build()
            .unwrap();
        assert_eq!(wrong.token_source(TokenKind::Import), Some(&source));
        let error = wrong.identify(&user("u")).await.unwrap_err();
        assert!(
            matches!(&error, Error::Auth { given_by: Some(s), .. } if *s == source),
            "{error:?}"
        );
        let text = error.to_string();
        assert!(
            text.starts_with(&format!(
                "`POST /api/v1/identities` refused the token from {} (",
                source.name(TokenKind::Import)
            )),
            "{text}"
        );
        assert!(text.ends_with(import_fix), "{text}");
        let error = wrong
            .export_events(&crate::support::today())
            .await
            .unwrap_err();
        let text = error.to_string();
        assert!(
            matches!(&error, Error::Auth { given_by: Some(s), .. } if *s == source),
            "{error:?}"
        );
        assert!(text.ends_with(export_fix), "{text}");
        assert!(!text.contains("not-the"), "{text}");
    }
}

/// A service id DFINERY does not know is its own error, naming where the id came from with
/// the fix there: it said "check `service_id` (`DFINERY_SERVICE_ID`)" whatever the source, so a
/// user whose id came from the registry's `[service] id` looked for a variable never set.
#[tokio::test]
async fn a_wrong_service_id_is_its_own_error_naming_where_the_id_came_from() {
    let emulator = emulator().await;
    for (source, fix) in [
        (
            ServiceIdSource::Builder,
            "give `ClientBuilder::service_id` the service id the DFINERY console shows",
        ),
        (
            ServiceIdSource::Env,
            "set `DFINERY_SERVICE_ID` to the service id the DFINERY console shows",
        ),
        (
            ServiceIdSource::Registry("shop/dfinery.toml".into()),
            "set `id` of `[service]` in `shop/dfinery.toml` to the service id the DFINERY console shows",
        ),
        (
            ServiceIdSource::Flag("--service-id".to_owned()),
            "pass `--service-id` the service id the DFINERY console shows",
        ),
    ] {
        let wrong = client_for(&emulator)
            .service_id_from("someone-else", source.clone())
            .build()
            .unwrap();
        assert_eq!(wrong.service_id_source(), &source);
        let error = wrong.identify(&user("u")).await.unwrap_err();
        assert!(
            matches!(&error, Error::ServiceId { given_by: Some(s), .. } if *s == source),
            "{error:?}"
        );
        assert!(!error.is_retryable());
        assert_eq!(
            error.to_string(),
            format!(
                "`POST /api/v1/identities` refused the service id from {source} (HTTP 200, 40101 INVALID_SERVICE_ID); {fix}"
            )
        );
    }
    // `.service_id(..)` is the builder's own setting.
    let wrong = client_for(&emulator)
        .service_id("someone-else")
        .build()
        .unwrap();
    let error = wrong.identify(&user("u")).await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("from `ClientBuilder::service_id`"),
        "{error}"
    );
    assert!(!error.to_string().contains("DFINERY_SERVICE_ID"), "{error}");
}

#[tokio::test]
async fn a_rate_limit_with_a_distant_reset_is_returned_with_the_reset() {
    // The emulator's hour-long windows are aligned to the clock's hours: on the system clock
    // the two calls below straddled 10:00:00 once, and the second one was in a new window. A
    // clock stopped one second into the next hour keeps both in one, with the reset more than
    // an hour from now.
    let stopped = crate::clock::one_second_into_the_next_hour();
    for status_200 in [false, true] {
        let emulator = emulator_with(|b| {
            b.rate_limit(Api::Identity, RateLimit::new(1, Window::hours(1)))
                .rate_limit_status_200(status_200)
                .clock(stopped.clone())
        })
        .await;
        let client = client(&emulator);
        client.identify(&user("u")).await.unwrap();
        let error = client.identify(&user("u")).await.unwrap_err();
        let Error::RateLimited {
            status, rate_limit, ..
        } = &error
        else {
            panic!("{error:?}");
        };
        assert_eq!(*status, if status_200 { 200 } else { 429 });
        assert_eq!(
            import_code(&error),
            Some(ResultCode::Documented(ImportCode::TooManyRequest))
        );
        let rate_limit = rate_limit.as_ref().expect("rate-limit headers");
        assert_eq!(rate_limit.remaining, Some(0));
        assert_eq!(rate_limit.window.as_deref(), Some("1H"));
        assert!(rate_limit.reset.expect("a reset") > std::time::SystemTime::now());
        assert!(error.is_retryable());
        // The reset is further than `max_rate_limit_wait` (5 s): no retry was made.
        assert_eq!(emulator.stats().requests, 2);
        assert_eq!(client.pacing_stats().rate_limited, 1);
    }
}

#[tokio::test]
async fn too_many_events_is_not_retried() {
    let emulator = emulator().await;
    emulator.push_script([ScriptedResponse::import(ImportCode::TooManyEvents)]);
    let failed = client(&emulator)
        .send_events(&user("u"), [&Login {}])
        .await
        .unwrap_err();
    assert!(
        matches!(failed.error, Error::TooManyEvents { .. }),
        "{:?}",
        failed.error
    );
    assert_eq!(emulator.stats().requests, 1);
}

/// `40403 TOO_MANY_USER_PROFILES` on a profile update (or any "too large" answer to an Identity
/// or Profile call, whose body holds one user) is not retried, and its message does not tell
/// the caller to send fewer events: it said "send at most 100 events per request" to a call
/// that sends no event and cannot be split.
#[tokio::test]
async fn too_many_profiles_names_no_event_limit() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let member = Member {
        df_name: Patch::Set("Kim".to_owned()),
        df_membership: Patch::Keep,
        df_push_ads_optin: Patch::Keep,
        lifetime_points: Patch::Keep,
        avg_basket: Patch::Keep,
    };
    emulator.push_script([
        ScriptedResponse::import(ImportCode::TooManyUserProfiles),
        ScriptedResponse::import(ImportCode::TooManyEvents),
    ]);
    let profile = client
        .update_profile(&user("u"), &member)
        .await
        .unwrap_err();
    let identify = client.identify(&user("u")).await.unwrap_err();
    assert_eq!(emulator.stats().requests, 2, "neither is retried");
    for (error, endpoint) in [
        (profile, Endpoint::UserProfile),
        (identify, Endpoint::Identities),
    ] {
        assert!(matches!(error, Error::TooManyEvents { .. }), "{error:?}");
        assert_eq!(error.endpoint(), Some(endpoint));
        let message = error.to_string();
        assert!(!message.contains("events"), "{message}");
        assert!(
            message.ends_with(
                "; the request holds one user, as DFINERY documents, so it cannot be split: \
                 check `base_url` and report it if it persists"
            ),
            "{message}"
        );
    }
}

#[tokio::test]
async fn server_errors_are_retried_then_returned() {
    let emulator = emulator().await;
    emulator.push_script([ScriptedResponse::ServerError, ScriptedResponse::ServerError]);
    let report = client(&emulator)
        .send_events(&user("u"), [&Login {}])
        .await
        .unwrap();
    assert_eq!(report.requests[0].attempts, 3);
    assert_eq!(report.retries, 2);
    assert_eq!(emulator.events().len(), 1);

    let emulator = emulator_with(|b| {
        b.faults(FaultConfig {
            error_rate: 1.0,
            ..FaultConfig::default()
        })
    })
    .await;
    let client = client_for(&emulator)
        .retry({
            let mut retry = crate::support::fast_retry();
            retry.max_attempts = 3;
            retry
        })
        .build()
        .unwrap();
    let error = client.identify(&user("u")).await.unwrap_err();
    assert!(
        matches!(error, Error::Server { status: 500, .. }),
        "{error:?}"
    );
    assert_eq!(
        import_code(&error),
        Some(ResultCode::Documented(ImportCode::InternalServerError))
    );
    assert_eq!(emulator.stats().requests, 3);
}

#[tokio::test]
async fn a_closed_port_is_a_transport_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = dfinery::Client::builder()
        .service_id("s")
        .import_token("t")
        .base_url(format!("http://127.0.0.1:{port}"))
        .retry(crate::support::no_retry())
        .build()
        .unwrap();
    let error = client.identify(&user("u")).await.unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert!(error.is_retryable());
    assert_eq!(error.endpoint(), Some(Endpoint::Identities));
}

#[tokio::test]
async fn a_slow_answer_is_a_timeout() {
    let emulator = emulator_with(|b| {
        b.faults(FaultConfig {
            latency: Latency::fixed(Duration::from_secs(2)),
            ..FaultConfig::default()
        })
    })
    .await;
    let client = client_for(&emulator)
        .timeout(Duration::from_millis(100))
        .retry(crate::support::no_retry())
        .build()
        .unwrap();
    let error = client.identify(&user("u")).await.unwrap_err();
    assert!(
        matches!(error, Error::Timeout { after, .. } if after == Duration::from_millis(100)),
        "{error:?}"
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_success_status_with_a_foreign_body_is_a_decode_error_keeping_it() {
    let emulator = emulator().await;
    emulator.push_script([ScriptedResponse::Text {
        status: 200,
        body: "<html>maintenance</html>".to_owned(),
    }]);
    let error = client(&emulator).identify(&user("u")).await.unwrap_err();
    let Error::Decode { body, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(&body[..], b"<html>maintenance</html>");
    assert!(!error.is_retryable());
}

/// A maintenance page in place of DFINERY's answer is no refusal: the client logs it as a
/// failed call (`WARN`), not as `call refused` at `DEBUG`, which only a refusal of what was
/// sent (a bad event, a refused token) is.
// One thread, so this thread's capture sees the client's tasks.
#[tokio::test(flavor = "current_thread")]
async fn an_answer_the_client_cannot_read_is_a_warn_not_a_refusal() {
    let capture = crate::capture::this_thread(tracing::Level::DEBUG);
    let emulator = emulator().await;
    emulator.push_script([ScriptedResponse::Text {
        status: 200,
        body: "<html>maintenance</html>".to_owned(),
    }]);
    let error = client(&emulator).identify(&user("u")).await.unwrap_err();
    assert!(matches!(error, Error::Decode { .. }), "{error:?}");
    let logs = capture.text();
    let line = logs
        .lines()
        .find(|l| l.contains("call failed") || l.contains("call refused"))
        .unwrap_or_else(|| panic!("the call's outcome is logged:\n{logs}"));
    assert!(
        line.contains(" WARN ") && line.contains("call failed"),
        "{line}"
    );
}

#[tokio::test]
async fn an_undocumented_answer_is_unexpected() {
    let emulator = emulator().await;
    emulator.push_script([ScriptedResponse::Json {
        status: 404,
        body: json!({"error": "no such route"}),
    }]);
    let error = client(&emulator).identify(&user("u")).await.unwrap_err();
    assert!(
        matches!(error, Error::Unexpected { status: 404, .. }),
        "{error:?}"
    );
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn invalid_events_stop_the_call_before_anything_is_sent() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let good = purchase("ORDER-1", 1, 5000.0);
    let bad = purchase("ORDER-2", 1, f64::NAN);
    let events: [&dyn Event; 4] = [&good, &bad, &Login {}, &bad];
    let failed = client.send_events(&user("u"), events).await.unwrap_err();
    let Error::InvalidEvents { events, .. } = &failed.error else {
        panic!("{:?}", failed.error);
    };
    let indexes: Vec<_> = events.iter().map(|e| e.index).collect();
    assert_eq!(indexes, [1, 3]);
    assert!(failed.to_string().contains("df_price"), "{failed}");
    assert!(failed.delivered.requests.is_empty() && failed.undelivered.is_empty());
    assert_eq!(emulator.stats().requests, 0, "nothing was sent");
}

#[tokio::test]
async fn an_invalid_profile_is_not_sent() {
    let emulator = emulator().await;
    let member = Member {
        df_name: Patch::Keep,
        df_membership: Patch::Keep,
        df_push_ads_optin: Patch::Keep,
        lifetime_points: Patch::Keep,
        avg_basket: Patch::Set(f64::INFINITY),
    };
    let error = client(&emulator)
        .update_profile(&user("u"), &member)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidProfile(_)), "{error:?}");
    assert!(error.to_string().contains("avg_basket"), "{error}");
    assert_eq!(emulator.stats().requests, 0);
}

#[tokio::test]
async fn a_missing_token_is_reported_without_a_request() {
    let emulator = emulator().await;
    let import_only = dfinery::Client::builder()
        .service_id(emulator.service_id())
        .import_token(emulator.import_token())
        .base_url(emulator.base_url())
        .build()
        .unwrap();
    let error = import_only
        .export_events(&crate::support::today())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::MissingToken { .. }), "{error:?}");
    assert!(
        error.to_string().contains("`DFINERY_EXPORT_TOKEN`"),
        "{error}"
    );
    assert_eq!(emulator.stats().requests, 0);
}

#[tokio::test(start_paused = true)]
async fn durations_as_long_as_duration_max_mean_no_limit_instead_of_a_panic() {
    // The attempt's deadline was `now + timeout`: a timeout of `Duration::MAX` panicked on the
    // first send, and a retry policy of `Duration::MAX` in its jitter.
    let emulator = emulator().await;
    emulator.push_script([ScriptedResponse::ServerError]);
    let mut retry = dfinery::RetryPolicy::default();
    retry.max_attempts = 2;
    retry.initial_backoff = Duration::MAX;
    retry.max_backoff = Duration::MAX;
    retry.max_rate_limit_wait = Duration::MAX;
    let client = client_for(&emulator)
        .timeout(Duration::MAX)
        .export_read_timeout(Duration::MAX)
        .retry(retry)
        .build()
        .unwrap();
    // The first attempt fails; the retry waits up to "no limit" (on paused time, until the
    // clock is moved there) and succeeds.
    let outcome = client
        .send_events(&user("u-max"), [&Login {}])
        .await
        .unwrap();
    assert_eq!((outcome.events, outcome.retries), (1, 1), "{outcome:?}");
    assert_eq!(emulator.events().len(), 1);
}
