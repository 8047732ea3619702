//! Client-side rate limiter: one [`TokenBucket`] per access token (GCRA form of a token
//! bucket), with async acquire and a way to pause the bucket after a server 429.
//!
//! Owns: pacing arithmetic and waiting on tokio time (so `tokio::time::pause()` tests work).
//! Must not touch: HTTP, retries, token fetching, statistics (callers count waits).

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::config::RateLimit;

/// Spacing safety margin over the nominal limit, so that small differences between when
/// we send and when the server counts do not push us over a sliding window (1 %).
const SAFETY_PERMILLE: u32 = 10;

/// A fixed gap added to the spacing: requests reach the server a few milliseconds
/// earlier or later than scheduled, which matters for short windows (e.g. `10/s`).
const SAFETY_GAP: Duration = Duration::from_millis(10);

/// A token bucket expressed as GCRA: requests are spaced `interval` apart on average, and
/// at most `burst` may go back to back. Reservations are handed out in order, so
/// concurrent callers queue fairly without a background task.
///
/// Guarantee: in any window of length `interval × n` at most `n + burst − 1` requests go.
#[derive(Debug)]
pub struct TokenBucket {
    interval: Duration,
    /// `(burst − 1) × interval`: how far ahead of the schedule a request may run.
    tolerance: Duration,
    /// Theoretical arrival time of the next request.
    tat: Mutex<Option<Instant>>,
}

impl TokenBucket {
    /// A bucket with the given spacing and burst size (≥ 1).
    pub fn new(interval: Duration, burst: u32) -> Self {
        TokenBucket {
            interval,
            tolerance: interval * burst.max(1).saturating_sub(1),
            tat: Mutex::new(None),
        }
    }

    /// The bucket used per access token. A burst of a tenth of the limit lets short
    /// runs go at once; the spacing is chosen so that, burst included, no window of
    /// length `per` ever holds more than `requests` (GCRA: at most `n + burst − 1` in
    /// `n × interval`), plus a 1 % margin. At `300/min`: bursts of 30, then one request
    /// every ~236 ms.
    pub fn for_limit(limit: RateLimit) -> Self {
        let burst = (limit.requests / 10).max(1);
        let slots = limit
            .requests
            .saturating_sub(burst)
            .saturating_add(1)
            .max(1);
        let interval = limit.per / slots * (1000 + SAFETY_PERMILLE) / 1000 + SAFETY_GAP;
        TokenBucket::new(interval, burst)
    }

    /// The spacing between two requests at the steady rate.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// When a request reserved now would be allowed to go (no reservation made).
    pub fn ready_at(&self) -> Instant {
        let now = Instant::now();
        let tat = self.tat.lock().expect("limiter lock").unwrap_or(now);
        self.go_time(now, tat)
    }

    fn go_time(&self, now: Instant, tat: Instant) -> Instant {
        let earliest = tat.checked_sub(self.tolerance).unwrap_or(now);
        earliest.max(now)
    }

    /// Reserve the next slot and return when it may be used.
    pub fn reserve(&self) -> Instant {
        let now = Instant::now();
        let mut guard = self.tat.lock().expect("limiter lock");
        let tat = guard.unwrap_or(now).max(now);
        let go = self.go_time(now, tat);
        *guard = Some(tat + self.interval);
        go
    }

    /// Reserve a slot and sleep until it comes. Returns how long it waited.
    pub async fn acquire(&self) -> Duration {
        let go = self.reserve();
        let now = Instant::now();
        if go > now {
            tokio::time::sleep_until(go).await;
            go - now
        } else {
            Duration::ZERO
        }
    }

