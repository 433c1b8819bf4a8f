//! DFINERY's wire facts, written once (`docs/protocol.md`): the Import API's result codes, the
//! Export API's failure messages, and the Datetime and Date wire formats. The runtime, the
//! emulator, the CLI and the derives read them here; each decides its own behaviour.

mod codes;
mod datetime;
mod export;

pub use codes::ImportCode;
pub use datetime::{WireDate, WireDatetime, is_wire_date, is_wire_datetime};
pub use export::ExportFailure;
