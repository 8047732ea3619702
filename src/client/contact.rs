//! First contact with a host: whether it has ever answered, and when to stop retrying a
//! host that never has.
//!
//! A connection refused or a name that does not resolve on the very first request almost
//! always means a wrong URL (a typo in the port, an unknown region), which retrying until
//! the request deadline (minutes) would only hide. Once a host has answered, the same
//! failures are transient and are retried as usual. Must not touch sockets or sleeping.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// How long a host that never answered may keep refusing connections before the
/// request fails.
pub(crate) const FIRST_CONTACT_PATIENCE: Duration = Duration::from_secs(3);

/// Whether a host has answered yet (any HTTP answer counts).
#[derive(Debug, Default)]
pub(crate) struct Reachability {
    answered: AtomicBool,
    first_failure: OnceLock<Instant>,
}

impl Reachability {
    /// The host answered (with any status).
    pub(super) fn answered(&self) {
        self.answered.store(true, Ordering::Relaxed);
    }

    /// `wait`, shortened so that a host that never answered is tried once more right
    /// when [`FIRST_CONTACT_PATIENCE`] runs out instead of after a long backoff.
    pub(super) fn first_contact_wait(&self, wait: Duration) -> Duration {
        match self.first_failure.get() {
            Some(first) if !self.answered.load(Ordering::Relaxed) => {
                let left = FIRST_CONTACT_PATIENCE.saturating_sub(first.elapsed());
                wait.min(left + Duration::from_millis(50))
            }
            _ => wait,
        }
    }

    /// A connection attempt failed; true when the host has never answered and has been
    /// failing for [`FIRST_CONTACT_PATIENCE`] or longer, so the request should stop.
    pub(super) fn give_up_after_connect_failure(&self) -> bool {
        if self.answered.load(Ordering::Relaxed) {
            return false;
        }
        let first = *self.first_failure.get_or_init(Instant::now);
        first.elapsed() >= FIRST_CONTACT_PATIENCE
    }
}

/// Retries that wait at least this long are shown (at warn level), not only logged at
/// debug level, so a long wait never looks like a hang.
pub(crate) const VISIBLE_WAIT: Duration = Duration::from_secs(3);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_host_that_never_answered_is_given_up_after_the_patience() {
        let r = Reachability::default();
        assert!(!r.give_up_after_connect_failure());
        tokio::time::advance(FIRST_CONTACT_PATIENCE).await;
        assert!(r.give_up_after_connect_failure());
        r.answered();
        assert!(!r.give_up_after_connect_failure());
    }

    #[tokio::test(start_paused = true)]
    async fn waits_before_first_contact_end_with_the_patience() {
        let r = Reachability::default();
        let long = Duration::from_secs(20);
        assert_eq!(r.first_contact_wait(long), long);
        assert!(!r.give_up_after_connect_failure());
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(r.first_contact_wait(long), Duration::from_millis(1050));
        r.answered();
        assert_eq!(r.first_contact_wait(long), long);
    }
}
