//! Result codes: [`ResultCode`] for the Import API's detailed codes (`docs/protocol.md` §6.1) and
//! [`ExportErrorCode`] for the Export API's error messages (§6.2).

mod export_error_code;
mod result_code;

pub use export_error_code::ExportErrorCode;
pub use result_code::ResultCode;
