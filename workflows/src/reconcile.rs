//! `install_reconcile`: once a day (the `install-reconcile-<task_queue>` schedule) every
//! installed salon is checked against YClients' install status, and any lifecycle event
//! we missed is stored for its `company-<salon_id>` to apply (see
//! `ai_admin_activities::acts::reconcile`).

// `#[workflow_methods]` generates one undocumented constant per handler.
#![allow(missing_docs)]

use ai_admin_activities::acts::reconcile::{
    RECONCILE_WORKFLOW_TYPE, ReconcileActivities, Reconciled,
};
use std::time::Duration;
use temporalio_common::RetryPolicy;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{ActivityOptions, WorkflowContext, WorkflowContextView, WorkflowResult};

fn pass_options() -> ActivityOptions {
    // A pass over many salons at YClients' 5 requests a second: heartbeats keep it alive,
    // a retry resumes after the last salon done.
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(6 * 3600))
        .heartbeat_timeout(Duration::from_secs(120))
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_secs(5))
                .maximum_interval(Duration::from_secs(300))
                .maximum_attempts(10)
                .build(),
        )
        .build()
}

/// Stateless: the daily pass over every installed salon is one activity.
#[workflow]
pub struct InstallReconcileWorkflow;

#[workflow_methods]
impl InstallReconcileWorkflow {
    /// Takes no input: a pass always covers every installed salon.
    #[init]
    pub fn new(_ctx: &WorkflowContextView, _input: ()) -> Self {
        Self
    }

    /// One `reconcile_installs` activity (heartbeating, resumable); returns its counts.
    #[run(name = RECONCILE_WORKFLOW_TYPE)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<Reconciled> {
        Ok(ctx
            .execute_activity(ReconcileActivities::reconcile_installs, (), pass_options())
            .await?)
    }
}
