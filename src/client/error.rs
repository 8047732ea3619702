//! Error types of the HTTP client ([`ApiError`]) and lenient parsing of Genesys error bodies.
//!
//! Owns: the error vocabulary and how each error renders as one line. Must not touch:
//! retry decisions (`retry.rs`) or any I/O. Nothing here may ever hold a token, a secret
//! or an `Authorization` header.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

/// A non-success HTTP answer: `POST /api/v2/users: 409 general.conflict: <message>
/// (correlation id …)`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{method} {path}: {status}{} {message}{}", code_part(.code), corr_part(.correlation_id))]
pub struct HttpError {
    /// The HTTP method.
    pub method: String,
    /// Path without the query string.
    pub path: String,
    /// The HTTP status.
    pub status: u16,
    /// Genesys error `code` (e.g. `general.conflict`), or the OAuth `error`.
    pub code: Option<String>,
    /// The error message the API gave (or a reason phrase).
    pub message: String,
    /// The `ININ-Correlation-Id` of the answer, for support cases.
    pub correlation_id: Option<String>,
    /// The parsed error body (`Value::Null` when empty or not JSON).
    pub body: Value,
}

/// Everything the client can fail with. `Display` is one line naming method and path.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The server answered with a non-success status (after any retries).
    #[error(transparent)]
    Http(Box<HttpError>),
    /// A create may or may not have been committed (5xx, timeout or broken connection after
    /// the request was sent). Look the object up by its natural key before trying again.
    #[error("{method} {path}: outcome unknown, the server may have committed it: {cause}")]
    Ambiguous {
        /// The HTTP method.
        method: String,
        /// The path, without the query string.
        path: String,
        /// What was seen instead of an answer.
        cause: String,
    },
    /// No HTTP answer (connect, TLS, reset, timeout) and retries were not possible.
    #[error("{method} {path}: transport error: {message}")]
    Transport {
        /// The HTTP method.
        method: String,
        /// The path, without the query string.
        path: String,
        /// What failed.
        message: String,
    },
    /// A host that never answered refuses connections or does not resolve: most likely
    /// a wrong URL, so this is not retried until the deadline.
    #[error(
        "cannot reach {url}: {message}\nhint: nothing has answered there yet; check the environment's region (or apiUrl/loginUrl: host and port) and the network"
    )]
    Unreachable {
        /// The API's base URL.
        url: String,
        /// The connection error.
        message: String,
    },
    /// The request deadline ran out across retries and waits.
    #[error("{method} {path}: gave up after {:.1} s (request deadline {} s); last: {last}", .elapsed.as_secs_f64(), .deadline.as_secs())]
    Deadline {
        /// The HTTP method.
        method: String,
        /// The path, without the query string.
        path: String,
        /// Time spent on the request, retries included.
        elapsed: Duration,
        /// The request deadline.
        deadline: Duration,
        /// The last answer or error seen.
        last: String,
    },
    /// The token endpoint refused the client credentials (or answered unusably).
    #[error("authentication failed for client id {client_id:?}: {message}")]
    Auth {
        /// The client id that was refused.
        client_id: String,
        /// What the token endpoint said.
        message: String,
    },
    /// A success response whose body is not what was expected.
    #[error("{method} {path}: cannot decode response: {message}")]
    Decode {
        /// The HTTP method.
        method: String,
        /// The path, without the query string.
        path: String,
        /// What did not decode.
        message: String,
    },
    /// The client itself is misconfigured (bad base URL, zero concurrency, ...).
    #[error("invalid client configuration: {0}")]
    Config(String),
}

fn code_part(code: &Option<String>) -> String {
    match code {
        Some(c) if !c.is_empty() => format!(" {c}:"),
        _ => ":".to_owned(),
    }
}

fn corr_part(corr: &Option<String>) -> String {
    match corr {
        Some(c) if !c.is_empty() => format!(" (correlation id {c})"),
        _ => String::new(),
    }
}

impl ApiError {
    /// HTTP status for [`ApiError::Http`].
    pub fn status(&self) -> Option<u16> {
        self.http().map(|h| h.status)
    }

    /// The details of an [`ApiError::Http`].
    pub fn http(&self) -> Option<&HttpError> {
        match self {
            ApiError::Http(h) => Some(h),
            _ => None,
        }
    }

    /// Genesys error code for [`ApiError::Http`].
    pub fn code(&self) -> Option<&str> {
        self.http().and_then(|h| h.code.as_deref())
    }

