//! DFINERY's wire facts, written once (`docs/protocol.md`): the endpoints, their paths and
//! tokens, the five identifiers of an `identity` object, the rate-limited APIs with their
//! default limits and headers, the Import API's result codes, the Export API's failure
//! messages, the shape of a listed violation, and the Datetime and Date wire formats. The
//! runtime, the emulator, the CLI and the derives read them here; each decides its own
//! behaviour.

mod api;
mod codes;
mod datetime;
mod export;
mod identity;
mod ratelimit;
mod violation;

pub use api::{Api, Endpoint, MAX_CONCURRENT_EXPORTS, TokenKind};
pub use codes::ImportCode;
pub use datetime::{WireDate, WireDatetime, is_wire_date, is_wire_datetime};
pub use export::ExportFailure;
pub use identity::Identifier;
pub use ratelimit::{RateLimitHeader, WindowUnit, parse_count, parse_reset, parse_window};
pub use violation::ServerViolation;
