//! Polling asynchronous work: the generic [`poll`] loop and [`ApiClient::follow_accepted`]
//! for `202 Accepted` + `Location` answers.
//!
//! Owns: poll timing and the pending/failed vocabulary of job-like bodies. Must not touch:
//! retries of single requests (each poll is an ordinary request) or what the final entity
//! means.

use std::future::Future;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use super::error::ApiError;
use super::{ApiClient, ApiResponse, Idempotency, Method};

/// One look at the thing being waited for.
#[derive(Debug, Clone, PartialEq)]
pub enum PollStatus<T> {
    /// Finished, with its result.
    Done(T),
    /// Not yet: look again after the interval.
    Pending,
    /// Finished unsuccessfully, with the reason.
    Failed(String),
}

/// Why polling stopped without a result.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error("timed out after {:.1} s waiting for {what}{}", .waited.as_secs_f64(), last_part(.last))]
    /// The thing did not finish in time.
    Timeout {
        /// What was waited for.
        what: String,
        /// How long.
        waited: Duration,
        /// The last state seen, if any.
        last: Option<String>,
    },
    /// The thing finished unsuccessfully.
    #[error("{what} failed: {reason}")]
    Failed {
        /// What was waited for.
        what: String,
        /// Why it failed.
        reason: String,
    },
    // The API error is part of the message and deliberately not the `source`, so an
    // error chain does not print it twice.
    /// Looking failed.
    #[error("while waiting for {what}: {error}")]
    Api {
        /// What was waited for.
        what: String,
        /// The API error.
        error: ApiError,
    },
}

fn last_part(last: &Option<String>) -> String {
    last.as_ref()
        .map(|l| format!(" (last state: {l})"))
        .unwrap_or_default()
}

/// Call `f` every `interval` until it reports `Done` or `Failed`, an API error occurs, or
/// `timeout` passes (one last look happens at the timeout). Uses tokio time, so paused
/// time tests run instantly.
pub async fn poll<T, F, Fut>(
    what: &str,
    interval: Duration,
    timeout: Duration,
    mut f: F,
) -> Result<T, PollError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<PollStatus<T>, ApiError>>,
{
    let started = Instant::now();
    let deadline = started + timeout;
    let mut looks = 0u32;
    loop {
        looks += 1;
        match f().await {
            Ok(PollStatus::Done(value)) => return Ok(value),
            Ok(PollStatus::Failed(reason)) => {
                return Err(PollError::Failed {
                    what: what.to_owned(),
                    reason,
                });
            }
            Err(error) => {
                return Err(PollError::Api {
                    what: what.to_owned(),
                    error,
                });
            }
            Ok(PollStatus::Pending) => {}
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(PollError::Timeout {
                what: what.to_owned(),
                waited: now - started,
                last: Some(format!("pending after {looks} checks")),
            });
        }
        tracing::debug!(what, looks, "still pending");
        tokio::time::sleep(interval.min(deadline - now)).await;
    }
}

/// `state`/`status` values (compared case-insensitively) that mean "not finished yet".
pub const PENDING_STATES: &[&str] = &[
    "pending",
    "queued",
    "running",
    "inprogress",
    "in_progress",
    "processing",
    "accepted",
    "started",
    "creating",
];

/// `state`/`status` values that mean the work failed.
const FAILED_STATES: &[&str] = &[
    "failed",
    "failure",
    "error",
    "cancelled",
    "canceled",
    "expired",
];

/// Classify a polled body by its `state` or `status` string.
pub fn job_status(body: &Value) -> PollStatus<Value> {
    let state = ["state", "status"]
        .iter()
        .find_map(|k| body.get(*k).and_then(Value::as_str))
        .map(str::to_ascii_lowercase);
    match state.as_deref() {
        Some(s) if PENDING_STATES.contains(&s) => PollStatus::Pending,
        Some(s) if FAILED_STATES.contains(&s) => {
            let detail = ["errorMessage", "message", "error", "errors"]
                .iter()
                .find_map(|k| body.get(*k))
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .unwrap_or_else(|| format!("state {s}"));
            PollStatus::Failed(detail)
        }
        _ => PollStatus::Done(body.clone()),
    }
}

