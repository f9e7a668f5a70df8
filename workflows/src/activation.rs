//! `activation-<salon_id>` (a child of onboarding): saves the salon's API key, then sends
//! YClients the activation callback — retried with backoff on timeouts, 429 and 5xx for
//! up to 30 minutes, never on other answers — and records `active` or
//! `activation_failed`. The outcome is returned, not raised, so onboarding can offer a
//! retry.

// `#[workflow_methods]` generates one undocumented constant per handler.
#![allow(missing_docs)]

use crate::failure_reason;
use crate::options::database_write;
use crate::search_attributes::{INTEGRATION_STATUS, SALON_ID};
use ai_admin_activities::acts::activation::{
    ActivationActivities, ActivationOutcome, FinishActivation, PrepareActivation,
};
use ai_admin_activities::acts::run_keys;
use ai_admin_activities::domain::{IntegrationStatus, SalonId};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use temporalio_common::{ActivityCloseTimeouts, RetryPolicy};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{ActivityOptions, WorkflowContext, WorkflowContextView, WorkflowResult};

/// What onboarding passes in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivationInput {
    /// The salon to activate.
    pub salon_id: SalonId,
}

/// How long the callback may keep failing transiently before activation gives up.
pub const CALLBACK_PATIENCE: Duration = Duration::from_secs(30 * 60);

fn callback_options() -> ActivityOptions {
    ActivityOptions::with_close_timeouts(ActivityCloseTimeouts::ScheduleAndStartToClose {
        schedule_to_close: CALLBACK_PATIENCE,
        start_to_close: Duration::from_secs(30),
    })
    .retry_policy(
        RetryPolicy::builder()
            .initial_interval(Duration::from_millis(500))
            .backoff_coefficient(2.0)
            .maximum_interval(Duration::from_secs(60))
            .build(),
    )
    .build()
}

/// One activation attempt.
#[workflow]
pub struct ActivationWorkflow {
    salon_id: SalonId,
}

#[workflow_methods]
impl ActivationWorkflow {
    /// Activates `input.salon_id`.
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: ActivationInput) -> Self {
        Self {
            salon_id: input.salon_id,
        }
    }

    /// Saves the key, sends the callback, records the outcome; returns it, failure or not.
    #[run(name = "activation")]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<ActivationOutcome> {
        let salon_id = ctx.state(|s| s.salon_id);
        ctx.upsert_search_attributes([
            SALON_ID.value_set(salon_id.into()),
            INTEGRATION_STATUS.value_set(IntegrationStatus::Activating.as_str().to_owned()),
        ]);
        let activation_id = run_keys::of_run(ctx.workflow_id(), ctx.run_id());
        ctx.execute_activity(
            ActivationActivities::prepare_activation,
            PrepareActivation {
                salon_id,
                activation_id,
            },
            database_write(),
        )
        .await?;

        let outcome = match ctx
            .execute_activity(
                ActivationActivities::send_activation_callback,
                salon_id,
                callback_options(),
            )
            .await
        {
            Ok(()) => ActivationOutcome::Activated,
            Err(error) => ActivationOutcome::Failed {
                reason: failure_reason(&error),
            },
        };
        ctx.execute_activity(
            ActivationActivities::finish_activation,
            FinishActivation {
                salon_id,
                outcome: outcome.clone(),
            },
            database_write(),
        )
        .await?;
        let status = match outcome {
            ActivationOutcome::Activated => IntegrationStatus::Active,
            ActivationOutcome::Failed { .. } => IntegrationStatus::ActivationFailed,
        };
        ctx.upsert_search_attributes([INTEGRATION_STATUS.value_set(status.as_str().to_owned())]);
        Ok(outcome)
    }
}
