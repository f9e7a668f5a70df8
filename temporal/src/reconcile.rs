//! The `install-reconcile-<task_queue>` schedule: `install_reconcile` every
//! `INSTALL_RECONCILE_EVERY` (a day; overlap Skip), created by each worker process on
//! start-up if it does not exist yet.

use ai_admin_workflows::reconcile::InstallReconcileWorkflow;
use std::time::Duration;
use temporalio_client::Client;
use temporalio_client::schedules::ScheduleAction;

/// The schedule's id for the workers of `task_queue`.
pub fn schedule_id(task_queue: &str) -> String {
    ai_admin_activities::workflow_ids::install_reconcile_schedule(task_queue)
}

/// Creates the schedule, every `every`, unless it exists.
pub async fn ensure_schedule(
    client: &Client,
    task_queue: &str,
    every: Duration,
) -> anyhow::Result<()> {
    let id = schedule_id(task_queue);
    let action = ScheduleAction::start_workflow(
        InstallReconcileWorkflow::run,
        (),
        task_queue.to_owned(),
        id.clone(),
    );
    crate::interval_schedule::ensure_interval(
        client,
        id,
        action,
        every,
        "Checks every installed salon against YClients' install status",
    )
    .await
}
