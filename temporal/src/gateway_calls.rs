//! Calls to another node's WhatsApp gateway through Temporal: a `wa-call-…` workflow
//! started on the owner's task queue (`wa-<node_id>`), its answer awaited while the
//! owner's lease is watched. An owner that dies before answering is given up on as soon
//! as its lease lapses, so the caller can route the call to the node taking over.
//!
//! A keyed send (`send_text_once`) gets a workflow id derived from its session and key:
//! when the caller died after the node sent but before it heard back, its retry finds
//! that workflow and returns its message id instead of sending again (a failed call
//! fails its run, so only a send that went out is answered from the past).

use ai_admin_activities::acts::gateway_calls::RemoteCall;
use ai_admin_activities::db::leases::{self, Owner};
use ai_admin_activities::domain::SessionId;
use ai_admin_activities::whatsapp::calls::{CallError, CallResult, GatewayCall};
use ai_admin_activities::whatsapp::routed::{RemoteError, RemoteGateway};
use ai_admin_activities::workflow_ids as ids;
use ai_admin_workflows::whatsapp_call::{CALL_TIMEOUT, WhatsAppCallWorkflow};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::time::Duration;
use temporalio_client::errors::{WorkflowGetResultError, WorkflowStartError};
use temporalio_client::tonic;
use temporalio_client::{
    Client, WorkflowGetResultOptions, WorkflowHandle, WorkflowIdConflictPolicy,
    WorkflowIdReusePolicy, WorkflowStartOptions, WorkflowTerminateOptions,
};
use temporalio_common::HasWorkflowDefinition;
use temporalio_protos::temporal::api::common::v1::WorkflowExecution;
use temporalio_protos::temporal::api::workflowservice::v1::DeleteWorkflowExecutionRequest;

/// How often the owner's lease is looked at while a call waits.
const WATCH_EVERY: Duration = Duration::from_millis(500);

/// How long an answer that is on its way is still awaited once the owner let go.
const LAST_WORD: Duration = Duration::from_secs(2);

/// Remote calls over Temporal.
#[derive(Debug, Clone)]
pub struct TemporalGateways {
    client: Client,
    db: PgPool,
}

impl TemporalGateways {
    /// Calls through `client`, watching leases in `db`.
    pub fn new(client: Client, db: PgPool) -> Self {
        Self { client, db }
    }

    /// Deletes a finished call's workflow (and so its history) from Temporal.
    async fn forget(&self, workflow_id: &str) {
        let request = DeleteWorkflowExecutionRequest {
            namespace: self.client.options().namespace.clone(),
            workflow_execution: Some(WorkflowExecution {
                workflow_id: workflow_id.to_owned(),
                run_id: String::new(),
            }),
        };
        let mut service = self.client.connection().workflow_service();
        let mut request = tonic::Request::new(request);
        request.set_timeout(Duration::from_secs(5));
        if let Err(error) = service.delete_workflow_execution(request).await {
            tracing::warn!(workflow_id, %error, "a media download's call workflow was not deleted");
        }
    }

    async fn owner_still(&self, session: SessionId, owner: &Owner) -> bool {
        match leases::owner(&self.db, session).await {
            Ok(Some(current)) => current.node_id == owner.node_id,
            Ok(None) => false,
            // Not knowing is no reason to give up on the call.
            Err(_) => true,
        }
    }
}

/// A handle on the existing workflow `id` of the kind `_definition` names (the macro's
/// definition types are not nameable from outside their crate).
fn handle_of<W: HasWorkflowDefinition>(
    client: &Client,
    _definition: W,
    id: String,
) -> WorkflowHandle<Client, W> {
    client.get_workflow_handle::<W>(id)
}

