//! The personal-data deletion after an uninstall: `erasure-<salon_id>` (started when the
//! `uninstall` event is applied) waits `PERSONAL_DATA_GRACE` on a durable timer and then
//! deletes the salon's personal data ([`crate::db::erasure`]) with a
//! `personal_data_erased` event, unless the salon installed the application again
//! meanwhile. Its activities look at the salon and erase; both re-read the database, so
//! an uninstall, a reinstall and a second uninstall inside one grace period are judged by
//! the latest.

// `#[activities]` generates one undocumented constant per activity.
#![allow(missing_docs)]

use crate::db::erasure::{self, ErasureCheck};
use crate::domain::SalonId;
use anyhow::Context as _;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use temporalio_client::{Client, WorkflowIdConflictPolicy, WorkflowStartOptions};
use temporalio_common::{HasWorkflowDefinition, WorkflowDefinition};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// The workflow type of `erasure-<salon_id>`.
pub const ERASURE_WORKFLOW_TYPE: &str = "personal_data_erasure";

/// `erasure-<salon_id>` for starters outside the workflows crate.
#[derive(Debug, Clone, Copy)]
pub struct ErasureWorkflowRef;

impl WorkflowDefinition for ErasureWorkflowRef {
    type Input = SalonId;
    type Output = ();
    fn name(&self) -> &str {
        ERASURE_WORKFLOW_TYPE
    }
}

impl HasWorkflowDefinition for ErasureWorkflowRef {
    type Run = Self;
}

/// Starts the salon's erasure, or leaves the one running (it reads the latest uninstall
/// when it next looks).
pub async fn schedule(client: &Client, task_queue: &str, salon_id: SalonId) -> anyhow::Result<()> {
    let id = crate::workflow_ids::erasure(salon_id);
    let options = WorkflowStartOptions::new(task_queue.to_owned(), id.clone())
        .id_conflict_policy(WorkflowIdConflictPolicy::UseExisting)
        .static_summary(format!(
            "Personal data of salon {salon_id} after its uninstall"
        ))
        .build();
    match client
        .start_workflow(ErasureWorkflowRef, salon_id, options)
        .await
    {
        Ok(_) | Err(temporalio_client::errors::WorkflowStartError::AlreadyStarted { .. }) => Ok(()),
        Err(error) => Err(error).with_context(|| format!("Failed to start {id}")),
    }
}

/// Owns what the erasure needs.
#[derive(Debug, Clone)]
pub struct ErasureActivities {
    db: PgPool,
    grace: Duration,
}

impl ErasureActivities {
    /// Erases `grace` after an uninstall.
    pub fn new(db: PgPool, grace: Duration) -> Self {
        Self { db, grace }
    }
}

#[activities]
impl ErasureActivities {
    /// Where the salon's erasure stands.
    #[activity(name = "check_erasure")]
    #[tracing::instrument(name = "check_erasure", skip_all, fields(salon_id = %salon_id))]
    pub async fn check_erasure(
        self: Arc<Self>,
        _ctx: ActivityContext,
        salon_id: SalonId,
    ) -> Result<ErasureCheck, ActivityError> {
        let mut db = self.db.acquire().await.map_err(anyhow::Error::from)?;
        Ok(erasure::look(&mut db, salon_id, self.grace).await?)
    }

    /// Deletes the salon's personal data if it is (still) due, and records what went.
    /// Returns whether it erased.
    #[activity(name = "erase_personal_data")]
    #[tracing::instrument(name = "erase_personal_data", skip_all, fields(salon_id = %salon_id))]
    pub async fn erase_personal_data(
        self: Arc<Self>,
        _ctx: ActivityContext,
        salon_id: SalonId,
    ) -> Result<bool, ActivityError> {
        let mut db = self.db.acquire().await.map_err(anyhow::Error::from)?;
        let Some(erased) = erasure::erase(&mut db, salon_id, self.grace).await? else {
            return Ok(false);
        };
        tracing::info!(%salon_id, rows = erased.total(), "personal data erased after the uninstall");
        Ok(true)
    }
}
