//! The Import API's JSON envelope and the Export API's JSON error body (`docs/protocol.md` §6).

use serde::{Deserialize, Serialize};

use crate::protocol::code::ExportErrorCode;
#[cfg(test)]
use crate::protocol::code::{ImportCode, ResultCode};

/// The JSON envelope every Import API response carries (`docs/protocol.md` §6.1), e.g.
/// `{"status":true,"code":"20000","message":"OK","data":true}`.
///
/// Success is `code == "20000"` (see [`ImportResponse::is_success`]); HTTP 200 alone means
/// nothing.
// The client reads the envelope's `code` itself (`client::classify`); this serde model of the
// whole envelope is what the golden tests check the documented examples against.
#[cfg(test)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ImportResponse {
    /// `true` on success.
    pub(crate) status: bool,
    /// The detailed result code, a five-digit string such as `"40001"`.
    pub(crate) code: String,
    /// The symbolic message, e.g. `VALIDATION_FAILURE`.
    pub(crate) message: String,
    /// `true` on success; `null` or error details on failure (`null` when absent).
    #[serde(default)]
    pub(crate) data: serde_json::Value,
}

#[cfg(test)]
impl ImportResponse {
    /// The envelope for `code`: `status` from [`ResultCode::is_success`], `message` from
    /// [`ResultCode::symbol`].
    pub(crate) fn new(code: &ResultCode, data: serde_json::Value) -> Self {
        ImportResponse {
            status: code.is_success(),
            code: code.as_code().to_owned(),
            message: code.symbol().to_owned(),
            data,
        }
    }

    /// The success envelope, `{"status":true,"code":"20000","message":"OK","data":true}`.
    pub(crate) fn success() -> Self {
        ImportResponse::new(
            &ResultCode::Documented(ImportCode::Ok),
            serde_json::Value::Bool(true),
        )
    }

    /// The result code.
    pub(crate) fn result_code(&self) -> ResultCode {
        ResultCode::from_code(&self.code)
    }

    /// Whether the call succeeded: `code` is `20000`.
    pub(crate) fn is_success(&self) -> bool {
        self.result_code().is_success()
    }
}

/// The JSON body of a failed Export API call (`docs/protocol.md` §6.2), e.g.
/// `{"result":"fail","message":"exceed_date_range_limit"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ExportErrorBody {
    /// Always `fail`.
    pub(crate) result: String,
    /// The error code, e.g. `unauthorized_token`.
    pub(crate) message: String,
}

impl ExportErrorBody {
    /// The body for `code` (the golden tests build the documented bodies with it).
    #[cfg(test)]
    pub(crate) fn new(code: &ExportErrorCode) -> Self {
        ExportErrorBody {
            result: "fail".to_owned(),
            message: code.as_str().to_owned(),
        }
    }

    /// The error code.
    pub(crate) fn error_code(&self) -> ExportErrorCode {
        ExportErrorCode::from_message(&self.message)
    }
}
