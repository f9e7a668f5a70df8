//! Activities of the marketplace workflows (onboarding and, later, activation and
//! lifecycle): the durable facts they write.

// `#[activities]` generates one undocumented constant per activity.
#![allow(missing_docs)]

use crate::db::events::{self, NewEvent};
use sqlx::PgPool;
use std::sync::Arc;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// Owns what the marketplace activities need.
#[derive(Debug, Clone)]
pub struct MarketplaceActivities {
    /// Where events and statuses are written.
    db: PgPool,
}

impl MarketplaceActivities {
    /// Activities writing to `db`.
    pub fn new(db: PgPool) -> Self {
        Self { db }
    }
}

#[activities]
impl MarketplaceActivities {
    /// Writes a `marketplace_events` row exactly once, however often Temporal retries:
    /// without an explicit key, the activity's own identity (workflow, run, activity id)
    /// is the key.
    #[activity(name = "record_marketplace_event")]
    pub async fn record_event(
        self: Arc<Self>,
        ctx: ActivityContext,
        mut event: NewEvent,
    ) -> Result<bool, ActivityError> {
        if event.dedup_key.is_none() {
            let info = ctx.info();
            event.dedup_key = Some(format!(
                "{}/{}/{}",
                info.workflow_id.as_deref().unwrap_or("-"),
                info.workflow_run_id.as_deref().unwrap_or("-"),
                info.activity_id
            ));
        }
        let written = events::record(&self.db, &event).await?;
        tracing::info!(
            salon_id = %event.salon_id,
            event_type = event.event_type.as_str(),
            written,
            "marketplace event recorded"
        );
        Ok(written)
    }
}