impl ApiClient {
    /// Given the answer to a request: when it is `202 Accepted` with a `Location`, poll
    /// `GET Location` every `interval` until it answers 200 with a body whose
    /// `state`/`status` is not pending, and return that body. A 404 or 202 while polling
    /// counts as pending (the object may not be visible yet). Any other answer's body is
    /// returned as is.
    pub async fn follow_accepted(
        &self,
        resp: ApiResponse,
        what: &str,
        interval: Duration,
        timeout: Duration,
    ) -> Result<Value, PollError> {
        if resp.status != 202 {
            return Ok(resp.body);
        }
        let Some(location) = resp.location else {
            return match job_status(&resp.body) {
                PollStatus::Pending => Err(PollError::Failed {
                    what: what.to_owned(),
                    reason: "202 Accepted without a Location to poll".into(),
                }),
                _ => Ok(resp.body),
            };
        };
        let path = self
            .relative(&location, &location)
            .map_err(|error| PollError::Api {
                what: what.to_owned(),
                error,
            })?;
        poll(what, interval, timeout, || async {
            match self
                .send(Method::GET, &path, &[], None, Idempotency::Safe)
                .await
            {
                Ok(r) if r.status == 202 => Ok(PollStatus::Pending),
                Ok(r) => Ok(job_status(&r.body)),
                Err(e) if e.is_not_found() => Ok(PollStatus::Pending),
                Err(e) => Err(e),
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn an_api_error_while_polling_is_printed_once_in_a_chain() {
        let err = PollError::Api {
            what: "the job".into(),
            error: ApiError::Config("unique cause 42".into()),
        };
        let shown = format!("{:#}", anyhow::Error::from(err));
        assert_eq!(shown.matches("unique cause 42").count(), 1, "{shown}");
    }

    #[tokio::test(start_paused = true)]
    async fn done_after_a_few_pending_checks() {
        let calls = Arc::new(AtomicU32::new(0));
        let start = Instant::now();
        let c = calls.clone();
        let out = poll(
            "job 7",
            Duration::from_secs(2),
            Duration::from_secs(60),
            move || {
                let c = c.clone();
                async move {
                    let n = c.fetch_add(1, Ordering::SeqCst);
                    Ok(if n < 3 {
                        PollStatus::Pending
                    } else {
                        PollStatus::Done(n)
                    })
                }
            },
        )
        .await
        .unwrap();
        assert_eq!(out, 3);
        assert_eq!(start.elapsed(), Duration::from_secs(6));
    }

    #[tokio::test(start_paused = true)]
    async fn failed_names_the_object() {
        let err = poll::<(), _, _>(
            "queue Sales",
            Duration::from_secs(1),
            Duration::from_secs(10),
            || async { Ok(PollStatus::Failed("division not found".into())) },
        )
        .await
        .unwrap_err();
        assert!(matches!(err, PollError::Failed { .. }));
        assert_eq!(err.to_string(), "queue Sales failed: division not found");
    }

    #[tokio::test(start_paused = true)]
    async fn timeout_names_the_object_and_respects_the_limit() {
        let start = Instant::now();
        let calls = AtomicU32::new(0);
        let err = poll::<(), _, _>(
            "user ana@example.com",
            Duration::from_secs(3),
            Duration::from_secs(10),
            || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Ok(PollStatus::Pending) }
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(err, PollError::Timeout { .. }));
        let msg = err.to_string();
        assert!(msg.contains("user ana@example.com"), "{msg}");
        assert!(msg.starts_with("timed out after 10.0 s"), "{msg}");
        assert_eq!(start.elapsed(), Duration::from_secs(10));
        // Looks at 0, 3, 6, 9 and a last one at 10.
        assert_eq!(calls.load(Ordering::SeqCst), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn api_errors_stop_polling() {
        let err = poll::<(), _, _>(
            "job",
            Duration::from_secs(1),
            Duration::from_secs(10),
            || async { Err(ApiError::Config("boom".into())) },
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("while waiting for job"), "{err}");
    }

    #[test]
    fn classifies_job_bodies() {
        use serde_json::json;
        assert_eq!(
            job_status(&json!({"state": "RUNNING"})),
            PollStatus::Pending
        );
        assert_eq!(
            job_status(&json!({"status": "queued"})),
            PollStatus::Pending
        );
        assert_eq!(
            job_status(&json!({"state": "FAILED", "errorMessage": "bad"})),
            PollStatus::Failed("bad".into())
        );
        let user = json!({"id": "u1", "state": "active"});
        assert_eq!(job_status(&user), PollStatus::Done(user.clone()));
        let done = json!({"id": "j", "state": "FULFILLED"});
        assert_eq!(job_status(&done), PollStatus::Done(done.clone()));
    }
}
