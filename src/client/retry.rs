//! Retry policy: a pure decision function ([`decide`]) over the outcome of one attempt,
//! plus the jittered exponential backoff schedule (backon's `ExponentialBuilder`).
//!
//! Owns: which outcomes are retried, how long to wait, when a create becomes ambiguous and
//! when the deadline is hit. Must not touch: sockets, sleeping, tokens or statistics; the
//! request loop in `request.rs` acts on the returned [`Decision`].

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

/// Whether a request may be repeated after an unclear failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idempotency {
    /// Repeating it is harmless: GET, PUT, version-guarded PATCH, additive POSTs, DELETE.
    Safe,
    /// A POST that creates. Never repeated once the server may have seen it (5xx,
    /// timeout, broken connection); 429 and connect failures are still retried.
    Create,
}

/// How an attempt failed at the transport level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportKind {
    /// Could not connect: the request never left this machine. Safe to retry even a create.
    Connect,
    /// The attempt timed out (the server may be processing it).
    Timeout,
    /// Any other failure after the request may have been sent (reset, bad response, ...).
    Other,
}

/// What one attempt produced, reduced to what the policy needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The server answered with this status.
    Status {
        /// The HTTP status.
        status: u16,
        /// The `Retry-After` it asked for, if any.
        retry_after: Option<Duration>,
    },
    /// No answer: the kind of transport failure.
    Transport(TransportKind),
}

/// The state of the logical request when an attempt finishes.
#[derive(Clone, Copy, Debug)]
pub struct Context {
    /// Whether the request may be repeated.
    pub idempotency: Idempotency,
    /// Time spent on this logical request so far.
    pub elapsed: Duration,
    /// Total budget of the logical request.
    pub deadline: Duration,
    /// Whether the token was already refreshed after a 401 for this request.
    pub refreshed: bool,
}

/// What to do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Hand the outcome to the caller (success, or an error that is not retried).
    Return,
    /// 401: drop the cached token, fetch a new one and repeat once, without waiting.
    RefreshToken,
    /// Wait and try again. `throttled` is true when the wait was asked for by the server (429).
    Retry {
        /// How long to wait.
        wait: Duration,
        /// Whether the server asked for the wait (429).
        throttled: bool,
    },
    /// A create may have been committed; do not repeat it.
    Ambiguous,
    /// A retry would be allowed but the wait does not fit in the deadline.
    Deadline,
}

/// Backoff and jitter parameters.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// First exponential delay.
    pub base: Duration,
    /// Growth of the exponential delay per attempt.
    pub factor: f32,
    /// Longest exponential delay (after jitter).
    pub cap: Duration,
    /// Jitter added to a server `Retry-After`: up to this fraction of it ...
    pub retry_after_jitter_fraction: f64,
    /// ... but never more than this.
    pub retry_after_jitter_max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_millis(200),
            factor: 2.0,
            cap: Duration::from_secs(30),
            retry_after_jitter_fraction: 0.10,
            retry_after_jitter_max: Duration::from_millis(250),
        }
    }
}

/// Exponential backoff with jitter and a cap; an endless iterator of delays.
#[derive(Debug)]
pub struct Backoff {
    inner: backon::ExponentialBackoff,
    cap: Duration,
}

impl Iterator for Backoff {
    type Item = Duration;
    fn next(&mut self) -> Option<Duration> {
        // backon adds jitter in [0, delay) after capping; cap the sum again.
        Some(self.inner.next().unwrap_or(self.cap).min(self.cap))
    }
}

impl RetryPolicy {
    /// A fresh backoff schedule: `base`, `base × factor`, ... each plus up to 100 % jitter,
    /// never above `cap`. `seed` makes it deterministic (tests).
    pub fn backoff(&self, seed: Option<u64>) -> Backoff {
        let mut builder = ExponentialBuilder::default()
            .with_min_delay(self.base)
            .with_factor(self.factor)
            .with_max_delay(self.cap)
            .without_max_times()
            .with_jitter();
        if let Some(seed) = seed {
            builder = builder.with_jitter_seed(seed);
        }
        Backoff {
            inner: builder.build(),
            cap: self.cap,
        }
    }

