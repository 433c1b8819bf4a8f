//! [`ItemLimit`]: how the emulator counts the 100 items DFINERY takes.

use std::fmt;
use std::str::FromStr;

/// How the emulator counts the 100-item limit of `POST /api/v1/events`.
///
/// DFINERY's Open API guide says "up to 100 event items in one request"; its SDK guides say
/// 100 items per event. The emulator follows the API guide by default
/// ([`PerRequest`](ItemLimit::PerRequest)), the stricter reading: a client that passes it
/// passes both. Either way a request over the limit is refused with `40001`, and its
/// violation's rule says which limit (`items_per_request` or `items_per_event`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ItemLimit {
    /// At most 100 items in one request, all events together (the default).
    #[default]
    PerRequest,
    /// At most 100 items in each event, any number in the request.
    PerEvent,
}

impl ItemLimit {
    /// The name used by `--item-limit`: `per-request` or `per-event`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ItemLimit::PerRequest => "per-request",
            ItemLimit::PerEvent => "per-event",
        }
    }
}

impl fmt::Display for ItemLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An `--item-limit` value that is neither `per-request` nor `per-event`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown item limit `{0}`; expected `per-request` or `per-event`")]
pub struct UnknownItemLimit(pub String);

impl FromStr for ItemLimit {
    type Err = UnknownItemLimit;

    fn from_str(s: &str) -> Result<ItemLimit, UnknownItemLimit> {
        match s {
            "per-request" => Ok(ItemLimit::PerRequest),
            "per-event" => Ok(ItemLimit::PerEvent),
            other => Err(UnknownItemLimit(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_mistakes_are_named() {
        for limit in [ItemLimit::PerRequest, ItemLimit::PerEvent] {
            assert_eq!(limit.as_str().parse::<ItemLimit>(), Ok(limit));
        }
        assert_eq!(ItemLimit::default(), ItemLimit::PerRequest);
        assert_eq!(
            "per_event".parse::<ItemLimit>().unwrap_err().to_string(),
            "unknown item limit `per_event`; expected `per-request` or `per-event`"
        );
    }
}
