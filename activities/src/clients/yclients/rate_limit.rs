//! One outbound rate limit for every YClients call of the process
//! (`YCLIENTS_RATE_LIMIT_RPS`; YClients allows 5 requests/s per IP).
//!
//! Requests are spaced evenly rather than let through in bursts, so a long sync runs at
//! the limit without tripping YClients' own per-second window; a 429 `Retry-After`
//! pushes every caller back, not only the one that saw it (at most [`MAX_BACK_OFF`]).
//!
//! The wait is bounded: a caller whose turn is more than [`MAX_WAIT`] away takes no
//! turn and gets a retryable "try later" at once (with how long it would have waited),
//! so a burst or a long back-off never builds a queue nobody can see the end of.

use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// The longest a caller queues for its turn.
pub const MAX_WAIT: Duration = Duration::from_secs(20);

/// The longest one 429 holds every caller back, whatever its `Retry-After` says.
pub const MAX_BACK_OFF: Duration = crate::clients::http_answer::MAX_RETRY_AFTER;

/// A caller's turn is too far away; try again after `wait`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLong {
    /// How long the caller would have waited.
    pub wait: Duration,
}

/// Shared by all clones of the YClients client (hold it in an `Arc`).
#[derive(Debug)]
pub struct RateLimiter {
    interval: Option<Duration>,
    next_free: Mutex<Instant>,
}

impl RateLimiter {
    /// A limiter letting `rps` requests through per second; `0` turns it off.
    pub fn per_second(rps: f64) -> Self {
        let interval = (rps > 0.0).then(|| Duration::from_secs_f64(1.0 / rps));
        Self {
            interval,
            next_free: Mutex::new(Instant::now()),
        }
    }

    /// A limiter that never waits (benchmarks, tests of other behaviour).
    pub fn unlimited() -> Self {
        Self::per_second(0.0)
    }

    /// Waits for this caller's turn, unless it is more than [`MAX_WAIT`] away.
    pub async fn acquire(&self) -> Result<(), TooLong> {
        self.acquire_within(MAX_WAIT).await
    }

    /// Waits for this caller's turn, unless it is more than `max_wait` away.
    pub async fn acquire_within(&self, max_wait: Duration) -> Result<(), TooLong> {
        let slot = {
            let mut next_free = self.next_free.lock().await;
            let now = Instant::now();
            let slot = (*next_free).max(now);
            let wait = slot - now;
            if wait > max_wait {
                return Err(TooLong { wait });
            }
            if let Some(interval) = self.interval {
                *next_free = slot + interval;
            } else {
                *next_free = slot;
            }
            slot
        };
        tokio::time::sleep_until(slot).await;
        Ok(())
    }

    /// Holds every caller back until `delay` from now (YClients answered 429), at most
    /// [`MAX_BACK_OFF`].
    pub async fn back_off(&self, delay: Duration) {
        let mut next_free = self.next_free.lock().await;
        *next_free = (*next_free).max(Instant::now() + delay.min(MAX_BACK_OFF));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_are_spaced_by_the_interval() {
        let limiter = RateLimiter::per_second(5.0);
        let start = Instant::now();
        for _ in 0..6 {
            limiter.acquire().await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn back_off_delays_the_next_caller() {
        let limiter = RateLimiter::unlimited();
        let start = Instant::now();
        limiter.back_off(Duration::from_secs(3)).await;
        limiter.acquire().await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_turn_too_far_away_is_refused_at_once_and_a_huge_back_off_is_clamped() {
        let limiter = RateLimiter::unlimited();
        let start = Instant::now();
        limiter.back_off(Duration::from_secs(u64::MAX / 4)).await;
        let refused = limiter.acquire().await.unwrap_err();
        assert_eq!(start.elapsed(), Duration::ZERO, "nobody queued");
        assert_eq!(refused.wait, MAX_BACK_OFF);
        tokio::time::advance(MAX_BACK_OFF - MAX_WAIT).await;
        limiter.acquire().await.unwrap();
        assert_eq!(start.elapsed(), MAX_BACK_OFF);
    }

    #[tokio::test(start_paused = true)]
    async fn a_queue_longer_than_the_bound_turns_callers_away() {
        let limiter = RateLimiter::per_second(1.0);
        // Turns at 0, 1 and 2 s are handed out; the fourth would wait 3 s.
        let turns: Vec<_> = (0..4)
            .map(|_| limiter.acquire_within(Duration::from_secs(2)))
            .collect();
        let results = futures::future::join_all(turns).await;
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 3);
        assert_eq!(
            results[3],
            Err(TooLong {
                wait: Duration::from_secs(3)
            })
        );
    }
}
