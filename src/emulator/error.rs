//! Errors: [`ApiError`] (an HTTP error answered with the Genesys `ErrorBody`, §2.3) and
//! [`EmulatorError`] (start-up failures of the emulator itself).

use serde_json::{Value, json};

/// Start-up / lifecycle failures of the emulator.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("cannot bind {addr}: {source}")]
    /// The listen address is taken or not allowed.
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The data file cannot be read or written.
    #[error("cannot read data file {path}: {message}")]
    DataFile {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    #[error("cannot start emulator runtime: {0}")]
    /// The async runtime could not start.
    Runtime(std::io::Error),
    #[error("emulator server failed: {0}")]
    /// The server stopped with an error.
    Serve(String),
}

/// Return an [`ApiError`] from a route: `fail!(bad_request, "Queue [{id}] not found")` is
/// `return Err(ApiError::bad_request(format!("Queue [{id}] not found")))`.
macro_rules! fail {
    ($kind:ident, $($message:tt)+) => {
        return Err($crate::emulator::error::ApiError::$kind(std::fmt::format(format_args!(
            $($message)+
        ))))
    };
}
pub(super) use fail;

/// An API error: status, Genesys error `code` and human message.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// Seconds for the `Retry-After` header (429 only).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            retry_after: None,
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "bad.request", message)
    }
    pub fn invalid_value(message: impl Into<String>) -> Self {
        Self::new(400, "invalid.value", message)
    }
    pub fn invalid_property(message: impl Into<String>) -> Self {
        Self::new(400, "invalid.property", message)
    }
    pub fn invalid_query(message: impl Into<String>) -> Self {
        Self::new(400, "invalid.query.param.value", message)
    }
    /// [`ApiError::invalid_query`] for value `v` of query parameter `key`.
    pub fn bad_param(key: &str, v: &str) -> Self {
        Self::invalid_query(format!(
            "Value [{v}] is not valid for query parameter [{key}]"
        ))
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "not.found", message)
    }
    /// 409 `general.conflict` (the code for duplicates other than user e-mail is unconfirmed).
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(409, "general.conflict", message)
    }
    /// The normalized 429 (§3.1).
    pub fn too_many(retry_after: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after),
            ..Self::new(
                429,
                "too.many.requests.retry.after",
                format!(
                    "Rate limit exceeded the maximum. Retry the request in [{retry_after}] seconds"
                ),
            )
        }
    }
    /// The error an injected fault answers for `status`.
    pub fn for_status(status: u16) -> Self {
        let (code, msg) = match status {
            400 => (
                "bad.request",
                "The request could not be understood by the server due to malformed syntax.",
            ),
            401 => (
                "authentication.required",
                "No authentication bearer token specified in authorization header.",
            ),
            403 => (
                "missing.permissions",
                "Unable to perform the requested action. You are missing the following permission(s).",
            ),
            404 => ("not.found", "The requested resource was not found."),
            408 => ("request.timeout", "The request timed out."),
            409 => (
                "general.conflict",
                "The request could not be completed due to a conflict.",
            ),
            429 => return Self::too_many(1),
            500 => (
                "internal.server.error",
                "The server encountered an unexpected condition which prevented it from fulfilling the request.",
            ),
            502 => ("bad.gateway", "Bad gateway."),
            503 => ("service.unavailable", "Service is currently unavailable."),
            504 => ("request.timeout", "The request timed out."),
            _ => ("error", "Injected fault."),
        };
        Self::new(status, code, msg)
    }

    /// The §2.3 body.
    pub fn body(&self, context_id: &str) -> Value {
        json!({
            "message": self.message,
            "code": self.code,
            "status": self.status,
            "contextId": context_id,
            "details": [],
            "errors": [],
        })
    }
}
