//! Per-session send pacing: a token bucket per WhatsApp number, so a burst of replies
//! (or a bug) cannot make the salon's number look like a spammer and get it banned.
//! Sends wait for a token; they are never dropped.

use crate::domain::SessionId;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// How fast one session may send.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    /// Messages that may go out back to back.
    pub burst: f64,
    /// Messages per second after the burst.
    pub per_second: f64,
}

impl Pace {
    /// WhatsApp tolerates a few messages a second from a business number that answers
    /// its clients; far below what gets numbers flagged.
    pub const DEFAULT: Pace = Pace {
        burst: 10.0,
        per_second: 4.0,
    };
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The buckets of every session of the process.
#[derive(Debug)]
pub struct SendPacer {
    pace: Pace,
    buckets: Mutex<HashMap<SessionId, Bucket>>,
}

impl SendPacer {
    /// Pacing at `pace` for every session.
    pub fn new(pace: Pace) -> Self {
        Self {
            pace,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `session` now and says how long to wait before sending.
    fn reserve(&self, session: SessionId, now: Instant) -> Duration {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = buckets.entry(session).or_insert(Bucket {
            tokens: self.pace.burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.pace.per_second).min(self.pace.burst);
        bucket.at = now;
        bucket.tokens -= 1.0;
        if bucket.tokens >= 0.0 || self.pace.per_second <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-bucket.tokens / self.pace.per_second)
        }
    }

    /// Waits until `session` may send one more message.
    pub async fn wait(&self, session: SessionId) {
        let wait = self.reserve(session, Instant::now());
        if !wait.is_zero() {
            tracing::debug!(%session, ?wait, "send paced");
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SalonId;

    #[test]
    fn a_burst_passes_then_sends_are_spaced_per_session() {
        let pacer = SendPacer::new(Pace {
            burst: 2.0,
            per_second: 4.0,
        });
        let one = SessionId::for_salon(SalonId::new(1).unwrap());
        let two = SessionId::for_salon(SalonId::new(2).unwrap());
        let now = Instant::now();

        assert_eq!(pacer.reserve(one, now), Duration::ZERO);
        assert_eq!(pacer.reserve(one, now), Duration::ZERO);
        assert_eq!(pacer.reserve(one, now), Duration::from_millis(250));
        assert_eq!(pacer.reserve(one, now), Duration::from_millis(500));
        // Another number has its own bucket.
        assert_eq!(pacer.reserve(two, now), Duration::ZERO);
        // Time refills the bucket.
        assert_eq!(
            pacer.reserve(one, now + Duration::from_secs(2)),
            Duration::ZERO
        );
    }
}
