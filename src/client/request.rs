//! The attempt loop of one logical request: concurrency gate → pool slot → bearer token →
//! rate-limit bucket → HTTP attempt → [`decide`] → return, refresh, wait or give up.
//!
//! Owns: building requests, classifying answers into [`Outcome`]s, acting on
//! [`Decision`]s, per-attempt tracing and counting. Must not touch: the retry rules
//! themselves (`retry.rs`), token endpoint details (`auth.rs`) or listings (`paging.rs`).
//! Logs method, path, status, attempt and waits; never headers, tokens or bodies.

use reqwest::header::{ACCEPT, HeaderMap, LOCATION, RETRY_AFTER};
use serde_json::Value;
use tokio::time::Instant;

use super::error::{
    ApiError, ErrorInfo, HttpError, StatusLine, bracketed_seconds, error_chain, parse_error_body,
};
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
        // Errors and logs name the path without its query string (cursors, filters).
        let shown = path.split_once('?').map_or(path, |(p, _)| p).to_owned();
        if !path.starts_with('/') {
            return Err(ApiError::Config(format!(
                "{method} {shown}: path must start with '/' (relative to api_base)"
            )));
        }
        let url = format!("{}{path}", inner.api_base);
        let started = Instant::now();
        let deadline = started + inner.request_deadline;
        let mut backoff = inner.policy.backoff(None);
        let mut refreshed = false;
        let mut attempt = 0u32;
        let deadline_error = |last: String| ApiError::Deadline {
            method: method.to_string(),
            path: shown.clone(),
            elapsed: started.elapsed(),
            deadline: inner.request_deadline,
            last,
        };
        loop {
            attempt += 1;
            if attempt > 1 {
                inner.stats.retry();
            }
            let permit = inner
                .gate
                .acquire()
                .await
                .expect("the gate is never closed");
            let slot = inner.pool.pick();
            let (token, generation) = slot
                .bearer(&inner.auth, started, deadline, &inner.stats)
                .await?;
            if let Some(bucket) = &slot.bucket {
                let _held = inner.stats.hold();
                let waited = bucket.acquire().await;
                inner.stats.waited(waited);
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(deadline_error("waiting for the rate limiter".into()));
            }
            let mut request = inner
                .http
                .request(method.clone(), &url)
                .bearer_auth(token.expose())
                .header(ACCEPT, "application/json")
                .timeout(inner.attempt_timeout.min(remaining));
            if !query.is_empty() {
                request = request.query(query);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            inner.stats.request();
            let answer = match request.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let headers = resp.headers().clone();
                    match resp.bytes().await {
                        Ok(bytes) => Answer::Http {
                            status,
                            headers,
                            bytes: bytes.to_vec(),
                        },
                        Err(e) => Answer::Failed {
                            kind: match classify(&e) {
                                TransportKind::Connect => TransportKind::Other,
                                k => k,
                            },
                            message: format!("reading the {status} response: {}", error_chain(&e)),
                        },
                    }
                }
                Err(e) => Answer::Failed {
                    kind: classify(&e),
                    message: error_chain(&e),
                },
            };
            drop(permit);

            let (outcome, last, info) = match &answer {
                Answer::Http {
                    status,
                    headers,
                    bytes,
                } => {
                    let status = *status;
                    if (200..300).contains(&status) {
                        (
                            Outcome::Status {
                                status,
                                retry_after: None,
                            },
                            String::new(),
                            None,
                        )
                    } else {
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
                        (
                            Outcome::Status {
                                status,
                                retry_after,
                            },
                            last,
                            Some(info),
                        )
                    }
                }
                Answer::Failed { kind, message } => {
                    let last = match kind {
                        TransportKind::Timeout => format!(
                            "no answer within {:.1} s: {message}",
                            inner.attempt_timeout.min(remaining).as_secs_f64()
                        ),
                        _ => message.clone(),
                    };
                    (Outcome::Transport(*kind), last, None)
                }
            };

            let ctx = Context {
                idempotency: idem,
                elapsed: started.elapsed(),
                deadline: inner.request_deadline,
                refreshed,
            };
            let next_backoff = backoff.next().unwrap_or(inner.policy.cap);
            let decision = decide(outcome, &ctx, &inner.policy, next_backoff, fastrand::f64());
            let status = match outcome {
                Outcome::Status { status, .. } => Some(status),
                Outcome::Transport(_) => None,
            };
            tracing::debug!(
                %method,
                path = %shown,
                attempt,
                slot = slot.id,
                status,
                elapsed_ms = ctx.elapsed.as_millis() as u64,
                decision = ?decision,
                "api attempt"
            );
            match decision {
                Decision::Return => {
                    return match answer {
                        Answer::Http {
                            status,
                            headers,
                            bytes,
                        } => self.finish(&method, &shown, status, &headers, bytes, info),
                        Answer::Failed { message, .. } => Err(ApiError::Transport {
                            method: method.to_string(),
                            path: shown,
                            message,
                        }),
                    };
                }
                Decision::RefreshToken => {
                    slot.invalidate(generation).await;
                    refreshed = true;
                }
                Decision::Retry { wait, throttled } => {
                    if throttled {
                        inner.stats.waited(wait);
                        if let Some(bucket) = &slot.bucket {
                            bucket.pause_until(Instant::now() + wait);
                        }
                    }
                    tracing::debug!(%method, path = %shown, attempt, wait_ms = wait.as_millis() as u64, last = %last, "retrying");
                    let _held = throttled.then(|| inner.stats.hold());
                    tokio::time::sleep(wait).await;
                }
                Decision::Ambiguous => {
                    inner.stats.ambiguous();
                    return Err(ApiError::Ambiguous {
                        method: method.to_string(),
                        path: shown,
                        cause: last,
                    });
                }
                Decision::Deadline => return Err(deadline_error(last)),
            }
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
