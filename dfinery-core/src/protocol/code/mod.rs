//! Result codes as received: [`ResultCode`] for the Import API's detailed codes
//! (`docs/protocol.md` §6.1) and [`ExportErrorCode`] for the Export API's error messages (§6.2).
//! Both read DFINERY's tables in `dfinery_schema::protocol` ([`ImportCode`], [`ExportFailure`])
//! and add only the case of a code the documentation does not list.

mod export_error_code;
mod result_code;

pub use dfinery_schema::protocol::{ExportFailure, ImportCode};
pub use export_error_code::ExportErrorCode;
pub use result_code::ResultCode;

/// Writes a code the documentation does not list as messages show it: as received when it is
/// short printable text (`41800`), else escaped and cut to 40 characters with its length, so
/// a server's answer cannot make a log line of a mebibyte or write fake lines into a log.
fn write_unknown(code: &str, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    const SHOWN: usize = 40;
    let plain = code.chars().all(|c| !c.is_control());
    match code.char_indices().nth(SHOWN) {
        None if plain => f.write_str(code),
        None => write!(f, "{}", code.escape_debug()),
        Some((at, _)) => write!(f, "{}… ({} bytes)", code[..at].escape_debug(), code.len()),
    }
}

// The foundation tests of the codes (moved from `tests/foundation`: they reach the codes' digits,
// symbols and statuses, which only the client reads).
#[cfg(test)]
mod foundation;

#[cfg(test)]
mod tests {
    use super::*;

    /// An unknown code is shown bounded and escaped: a mebibyte of code, or one with line ends
    /// and terminal escapes, makes neither a huge nor a forged log line.
    #[test]
    fn an_unknown_code_is_shown_short_and_escaped() {
        assert_eq!(ResultCode::Unknown("41800".into()).to_string(), "41800");
        let forged = ResultCode::Unknown("1\nERROR fake line\u{1b}[2J".into());
        assert_eq!(forged.to_string(), "1\\nERROR fake line\\u{1b}[2J");
        let huge = ResultCode::Unknown("9".repeat(1 << 20)).to_string();
        assert_eq!(huge, format!("{}… (1048576 bytes)", "9".repeat(40)));
        let export = ExportErrorCode::Unknown("x".repeat(100)).to_string();
        assert_eq!(export, format!("{}… (100 bytes)", "x".repeat(40)));
    }

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
