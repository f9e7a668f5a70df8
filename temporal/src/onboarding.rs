//! Starting, signalling and querying `onboarding-<salon_id>` from the API.

use crate::connection::TemporalConfig;
use ai_admin_activities::domain::{IntegrationStatus, SalonId};
use ai_admin_activities::workflow_ids as ids;
use ai_admin_workflows::onboarding::{
    ActivationResult, OnboardingInput, OnboardingWorkflow, Progress, WhatsAppConnected,
};
use ai_admin_workflows::search_attributes::{INTEGRATION_STATUS, SALON_ID};
use anyhow::Context as _;
use std::time::Duration;
use temporalio_client::{
    Client, WorkflowExecuteUpdateOptions, WorkflowIdConflictPolicy, WorkflowIdReusePolicy,
    WorkflowQueryOptions, WorkflowSignalOptions, WorkflowStartOptions,
    errors::{
        WorkflowInteractionError, WorkflowQueryError, WorkflowStartError, WorkflowUpdateError,
    },
};
use temporalio_common::search_attributes::SearchAttributes;

/// Upper bound for one call to Temporal made while a person waits.
const INTERACTIVE_RPC_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts the salon's onboarding, or finds the one already running (a second redirect
/// for the same salon must not start a second one). Returns its run id.
pub async fn start_or_reuse(
    client: &Client,
    config: &TemporalConfig,
    input: OnboardingInput,
) -> anyhow::Result<String> {
    let workflow_id = ids::onboarding(input.salon_id);
    let options = WorkflowStartOptions::new(config.task_queue.clone(), workflow_id.clone())
        .id_conflict_policy(WorkflowIdConflictPolicy::UseExisting)
        .id_reuse_policy(WorkflowIdReusePolicy::AllowDuplicate)
        .search_attributes(SearchAttributes::new([
            SALON_ID.value_set(input.salon_id.into()),
            INTEGRATION_STATUS.value_set(IntegrationStatus::PendingWhatsapp.as_str().to_owned()),
        ]))
        .static_summary(format!("Onboarding of salon {}", input.salon_id))
        .rpc_options(interactive_rpc())
        .build();
    match client
        .start_workflow(OnboardingWorkflow::run, input, options)
        .await
    {
        Ok(handle) => Ok(handle.run_id().unwrap_or_default().to_owned()),
        Err(WorkflowStartError::AlreadyStarted { run_id, .. }) => Ok(run_id.unwrap_or_default()),
        Err(error) => Err(error).with_context(|| format!("Failed to start workflow {workflow_id}")),
    }
}

/// The onboarding's `progress`, or `None` when the salon has no onboarding workflow.
pub async fn progress(client: &Client, salon_id: SalonId) -> anyhow::Result<Option<Progress>> {
    let handle = client.get_workflow_handle::<OnboardingWorkflow>(ids::onboarding(salon_id));
    let options = WorkflowQueryOptions::builder()
        .rpc_options(interactive_rpc())
        .build();
    match handle
        .query(OnboardingWorkflow::progress, (), options)
        .await
    {
        Ok(progress) => Ok(Some(progress)),
        Err(WorkflowQueryError::NotFound(_)) => Ok(None),
        Err(error) => Err(error).context("Failed to query the onboarding progress"),
    }
}

/// Tells the salon's onboarding that its WhatsApp is linked. Returns false when no
/// onboarding is running (it expired or finished; the link is recorded anyway).
pub async fn signal_whatsapp_connected(
    client: &Client,
    salon_id: SalonId,
    phone: &str,
) -> anyhow::Result<bool> {
    let handle = client.get_workflow_handle::<OnboardingWorkflow>(ids::onboarding(salon_id));
    let options = WorkflowSignalOptions::builder()
        .rpc_options(interactive_rpc())
        .build();
    match handle
        .signal(
            OnboardingWorkflow::whatsapp_connected,
            WhatsAppConnected {
                phone: phone.to_owned(),
            },
            options,
        )
        .await
    {
        Ok(()) => Ok(true),
        Err(WorkflowInteractionError::NotFound(_)) => Ok(false),
        Err(error) => Err(error).context("Failed to signal the onboarding workflow"),
    }
}

/// How an owner's "activate" went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivateAnswer {
    /// The onboarding answered: activated, or the last attempt's failure.
    Finished(ActivationResult),
    /// No onboarding is running for the salon (finished or expired).
    NoOnboarding,
    /// The onboarding refused: the phone is not linked yet.
    NotLinked,
    /// The attempt did not finish within the wait.
    StillRunning,
}

/// Sends `activate` to the salon's onboarding and waits up to `wait` for the answer.
pub async fn activate(
    client: &Client,
    salon_id: SalonId,
    wait: Duration,
) -> anyhow::Result<ActivateAnswer> {
    let handle = client.get_workflow_handle::<OnboardingWorkflow>(ids::onboarding(salon_id));
    let options = WorkflowExecuteUpdateOptions::builder()
        .rpc_options(crate::connection::rpc_within(wait))
        .build();
    match handle
        .execute_update(OnboardingWorkflow::activate, (), options)
        .await
    {
        Ok(result) => Ok(ActivateAnswer::Finished(result)),
        Err(WorkflowUpdateError::NotFound(_)) => Ok(ActivateAnswer::NoOnboarding),
        Err(WorkflowUpdateError::Failed(failure)) => {
            if failure.message.contains("not linked") {
                Ok(ActivateAnswer::NotLinked)
            } else {
                Err(anyhow::anyhow!(
                    "the activate update failed: {}",
                    failure.message
                ))
            }
        }
        Err(WorkflowUpdateError::Rpc(status))
            if status.code() == temporalio_client::tonic::Code::DeadlineExceeded =>
        {
            Ok(ActivateAnswer::StillRunning)
        }
        Err(error) => Err(error).context("Failed to send activate to the onboarding"),
    }
}

fn interactive_rpc() -> temporalio_client::RpcOptions {
    crate::connection::rpc_within(INTERACTIVE_RPC_TIMEOUT)
}
