//! Emulator configuration: [`EmulatorConfig`], rate-limit specs ([`RateLimit`]) and the
//! eventual-consistency knobs ([`Consistency`]). Pure data; no I/O except nothing.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use super::faults::FaultRule;

/// Default OAuth client id accepted by `/oauth/token`.
pub const DEFAULT_CLIENT_ID: &str = "genseed-local";
/// Default OAuth client secret accepted by `/oauth/token`.
pub const DEFAULT_CLIENT_SECRET: &str = "genseed-local-secret";
/// Default access-token lifetime (the real default is 24 h).
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(86_400);
/// Default per-token API budget: 300 requests per 60 s (Genesys client-credentials default).
pub const DEFAULT_RATE_LIMIT: RateLimit = RateLimit {
    requests: 300,
    per: Duration::from_secs(60),
};
/// Default token-endpoint budget per OAuth client (real value unknown; generous).
pub const DEFAULT_TOKEN_RATE_LIMIT: RateLimit = RateLimit {
    requests: 100,
    per: Duration::from_secs(60),
};
/// Default time an enabled integration spends ACTIVATING.
pub(super) const DEFAULT_INTEGRATION_ACTIVATION: Duration = Duration::from_millis(600);
/// Default seed for ids, tokens, correlation ids and fault probabilities.
pub const DEFAULT_SEED: u64 = 0x6765_6e73_6565_6421;

/// Everything that shapes one emulator instance.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// OAuth client id accepted by `/oauth/token`.
    pub client_id: String,
    /// OAuth client secret accepted by `/oauth/token`.
    pub client_secret: String,
    /// Lifetime of issued access tokens (`expires_in`).
    pub token_ttl: Duration,
    /// Per-token sliding-window budget for `/api/v2`; `None` = unlimited.
    pub rate_limit: Option<RateLimit>,
    /// Per-client budget of `/oauth/token`; over it → 400 `invalid_request`.
    pub token_rate_limit: Option<RateLimit>,
    /// Delay added to every request.
    pub latency: Duration,
    /// Scripted faults, first matching rule with an outcome wins.
    pub faults: Vec<FaultRule>,
    /// Seed of every random choice (ids, tokens, correlation ids, fault probabilities).
    pub seed: u64,
    /// Org persisted here: loaded at start if it exists, rewritten atomically after every
    /// mutating request.
    pub data_file: Option<PathBuf>,
    /// Eventual-consistency knobs (all zero by default).
    pub consistency: Consistency,
    /// How long an enabled integration reports ACTIVATING before ACTIVE.
    pub integration_activation: Duration,
    /// Refuse a second object with the same name (case-insensitively) with 409, as the
    /// real API is believed to for most kinds (unconfirmed, genesys-api.md §16.8).
    /// `false` accepts duplicates — the worst case for a client — so tests can prove
    /// that genseed does not depend on the server to refuse them. User e-mails stay
    /// unique either way (confirmed).
    pub unique_names: bool,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            client_id: DEFAULT_CLIENT_ID.to_string(),
            client_secret: DEFAULT_CLIENT_SECRET.to_string(),
            token_ttl: DEFAULT_TOKEN_TTL,
            rate_limit: Some(DEFAULT_RATE_LIMIT),
            token_rate_limit: Some(DEFAULT_TOKEN_RATE_LIMIT),
            latency: Duration::ZERO,
            faults: Vec::new(),
            seed: DEFAULT_SEED,
            data_file: None,
            consistency: Consistency::default(),
            integration_activation: DEFAULT_INTEGRATION_ACTIVATION,
            unique_names: true,
        }
    }
}

/// A request budget: at most `requests` within any window of length `per` (sliding log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub requests: u32,
    /// The window.
    pub per: Duration,
}

impl FromStr for RateLimit {
    type Err = String;

    /// Accepts `N/s`, `N/sec`, `N/min`, `N/m`, `N/h`, `N/<k>s`, `N/<k>m`, `N/<k>ms`
    /// (e.g. `50/s`, `300/min`, `300/60s`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("invalid rate limit {s:?}; expected e.g. 50/s, 300/min, 300/60s");
        let (n, unit) = s.trim().split_once('/').ok_or_else(bad)?;
        let requests: u32 = n.trim().parse().map_err(|_| bad())?;
        let unit = unit.trim().to_ascii_lowercase();
        let digits: String = unit.chars().take_while(|c| c.is_ascii_digit()).collect();
        let suffix = &unit[digits.len()..];
        let k: u64 = if digits.is_empty() {
            1
        } else {
            digits.parse().map_err(|_| bad())?
        };
        let per = match suffix {
            "ms" => Duration::from_millis(k),
            "s" | "sec" | "second" | "seconds" => Duration::from_secs(k),
            "m" | "min" | "minute" | "minutes" => Duration::from_secs(60 * k),
            "h" | "hour" | "hours" => Duration::from_secs(3600 * k),
            _ => return Err(bad()),
        };
        if requests == 0 || per.is_zero() {
            return Err(bad());
        }
        Ok(RateLimit { requests, per })
    }
}

/// Eventual-consistency knobs. Zero = strongly consistent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Consistency {
    /// `POST /users/search` sees a user's create/update/delete only this long after it.
    pub search_lag: Duration,
    /// GET-by-id of a freshly created entity answers 404 for this long.
    pub get_after_create_404: Duration,
    /// Queue members added appear in the members listing only this long after the add.
    pub member_lag: Duration,
    /// A role or division created less than this long ago answers 404 when granted
    /// (`bulkadd`), as while the authorization caches catch up (§7.2).
    pub grant_lag: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rate_limits() {
        assert_eq!(
            "50/s".parse::<RateLimit>().unwrap(),
            RateLimit {
                requests: 50,
                per: Duration::from_secs(1)
            }
        );
        assert_eq!("300/min".parse::<RateLimit>().unwrap(), DEFAULT_RATE_LIMIT);
        assert_eq!("300/60s".parse::<RateLimit>().unwrap(), DEFAULT_RATE_LIMIT);
        assert!("x/s".parse::<RateLimit>().is_err());
        assert!("5/lightyear".parse::<RateLimit>().is_err());
        assert!("0/s".parse::<RateLimit>().is_err());
    }
}
