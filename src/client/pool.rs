//! The access-token pool: up to `tokens` slots, each holding one cached token and its own
//! rate-limit bucket. Requests take the slot that can go soonest; a new slot (and so a new
//! token) is added only when every existing slot is busy and not more often than every
//! [`MINT_INTERVAL`], because the token endpoint has its own limit. With `tokens = 1`
//! there is exactly one slot and `pick` always returns it.
//!
//! Owns: slots, token caching per slot, single-flight refresh, slot choice. Must not touch:
//! HTTP details of the token endpoint (`auth.rs`) or of API calls (`request.rs`).

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::auth::{AccessToken, Authenticator};
use super::config::{RateLimit, Secret};
use super::error::ApiError;
use super::limiter::TokenBucket;
use super::stats::Stats;

/// Minimum time between adding two pool slots: short, since every slot not yet added is
/// budget left unused (four tokens are all in use within 0.3 s), yet no burst of token
/// requests (the token endpoint has a limit of its own).
pub(crate) const MINT_INTERVAL: Duration = Duration::from_millis(100);

/// One access token and its budget.
#[derive(Debug)]
pub(crate) struct Slot {
    pub id: usize,
    token: tokio::sync::Mutex<Option<(AccessToken, u64)>>,
    generation: AtomicU64,
    pub bucket: Option<TokenBucket>,
}

impl Slot {
    fn new(id: usize, limit: Option<RateLimit>) -> Self {
        Slot {
            id,
            token: tokio::sync::Mutex::new(None),
            generation: AtomicU64::new(0),
            bucket: limit.map(TokenBucket::for_limit),
        }
    }

    /// The cached token, fetching one first when absent or near expiry. Concurrent callers
    /// wait for the same fetch. Returns the token and its generation (for `invalidate`).
    pub(super) async fn bearer(
        &self,
        auth: &Authenticator,
        started: Instant,
        deadline: Instant,
        stats: &Stats,
    ) -> Result<(Secret, u64), ApiError> {
        let mut guard = self.token.lock().await;
        if let Some((token, generation)) = guard.as_ref()
            && token.is_fresh(Instant::now())
        {
            return Ok((token.value.clone(), *generation));
        }
        let token = auth.fetch(started, deadline, stats).await?;
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::debug!(slot = self.id, generation, "access token ready");
        let value = token.value.clone();
        *guard = Some((token, generation));
        Ok((value, generation))
    }

    /// Forget the token of `generation` (after a 401). A newer token is kept, so many
    /// requests failing with the same old token cause a single refresh.
    pub(super) async fn invalidate(&self, generation: u64) {
        let mut guard = self.token.lock().await;
        if matches!(guard.as_ref(), Some((_, g)) if *g == generation) {
            *guard = None;
        }
    }

    fn ready_at(&self, now: Instant) -> Instant {
        self.bucket.as_ref().map_or(now, TokenBucket::ready_at)
    }
}

#[derive(Debug)]
struct PoolState {
    slots: Vec<Arc<Slot>>,
    next_mint: Instant,
    round_robin: usize,
}

/// Up to `max` slots, grown on demand.
#[derive(Debug)]
pub(crate) struct TokenPool {
    state: Mutex<PoolState>,
    max: usize,
    limit: Option<RateLimit>,
}

impl TokenPool {
    pub(super) fn new(max: usize, limit: Option<RateLimit>) -> Self {
        TokenPool {
            state: Mutex::new(PoolState {
                slots: vec![Arc::new(Slot::new(0, limit))],
                next_mint: Instant::now() + MINT_INTERVAL,
                round_robin: 0,
            }),
            max: max.max(1),
            limit,
        }
    }

    /// The slot to use for the next attempt.
    pub(super) fn pick(&self) -> Arc<Slot> {
        let mut state = self.state.lock().expect("pool lock");
        if self.max == 1 {
            return state.slots[0].clone();
        }
        let now = Instant::now();
        if self.limit.is_none() {
            // No budgets to compare: spread round robin over the slots we have.
            state.round_robin = state.round_robin.wrapping_add(1);
            return state.slots[state.round_robin % state.slots.len()].clone();
        }
        let best = state
            .slots
            .iter()
            .min_by_key(|s| s.ready_at(now))
            .expect("at least one slot")
            .clone();
        let busy = best.ready_at(now) > now;
        if busy && state.slots.len() < self.max && now >= state.next_mint {
            let slot = Arc::new(Slot::new(state.slots.len(), self.limit));
            tracing::debug!(slot = slot.id, "adding a token to the pool");
            state.slots.push(slot.clone());
            state.next_mint = now + MINT_INTERVAL;
            return slot;
        }
        best
    }

    pub(super) fn len(&self) -> usize {
        self.state.lock().expect("pool lock").slots.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn single_slot_is_always_used() {
        let pool = TokenPool::new(1, Some(RateLimit::per_minute(60)));
        for _ in 0..5 {
            let s = pool.pick();
            assert_eq!(s.id, 0);
            s.bucket.as_ref().unwrap().reserve();
        }
        assert_eq!(pool.len(), 1);
    }

    /// Reserve a slot's bucket until its next request would have to wait.
    fn make_busy(slot: &Slot) {
        let b = slot.bucket.as_ref().unwrap();
        while b.ready_at() <= Instant::now() {
            b.reserve();
        }
    }

    #[tokio::test(start_paused = true)]
    async fn slots_are_added_gradually_when_busy() {
        let pool = TokenPool::new(3, Some(RateLimit::per_minute(60)));
        // Slot 0 is free: no new slot.
        let s = pool.pick();
        assert_eq!(s.id, 0);
        make_busy(&s);
        // Slot 0 is busy, but the mint interval has not passed since creation.
        assert_eq!(pool.pick().id, 0);
        tokio::time::advance(MINT_INTERVAL).await;
        // Slot 0 is still busy (a request a second at 60/min): a second slot appears.
        let s = pool.pick();
        assert_eq!(s.id, 1);
        make_busy(&s);
        // Both busy, but minting is rate-limited.
        let s = pool.pick();
        assert!(s.id < 2);
        assert_eq!(pool.len(), 2);
        tokio::time::advance(MINT_INTERVAL).await;
        for _ in 0..3 {
            make_busy(&pool.pick());
        }
        assert_eq!(pool.len(), 3);
        for _ in 0..20 {
            make_busy(&pool.pick());
        }
        assert_eq!(pool.len(), 3, "never more than the maximum");
    }

    #[tokio::test(start_paused = true)]
    async fn picks_the_slot_that_can_go_soonest() {
        let pool = TokenPool::new(2, Some(RateLimit::per_minute(60)));
        tokio::time::advance(MINT_INTERVAL).await;
        make_busy(&pool.pick());
        let second = pool.pick();
        assert_eq!(second.id, 1);
        // Slot 1 is paused by a server Retry-After; slot 0 frees up first.
        second
            .bucket
            .as_ref()
            .unwrap()
            .pause_until(Instant::now() + Duration::from_secs(30));
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(pool.pick().id, 0);
    }
}
