//! Keeping stored data bounded: the `prune_old_rows` activity deletes what has done its
//! job after a configured age — live events (the owners' pages replay only recent ones),
//! webhooks applied, ignored or orphaned, client messages answered or ignored, bot
//! messages sent and the assistant's turn records, and marketplace events. Anything still waiting (a pending webhook or
//! message) is kept whatever its age. The `retention` workflow runs it, started hourly by
//! the `retention-<task_queue>` schedule the worker creates.

// `#[activities]` generates one undocumented constant per activity.
#![allow(missing_docs)]

use crate::db::{console_sessions, events, inbound, live_events, outbound, turns, webhook_inbox};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// How long each kind of row is kept (the `RETENTION_*` variables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// `live_events` (`RETENTION_LIVE_EVENTS`, default 7 days).
    pub live_events: Duration,
    /// Finished `webhook_inbox` rows (`RETENTION_WEBHOOKS`, default 30 days).
    pub webhooks: Duration,
    /// Finished `inbound_messages` and sent `outbound_messages` (`RETENTION_MESSAGES`,
    /// default 90 days).
    pub messages: Duration,
    /// `marketplace_events` (`RETENTION_MARKETPLACE_EVENTS`, default 365 days).
    pub marketplace_events: Duration,
}

const DAY: u64 = 86_400;

/// How long a spent console code or an ended console session is kept (for a look at
/// who was in), after which it lets nobody in and goes.
const CONSOLE_SESSIONS_KEPT: Duration = Duration::from_secs(DAY);

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            live_events: Duration::from_secs(7 * DAY),
            webhooks: Duration::from_secs(30 * DAY),
            messages: Duration::from_secs(90 * DAY),
            marketplace_events: Duration::from_secs(365 * DAY),
        }
    }
}

/// Rows one prune deleted, per table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pruned {
    /// `live_events`.
    pub live_events: u64,
    /// `webhook_inbox`.
    pub webhooks: u64,
    /// `inbound_messages`.
    pub inbound_messages: u64,
    /// `outbound_messages`.
    pub outbound_messages: u64,
    /// `assistant_turns` (kept as long as the messages they answer).
    #[serde(default)]
    pub assistant_turns: u64,
    /// `console_codes` and `console_sessions` past use.
    #[serde(default)]
    pub console_sessions: u64,
    /// `marketplace_events`.
    pub marketplace_events: u64,
}

/// The workflow type the retention schedule starts (must match its `#[run(name)]`).
pub const RETENTION_WORKFLOW_TYPE: &str = "retention";

/// Owns what pruning needs.
#[derive(Debug, Clone)]
pub struct RetentionActivities {
    db: PgPool,
    policy: RetentionPolicy,
}

impl RetentionActivities {
    /// Prunes `db` by `policy`.
    pub fn new(db: PgPool, policy: RetentionPolicy) -> Self {
        Self { db, policy }
    }
}

#[activities]
impl RetentionActivities {
    /// Deletes every row past its retention; each table in batches, so a retry after a
    /// failure only finishes the job.
    #[activity(name = "prune_old_rows")]
    pub async fn prune_old_rows(
        self: Arc<Self>,
        _ctx: ActivityContext,
        _input: (),
    ) -> Result<Pruned, ActivityError> {
        let policy = self.policy;
        let pruned = Pruned {
            live_events: live_events::prune(&self.db, policy.live_events).await?,
            webhooks: webhook_inbox::prune(&self.db, policy.webhooks).await?,
            inbound_messages: inbound::prune(&self.db, policy.messages).await?,
            outbound_messages: outbound::prune(&self.db, policy.messages).await?,
            assistant_turns: turns::prune(&self.db, policy.messages).await?,
            console_sessions: console_sessions::prune(&self.db, CONSOLE_SESSIONS_KEPT).await?,
            marketplace_events: events::prune(&self.db, policy.marketplace_events).await?,
        };
        tracing::info!(?pruned, "old rows pruned");
        Ok(pruned)
    }
}
