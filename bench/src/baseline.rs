//! `baseline`: a bare workflow that runs one no-op activity — the yardstick of
//! `ai-admin-bench messages` (what the Temporal server itself costs per round trip). It
//! runs on the benchmark's own task queue and worker; the product's worker never
//! registers it.

// `#[workflow_methods]` and `#[activities]` generate one undocumented constant per
// handler.
#![allow(missing_docs)]

use ai_admin_temporal::worker::Queue;
use anyhow::Context as _;
use std::sync::Arc;
use std::time::Duration;
use temporalio_macros::{activities, workflow, workflow_methods};
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use temporalio_sdk::{
    ActivityOptions, WorkerOptions, WorkflowContext, WorkflowContextView, WorkflowResult,
};

/// State: the number to echo.
#[workflow]
pub struct BaselineWorkflow {
    input: u64,
}

#[workflow_methods]
impl BaselineWorkflow {
    /// Keeps the input.
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: u64) -> Self {
        Self { input }
    }

    /// One no-op activity.
    #[run(name = "baseline")]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<u64> {
        let input = ctx.state(|s| s.input);
        Ok(ctx
            .execute_activity(
                BaselineActivities::noop,
                input,
                ActivityOptions::with_start_to_close_timeout(Duration::from_secs(10)).build(),
            )
            .await?)
    }
}

/// The no-op.
#[derive(Debug, Clone, Copy, Default)]
pub struct BaselineActivities;

#[activities]
impl BaselineActivities {
    /// Returns its input.
    #[activity(name = "noop")]
    pub async fn noop(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: u64,
    ) -> Result<u64, ActivityError> {
        Ok(input)
    }
}

/// The baseline's worker queue: the workflow and its activity on `task_queue`.
pub fn queue(task_queue: String) -> Queue {
    let name = task_queue.clone();
    Queue::Other {
        task_queue,
        options: Box::new(move || {
            Ok(WorkerOptions::new(name)
                .register_workflow::<BaselineWorkflow>()
                .context("Failed to register the baseline workflow")?
                .register_activities(BaselineActivities)
                .build())
        }),
    }
}
