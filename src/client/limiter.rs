//! Client-side rate limiter: one [`TokenBucket`] per access token (GCRA form of a token
//! bucket), with async acquire and a way to pause the bucket after a server 429.
//!
//! Owns: pacing arithmetic and waiting on tokio time (so `tokio::time::pause()` tests work).
//! Must not touch: HTTP, retries, token fetching, statistics (callers count waits).

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::config::RateLimit;

/// How much longer than the server's window our own window is, in thousandths of it
/// (1 %), so that small differences between when we send and when the server counts do
/// not push us over a sliding window.
const SAFETY_PERMILLE: u32 = 10;

/// A fixed length added to our window on top of [`SAFETY_PERMILLE`]: requests reach the
/// server a few milliseconds earlier or later than scheduled, which matters for short
/// windows (e.g. `10/s`). It is added once per window, not per request: per request it
/// would cost a third of the budget at `50/s` (a 20 ms spacing becoming 30 ms).
const SAFETY_GAP: Duration = Duration::from_millis(10);

/// The burst is this fraction of the limit (1/50): every request of the burst is spacing
/// the steady rate gives up (`limit − burst + 1` requests per window), so it stays small.
const BURST_DIVISOR: u32 = 50;

/// After a 429 the spacing grows by this many thousandths of the original one (2 %)...
const WIDEN_PERMILLE: u32 = 20;

/// ... up to this many thousandths more than the original spacing (10 %). Requests that
/// reach the server later or earlier than scheduled (a loaded machine, a slow network)
/// can crowd a window the schedule kept clear; each 429 costs a whole `Retry-After` (a
/// second or more) on its token, far more than a slightly wider spacing.
const WIDEN_MAX_PERMILLE: u32 = 100;

/// A token bucket expressed as GCRA: requests are spaced `interval` apart on average, and
/// at most `burst` may go back to back. Reservations are handed out in order, so
/// concurrent callers queue fairly without a background task.
///
/// Guarantee: in any window of length `interval × n` at most `n + burst − 1` requests go.
#[derive(Debug)]
pub struct TokenBucket {
    /// The spacing it was made with; a 429 widens the current one from there.
    base: Duration,
    burst: u32,
    schedule: Mutex<Schedule>,
}

/// The mutable part of a bucket.
#[derive(Debug)]
struct Schedule {
    /// The current spacing.
    interval: Duration,
    /// Theoretical arrival time of the next request.
    tat: Option<Instant>,
}

impl Schedule {
    /// `(burst − 1) × interval`: how far ahead of the schedule a request may run.
    fn tolerance(&self, burst: u32) -> Duration {
        self.interval * burst.max(1).saturating_sub(1)
    }

    /// When a request may go that has theoretical arrival time `tat`.
    fn go_time(&self, burst: u32, now: Instant, tat: Instant) -> Instant {
        let earliest = tat.checked_sub(self.tolerance(burst)).unwrap_or(now);
        earliest.max(now)
    }
}

impl TokenBucket {
    /// A bucket with the given spacing and burst size (≥ 1).
    pub fn new(interval: Duration, burst: u32) -> Self {
        TokenBucket {
            base: interval,
            burst: burst.max(1),
            schedule: Mutex::new(Schedule {
                interval,
                tat: None,
            }),
        }
    }

    /// The bucket used per access token: no window of length `per` (stretched by the
    /// safety margins) ever holds more than `requests`, burst included (GCRA: at most
    /// `n + burst − 1` in `n × interval`, so `interval = window / (requests − burst + 1)`).
    /// The steady rate is within about 3 % of the limit: at `300/min` bursts of 6, then
    /// one request every ~206 ms; at `50/s` one every 20.4 ms.
    pub fn for_limit(limit: RateLimit) -> Self {
        let burst = (limit.requests / BURST_DIVISOR).max(1);
        let slots = limit
            .requests
            .saturating_sub(burst)
            .saturating_add(1)
            .max(1);
        let window = limit.per * (1000 + SAFETY_PERMILLE) / 1000 + SAFETY_GAP;
        TokenBucket::new(window / slots, burst)
    }

    /// The spacing between two requests at the steady rate.
    pub fn interval(&self) -> Duration {
        self.schedule.lock().expect("limiter lock").interval
    }

    /// When a request reserved now would be allowed to go (no reservation made).
    pub fn ready_at(&self) -> Instant {
        let now = Instant::now();
        let schedule = self.schedule.lock().expect("limiter lock");
        let tat = schedule.tat.unwrap_or(now);
        schedule.go_time(self.burst, now, tat)
    }

    /// Reserve the next slot and return when it may be used.
    pub fn reserve(&self) -> Instant {
        let now = Instant::now();
        let mut schedule = self.schedule.lock().expect("limiter lock");
        let tat = schedule.tat.unwrap_or(now).max(now);
        let go = schedule.go_time(self.burst, now, tat);
        schedule.tat = Some(tat + schedule.interval);
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

    /// Nobody may go before `until` (the server answered 429 with `Retry-After`). The
    /// spacing widens a little (see [`WIDEN_PERMILLE`]), so that a server counting our
    /// requests less evenly than we send them does not answer 429 again and again.
    pub fn pause_until(&self, until: Instant) {
        let mut schedule = self.schedule.lock().expect("limiter lock");
        let widest = self.base * (1000 + WIDEN_MAX_PERMILLE) / 1000;
        schedule.interval = (schedule.interval + self.base * WIDEN_PERMILLE / 1000).min(widest);
        let floor = until + schedule.tolerance(self.burst);
        let tat = schedule.tat.unwrap_or(floor).max(floor);
        schedule.tat = Some(tat);
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
        // Under the limit, but not by much: the margins cost about 3 %.
        assert!((290..=300).contains(&sent), "sent {sent} in a minute");
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
mod widen_tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn each_429_widens_the_spacing_a_little_up_to_a_tenth() {
        let bucket = TokenBucket::new(Duration::from_millis(100), 1);
        bucket.pause_until(Instant::now());
        assert_eq!(bucket.interval(), Duration::from_millis(102));
        for _ in 0..20 {
            bucket.pause_until(Instant::now());
        }
        assert_eq!(bucket.interval(), Duration::from_millis(110));
        // The wider spacing is what reservations use.
        tokio::time::advance(Duration::from_secs(1)).await;
        let first = bucket.reserve();
        assert_eq!(bucket.reserve() - first, Duration::from_millis(110));
    }
}

#[cfg(test)]
mod window_tests {
    use super::*;

    /// At any limit, the steady rate is within 3 % of it (the budget a run can use).
    #[tokio::test(start_paused = true)]
    async fn the_steady_rate_is_close_to_the_limit() {
        for (requests, per) in [(50, 1), (5, 1), (10, 1), (300, 60), (1000, 60)] {
            let limit = RateLimit {
                requests,
                per: Duration::from_secs(per),
            };
            let bucket = TokenBucket::for_limit(limit);
            let start = Instant::now();
            let windows = 20;
            let n = requests * windows;
            for _ in 0..n {
                bucket.acquire().await;
            }
            let took = (Instant::now() - start).as_secs_f64();
            let ideal = f64::from(n - 1) * per as f64 / f64::from(requests);
            assert!(
                took <= ideal * 1.03,
                "{limit:?}: {n} requests in {took:.2} s, ideal {ideal:.2} s"
            );
        }
    }

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
            // The first fiftieth goes at once.
            let burst = (limit.requests / BURST_DIVISOR).max(1) as usize;
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
