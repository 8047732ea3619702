//! Async HTTP client for the Genesys Cloud Platform API v2.
//!
//! Owns everything between "call this endpoint" and the wire: client-credentials tokens
//! (`auth.rs`, `pool.rs`), the retry policy (`retry.rs`), client-side rate limiting
//! (`limiter.rs`), the attempt loop (`request.rs`), listings (`paging.rs`), polling of
//! asynchronous work (`poll.rs`), errors (`error.rs`) and counters (`stats.rs`).
//! Must not touch: manifests, plans, kinds or state. It knows HTTP, not what the
//! resources mean.
//!
//! Notes for callers:
//! * Mark a POST that creates with [`Idempotency::Create`]. It is never repeated after a
//!   5xx, a timeout or a broken connection; you get [`ApiError::Ambiguous`] and should look
//!   the object up by its natural key before creating again. 429s and connect failures
//!   (nothing was sent) are retried for creates too.
//! * Non-2xx answers are [`ApiError::Http`]; use `status()`, `code()`, `is_not_found()`,
//!   `is_conflict()`, `is_version_mismatch()` rather than matching strings.
//! * A 202 with `Location` can be turned into the final entity with
//!   [`ApiClient::follow_accepted`]; anything else passes through unchanged.
//! * Every logical request is bounded by `request_deadline`, including limiter waits and
//!   server `Retry-After` waits.
//!
//! ```no_run
//! # async fn demo() -> Result<(), genseed::client::ApiError> {
//! use genseed::client::{ApiClient, ClientConfig, Idempotency, Method};
//! let api = ApiClient::new(ClientConfig::new(
//!     "https://api.usw2.pure.cloud",
//!     "https://login.usw2.pure.cloud",
//!     "client-id",
//!     "client-secret",
//! ))?;
//! let queues = api.list_pages("/api/v2/routing/queues", &[], 100).await?;
//! let created = api
//!     .send(Method::POST, "/api/v2/routing/skills", &[], Some(&serde_json::json!({"name": "x"})), Idempotency::Create)
//!     .await?;
//! # let _ = (queues, created); Ok(()) }
//! ```

mod auth;
mod config;
mod contact;
mod error;
mod limiter;
mod paging;
mod poll;
mod pool;
mod request;
mod retry;
mod stats;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::Semaphore;

pub use config::{ClientConfig, RateLimit, RateLimitParseError, Secret};
pub use error::{ApiError, ErrorInfo, HttpError, parse_error_body};
pub use limiter::TokenBucket;
pub use poll::{PENDING_STATES, PollError, PollStatus, job_status, poll};
pub use reqwest::Method;
pub use retry::{
    Backoff, Context, Decision, Idempotency, Outcome, RetryPolicy, TransportKind, decide,
};
pub use stats::ClientStats;

use auth::Authenticator;
use pool::TokenPool;
use stats::Stats;

/// A successful (2xx) answer.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiResponse {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body; `Value::Null` when empty.
    pub body: Value,
    /// The `Location` header, if any (202 Accepted answers).
    pub location: Option<String>,
    /// The `ININ-Correlation-Id` header, if any.
    pub correlation_id: Option<String>,
}

/// The API client. Cheap to clone; all clones share one connection pool, token pool,
/// limiter, concurrency gate and statistics.
#[derive(Clone)]
pub struct ApiClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    api_base: String,
    auth: Authenticator,
    pool: TokenPool,
    gate: Semaphore,
    stats: Stats,
    policy: RetryPolicy,
    attempt_timeout: Duration,
    request_deadline: Duration,
    /// Whether the API host has answered yet.
    reach: contact::Reachability,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient")
            .field("api_base", &self.inner.api_base)
            .field("tokens", &self.inner.pool.len())
            .finish_non_exhaustive()
    }
}

fn check_base(name: &str, value: &str) -> Result<String, ApiError> {
    let trimmed = value.trim().trim_end_matches('/');
    let url = reqwest::Url::parse(trimmed)
        .map_err(|e| ApiError::Config(format!("{name} {value:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(ApiError::Config(format!(
            "{name} {value:?} must be an http(s) URL with a host"
        )));
    }
    Ok(trimmed.to_owned())
}

impl ApiClient {
    /// Build a client. No network traffic happens until the first request.
    pub fn new(cfg: ClientConfig) -> Result<Self, ApiError> {
        let api_base = check_base("api_base", &cfg.api_base)?;
        let login_base = check_base("login_base", &cfg.login_base)?;
        if cfg.concurrency == 0 {
            return Err(ApiError::Config("concurrency must be at least 1".into()));
        }
        if cfg.client_id.is_empty() {
            return Err(ApiError::Config("client id is empty".into()));
        }
        let http = reqwest::Client::builder()
            .user_agent(cfg.user_agent.clone())
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(cfg.attempt_timeout.min(Duration::from_secs(15)))
            .build()
            .map_err(|e| ApiError::Config(format!("cannot build the HTTP client: {e}")))?;
        let auth = Authenticator::new(
            http.clone(),
            &login_base,
            cfg.client_id.clone(),
            cfg.client_secret.clone(),
            cfg.attempt_timeout,
        );
        Ok(ApiClient {
            inner: Arc::new(Inner {
                http,
                api_base,
                auth,
                pool: TokenPool::new(cfg.tokens, cfg.rate_limit),
                gate: Semaphore::new(cfg.concurrency),
                stats: Stats::default(),
                policy: RetryPolicy::default(),
                attempt_timeout: cfg.attempt_timeout,
                request_deadline: cfg.request_deadline,
                reach: contact::Reachability::default(),
            }),
        })
    }

    /// `GET path?query` and return the JSON body (Null when empty).
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, ApiError> {
        Ok(self
            .send(Method::GET, path, query, None, Idempotency::Safe)
            .await?
            .body)
    }

    /// Send one logical request with retries as decided by [`decide`]. Non-2xx answers
    /// become [`ApiError::Http`].
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        idem: Idempotency,
    ) -> Result<ApiResponse, ApiError> {
        self.execute(method, path, query, body, idem).await
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> ClientStats {
        self.inner.stats.snapshot()
    }

    /// The API base URL this client talks to (no trailing slash).
    pub fn api_base(&self) -> &str {
        &self.inner.api_base
    }
}
