//! Activities of the marketplace workflows (onboarding and, later, activation and
//! lifecycle): the durable facts they write.

// `#[activities]` generates one undocumented constant per activity.
#![allow(missing_docs)]

use crate::acts::run_keys::attempt_key;
use crate::db::events::{self, NewEvent};
use crate::db::live_events::{self, LiveEventKind};
use crate::domain::SalonId;
use serde::{Deserialize, Serialize};
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

/// A workflow step the owner's page should show (`progress` on the WebSocket).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressUpdate {
    /// Whose page.
    pub salon_id: SalonId,
    /// Which workflow (`onboarding`, `sync`, …).
    pub workflow: String,
    /// The step's name.
    pub step: String,
    /// 0–100.
    pub percent: u8,
    /// `in_progress`, `completed`, `failed`, `expired`.
    pub status: String,
    /// Extra words for the owner (counts during sync, a failure reason).
    pub detail: Option<String>,
}

#[activities]
impl MarketplaceActivities {
    /// Writes a `marketplace_events` row exactly once, however often Temporal retries:
    /// without an explicit key, the activity's own identity (workflow, run, activity id)
    /// is the key.
    #[activity(name = "record_marketplace_event")]
    #[tracing::instrument(name = "record_marketplace_event", skip_all, fields(salon_id = %event.salon_id))]
    pub async fn record_event(
        self: Arc<Self>,
        ctx: ActivityContext,
        mut event: NewEvent,
    ) -> Result<bool, ActivityError> {
        if event.dedup_key.is_none() {
            event.dedup_key = Some(attempt_key(&ctx));
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

    /// Shows a workflow step on the owner's page, once however often it is retried.
    #[activity(name = "publish_progress")]
    #[tracing::instrument(name = "publish_progress", skip_all, fields(salon_id = %update.salon_id))]
    pub async fn publish_progress(
        self: Arc<Self>,
        ctx: ActivityContext,
        update: ProgressUpdate,
    ) -> Result<(), ActivityError> {
        let data = serde_json::json!({
            "workflow": update.workflow,
            // The run behind the step, so the page can link it in the Temporal UI.
            "workflow_id": ctx.info().workflow_id,
            "step": update.step,
            "percent": update.percent,
            "status": update.status,
            "detail": update.detail,
        });
        live_events::publish(
            &self.db,
            update.salon_id,
            LiveEventKind::Progress,
            &data,
            Some(&attempt_key(&ctx)),
        )
        .await?;
        Ok(())
    }
}
