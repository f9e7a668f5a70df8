//! The `retention-<task_queue>` schedule: the `retention` workflow every hour (overlap
//! Skip), created by each worker process on start-up if it does not exist yet.

use ai_admin_workflows::retention::RetentionWorkflow;
use anyhow::Context as _;
use std::time::Duration;
use temporalio_client::Client;
use temporalio_client::schedules::{
    CreateScheduleOptions, ScheduleAction, ScheduleError, ScheduleOverlapPolicy, ScheduleSpec,
};
use temporalio_client::tonic::Code;

/// How often old rows are pruned.
pub const EVERY: Duration = Duration::from_secs(3600);

/// The schedule's id for the workers of `task_queue`.
pub fn schedule_id(task_queue: &str) -> String {
    format!("retention-{task_queue}")
}

/// Creates the schedule unless it exists.
pub async fn ensure_schedule(client: &Client, task_queue: &str) -> anyhow::Result<()> {
    let id = schedule_id(task_queue);
    let options = CreateScheduleOptions::builder()
        .action(ScheduleAction::start_workflow(
            RetentionWorkflow::run,
            (),
            task_queue.to_owned(),
            id.clone(),
        ))
        .spec(ScheduleSpec::from_interval(EVERY))
        .overlap_policy(ScheduleOverlapPolicy::Skip)
        .note("Prunes old rows (RETENTION_* variables)".to_owned())
        .build();
    match client.create_schedule(id.clone(), options).await {
        Ok(_) => {
            tracing::info!(schedule = %id, "retention schedule created");
            Ok(())
        }
        Err(ScheduleError::Rpc(status)) if status.code() == Code::AlreadyExists => Ok(()),
        Err(error) => Err(error).with_context(|| format!("Failed to create schedule {id}")),
    }
}
