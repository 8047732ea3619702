//! Client statistics: lock-free counters shared by all clones of an `ApiClient`, and the
//! [`ClientStats`] snapshot handed to callers.
//!
//! Owns: counting. Must not touch: decisions, I/O, timing (callers pass durations in).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A snapshot of what the client has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// HTTP attempts sent to the API (not the token endpoint), including retries.
    pub requests: u64,
    /// Attempts that were repeats of an earlier attempt (any reason, incl. 401 refresh).
    pub retries: u64,
    /// 429 answers received from the API.
    pub throttled: u64,
    /// Summed over requests: time spent waiting for the client-side limiter and for
    /// server `Retry-After`/429 backoff. Concurrent waits add up, so this can exceed
    /// wall-clock time.
    pub rate_limit_wait: Duration,
    /// Successful access-token fetches.
    pub token_fetches: u64,
    /// Token-endpoint answers that were rate limits (400 invalid_request / 429).
    pub token_throttled: u64,
    /// Creates that ended as `ApiError::Ambiguous`.
    pub ambiguous: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Stats {
    requests: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    rate_limit_wait_us: AtomicU64,
    token_fetches: AtomicU64,
    token_throttled: AtomicU64,
    ambiguous: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Stats {
    pub fn request(&self) {
        bump(&self.requests);
    }
    pub fn retry(&self) {
        bump(&self.retries);
    }
    pub fn throttled(&self) {
        bump(&self.throttled);
    }
    pub fn token_fetch(&self) {
        bump(&self.token_fetches);
    }
    pub fn token_throttled(&self) {
        bump(&self.token_throttled);
    }
    pub fn ambiguous(&self) {
        bump(&self.ambiguous);
    }
    pub fn waited(&self, d: Duration) {
        if !d.is_zero() {
            let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
            self.rate_limit_wait_us.fetch_add(us, Ordering::Relaxed);
        }
    }

    pub fn snapshot(&self) -> ClientStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ClientStats {
            requests: get(&self.requests),
            retries: get(&self.retries),
            throttled: get(&self.throttled),
            rate_limit_wait: Duration::from_micros(get(&self.rate_limit_wait_us)),
            token_fetches: get(&self.token_fetches),
            token_throttled: get(&self.token_throttled),
            ambiguous: get(&self.ambiguous),
        }
    }
}
