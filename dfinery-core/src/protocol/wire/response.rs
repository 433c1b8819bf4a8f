//! The Import API's JSON envelope and the Export API's JSON error body (`docs/protocol.md` §6).

use serde::{Deserialize, Serialize};

use crate::protocol::code::{ExportErrorCode, ResultCode};

/// The JSON envelope every Import API response carries (`docs/protocol.md` §6.1), e.g.
/// `{"status":true,"code":"20000","message":"OK","data":true}`.
///
/// Success is `code == "20000"` (see [`ImportResponse::is_success`]); HTTP 200 alone means
/// nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportResponse {
    /// `true` on success.
    pub status: bool,
    /// The detailed result code, a five-digit string such as `"40001"`.
    pub code: String,
    /// The symbolic message, e.g. `VALIDATION_FAILURE`.
    pub message: String,
    /// `true` on success; `null` or error details on failure (`null` when absent).
    #[serde(default)]
    pub data: serde_json::Value,
}

impl ImportResponse {
    /// The envelope for `code`: `status` from [`ResultCode::is_success`], `message` from
    /// [`ResultCode::symbol`].
    pub fn new(code: &ResultCode, data: serde_json::Value) -> Self {
        ImportResponse {
            status: code.is_success(),
            code: code.as_code().to_owned(),
            message: code.symbol().to_owned(),
            data,
        }
    }

    /// The success envelope, `{"status":true,"code":"20000","message":"OK","data":true}`.
    pub fn success() -> Self {
        ImportResponse::new(&ResultCode::Ok, serde_json::Value::Bool(true))
    }

    /// The result code.
    pub fn result_code(&self) -> ResultCode {
        ResultCode::from_code(&self.code)
    }

    /// Whether the call succeeded: `code` is `20000`.
    pub fn is_success(&self) -> bool {
        self.result_code().is_success()
    }
}

/// The JSON body of a failed Export API call (`docs/protocol.md` §6.2), e.g.
/// `{"result":"fail","message":"exceed_date_range_limit"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportErrorBody {
    /// Always `fail`.
    pub result: String,
    /// The error code, e.g. `unauthorized_token`.
    pub message: String,
}

impl ExportErrorBody {
    /// The body for `code`.
    pub fn new(code: &ExportErrorCode) -> Self {
        ExportErrorBody {
            result: "fail".to_owned(),
            message: code.as_str().to_owned(),
        }
    }

    /// The error code.
    pub fn error_code(&self) -> ExportErrorCode {
        ExportErrorCode::from_message(&self.message)
    }
}
