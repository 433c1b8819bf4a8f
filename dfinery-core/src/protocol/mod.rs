//! DFINERY's contract as the runtime speaks it: result codes ([`code`]), request and response
//! bodies ([`wire`]), limits ([`limits`]), rate limits and pacing (`ratelimit`, feature
//! `client`) and the clock that reads the server's `Date` ([`clock`]). The tables themselves
//! live once in `dfinery_schema::protocol`; `wire`, `limits`, `ratelimit` and `clock` are public
//! at the crate root, `code`'s types are re-exported there.

pub mod clock;
pub(crate) mod code;
pub mod limits;
#[cfg(feature = "client")]
pub mod ratelimit;
pub mod wire;
