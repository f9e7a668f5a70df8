//! Starting `payment-<salon_id>-<id>` and `refund-<salon_id>-<id>` from the API and
//! waiting a while for their answer: an ops call gets YClients' id when YClients answers
//! in time, and a "still reporting" otherwise (the run keeps retrying on its own).

use crate::connection::TemporalConfig;
use ai_admin_activities::workflow_ids as ids;
use ai_admin_workflows::billing::{PaymentRef, PaymentRefundWorkflow, PaymentReportWorkflow};
use anyhow::Context as _;
use std::time::Duration;
use temporalio_client::errors::{WorkflowGetResultError, WorkflowStartError};
use temporalio_client::{
    Client, WorkflowGetResultOptions, WorkflowIdConflictPolicy, WorkflowIdReusePolicy,
    WorkflowStartOptions,
};
use temporalio_common::HasWorkflowDefinition;

/// Where a report (or refund) stands after the wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reported {
    /// YClients took it; its id of the payment.
    Done(i64),
    /// Still retrying (YClients unavailable): the run goes on.
    Pending,
    /// YClients refused it, in these words; asking again starts a new attempt.
    Failed(String),
}

/// Reports the payment (or finds the report made), waiting up to `wait` for YClients.
pub async fn report(
    client: &Client,
    config: &TemporalConfig,
    payment: PaymentRef,
    wait: Duration,
) -> anyhow::Result<Reported> {
    run_once(
        client,
        config,
        PaymentReportWorkflow::run,
        ids::payment_report(payment.salon_id, payment.payment_id),
        payment,
        wait,
    )
    .await
}

/// Refunds the payment (reporting it first if needed), waiting up to `wait`.
pub async fn refund(
    client: &Client,
    config: &TemporalConfig,
    payment: PaymentRef,
    wait: Duration,
) -> anyhow::Result<Reported> {
    run_once(
        client,
        config,
        PaymentRefundWorkflow::run,
        ids::payment_refund(payment.salon_id, payment.payment_id),
        payment,
        wait,
    )
    .await
}

async fn run_once<W>(
    client: &Client,
    config: &TemporalConfig,
    workflow: W,
    workflow_id: String,
    payment: PaymentRef,
    wait: Duration,
) -> anyhow::Result<Reported>
where
    W: HasWorkflowDefinition
        + temporalio_common::WorkflowDefinition<Input = PaymentRef, Output = i64>,
{
    // A run that failed (YClients refused) may be tried again; one that succeeded is the
    // answer for good; one running is joined.
    let options = WorkflowStartOptions::new(config.task_queue.clone(), workflow_id.clone())
        .id_conflict_policy(WorkflowIdConflictPolicy::UseExisting)
        .id_reuse_policy(WorkflowIdReusePolicy::AllowDuplicateFailedOnly)
        .static_summary(format!(
            "Payment {} of salon {}",
            payment.payment_id, payment.salon_id
        ))
        .build();
    match client.start_workflow(workflow, payment, options).await {
        Ok(_) | Err(WorkflowStartError::AlreadyStarted { .. }) => {}
        Err(error) => {
            return Err(error).with_context(|| format!("Failed to start {workflow_id}"));
        }
    }
    let handle = client.get_workflow_handle::<W>(workflow_id);
    match tokio::time::timeout(wait, handle.get_result(WorkflowGetResultOptions::default())).await {
        Err(_) => Ok(Reported::Pending),
        Ok(Ok(id)) => Ok(Reported::Done(id)),
        Ok(Err(WorkflowGetResultError::Failed(failure))) => {
            Ok(Reported::Failed(deepest(&*failure)))
        }
        Ok(Err(other)) => Ok(Reported::Failed(other.to_string())),
    }
}

/// The innermost message of an error chain (YClients' words, not "activity failed").
fn deepest(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut current = error.source();
    while let Some(inner) = current {
        let text = inner.to_string();
        if !text.is_empty() {
            message = text;
        }
        current = inner.source();
    }
    message
}
