//! The attempt loop of one logical request: concurrency gate → pool slot → bearer token →
//! rate-limit bucket → HTTP attempt → [`decide`] → return, refresh, wait or give up.
//!
//! Owns: building requests, classifying answers into [`Outcome`]s, acting on
//! [`Decision`]s, per-attempt tracing and counting. Must not touch: the retry rules
//! themselves (`retry.rs`), token endpoint details (`auth.rs`) or listings (`paging.rs`).
//! Logs method, path, status, attempt and waits; never headers, tokens or bodies.

use std::sync::Arc;

use reqwest::header::{ACCEPT, HeaderMap, LOCATION, RETRY_AFTER};
use serde_json::Value;
use tokio::time::Instant;

use super::contact::VISIBLE_WAIT;
use super::error::{
    ApiError, ErrorInfo, HttpError, StatusLine, bracketed_seconds, error_chain, parse_error_body,
    root_cause,
};
use super::pool::Slot;
use super::retry::{
    Context, Decision, Idempotency, Outcome, TransportKind, decide, parse_retry_after,
};
use super::{ApiClient, ApiResponse, Method};

/// The correlation header Genesys sets on every answer.
pub(crate) const CORRELATION_HEADER: &str = "ININ-Correlation-Id";

/// What came back from one attempt.
enum Answer {
    Http {
        status: u16,
        headers: HeaderMap,
        bytes: Vec<u8>,
    },
    Failed {
        kind: TransportKind,
        message: String,
        /// The innermost cause alone (`tcp connect error: Connection refused`).
        root: String,
    },
}

fn header(headers: &HeaderMap, name: impl reqwest::header::AsHeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn classify(err: &reqwest::Error) -> TransportKind {
    if err.is_connect() {
        TransportKind::Connect
    } else if err.is_timeout() {
        TransportKind::Timeout
    } else {
        TransportKind::Other
    }
}

/// One logical request as the attempt loop sees it.
struct Call<'a> {
    method: Method,
    /// The path without its query string, for errors and logs (cursors, filters).
    shown: String,
    url: String,
    query: &'a [(&'a str, String)],
    body: Option<&'a Value>,
    idem: Idempotency,
    started: Instant,
    deadline: Instant,
}

impl<'a> Call<'a> {
    /// A call of `path` (which must start with `/`) on `api_base`, starting now.
    fn new(
        method: Method,
        api_base: &str,
        path: &str,
        query: &'a [(&'a str, String)],
        body: Option<&'a Value>,
        idem: Idempotency,
        budget: std::time::Duration,
    ) -> Result<Self, ApiError> {
        // Errors and logs name the path without its query string (cursors, filters).
        let shown = path.split_once('?').map_or(path, |(p, _)| p).to_owned();
        if !path.starts_with('/') {
            return Err(ApiError::Config(format!(
                "{method} {shown}: path must start with '/' (relative to api_base)"
            )));
        }
        let started = Instant::now();
        Ok(Call {
            url: format!("{api_base}{path}"),
            method,
            shown,
            query,
            body,
            idem,
            started,
            deadline: started + budget,
        })
    }

    fn deadline_error(&self, budget: std::time::Duration, last: String) -> ApiError {
        ApiError::Deadline {
            method: self.method.to_string(),
            path: self.shown.clone(),
            elapsed: self.started.elapsed(),
            deadline: budget,
            last,
        }
    }
}

/// An attempt's answer reduced for the retry policy: the outcome, a one-line description
/// of a failure (`last`), and the parsed error body of a non-success status.
struct Assessed {
    outcome: Outcome,
    last: String,
    info: Option<ErrorInfo>,
}

/// The debug line of every attempt (never headers, tokens or bodies).
fn trace_attempt(
    call: &Call<'_>,
    attempt: u32,
    slot: usize,
    assessed: &Assessed,
    ctx: &Context,
    decision: Decision,
) {
    tracing::debug!(
        method = %call.method,
        path = %call.shown,
        attempt,
        slot,
        status = assessed.status(),
        elapsed_ms = ctx.elapsed.as_millis() as u64,
        decision = ?decision,
        "api attempt"
    );
}

/// Logs a retry: at debug level always, and as a visible warning when the wait is long
/// enough ([`VISIBLE_WAIT`]) that the run could otherwise look stuck.
pub(crate) fn announce_retry(
    method: &Method,
    shown: &str,
    attempt: u32,
    wait: std::time::Duration,
    last: &str,
) {
    if wait >= VISIBLE_WAIT {
        tracing::warn!(
            "{method} {shown}: {last}; retrying in {:.0} s (attempt {})",
            wait.as_secs_f64(),
            attempt + 1
        );
    } else {
        tracing::debug!(%method, path = %shown, attempt, wait_ms = wait.as_millis() as u64, last = %last, "retrying");
    }
}

