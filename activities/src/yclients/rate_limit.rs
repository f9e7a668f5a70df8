//! One outbound rate limit for every YClients call of the process
//! (`YCLIENTS_RATE_LIMIT_RPS`; YClients allows 5 requests/s per IP).
//!
//! Requests are spaced evenly rather than let through in bursts, so a long sync runs at
//! the limit without tripping YClients' own per-second window; a 429 `Retry-After`
//! pushes every caller back, not only the one that saw it.

use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

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

    /// Waits for this caller's turn.
    pub async fn acquire(&self) {
        let slot = {
            let mut next_free = self.next_free.lock().await;
            let now = Instant::now();
            let slot = (*next_free).max(now);
            if let Some(interval) = self.interval {
                *next_free = slot + interval;
            } else {
                *next_free = slot;
            }
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Holds every caller back until `delay` from now (YClients answered 429).
    pub async fn back_off(&self, delay: Duration) {
        let mut next_free = self.next_free.lock().await;
        *next_free = (*next_free).max(Instant::now() + delay);
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
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn back_off_delays_the_next_caller() {
        let limiter = RateLimiter::unlimited();
        let start = Instant::now();
        limiter.back_off(Duration::from_secs(3)).await;
        limiter.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_secs(3));
    }
}