    /// Whether the server answered 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Whether the server answered 409.
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(409)
    }

    /// Whether a create may or may not have been committed.
    pub fn is_ambiguous(&self) -> bool {
        matches!(self, ApiError::Ambiguous { .. })
    }

    /// The Terraform provider's "version mismatch, re-GET and retry" test: 409, 408, or a
    /// 400 whose message says the version does not match.
    pub fn is_version_mismatch(&self) -> bool {
        self.http().is_some_and(|h| {
            h.status == 409
                || h.status == 408
                || (h.status == 400 && h.message.contains("does not match the current version"))
        })
    }
}

/// The parts of an error body we use, whatever its shape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ErrorInfo {
    /// The Genesys error `code` (e.g. `general.conflict`).
    pub code: Option<String>,
    /// The error message.
    pub message: String,
    /// The `contextId` (equal to the correlation id).
    pub context_id: Option<String>,
    /// The whole error body.
    pub body: Value,
}

/// Parse a Genesys (`{message, code, status, contextId}`) or OAuth
/// (`{error, description | error_description}`) error body; anything else becomes a short
/// text message. Never fails.
pub fn parse_error_body(bytes: &[u8]) -> ErrorInfo {
    let body: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
    let text = |key: &str| {
        body.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let code = text("code").or_else(|| text("error"));
    let message = text("message")
        .or_else(|| text("error_description"))
        .or_else(|| text("description"))
        .or_else(|| text("messageWithParams"))
        .unwrap_or_else(|| {
            if body.is_null() {
                let raw = String::from_utf8_lossy(bytes);
                let raw = raw.trim();
                if raw.is_empty() {
                    "(empty body)".to_owned()
                } else {
                    truncate(raw, 300)
                }
            } else {
                "(no message)".to_owned()
            }
        });
    ErrorInfo {
        code,
        message,
        context_id: text("contextId"),
        body,
    }
}

/// Seconds in square brackets in a normalized 429 message, e.g. `... [42]`.
pub(super) fn bracketed_seconds(message: &str) -> Option<Duration> {
    let start = message.rfind('[')?;
    let end = start + message[start..].find(']')?;
    let secs: u64 = message[start + 1..end].trim().parse().ok()?;
    Some(Duration::from_secs(secs))
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// An error and its sources on one line (`a: b: c`), for transport errors.
pub(crate) fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// The innermost cause of `err` alone (`tcp connect error: Connection refused (os error
/// 111)`), for messages that name the URL themselves.
pub(crate) fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut last: &dyn std::error::Error = err;
    while let Some(s) = last.source() {
        last = s;
    }
    last.to_string()
}

/// Renders `status code: message` for use inside other errors (`last:`/`cause:`).
pub(crate) struct StatusLine<'a>(pub u16, pub &'a ErrorInfo);

impl fmt::Display for StatusLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{} {}",
            self.0,
            code_part(&self.1.code),
            self.1.message
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_genesys_body() {
        let info = parse_error_body(
            br#"{"message":"User already exists","code":"general.conflict","status":409,"contextId":"c-1","details":[],"errors":[]}"#,
        );
        assert_eq!(info.code.as_deref(), Some("general.conflict"));
        assert_eq!(info.message, "User already exists");
        assert_eq!(info.context_id.as_deref(), Some("c-1"));
    }

    #[test]
    fn parses_oauth_bodies_and_junk() {
        let a = parse_error_body(
            br#"{"error":"invalid_request","description":"rate limit exceeded; retry"}"#,
        );
        assert_eq!(a.code.as_deref(), Some("invalid_request"));
        assert_eq!(a.message, "rate limit exceeded; retry");
        let b = parse_error_body(br#"{"error":"invalid_client","error_description":"bad creds"}"#);
        assert_eq!(b.message, "bad creds");
        let c = parse_error_body(b"<html>Bad Gateway</html>");
        assert_eq!(c.code, None);
        assert_eq!(c.message, "<html>Bad Gateway</html>");
        assert_eq!(parse_error_body(b"").message, "(empty body)");
    }

    #[test]
    fn display_is_one_clear_line() {
        let info = parse_error_body(
            br#"{"message":"dup","code":"general.conflict","status":409,"contextId":"ctx"}"#,
        );
        let e = ApiError::Http(Box::new(HttpError {
            method: "POST".into(),
            path: "/api/v2/users".into(),
            status: 409,
            code: info.code,
            message: info.message,
            correlation_id: Some("abc-123".into()),
            body: info.body,
        }));
        assert_eq!(
            e.to_string(),
            "POST /api/v2/users: 409 general.conflict: dup (correlation id abc-123)"
        );
        assert!(e.is_conflict() && e.is_version_mismatch() && !e.is_not_found());
    }

    #[test]
    fn finds_bracketed_seconds() {
        assert_eq!(
            bracketed_seconds("Rate limit exceeded the maximum. Retry the request in [42] seconds"),
            Some(Duration::from_secs(42))
        );
        assert_eq!(bracketed_seconds("no number"), None);
    }
}
