//! Client configuration: [`ClientConfig`], the [`Secret`] wrapper and the [`RateLimit`] value.
//!
//! Owns: plain configuration values, their defaults and parsing. Must not touch: HTTP,
//! tokens, timing state (those live in `auth.rs`, `pool.rs`, `limiter.rs`).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A sensitive string (client secret, access token). `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret value; it is never shown again except through `expose`.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The raw value. Only for building the request that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(sensitive)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(sensitive)")
    }
}

/// `requests` per `per`, e.g. `300/min`. Parsed from `"300/min"`, `"50/s"`, `"300/60s"`,
/// `"1000/h"`, `"10/500ms"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub requests: u32,
    /// The window.
    pub per: Duration,
}

impl RateLimit {
    /// `requests` per minute.
    pub const fn per_minute(requests: u32) -> Self {
        RateLimit {
            requests,
            per: Duration::from_secs(60),
        }
    }

    /// Average spacing between two requests at this limit.
    pub fn interval(&self) -> Duration {
        self.per / self.requests.max(1)
    }
}

impl Default for RateLimit {
    /// Genesys' documented default: 300 requests per minute per client-credentials token.
    fn default() -> Self {
        RateLimit::per_minute(300)
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let per = self.per;
        if per == Duration::from_secs(60) {
            write!(f, "{}/min", self.requests)
        } else if per == Duration::from_secs(1) {
            write!(f, "{}/s", self.requests)
        } else if per.subsec_nanos() == 0 {
            write!(f, "{}/{}s", self.requests, per.as_secs())
        } else {
            write!(f, "{}/{}ms", self.requests, per.as_millis())
        }
    }
}

/// Why a rate-limit string did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid rate limit {input:?}: {reason} (expected e.g. \"300/min\", \"50/s\", \"300/60s\")"
)]
pub struct RateLimitParseError {
    /// What was given.
    pub input: String,
    /// Why it is not a rate.
    pub reason: &'static str,
}

impl FromStr for RateLimit {
    type Err = RateLimitParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| RateLimitParseError {
            input: s.to_owned(),
            reason,
        };
        let (count, per) = s.trim().split_once('/').ok_or_else(|| err("missing '/'"))?;
        let requests: u32 = count
            .trim()
            .parse()
            .map_err(|_| err("request count is not a whole number"))?;
        if requests == 0 {
            return Err(err("request count must be at least 1"));
        }
        let per = per.trim();
        let split = per
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(per.len());
        let (amount, unit) = per.split_at(split);
        let amount: f64 = if amount.is_empty() {
            1.0
        } else {
            amount.parse().map_err(|_| err("bad period amount"))?
        };
        let unit_secs = match unit.trim() {
            "ms" => 0.001,
            "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
            "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
            "h" | "hr" | "hour" | "hours" => 3600.0,
            _ => return Err(err("unknown period unit (use ms, s, min or h)")),
        };
        let secs = amount * unit_secs;
        if !secs.is_finite() || secs <= 0.0 || secs > 86_400.0 {
            return Err(err("period must be positive and at most a day"));
        }
        Ok(RateLimit {
            requests,
            per: Duration::from_secs_f64(secs),
        })
    }
}

/// Everything the [`ApiClient`](super::ApiClient) needs. `Debug` is safe to log.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// e.g. `https://api.usw2.pure.cloud` or `http://127.0.0.1:PORT` (no trailing slash).
    pub api_base: String,
    /// e.g. `https://login.usw2.pure.cloud`; the token endpoint is `{login_base}/oauth/token`.
    pub login_base: String,
    /// The OAuth client id.
    pub client_id: String,
    /// The OAuth client secret (never logged).
    pub client_secret: Secret,
    /// Client-side limit per access token; `None` turns the limiter off.
    pub rate_limit: Option<RateLimit>,
    /// Maximum requests in flight at once (across all tokens).
    pub concurrency: usize,
    /// Timeout of one HTTP attempt.
    pub attempt_timeout: Duration,
    /// Total budget of one logical request, including retries and every wait.
    pub request_deadline: Duration,
    /// Size of the access-token pool (each token has its own rate budget). Default 1.
    pub tokens: usize,
    /// The `User-Agent` header sent with every request.
    pub user_agent: String,
}

impl ClientConfig {
    /// A config with the defaults and the given endpoints and credentials.
    pub fn new(
        api_base: impl Into<String>,
        login_base: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Self {
        ClientConfig {
            api_base: api_base.into(),
            login_base: login_base.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            ..ClientConfig::default()
        }
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            api_base: String::new(),
            login_base: String::new(),
            client_id: String::new(),
            client_secret: Secret::new(""),
            rate_limit: Some(RateLimit::default()),
            concurrency: 8,
            attempt_timeout: Duration::from_secs(60),
            request_deadline: Duration::from_secs(600),
            tokens: 1,
            user_agent: concat!("genseed/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rate_limits() {
        let r: RateLimit = "300/min".parse().unwrap();
        assert_eq!(r, RateLimit::per_minute(300));
        let r: RateLimit = "50/s".parse().unwrap();
        assert_eq!((r.requests, r.per), (50, Duration::from_secs(1)));
        let r: RateLimit = "300/60s".parse().unwrap();
        assert_eq!(r, RateLimit::per_minute(300));
        let r: RateLimit = "10/500ms".parse().unwrap();
        assert_eq!(r.per, Duration::from_millis(500));
        assert_eq!(r.to_string(), "10/500ms");
        assert_eq!(RateLimit::per_minute(300).to_string(), "300/min");
        assert_eq!("1000/h".parse::<RateLimit>().unwrap().per.as_secs(), 3600);
        for bad in [
            "",
            "300",
            "0/min",
            "x/min",
            "300/fortnight",
            "300/-1s",
            "300/0s",
        ] {
            assert!(
                bad.parse::<RateLimit>().is_err(),
                "{bad:?} should not parse"
            );
        }
    }

    #[test]
    fn secret_is_never_printed() {
        let cfg = ClientConfig::new("http://a", "http://l", "id", "hunter2-secret");
        let shown = format!("{cfg:?} {} {:?}", cfg.client_secret, cfg.client_secret);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("(sensitive)"));
        assert_eq!(cfg.client_secret.expose(), "hunter2-secret");
    }
}
