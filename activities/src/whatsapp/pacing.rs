//! Per-session send pacing, kept by the gateway node that holds the session (so every
//! worker's sends share one budget): token buckets per WhatsApp number, so a burst of
//! replies, a morning of reminders or a bug cannot make the salon's number look like a
//! spammer and get it banned. A send waits for its slot when it is near; one further
//! away is refused as [`GatewayError::Paced`](super::GatewayError::Paced), which the
//! sender retries later.

use crate::domain::SessionId;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Who a message answers: WhatsApp flags numbers that start many chats far sooner than
/// numbers that answer, so the bot's own messages get a smaller budget.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// An answer to a client who wrote.
    #[default]
    Reply,
    /// A message the bot starts (a reminder, the welcome).
    Initiated,
}

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

    /// Messages the bot starts: a few at once, then one every three seconds (a hundred
    /// reminders due at nine go out within five minutes).
    pub const INITIATED: Pace = Pace {
        burst: 5.0,
        per_second: 1.0 / 3.0,
    };

    /// No pacing at all (benchmarks measuring the gateway itself).
    pub const UNLIMITED: Pace = Pace {
        burst: f64::MAX,
        per_second: f64::MAX,
    };
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// The wait before one more token, after refilling to `now`.
    fn wait(&mut self, pace: Pace, now: Instant) -> Duration {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * pace.per_second).min(pace.burst);
        self.at = now;
        let short = 1.0 - self.tokens;
        if short <= 0.0 || pace.per_second <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(short / pace.per_second)
        }
    }
}

/// The buckets of every session a gateway node holds: every message takes a token from
/// the session's reply bucket, one the bot starts from its initiated bucket as well.
#[derive(Debug)]
pub struct SendPacer {
    replies: Pace,
    initiated: Pace,
    buckets: Mutex<HashMap<(SessionId, Origin), Bucket>>,
}

impl Default for SendPacer {
    fn default() -> Self {
        Self::new(Pace::DEFAULT, Pace::INITIATED)
    }
}

impl SendPacer {
    /// Pacing every session at `replies` overall and `initiated` for the bot's own.
    pub fn new(replies: Pace, initiated: Pace) -> Self {
        Self {
            replies,
            initiated,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Reserves a slot for one message of `origin` from `session` if it comes within
    /// `limit`: `Ok(wait)`; otherwise `Err(wait)` and nothing is reserved.
    fn reserve(
        &self,
        session: SessionId,
        origin: Origin,
        now: Instant,
        limit: Duration,
    ) -> Result<Duration, Duration> {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut taken = vec![(Origin::Reply, self.replies)];
        if origin == Origin::Initiated {
            taken.push((Origin::Initiated, self.initiated));
        }
        let mut wait = Duration::ZERO;
        for (bucket, pace) in &taken {
            let bucket = buckets.entry((session, *bucket)).or_insert(Bucket {
                tokens: pace.burst,
                at: now,
            });
            wait = wait.max(bucket.wait(*pace, now));
        }
        if wait > limit {
            return Err(wait);
        }
        for (bucket, _) in &taken {
            if let Some(bucket) = buckets.get_mut(&(session, *bucket)) {
                bucket.tokens -= 1.0;
            }
        }
        Ok(wait)
    }

    /// Waits until `session` may send one more message of `origin`, if that is within
    /// `limit`; otherwise says how long it would be, without taking a slot.
    pub async fn wait(
        &self,
        session: SessionId,
        origin: Origin,
        limit: Duration,
    ) -> Result<(), Duration> {
        let wait = self.reserve(session, origin, Instant::now(), limit)?;
        if !wait.is_zero() {
            tracing::debug!(%session, ?origin, ?wait, "send paced");
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SalonId;

    const LONG: Duration = Duration::from_secs(3600);

    fn session(id: i64) -> SessionId {
        SessionId::for_salon(SalonId::new(id).unwrap())
    }

    fn pacer() -> SendPacer {
        SendPacer::new(
            Pace {
                burst: 2.0,
                per_second: 4.0,
            },
            Pace {
                burst: 1.0,
                per_second: 0.5,
            },
        )
    }

    #[test]
    fn a_burst_passes_then_sends_are_spaced_per_session() {
        let pacer = pacer();
        let (one, two) = (session(1), session(2));
        let now = Instant::now();
        let reply = |s, at| pacer.reserve(s, Origin::Reply, at, LONG);

        assert_eq!(reply(one, now), Ok(Duration::ZERO));
        assert_eq!(reply(one, now), Ok(Duration::ZERO));
        assert_eq!(reply(one, now), Ok(Duration::from_millis(250)));
        assert_eq!(reply(one, now), Ok(Duration::from_millis(500)));
        // Another number has its own bucket.
        assert_eq!(reply(two, now), Ok(Duration::ZERO));
        // Time refills the bucket.
        assert_eq!(reply(one, now + Duration::from_secs(2)), Ok(Duration::ZERO));
    }

    #[test]
    fn the_bots_own_messages_get_the_smaller_budget_and_count_against_replies() {
        let pacer = pacer();
        let one = session(1);
        let now = Instant::now();

        assert_eq!(
            pacer.reserve(one, Origin::Initiated, now, LONG),
            Ok(Duration::ZERO)
        );
        // The next reminder waits for the initiated bucket: two seconds.
        assert_eq!(
            pacer.reserve(one, Origin::Initiated, now, LONG),
            Ok(Duration::from_secs(2))
        );
        // Both reminders took reply tokens too: a reply now waits behind them.
        assert_eq!(
            pacer.reserve(one, Origin::Reply, now, LONG),
            Ok(Duration::from_millis(250))
        );
    }

    #[test]
    fn a_slot_past_the_limit_is_refused_and_not_taken() {
        let pacer = pacer();
        let one = session(1);
        let now = Instant::now();
        let limit = Duration::from_secs(1);

        assert_eq!(
            pacer.reserve(one, Origin::Initiated, now, limit),
            Ok(Duration::ZERO)
        );
        assert_eq!(
            pacer.reserve(one, Origin::Initiated, now, limit),
            Err(Duration::from_secs(2))
        );
        // The refusal took nothing: the slot is still two seconds away, and replies
        // are as free as before.
        assert_eq!(
            pacer.reserve(one, Origin::Initiated, now, LONG),
            Ok(Duration::from_secs(2))
        );
        assert_eq!(
            pacer.reserve(one, Origin::Reply, now, limit),
            Ok(Duration::from_millis(250))
        );
    }
}