/// The call's result from its workflow's: a failed call comes back as the failure of
/// its run, carrying the call's error.
fn answered(
    owner: &Owner,
    workflow_id: &str,
    answer: Result<CallResult, WorkflowGetResultError>,
) -> Result<CallResult, RemoteError> {
    match answer {
        Ok(result) => Ok(result),
        Err(WorkflowGetResultError::Failed(failure)) => {
            CallError::from_failure_message(&failure.failure().message)
                .map(Err)
                .ok_or_else(|| failed(owner, format!("{workflow_id}: {failure}")))
        }
        Err(error) => Err(failed(owner, format!("{workflow_id}: {error}"))),
    }
}

fn failed(owner: &Owner, reason: impl std::fmt::Display) -> RemoteError {
    RemoteError::Failed {
        node: owner.node_id.clone(),
        reason: reason.to_string(),
    }
}

#[async_trait::async_trait]
impl RemoteGateway for TemporalGateways {
    async fn call(
        &self,
        owner: &Owner,
        session: SessionId,
        call: GatewayCall,
    ) -> Result<CallResult, RemoteError> {
        let name = call.name();
        // A download's answer is a client's recording: not left in the call's history.
        let forget = matches!(call, GatewayCall::DownloadMedia { .. });
        let key = match &call {
            GatewayCall::SendText { key: Some(key), .. } => Some(key.clone()),
            _ => None,
        };
        let workflow_id = match &key {
            Some(key) => {
                let digest = Sha256::digest(key.as_bytes());
                let digest: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
                ids::whatsapp_send(session, &digest)
            }
            None => ids::whatsapp_call(session, rand::random()),
        };
        // A keyed send runs once: a running one is joined, a finished one answered from
        // its result; only one that failed or was stopped may run again.
        let options = WorkflowStartOptions::new(owner.task_queue.clone(), workflow_id.clone())
            .execution_timeout(CALL_TIMEOUT * 2)
            .id_conflict_policy(WorkflowIdConflictPolicy::UseExisting)
            .id_reuse_policy(WorkflowIdReusePolicy::AllowDuplicateFailedOnly)
            .build();
        let input = RemoteCall { session, call };
        let handle = match self
            .client
            .start_workflow(WhatsAppCallWorkflow::run, input, options)
            .await
        {
            Ok(handle) => handle,
            Err(WorkflowStartError::AlreadyStarted { .. }) if key.is_some() => {
                tracing::info!(%session, workflow_id, "this send ran already: answering from it");
                handle_of(&self.client, WhatsAppCallWorkflow::run, workflow_id.clone())
            }
            Err(error) => {
                return Err(failed(
                    owner,
                    format!("cannot start {workflow_id}: {error}"),
                ));
            }
        };
        let result = handle.get_result(WorkflowGetResultOptions::default());
        tokio::pin!(result);
        loop {
            tokio::select! {
                biased;
                answer = &mut result => {
                    if forget {
                        self.forget(&workflow_id).await;
                    }
                    return answered(owner, &workflow_id, answer);
                }
                () = tokio::time::sleep(WATCH_EVERY) => {
                    if self.owner_still(session, owner).await {
                        continue;
                    }
                }
            }
            // The owner let the session go. A call it finished is still answered; one it
            // never picked up is stopped, so it cannot run later, and goes elsewhere.
            if let Ok(answer) = tokio::time::timeout(LAST_WORD, &mut result).await {
                if forget {
                    self.forget(&workflow_id).await;
                }
                return answered(owner, &workflow_id, answer);
            }
            let stopped = handle
                .terminate(
                    WorkflowTerminateOptions::builder()
                        .reason("the gateway node let the session go")
                        .rpc_options(crate::connection::rpc_within(Duration::from_secs(5)))
                        .build(),
                )
                .await;
            if forget {
                self.forget(&workflow_id).await;
            }
            tracing::warn!(%session, call = name, node = %owner.node_id, stopped = stopped.is_ok(), "the session's node went away during a call");
            return Err(RemoteError::OwnerGone(owner.node_id.clone()));
        }
    }
}
