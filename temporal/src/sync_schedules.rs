//! Reading a salon's recurring-sync schedules (`sync-<salon_id>-<part>`) for its owner:
//! when each part syncs next, and whether the schedules are paused (a frozen salon).

use ai_admin_activities::acts::recurring_sync::{CRON_TABLE, schedule_id};
use ai_admin_activities::domain::SalonId;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::time::Duration;
use temporalio_client::{Client, RpcOptions};

/// How long a description may take before the owner's page goes on without it.
const DESCRIBE_TIMEOUT: Duration = Duration::from_secs(3);

/// One part's next sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextSync {
    /// The part (`services`, `bookings`, …).
    pub part: &'static str,
    /// When it runs next; `None` while paused or when Temporal did not say.
    pub next_at: Option<DateTime<Utc>>,
    /// The schedule is paused (the salon is frozen).
    pub paused: bool,
}

/// The salon's schedules that exist, soonest first. A schedule Temporal cannot describe
/// in time is left out (the page is a view, not the source of truth).
pub async fn next_syncs(client: &Client, salon_id: SalonId) -> Vec<NextSync> {
    let lookups = CRON_TABLE.iter().map(|(part, _)| async move {
        let handle = client.get_schedule_handle(schedule_id(salon_id, *part));
        let described =
            tokio::time::timeout(DESCRIBE_TIMEOUT, handle.describe(RpcOptions::default()))
                .await
                .ok()?
                .ok()?;
        let paused = described.paused();
        let next_at = described
            .future_action_times()
            .into_iter()
            .next()
            .filter(|_| !paused)
            .map(DateTime::<Utc>::from);
        Some(NextSync {
            part: part.as_str(),
            next_at,
            paused,
        })
    });
    let mut found: Vec<NextSync> = futures::future::join_all(lookups)
        .await
        .into_iter()
        .flatten()
        .collect();
    found.sort_by_key(|sync| (sync.next_at.is_none(), sync.next_at));
    found
}
