//! The salon's recurring syncs as Temporal Schedules, following the original system's
//! cron table in the salon's own time zone. Each schedule starts `sync` for one part;
//! a run that is still going makes the next one skip (overlap policy Skip). Schedule ids
//! name the salon: `sync-<salon_id>-<part>`.

// `#[activities]` generates one undocumented constant per activity.
#![allow(missing_docs)]

use crate::acts::sync::{SyncInput, SyncPart, SyncWorkflowRef};
use crate::domain::SalonId;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use temporalio_client::schedules::{
    CreateScheduleOptions, ScheduleAction, ScheduleError, ScheduleOverlapPolicy, ScheduleSpec,
};
use temporalio_client::tonic::Code;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// The spec's cron table: which part syncs when (salon local time).
pub const CRON_TABLE: [(SyncPart, &str); 8] = [
    (SyncPart::Services, "0 1 * * *"),
    (SyncPart::Staff, "0 2 * * *"),
    (SyncPart::Clients, "0 3 * * *"),
    (SyncPart::Visits, "0 4 * * *"),
    (SyncPart::Schedules, "0 5 * * *"),
    (SyncPart::SchedulesToday, "0 8-23 * * *"),
    (SyncPart::Company, "0 0 * * 0"),
    (SyncPart::Bookings, "*/15 * * * *"),
];

/// The id of the schedule that syncs `part` of a salon.
pub fn schedule_id(salon_id: SalonId, part: SyncPart) -> String {
    crate::workflow_ids::sync_part_schedule(salon_id, part.as_str())
}

/// Input of [`RecurringSyncActivities::ensure_sync_schedules`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnsureSchedules {
    /// Names its schedules (one per part) and goes into every sync they start.
    pub salon_id: SalonId,
    /// Its IANA time zone.
    pub timezone: String,
}

/// Creates the schedules through the worker's own Temporal connection.
#[derive(Debug, Clone, Default)]
pub struct RecurringSyncActivities;

#[activities]
impl RecurringSyncActivities {
    /// Creates every schedule of the cron table that does not exist yet; returns how many
    /// it created. Existing ones are left as they are, so retries and re-activations are
    /// harmless.
    #[activity(name = "ensure_sync_schedules")]
    #[tracing::instrument(name = "ensure_sync_schedules", skip_all, fields(salon_id = %input.salon_id))]
    pub async fn ensure_sync_schedules(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: EnsureSchedules,
    ) -> Result<u32, ActivityError> {
        let client = ctx.client();
        let task_queue = ctx.info().task_queue.clone();
        let mut created = 0;
        for (part, cron) in CRON_TABLE {
            let id = schedule_id(input.salon_id, part);
            let options = CreateScheduleOptions::builder()
                .action(ScheduleAction::start_workflow(
                    SyncWorkflowRef,
                    SyncInput {
                        salon_id: input.salon_id,
                        parts: vec![part],
                        publish_progress: false,
                    },
                    task_queue.clone(),
                    id.clone(),
                ))
                .spec(
                    ScheduleSpec::builder()
                        .cron_strings(vec![cron.to_owned()])
                        .timezone_name(input.timezone.clone())
                        .build(),
                )
                .overlap_policy(ScheduleOverlapPolicy::Skip)
                .note(format!(
                    "Recurring {} sync of salon {}",
                    part.as_str(),
                    input.salon_id
                ))
                .build();
            match client.create_schedule(id.clone(), options).await {
                Ok(_) => created += 1,
                Err(ScheduleError::Rpc(status)) if status.code() == Code::AlreadyExists => {}
                Err(error) => {
                    return Err(anyhow::Error::new(error)
                        .context(format!("Failed to create schedule {id}"))
                        .into());
                }
            }
        }
        tracing::info!(salon_id = %input.salon_id, created, timezone = %input.timezone, "sync schedules ensured");
        Ok(created)
    }
}