    /// `Retry-After` plus a little jitter (≤ 10 % and ≤ 250 ms; at least a few ms for a
    /// `Retry-After: 0`). `unit` is a random number in `[0, 1)`.
    pub fn retry_after_wait(&self, retry_after: Duration, unit: f64) -> Duration {
        let spread = retry_after
            .mul_f64(self.retry_after_jitter_fraction)
            .max(Duration::from_millis(20))
            .min(self.retry_after_jitter_max);
        retry_after + spread.mul_f64(unit.clamp(0.0, 1.0))
    }
}

/// The retry decision for one finished attempt. Pure: the next exponential delay and a
/// random number for `Retry-After` jitter are passed in.
///
/// * 2xx/3xx and 4xx other than 401/429 → [`Decision::Return`].
/// * 401 → refresh the token once, then return.
/// * 429 → wait exactly `Retry-After` (no cap) plus small jitter, or the backoff when the
///   header is absent; retried even for [`Idempotency::Create`].
/// * 502/503/504 → backoff (or `Retry-After` when given); connect errors, timeouts and
///   other transport errors → backoff.
/// * A create after any 5xx, a timeout or a transport error past connecting → ambiguous.
/// * Any wait that would end past the deadline → [`Decision::Deadline`].
pub fn decide(
    outcome: Outcome,
    ctx: &Context,
    policy: &RetryPolicy,
    next_backoff: Duration,
    unit: f64,
) -> Decision {
    let create = ctx.idempotency == Idempotency::Create;
    let (wait, throttled) = match outcome {
        Outcome::Status { status, .. } if status < 400 => return Decision::Return,
        Outcome::Status { status: 401, .. } => {
            return if ctx.refreshed {
                Decision::Return
            } else {
                Decision::RefreshToken
            };
        }
        Outcome::Status {
            status: 429,
            retry_after,
        } => match retry_after {
            Some(ra) => (policy.retry_after_wait(ra, unit), true),
            None => (next_backoff, true),
        },
        Outcome::Status { status, .. } if status >= 500 && create => return Decision::Ambiguous,
        Outcome::Status {
            status: 502..=504,
            retry_after,
        } => match retry_after {
            Some(ra) => (policy.retry_after_wait(ra, unit), false),
            None => (next_backoff, false),
        },
        Outcome::Status { .. } => return Decision::Return,
        Outcome::Transport(TransportKind::Connect) => (next_backoff, false),
        Outcome::Transport(_) if create => return Decision::Ambiguous,
        Outcome::Transport(_) => (next_backoff, false),
    };
    if ctx.elapsed.saturating_add(wait) >= ctx.deadline {
        return Decision::Deadline;
    }
    Decision::Retry { wait, throttled }
}

