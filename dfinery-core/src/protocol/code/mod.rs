//! Result codes as received: [`ResultCode`] for the Import API's detailed codes
//! (`docs/protocol.md` §6.1) and [`ExportErrorCode`] for the Export API's error messages (§6.2).
//! Both read DFINERY's tables in `dfinery_schema::protocol` ([`ImportCode`], [`ExportFailure`])
//! and add only the case of a code the documentation does not list.

mod export_error_code;
mod result_code;

pub use dfinery_schema::protocol::{ExportFailure, ImportCode};
pub use export_error_code::ExportErrorCode;
pub use result_code::ResultCode;

// The foundation tests of the codes (moved from `tests/foundation`: they reach the codes' digits,
// symbols and statuses, which only the client reads).
#[cfg(test)]
mod foundation;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_import_code_reads_the_protocol_table() {
        for (code, documented) in ImportCode::ALL
            .map(ResultCode::Documented)
            .iter()
            .zip(ImportCode::ALL)
        {
            assert_eq!(*code, ResultCode::from(documented));
            assert_eq!(code.as_code(), documented.code());
            assert_eq!(code.symbol(), documented.message());
            assert_eq!(code.meaning(), documented.meaning());
            assert_eq!(ResultCode::from_code(documented.code()), *code);
        }
        assert_eq!(ResultCode::from_code("40404").symbol(), "UNKNOWN");
    }

    #[test]
    fn every_documented_export_error_reads_the_protocol_table() {
        for (code, documented) in ExportFailure::ALL
            .map(ExportErrorCode::Documented)
            .iter()
            .zip(ExportFailure::ALL)
        {
            assert_eq!(*code, ExportErrorCode::from(documented));
            assert_eq!(code.as_str(), documented.message());
            assert_eq!(code.http_status(), Some(documented.status()));
            assert_eq!(ExportErrorCode::from_message(documented.message()), *code);
        }
        assert_eq!(ExportErrorCode::from_message("nope").http_status(), None);
    }
}
