//! `baseline`: a bare workflow that runs one no-op activity — the yardstick of
//! `ai-admin bench messages` (what the Temporal server itself costs per round trip).

// `#[workflow_methods]` generates one undocumented constant per handler.
#![allow(missing_docs)]

use ai_admin_activities::acts::baseline::BaselineActivities;
use std::time::Duration;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{ActivityOptions, WorkflowContext, WorkflowContextView, WorkflowResult};

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
