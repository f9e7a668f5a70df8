//! Where `conversation-<salon_id>-<phone>` stands: its `status` query (the last message
//! id it answered, what waits), for ops and for tests that must know a conversation has
//! nothing more to say rather than guess it from time.

use ai_admin_activities::domain::SalonId;
use ai_admin_activities::workflow_ids as ids;
use ai_admin_workflows::conversation::{ConversationStatus, ConversationWorkflow};
use anyhow::Context as _;
use std::time::Duration;
use temporalio_client::errors::WorkflowQueryError;
use temporalio_client::{Client, WorkflowQueryOptions};

/// Upper bound for one query.
const QUERY_TIMEOUT: Duration = Duration::from_secs(10);

/// The conversation's status, or `None` when the client has no conversation workflow.
pub async fn status(
    client: &Client,
    salon_id: SalonId,
    phone: &str,
) -> anyhow::Result<Option<ConversationStatus>> {
    let handle =
        client.get_workflow_handle::<ConversationWorkflow>(ids::conversation(salon_id, phone));
    let options = WorkflowQueryOptions::builder()
        .rpc_options(crate::connection::rpc_within(QUERY_TIMEOUT))
        .build();
    match handle
        .query(ConversationWorkflow::status, (), options)
        .await
    {
        Ok(status) => Ok(Some(status)),
        Err(WorkflowQueryError::NotFound(_)) => Ok(None),
        Err(error) => Err(error).context("Failed to query the conversation's status"),
    }
}
