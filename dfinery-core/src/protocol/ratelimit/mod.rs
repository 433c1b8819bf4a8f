//! Rate limits (`docs/protocol.md` §7): reading the `x-ratelimit-*` headers of every answer, and
//! pacing calls so that a nearly used-up budget is spread until the reset instead of running into
//! HTTP 429.
//!
//! A [`RateBudget`] consulted before every call can share the budget beyond one process:
//! `RedisBudget` (feature `redis`) lets every instance of a service draw from one budget kept in
//! Redis (see `docs/fleet.md`).

mod budget;
mod headers;
mod pacer;
#[cfg(feature = "redis")]
mod redis;

#[cfg(feature = "redis")]
pub(crate) use budget::LocalGcra;
pub use budget::{BudgetFuture, Feedback, RateBudget, SlotGuard};
pub use dfinery_schema::protocol::Api;
pub use headers::RateLimitSnapshot;
pub(crate) use headers::retry_after;
pub use pacer::{Pacing, PacingStats};
#[cfg(feature = "redis")]
pub use redis::{BudgetStats, RedisBudget, RedisBudgetBuilder, RedisBudgetError};

#[cfg(feature = "tracker")]
pub(crate) use pacer::Gate;
pub(crate) use pacer::Pacer;