    /// Nobody may go before `until` (the server said `Retry-After`).
    pub fn pause_until(&self, until: Instant) {
        let mut guard = self.tat.lock().expect("limiter lock");
        let floor = until + self.tolerance;
        let tat = guard.unwrap_or(floor).max(floor);
        *guard = Some(tat);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn n_requests_at_r_per_second_take_n_over_r() {
        // 50 requests at 10/s: the first goes at once, the rest 100 ms apart.
        let bucket = Arc::new(TokenBucket::new(Duration::from_millis(100), 1));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let b = bucket.clone();
            tasks.push(tokio::spawn(async move {
                b.acquire().await;
                Instant::now()
            }));
        }
        let mut times = Vec::new();
        for t in tasks {
            times.push(t.await.unwrap() - start);
        }
        times.sort();
        let total = *times.last().unwrap();
        assert!(
            total >= Duration::from_millis(4900) && total <= Duration::from_millis(5000),
            "{total:?}"
        );
        // No two requests closer than the interval.
        for w in times.windows(2) {
            assert!(w[1] - w[0] >= Duration::from_millis(100), "{w:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn bursts_are_bounded() {
        let bucket = TokenBucket::new(Duration::from_millis(200), 5);
        let now = Instant::now();
        let gos: Vec<Instant> = (0..12).map(|_| bucket.reserve()).collect();
        let immediate = gos.iter().filter(|g| **g <= now).count();
        assert_eq!(immediate, 5, "burst of 5 then paced");
        assert_eq!(gos[5] - now, Duration::from_millis(200));
        assert_eq!(gos[11] - now, Duration::from_millis(1400));
        // Any window of 1 s (5 intervals) holds at most 5 + 5 − 1 reservations.
        for (i, g) in gos.iter().enumerate() {
            let in_window = gos[i..]
                .iter()
                .filter(|h| **h - *g < Duration::from_secs(1))
                .count();
            assert!(in_window <= 9, "window at {i}: {in_window}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn default_limit_stays_under_300_per_minute() {
        let bucket = TokenBucket::for_limit(RateLimit::per_minute(300));
        let start = Instant::now();
        let mut sent = 0;
        while bucket.ready_at() < start + Duration::from_secs(60) {
            bucket.acquire().await;
            sent += 1;
        }
        // Under the limit, but not by much: the margins cost about 5 %.
        assert!((280..=300).contains(&sent), "sent {sent} in a minute");
    }

    #[tokio::test(start_paused = true)]
    async fn idle_time_is_not_banked_and_pause_blocks() {
        let bucket = TokenBucket::new(Duration::from_millis(100), 1);
        bucket.acquire().await;
        tokio::time::sleep(Duration::from_secs(10)).await;
        // After a long idle period only one request goes immediately.
        assert_eq!(bucket.acquire().await, Duration::ZERO);
        assert_eq!(bucket.acquire().await, Duration::from_millis(100));
        let until = Instant::now() + Duration::from_secs(58);
        bucket.pause_until(until);
        let waited = bucket.acquire().await;
        assert!(waited >= Duration::from_secs(58), "{waited:?}");
    }
}

#[cfg(test)]
mod window_tests {
    use super::*;

    /// Whatever the burst, no sliding window of `per` sees more than `requests`.
    #[tokio::test(start_paused = true)]
    async fn bursts_never_overflow_the_servers_window() {
        for limit in [
            RateLimit {
                requests: 300,
                per: Duration::from_secs(60),
            },
            RateLimit {
                requests: 5,
                per: Duration::from_secs(1),
            },
            RateLimit {
                requests: 1,
                per: Duration::from_secs(1),
            },
        ] {
            let bucket = TokenBucket::for_limit(limit);
            let start = Instant::now();
            let mut times = Vec::new();
            for _ in 0..(limit.requests * 3) {
                bucket.acquire().await;
                times.push(Instant::now() - start);
            }
            // The first tenth goes at once.
            let burst = (limit.requests / 10).max(1) as usize;
            assert!(
                times[burst - 1] < Duration::from_millis(1),
                "{limit:?}: {:?}",
                &times[..burst]
            );
            for (i, t) in times.iter().enumerate() {
                let in_window = times[i..]
                    .iter()
                    .take_while(|u| **u < *t + limit.per)
                    .count();
                assert!(
                    in_window <= limit.requests as usize,
                    "{limit:?}: {in_window} in one window from {t:?}"
                );
            }
        }
    }
}
