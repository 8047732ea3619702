//! Client statistics: lock-free counters shared by all clones of an `ApiClient`, and the
//! [`ClientStats`] snapshot handed to callers.
//!
//! Owns: counting, and the wall time during which at least one request was held back
//! by the rate limit ([`Stats::hold`] marks a wait; overlapping waits count once). Must
//! not touch: decisions, I/O.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

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
    /// Wall time during which at least one request was waiting for the client-side
    /// limiter or a server `Retry-After` (the union of the waits, so never more than
    /// the run's duration).
    pub rate_limit_held: Duration,
    /// Requests waiting on the rate limit right now.
    pub waiting_now: u64,
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
    held: Mutex<Held>,
}

/// The union of the rate-limit waits so far: closed time plus the open stretch.
#[derive(Debug, Default)]
struct Held {
    waiting: u64,
    since: Option<Instant>,
    closed: Duration,
}

impl Held {
    fn total(&self) -> Duration {
        self.closed + self.since.map_or(Duration::ZERO, |s| s.elapsed())
    }
}

/// Marks one request as held back by the rate limit until dropped.
pub(crate) struct HoldGuard<'a>(&'a Stats);

impl Drop for HoldGuard<'_> {
    fn drop(&mut self) {
        let mut h = self.0.held.lock().expect("stats lock");
        h.waiting = h.waiting.saturating_sub(1);
        if h.waiting == 0
            && let Some(since) = h.since.take()
        {
            h.closed += since.elapsed();
        }
    }
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Stats {
    pub(super) fn request(&self) {
        bump(&self.requests);
    }
    pub(super) fn retry(&self) {
        bump(&self.retries);
    }
    pub(super) fn throttled(&self) {
        bump(&self.throttled);
    }
    pub(super) fn token_fetch(&self) {
        bump(&self.token_fetches);
    }
    pub(super) fn token_throttled(&self) {
        bump(&self.token_throttled);
    }
    pub(super) fn ambiguous(&self) {
        bump(&self.ambiguous);
    }
    pub(super) fn waited(&self, d: Duration) {
        if !d.is_zero() {
            let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
            self.rate_limit_wait_us.fetch_add(us, Ordering::Relaxed);
        }
    }

    /// A request starts waiting on the rate limit; it stops when the guard drops.
    pub(super) fn hold(&self) -> HoldGuard<'_> {
        let mut h = self.held.lock().expect("stats lock");
        if h.waiting == 0 {
            h.since = Some(Instant::now());
        }
        h.waiting += 1;
        HoldGuard(self)
    }

    pub(super) fn snapshot(&self) -> ClientStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let (rate_limit_held, waiting_now) = {
            let h = self.held.lock().expect("stats lock");
            (h.total(), h.waiting)
        };
        ClientStats {
            rate_limit_held,
            waiting_now,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn overlapping_waits_count_once_as_wall_time() {
        let stats = Stats::default();
        // Three requests wait 0–3 s, 1–2 s and 2–4 s: held back 4 s, though they
        // waited 6 s in sum; then a lone wait of 1 s after a 1 s gap.
        let a = stats.hold();
        tokio::time::advance(Duration::from_secs(1)).await;
        let b = stats.hold();
        assert_eq!(stats.snapshot().waiting_now, 2);
        tokio::time::advance(Duration::from_secs(1)).await;
        let c = stats.hold();
        drop(b);
        tokio::time::advance(Duration::from_secs(1)).await;
        drop(a);
        tokio::time::advance(Duration::from_secs(1)).await;
        drop(c);
        assert_eq!(stats.snapshot().rate_limit_held, Duration::from_secs(4));
        assert_eq!(stats.snapshot().waiting_now, 0);
        tokio::time::advance(Duration::from_secs(1)).await;
        let d = stats.hold();
        tokio::time::advance(Duration::from_millis(500)).await;
        // An open wait counts up to now.
        assert_eq!(
            stats.snapshot().rate_limit_held,
            Duration::from_millis(4500)
        );
        tokio::time::advance(Duration::from_millis(500)).await;
        drop(d);
        assert_eq!(stats.snapshot().rate_limit_held, Duration::from_secs(5));
    }
}