impl Assessed {
    /// The HTTP status, if there was an answer.
    fn status(&self) -> Option<u16> {
        match self.outcome {
            Outcome::Status { status, .. } => Some(status),
            Outcome::Transport(_) => None,
        }
    }
}

impl ApiClient {
    pub(crate) async fn execute(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        idem: Idempotency,
    ) -> Result<ApiResponse, ApiError> {
        let inner = &*self.inner;
        let call = Call::new(
            method,
            &inner.api_base,
            path,
            query,
            body,
            idem,
            inner.request_deadline,
        )?;
        let started = call.started;
        let mut backoff = inner.policy.backoff(None);
        let mut refreshed = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            if attempt > 1 {
                inner.stats.retry();
            }
            let (slot, generation, timeout, answer) = self.gated_attempt(&call).await?;
            if let Some(e) = self.unreachable(&answer) {
                return Err(e);
            }
            let assessed = self.assess(&answer, timeout);
            let ctx = Context {
                idempotency: call.idem,
                elapsed: started.elapsed(),
                deadline: inner.request_deadline,
                refreshed,
            };
            let next_backoff = backoff.next().unwrap_or(inner.policy.cap);
            let decision = decide(
                assessed.outcome,
                &ctx,
                &inner.policy,
                next_backoff,
                fastrand::f64(),
            );
            trace_attempt(&call, attempt, slot.id, &assessed, &ctx, decision);
            match decision {
                Decision::Return => return self.conclude(call, answer, assessed.info),
                Decision::RefreshToken => {
                    slot.invalidate(generation).await;
                    refreshed = true;
                }
                Decision::Retry { wait, throttled } => {
                    let wait = inner.reach.first_contact_wait(wait);
                    if throttled {
                        inner.stats.waited(wait);
                        if let Some(bucket) = &slot.bucket {
                            bucket.pause_until(Instant::now() + wait);
                        }
                    }
                    let _held = throttled.then(|| inner.stats.hold());
                    announce_retry(&call.method, &call.shown, attempt, wait, &assessed.last);
                    tokio::time::sleep(wait).await;
                }
                Decision::Ambiguous => {
                    inner.stats.ambiguous();
                    return Err(ApiError::Ambiguous {
                        method: call.method.to_string(),
                        path: call.shown,
                        cause: assessed.last,
                    });
                }
                Decision::Deadline => {
                    return Err(call.deadline_error(inner.request_deadline, assessed.last));
                }
            }
        }
    }

    /// The error for a connection failure when the service is not to be retried (it was
    /// never reached), if that is the case.
    fn unreachable(&self, answer: &Answer) -> Option<ApiError> {
        let Answer::Failed {
            kind: TransportKind::Connect,
            root,
            ..
        } = answer
        else {
            return None;
        };
        self.inner
            .reach
            .give_up_after_connect_failure()
            .then(|| ApiError::Unreachable {
                url: self.inner.api_base.clone(),
                message: root.clone(),
            })
    }

    /// One attempt through the concurrency gate, a pool slot's token and its rate limit:
    /// the slot used, its token generation, the attempt's timeout and the answer.
    async fn gated_attempt(
        &self,
        call: &Call<'_>,
    ) -> Result<(Arc<Slot>, u64, std::time::Duration, Answer), ApiError> {
        let inner = &*self.inner;
        let _permit = inner
            .gate
            .acquire()
            .await
            .expect("the gate is never closed");
        let slot = inner.pool.pick();
        let (token, generation) = slot
            .bearer(&inner.auth, call.started, call.deadline, &inner.stats)
            .await?;
        if let Some(bucket) = &slot.bucket {
            let _held = inner.stats.hold();
            let waited = bucket.acquire().await;
            inner.stats.waited(waited);
        }
        let remaining = call.deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(call.deadline_error(
                inner.request_deadline,
                "waiting for the rate limiter".into(),
            ));
        }
        let timeout = inner.attempt_timeout.min(remaining);
        let answer = self.attempt(call, token.expose(), timeout).await;
        Ok((slot, generation, timeout, answer))
    }

    /// Sends one attempt of `call` with `token` and waits for its whole answer.
    async fn attempt(&self, call: &Call<'_>, token: &str, timeout: std::time::Duration) -> Answer {
        let inner = &*self.inner;
        let mut request = inner
            .http
            .request(call.method.clone(), &call.url)
            .bearer_auth(token)
            .header(ACCEPT, "application/json")
            .timeout(timeout);
        if !call.query.is_empty() {
            request = request.query(call.query);
        }
        if let Some(body) = call.body {
            request = request.json(body);
        }
        inner.stats.request();
        let resp = match request.send().await {
            Ok(resp) => resp,
            Err(e) => {
                return Answer::Failed {
                    kind: classify(&e),
                    message: error_chain(&e),
                    root: root_cause(&e),
                };
            }
        };
        inner.reach.answered();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        match resp.bytes().await {
            Ok(bytes) => Answer::Http {
                status,
                headers,
                bytes: bytes.to_vec(),
            },
            Err(e) => Answer::Failed {
                // The connection was made; failing to read the body is not a connect error.
                kind: match classify(&e) {
                    TransportKind::Connect => TransportKind::Other,
                    k => k,
                },
                message: format!("reading the {status} response: {}", error_chain(&e)),
                root: root_cause(&e),
            },
        }
    }

    /// Reduces an answer to what the retry policy needs (and counts 429s).
    fn assess(&self, answer: &Answer, timeout: std::time::Duration) -> Assessed {
        let inner = &*self.inner;
        match answer {
            Answer::Http { status, .. } if (200..300).contains(status) => Assessed {
                outcome: Outcome::Status {
                    status: *status,
                    retry_after: None,
                },
                last: String::new(),
                info: None,
            },
            Answer::Http {
                status,
                headers,
                bytes,
            } => {
                let status = *status;
                let info = parse_error_body(bytes);
                let mut retry_after = header(headers, RETRY_AFTER)
                    .as_deref()
                    .and_then(parse_retry_after);
                if status == 429 {
                    inner.stats.throttled();
                    retry_after = retry_after.or_else(|| bracketed_seconds(&info.message));
                }
                let corr = header(headers, CORRELATION_HEADER).or(info.context_id.clone());
                let mut last = StatusLine(status, &info).to_string();
                if let Some(c) = corr {
                    last.push_str(&format!(" (correlation id {c})"));
                }
                Assessed {
                    outcome: Outcome::Status {
                        status,
                        retry_after,
                    },
                    last,
                    info: Some(info),
                }
            }
            Answer::Failed { kind, message, .. } => Assessed {
                outcome: Outcome::Transport(*kind),
                last: match kind {
                    TransportKind::Timeout => {
                        format!("no answer within {:.1} s: {message}", timeout.as_secs_f64())
                    }
                    _ => message.clone(),
                },
                info: None,
            },
        }
    }

    /// The caller's result for the answer the policy said to return.
    fn conclude(
        &self,
        call: Call<'_>,
        answer: Answer,
        info: Option<ErrorInfo>,
    ) -> Result<ApiResponse, ApiError> {
        match answer {
            Answer::Http {
                status,
                headers,
                bytes,
            } => self.finish(&call.method, &call.shown, status, &headers, bytes, info),
            Answer::Failed { message, .. } => Err(ApiError::Transport {
                method: call.method.to_string(),
                path: call.shown,
                message,
            }),
        }
    }

    /// Turn a final HTTP answer into the caller's result.
    fn finish(
        &self,
        method: &Method,
        path: &str,
        status: u16,
        headers: &HeaderMap,
        bytes: Vec<u8>,
        info: Option<ErrorInfo>,
    ) -> Result<ApiResponse, ApiError> {
        let correlation_id = header(headers, CORRELATION_HEADER);
        if (200..300).contains(&status) {
            let body = if bytes.iter().all(u8::is_ascii_whitespace) {
                Value::Null
            } else {
                serde_json::from_slice(&bytes).map_err(|e| ApiError::Decode {
                    method: method.to_string(),
                    path: path.to_owned(),
                    message: format!("{status} body is not JSON: {e}"),
                })?
            };
            return Ok(ApiResponse {
                status,
                body,
                location: header(headers, LOCATION),
                correlation_id,
            });
        }
        let info = info.unwrap_or_else(|| parse_error_body(&bytes));
        Err(ApiError::Http(Box::new(HttpError {
            method: method.to_string(),
            path: path.to_owned(),
            status,
            code: info.code,
            message: info.message,
            correlation_id: correlation_id.or(info.context_id),
            body: info.body,
        })))
    }
}
