//! [`Message`]: one thing the tracker delivers for a user (an event, an identity update or a
//! profile update), and [`Envelope`], a message with its user as the spool stores it.

use serde::{Deserialize, Serialize};

use crate::encode::identity::Identity;
use crate::encode::record::{EventRecord, UserProperties};
use crate::encode::value::Datetime;
use crate::ratelimit::Api;

/// One thing the tracker delivers for a user: the call it becomes is given in each variant.
///
/// It serialises as `{"event": {…}}`, `{"identify": {"request_datetime": …}}` or
/// `{"profile": {"user_properties": {…}, "request_datetime": …}}`, which is how the spool keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Message {
    /// An event, sent with other events of the same user in `POST /api/v1/events`; its
    /// `event_log_id` is kept on every attempt, so DFINERY can drop a duplicate.
    Event(EventRecord),
    /// An identity update, `POST /api/v1/identities`, stamped when it was queued.
    Identify {
        /// When the change happened.
        request_datetime: Datetime,
    },
    /// A user-property update, `POST /api/v1/user-profile`, stamped when it was queued.
    Profile {
        /// The properties to set.
        user_properties: UserProperties,
        /// When the change happened (the later change wins).
        request_datetime: Datetime,
    },
}

/// Bytes of a message's envelope besides its identity and its body, roughly: the JSON keys.
const OVERHEAD: usize = 64;

impl Message {
    /// The event, for [`Message::Event`].
    pub(crate) fn as_event(&self) -> Option<&EventRecord> {
        match self {
            Message::Event(record) => Some(record),
            _ => None,
        }
    }

    /// The message with an event's wire object in an allocation of its own (see
    /// [`EventRecord::detached`]), for a message kept after the tracker is done with it.
    pub(crate) fn detached(&self) -> Message {
        match self {
            Message::Event(record) => Message::Event(record.detached()),
            other => other.clone(),
        }
    }

    /// The API whose rate limit the message's call counts against.
    pub(crate) fn api(&self) -> Api {
        match self {
            Message::Event(_) => Api::Event,
            Message::Identify { .. } => Api::Identity,
            Message::Profile { .. } => Api::Profile,
        }
    }

    /// The items of an event (0 for an update), counted against the 100 items one request
    /// may carry.
    pub(crate) fn item_count(&self) -> usize {
        self.as_event().map_or(0, crate::client::split::item_count)
    }

    /// The size the message is counted at against the queue's byte cap: its JSON body plus a
    /// fixed overhead.
    pub(crate) fn weight(&self) -> usize {
        OVERHEAD
            + match self {
                Message::Event(record) => record.encoded_len(),
                Message::Identify { .. } => 0,
                Message::Profile {
                    user_properties, ..
                } => user_properties.get().len(),
            }
    }
}

/// A message with its user, as one spool entry holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Envelope {
    /// The user the message is about.
    #[serde(deserialize_with = "crate::encode::identity::deserialize_stored")]
    pub(crate) identity: Identity,
    /// The message.
    pub(crate) message: Message,
}

/// An [`Envelope`] by reference, to spool without cloning; it writes the same JSON.
#[derive(Debug, Serialize)]
pub(crate) struct EnvelopeRef<'a> {
    pub(crate) identity: &'a Identity,
    pub(crate) message: &'a Message,
}

/// The size an identity is counted at: its identifiers and their keys.
pub(crate) fn identity_weight(identity: &Identity) -> usize {
    identity.present().map(|id| id.len() + 20).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Identifier;
    use crate::tracker::dead_letter::DeadLetter;

    #[test]
    fn a_phone_no_spooled_by_an_earlier_version_still_reads_back() {
        // Spooled before a phone_no starting with 0 was refused (e83a4e6): after the upgrade it
        // failed to decode, so the message was set aside undelivered, and a dead letter with
        // one made every `Spool::dead_letters` call fail.
        let identity = Identity::new(Identifier::ExternalId, "u-1").unwrap();
        let at = Datetime::from_unix_millis(1_719_208_908_501).unwrap();
        let envelope = Envelope {
            identity,
            message: Message::Identify {
                request_datetime: at,
            },
        };
        let json = serde_json::to_string(&envelope).unwrap();
        for (identity, phone_alone) in [
            (r#"{"external_id":"u-1","phone_no":"01012345678"}"#, false),
            (r#"{"phone_no":"01012345678"}"#, true),
        ] {
            let old = json.replace(r#"{"external_id":"u-1"}"#, identity);
            assert_ne!(old, json);
            let back: Envelope = serde_json::from_str(&old).unwrap();
            assert_eq!(back.identity.get(Identifier::PhoneNo), Some("01012345678"));
            assert_eq!(
                back.identity.get(Identifier::ExternalId).is_none(),
                phone_alone
            );
            assert_eq!(serde_json::to_string(&back).unwrap(), old);
            let letter = DeadLetter {
                seq: 7,
                identity: back.identity,
                message: back.message,
                reason: "r".into(),
                kind: "validation".into(),
                attempts: 1,
                at,
            };
            let stored = serde_json::to_string(&letter).unwrap();
            let letter_back: DeadLetter = serde_json::from_str(&stored).unwrap();
            assert_eq!(letter_back, letter);
        }
        // Only for what the spool holds: an identity given to the client is checked in full.
        assert!(serde_json::from_str::<Identity>(r#"{"phone_no":"01012345678"}"#).is_err());
        let other = json.replace(r#"{"external_id":"u-1"}"#, r#"{"phone_no":"+8210"}"#);
        assert!(serde_json::from_str::<Envelope>(&other).is_err());
        let blank = json.replace(r#""u-1""#, r#"" ""#);
        assert!(serde_json::from_str::<Envelope>(&blank).is_err());
    }

    #[test]
    fn a_spooled_envelope_reads_back_as_written() {
        let identity = Identity::new(Identifier::ExternalId, "u-1").unwrap();
        let record = EventRecord::builder("df_login").build().unwrap();
        let profile = UserProperties::builder()
            .property("df_gender", "Female")
            .build()
            .unwrap();
        let at = Datetime::from_unix_millis(1_719_208_908_501).unwrap();
        for message in [
            Message::Event(record),
            Message::Identify {
                request_datetime: at,
            },
            Message::Profile {
                user_properties: profile,
                request_datetime: at,
            },
        ] {
            let envelope = Envelope {
                identity: identity.clone(),
                message,
            };
            let bytes = serde_json::to_vec(&envelope).unwrap();
            let back: Envelope = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(back, envelope);
        }
        let json = serde_json::to_string(&Message::Identify {
            request_datetime: at,
        })
        .unwrap();
        assert_eq!(
            json,
            r#"{"identify":{"request_datetime":"2024-06-24T06:01:48.501Z"}}"#
        );
    }

    #[test]
    fn weight_grows_with_the_body() {
        let small = EventRecord::builder("df_login").build().unwrap();
        let big = EventRecord::builder("df_login")
            .property("df_keyword", "x".repeat(1000))
            .build()
            .unwrap();
        let (small, big) = (Message::Event(small), Message::Event(big));
        assert!(big.weight() >= small.weight() + 1000);
        assert!(matches!(small, Message::Event(_)));
        let user = Identity::new(Identifier::ExternalId, "abc").unwrap();
        assert_eq!(identity_weight(&user), 23);
    }
}
