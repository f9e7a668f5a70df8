//! `wa-call-<session>-<nonce>`: one WhatsApp operation run on the gateway node holding
//! the session. It is started on that node's task queue (`wa-<node_id>`) and runs its
//! one activity there too, so the call shows in the Temporal UI like every other step.

// `#[workflow_methods]` generates one undocumented constant per handler.
#![allow(missing_docs)]

use ai_admin_activities::acts::gateway_calls::{GatewayCallActivities, RemoteCall};
use ai_admin_activities::whatsapp::calls::CallResult;
use std::time::Duration;
use temporalio_common::RetryPolicy;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ActivityOptions, ApplicationFailure, WorkflowContext, WorkflowContextView, WorkflowResult,
};

/// Longest a gateway operation may take (starting a live session connects to WhatsApp).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// State: the call.
#[workflow]
pub struct WhatsAppCallWorkflow {
    input: RemoteCall,
}

#[workflow_methods]
impl WhatsAppCallWorkflow {
    /// Keeps the call.
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: RemoteCall) -> Self {
        Self { input }
    }

    /// Runs the call once: a send is not repeated here, its caller decides (it keeps the
    /// ledger that makes a retried send safe). A call that failed fails the run, so the
    /// id of a keyed send may run again, while a send that went out answers every later
    /// ask with its message id.
    #[run(name = "whatsapp_call")]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<CallResult> {
        let input = ctx.state(|s| s.input.clone());
        let result = ctx
            .execute_activity(
                GatewayCallActivities::call,
                input,
                ActivityOptions::with_start_to_close_timeout(CALL_TIMEOUT)
                    .retry_policy(RetryPolicy::builder().maximum_attempts(1).build())
                    .build(),
            )
            .await?;
        match result {
            Ok(reply) => Ok(Ok(reply)),
            Err(error) => Err(ApplicationFailure::new(error.to_failure_message()))?,
        }
    }
}
