//! `whatsapp_call`: the activity a gateway node polls on its own task queue
//! (`wa-<node_id>`), so every WhatsApp operation on a session runs on the process that
//! holds it. It checks the lease first: a call that reached a node which no longer holds
//! the session is answered "not mine" without touching WhatsApp.

// `#[activities]` generates one undocumented constant per activity.
#![allow(missing_docs)]

use crate::domain::SessionId;
use crate::whatsapp::calls::{CallError, CallResult, GatewayCall};
use crate::whatsapp::ownership::{Acquired, GatewayNode};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// A call for one session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteCall {
    /// The session the call is for; its lease says which node runs it.
    pub session: SessionId,
    /// The operation.
    pub call: GatewayCall,
}

/// The node's side of remote calls.
#[derive(Debug, Clone)]
pub struct GatewayCallActivities {
    node: GatewayNode,
}

impl GatewayCallActivities {
    /// Activities running calls on `node`.
    pub fn new(node: GatewayNode) -> Self {
        Self { node }
    }
}

#[activities]
impl GatewayCallActivities {
    /// Runs the call on this node's gateway if the node holds (or may take) the session.
    #[activity(name = "whatsapp_call")]
    #[tracing::instrument(name = "whatsapp_call", skip_all, fields(salon_id = %input.session.salon_id()))]
    pub async fn call(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: RemoteCall,
    ) -> Result<CallResult, ActivityError> {
        let session = input.session;
        tracing::debug!(%session, call = input.call.name(), "remote WhatsApp call");
        Ok(match self.node.acquire(session).await? {
            Acquired::Mine => self.node.execute(session, input.call).await,
            Acquired::HeldBy(owner) => Err(CallError::NotOwner(owner.node_id)),
            Acquired::Leaving => Err(CallError::NotOwner(self.node.node_id().to_owned())),
        })
    }
}
