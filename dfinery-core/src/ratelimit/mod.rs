//! Rate limits (`docs/protocol.md` §7): reading the `x-ratelimit-*` headers of every answer, and
//! pacing calls so that a nearly used-up budget is spread until the reset instead of running into
//! HTTP 429.

mod headers;
mod pacer;

pub use headers::{Api, RateLimitSnapshot, parse_reset, parse_window};
pub use pacer::{Pacing, PacingStats};

pub(crate) use pacer::Pacer;
