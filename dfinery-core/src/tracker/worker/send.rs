//! Sending one batch through the [`Client`]: events in `POST /api/v1/events` (the client
//! checks nothing again and keeps each `event_log_id`), an identity or profile update in its
//! own call; and what came of it.

use crate::client::{Client, Error, SendReport};
use crate::encode::identity::Identity;
use crate::tracker::message::Message;

/// What one send did.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// The first `delivered` messages of the batch were confirmed.
    pub(crate) delivered: usize,
    /// Messages the client sent again within requests that then succeeded.
    pub(crate) resent: u64,
    /// Why the rest was not delivered.
    pub(crate) error: Option<Error>,
}

/// Sends `messages` (one update, or events) for `identity`.
pub(crate) async fn send(client: Client, identity: Identity, messages: Vec<Message>) -> Outcome {
    let mut events = Vec::with_capacity(messages.len());
    let mut update = None;
    for message in messages {
        match message {
            Message::Event(record) => events.push(record),
            other => update = Some(other),
        }
    }
    let (result, attempts) = match update {
        Some(Message::Identify { request_datetime }) => {
            client.identify_attempts(&identity, request_datetime).await
        }
        Some(Message::Profile {
            user_properties,
            request_datetime,
        }) => {
            client
                .update_profile_attempts(&identity, user_properties, request_datetime)
                .await
        }
        Some(Message::Event(_)) | None => {
            return match client.send_records(&identity, events).await {
                Ok(report) => Outcome {
                    delivered: report.events,
                    resent: resent(&report),
                    error: None,
                },
                Err(failure) => Outcome {
                    delivered: failure.delivered.events,
                    resent: resent(&failure.delivered),
                    error: Some(failure.error),
                },
            };
        }
    };
    match result {
        // The client's retries of the update count as the retries of an event do.
        Ok(()) => Outcome {
            delivered: 1,
            resent: u64::from(attempts.saturating_sub(1)),
            error: None,
        },
        Err(error) => Outcome {
            delivered: 0,
            resent: 0,
            error: Some(error),
        },
    }
}

/// Events the client sent more than once in the requests that succeeded.
fn resent(report: &SendReport) -> u64 {
    report
        .requests
        .iter()
        .map(|r| u64::from(r.attempts.saturating_sub(1)) * r.events as u64)
        .sum()
}