/// Parse a `Retry-After` header value in seconds (integer or decimal). HTTP dates are not
/// used by Genesys and fall back to backoff.
pub(super) fn parse_retry_after(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    (0.0..86_400.0)
        .contains(&secs)
        .then(|| Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(idempotency: Idempotency) -> Context {
        Context {
            idempotency,
            elapsed: Duration::ZERO,
            deadline: Duration::from_secs(600),
            refreshed: false,
        }
    }

    fn status(status: u16, retry_after: Option<u64>) -> Outcome {
        Outcome::Status {
            status,
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    const P: RetryPolicy = RetryPolicy {
        base: Duration::from_millis(200),
        factor: 2.0,
        cap: Duration::from_secs(30),
        retry_after_jitter_fraction: 0.10,
        retry_after_jitter_max: Duration::from_millis(250),
    };
    const B: Duration = Duration::from_millis(300);

    fn wait_of(d: Decision) -> Duration {
        match d {
            Decision::Retry { wait, .. } => wait,
            other => panic!("expected a retry, got {other:?}"),
        }
    }

    #[test]
    fn retry_after_58_is_honoured_without_cap() {
        for unit in [0.0, 0.5, 0.999] {
            let d = decide(status(429, Some(58)), &ctx(Idempotency::Safe), &P, B, unit);
            let w = wait_of(d);
            assert!(w >= Duration::from_secs(58), "{w:?}");
            assert!(w <= Duration::from_millis(58_250), "{w:?}");
            assert!(matches!(
                d,
                Decision::Retry {
                    throttled: true,
                    ..
                }
            ));
        }
        // Far above the 30 s backoff cap: still exactly honoured.
        let w = wait_of(decide(
            status(429, Some(300)),
            &ctx(Idempotency::Safe),
            &P,
            B,
            0.0,
        ));
        assert_eq!(w, Duration::from_secs(300));
    }

    #[test]
    fn retry_after_zero_gets_small_jitter_and_missing_header_backs_off() {
        let w = wait_of(decide(
            status(429, Some(0)),
            &ctx(Idempotency::Safe),
            &P,
            B,
            0.99,
        ));
        assert!(w < Duration::from_millis(25), "{w:?}");
        let w = wait_of(decide(
            status(429, None),
            &ctx(Idempotency::Safe),
            &P,
            B,
            0.5,
        ));
        assert_eq!(w, B);
    }

    #[test]
    fn server_errors_back_off_exponentially_with_jitter() {
        for s in [502, 503, 504] {
            let d = decide(status(s, None), &ctx(Idempotency::Safe), &P, B, 0.0);
            assert_eq!(
                d,
                Decision::Retry {
                    wait: B,
                    throttled: false
                }
            );
        }
        // The schedule: delay n lies in [base·2ⁿ, 2·base·2ⁿ], capped at 30 s, and varies.
        for seed in 0..20u64 {
            let delays: Vec<Duration> = P.backoff(Some(seed)).take(12).collect();
            for (n, d) in delays.iter().enumerate() {
                let nominal = (P.base * 2u32.pow(n as u32)).min(P.cap);
                let ms = Duration::from_millis(1);
                assert!(
                    *d + ms >= nominal && *d <= (nominal * 2).min(P.cap) + ms,
                    "n={n} {d:?}"
                );
            }
            assert_eq!(*delays.last().unwrap(), P.cap);
        }
        let a: Vec<_> = P.backoff(Some(1)).take(4).collect();
        let b: Vec<_> = P.backoff(Some(2)).take(4).collect();
        assert_ne!(a, b, "jitter differs between schedules");
    }

    #[test]
    fn other_client_errors_are_not_retried() {
        for s in [200, 204, 400, 403, 404, 409, 412, 500, 501] {
            let d = decide(status(s, None), &ctx(Idempotency::Safe), &P, B, 0.0);
            assert_eq!(d, Decision::Return, "status {s}");
        }
    }

    #[test]
    fn unauthorized_refreshes_once() {
        let mut c = ctx(Idempotency::Create);
        assert_eq!(
            decide(status(401, None), &c, &P, B, 0.0),
            Decision::RefreshToken
        );
        c.refreshed = true;
        assert_eq!(decide(status(401, None), &c, &P, B, 0.0), Decision::Return);
    }

    #[test]
    fn creates_are_ambiguous_after_5xx_and_timeouts_but_retried_after_429() {
        let c = ctx(Idempotency::Create);
        for s in [500, 502, 503, 504] {
            assert_eq!(
                decide(status(s, None), &c, &P, B, 0.0),
                Decision::Ambiguous,
                "{s}"
            );
        }
        for k in [TransportKind::Timeout, TransportKind::Other] {
            assert_eq!(
                decide(Outcome::Transport(k), &c, &P, B, 0.0),
                Decision::Ambiguous
            );
        }
        let w = wait_of(decide(status(429, Some(2)), &c, &P, B, 0.0));
        assert_eq!(w, Duration::from_secs(2));
        // Connect failures never reached the server.
        assert!(matches!(
            decide(Outcome::Transport(TransportKind::Connect), &c, &P, B, 0.0),
            Decision::Retry { .. }
        ));
        // Safe requests retry transport errors.
        let s = ctx(Idempotency::Safe);
        assert!(matches!(
            decide(Outcome::Transport(TransportKind::Timeout), &s, &P, B, 0.0),
            Decision::Retry { .. }
        ));
        // 409 on a create is an answer, not ambiguity.
        assert_eq!(decide(status(409, None), &c, &P, B, 0.0), Decision::Return);
    }

    #[test]
    fn deadline_is_respected() {
        let mut c = ctx(Idempotency::Safe);
        c.elapsed = Duration::from_secs(550);
        assert_eq!(
            decide(status(429, Some(58)), &c, &P, B, 0.0),
            Decision::Deadline
        );
        assert!(matches!(
            decide(status(429, Some(49)), &c, &P, B, 0.0),
            Decision::Retry { .. }
        ));
        c.elapsed = Duration::from_millis(599_800);
        assert_eq!(
            decide(status(503, None), &c, &P, B, 0.0),
            Decision::Deadline
        );
    }

    #[test]
    fn parses_retry_after() {
        assert_eq!(parse_retry_after("58"), Some(Duration::from_secs(58)));
        assert_eq!(
            parse_retry_after(" 1.5 "),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-3"), None);
    }
}
