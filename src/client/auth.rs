//! Access tokens: fetching a client-credentials token from `{login_base}/oauth/token`
//! (Basic auth + `grant_type=client_credentials`), backing off when the token endpoint
//! rate-limits (400 `invalid_request` "rate limit…" or 429), and deciding when a cached
//! token must be refreshed.
//!
//! Owns: the token endpoint conversation and [`AccessToken`]. Must not touch: `/api/v2`
//! requests, the rate limiter or pool choice (`pool.rs`). Never logs or formats the secret
//! or a token: both stay inside [`Secret`].

use std::time::Duration;

use reqwest::StatusCode;
use serde::Deserialize;
use tokio::time::Instant;

use super::config::Secret;
use super::error::{ApiError, StatusLine, error_chain, parse_error_body, root_cause};
use super::retry::{RetryPolicy, parse_retry_after};
use super::stats::Stats;

const TOKEN_PATH: &str = "/oauth/token";
/// Used when the token response has no `expires_in`.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

/// A cached bearer token.
#[derive(Debug, Clone)]
pub(crate) struct AccessToken {
    pub value: Secret,
    /// When to fetch a new one (shortly before expiry).
    pub refresh_at: Instant,
}

impl AccessToken {
    pub(super) fn is_fresh(&self, now: Instant) -> bool {
        now < self.refresh_at
    }
}

/// Refresh margin: 10 % of the lifetime, at most 60 s.
pub(crate) fn refresh_margin(lifetime: Duration) -> Duration {
    (lifetime / 10).min(Duration::from_secs(60))
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    expires_in: Option<f64>,
}

/// Talks to the token endpoint.
#[derive(Debug)]
pub(crate) struct Authenticator {
    http: reqwest::Client,
    token_url: String,
    client_id: String,
    secret: Secret,
    attempt_timeout: Duration,
    policy: RetryPolicy,
    /// Whether the login host has answered yet.
    reach: super::contact::Reachability,
}

impl Authenticator {
    pub(super) fn new(
        http: reqwest::Client,
        login_base: &str,
        client_id: String,
        secret: Secret,
        attempt_timeout: Duration,
    ) -> Self {
        Authenticator {
            http,
            token_url: format!("{}{TOKEN_PATH}", login_base.trim_end_matches('/')),
            client_id,
            secret,
            attempt_timeout,
            policy: RetryPolicy {
                base: Duration::from_millis(500),
                ..RetryPolicy::default()
            },
            reach: Default::default(),
        }
    }

    fn auth_error(&self, message: String) -> ApiError {
        ApiError::Auth {
            client_id: self.client_id.clone(),
            message,
        }
    }

    /// Fetch a new token, retrying rate limits, 5xx and transport errors with jittered
    /// exponential backoff until `deadline`. Bad credentials fail at once with
    /// [`ApiError::Auth`].
    pub(super) async fn fetch(
        &self,
        started: Instant,
        deadline: Instant,
        stats: &Stats,
    ) -> Result<AccessToken, ApiError> {
        let mut backoff = self.policy.backoff(None);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let now = Instant::now();
            let remaining = deadline.saturating_duration_since(now);
            if remaining.is_zero() {
                return Err(self.deadline_error(
                    started,
                    deadline,
                    "no time left to fetch a token".into(),
                ));
            }
            let sent = self
                .http
                .post(&self.token_url)
                .basic_auth(&self.client_id, Some(self.secret.expose()))
                .form(&[("grant_type", "client_credentials")])
                .timeout(self.attempt_timeout.min(remaining))
                .send()
                .await;
            let (last, server_wait) = match sent {
                Err(e) if e.is_connect() && self.reach.give_up_after_connect_failure() => {
                    return Err(ApiError::Unreachable {
                        url: self.token_url.clone(),
                        message: root_cause(&e),
                    });
                }
                Ok(resp) => {
                    self.reach.answered();
                    let status = resp.status();
                    let retry_after = resp
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_retry_after);
                    let bytes = match resp.bytes().await {
                        Ok(b) => b,
                        Err(e) => {
                            let last = format!("reading token response: {}", error_chain(&e));
                            self.pause(started, deadline, &mut backoff, None, attempt, last)
                                .await?;
                            continue;
                        }
                    };
                    if status.is_success() {
                        return self.accept(&bytes, stats);
                    }
                    let info = parse_error_body(&bytes);
                    let line = StatusLine(status.as_u16(), &info).to_string();
                    let rate_limited = status == StatusCode::TOO_MANY_REQUESTS
                        || (status == StatusCode::BAD_REQUEST
                            && info.message.to_ascii_lowercase().contains("rate limit"));
                    if rate_limited {
                        stats.token_throttled();
                        (line, retry_after)
                    } else if status.is_server_error() {
                        (line, retry_after)
                    } else {
                        return Err(self.auth_error(format!("token endpoint answered {line}")));
                    }
                }
                Err(e) => (format!("token request failed: {}", error_chain(&e)), None),
            };
            self.pause(started, deadline, &mut backoff, server_wait, attempt, last)
                .await?;
        }
    }

    /// Sleep before the next token attempt, or fail with `Deadline` when it does not fit.
    async fn pause(
        &self,
        started: Instant,
        deadline: Instant,
        backoff: &mut impl Iterator<Item = Duration>,
        server_wait: Option<Duration>,
        attempt: u32,
        last: String,
    ) -> Result<(), ApiError> {
        let exp = backoff.next().unwrap_or(self.policy.cap);
        let wait = match server_wait {
            Some(ra) => self.policy.retry_after_wait(ra, fastrand::f64()),
            None => self.reach.first_contact_wait(exp),
        };
        if Instant::now() + wait >= deadline {
            return Err(self.deadline_error(started, deadline, last));
        }
        super::request::announce_retry(&reqwest::Method::POST, TOKEN_PATH, attempt, wait, &last);
        tokio::time::sleep(wait).await;
        Ok(())
    }

    fn deadline_error(&self, started: Instant, deadline: Instant, last: String) -> ApiError {
        ApiError::Deadline {
            method: "POST".into(),
            path: TOKEN_PATH.into(),
            elapsed: started.elapsed(),
            deadline: deadline.saturating_duration_since(started),
            last,
        }
    }

    fn accept(&self, bytes: &[u8], stats: &Stats) -> Result<AccessToken, ApiError> {
        let parsed: TokenResponse = serde_json::from_slice(bytes)
            .map_err(|e| self.auth_error(format!("token response is not valid JSON: {e}")))?;
        let value = parsed
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| self.auth_error("token response has no access_token".into()))?;
        let lifetime = parsed
            .expires_in
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(|s| Duration::from_secs_f64(s.min(1e7)))
            .unwrap_or(DEFAULT_LIFETIME);
        stats.token_fetch();
        tracing::debug!(lifetime_s = lifetime.as_secs(), "fetched access token");
        Ok(AccessToken {
            value: Secret::new(value),
            refresh_at: Instant::now() + lifetime - refresh_margin(lifetime),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margin_is_ten_percent_up_to_a_minute() {
        assert_eq!(
            refresh_margin(Duration::from_secs(86_400)),
            Duration::from_secs(60)
        );
        assert_eq!(
            refresh_margin(Duration::from_secs(300)),
            Duration::from_secs(30)
        );
        assert_eq!(
            refresh_margin(Duration::from_secs(2)),
            Duration::from_millis(200)
        );
    }
}
