//! `retention`: one prune of old rows (started hourly by the `retention-<task_queue>`
//! schedule; see `ai_admin_activities::acts::retention`).

// `#[workflow_methods]` generates one undocumented constant per handler.
#![allow(missing_docs)]

use ai_admin_activities::acts::retention::{Pruned, RetentionActivities};
use std::time::Duration;
use temporalio_common::RetryPolicy;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{ActivityOptions, WorkflowContext, WorkflowContextView, WorkflowResult};

/// No state: the policy is the worker's configuration.
#[workflow]
pub struct RetentionWorkflow;

#[workflow_methods]
impl RetentionWorkflow {
    /// Nothing to keep.
    #[init]
    pub fn new(_ctx: &WorkflowContextView, _input: ()) -> Self {
        Self
    }

    /// Prunes once; a backlog of many rows takes a few batches, hence the long timeout.
    #[run(name = "retention")]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<Pruned> {
        Ok(ctx
            .execute_activity(
                RetentionActivities::prune_old_rows,
                (),
                ActivityOptions::with_start_to_close_timeout(Duration::from_secs(600))
                    .retry_policy(
                        RetryPolicy::builder()
                            .initial_interval(Duration::from_secs(5))
                            .maximum_interval(Duration::from_secs(300))
                            .maximum_attempts(5)
                            .build(),
                    )
                    .build(),
            )
            .await?)
    }
}
