//! The `retention-<task_queue>` schedule: the `retention` workflow every hour (overlap
//! Skip), created by each worker process on start-up if it does not exist yet.

use ai_admin_workflows::retention::RetentionWorkflow;
use std::time::Duration;
use temporalio_client::Client;
use temporalio_client::schedules::ScheduleAction;

/// How often old rows are pruned.
pub const EVERY: Duration = Duration::from_secs(3600);

/// The schedule's id for the workers of `task_queue`.
pub fn schedule_id(task_queue: &str) -> String {
    ai_admin_activities::workflow_ids::retention_schedule(task_queue)
}

/// Creates the schedule unless it exists.
pub async fn ensure_schedule(client: &Client, task_queue: &str) -> anyhow::Result<()> {
    let id = schedule_id(task_queue);
    let action = ScheduleAction::start_workflow(
        RetentionWorkflow::run,
        (),
        task_queue.to_owned(),
        id.clone(),
    );
    crate::interval_schedule::ensure_interval(
        client,
        id,
        action,
        EVERY,
        "Prunes old rows (RETENTION_* variables)",
    )
    .await
}
