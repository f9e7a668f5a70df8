//! The gateway every part of a process uses: it runs each call on the node that holds
//! the session. When that is this process, the call is local (a single-node deployment
//! never leaves the process); otherwise it goes to the owner's task queue through
//! [`RemoteGateway`]. A session nobody holds is given to this node when it is a
//! gateway, else to the live gateway node with the fewest sessions.

use super::calls::{self, CallError, CallResult, GatewayCall, GatewayReply};
use super::ownership::{Acquired, GatewayNode};
use super::pacing::Origin;
use super::simulator::ControlError;
use super::{
    GatewayError, GatewayEvent, MediaRef, MessageId, PairingCode, QrCode, SessionStatus,
    WhatsAppGateway,
};
use crate::db::leases::{self, Owner};
use crate::domain::{ClientAddress, PhoneNumber, SessionId};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// How often a call is re-routed when its owner changed under it.
const ROUTE_ATTEMPTS: usize = 3;

/// Capacity of the channel handed to subscribers of a session this node does not hold:
/// nothing is ever sent on it, so the smallest the channel takes.
const SILENT_CAPACITY: usize = 1;

/// Why a remote call gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    /// The owner stopped holding the session (died or handed it back) before it
    /// picked the call up: the call did not run, so it may be sent elsewhere.
    #[error("node {0} let the session go before answering")]
    OwnerGone(String),
    /// The call was sent but its outcome is unknown.
    #[error("the call to node {node} failed: {reason}")]
    Failed {
        /// The owner.
        node: String,
        /// What went wrong.
        reason: String,
    },
}

/// Runs a call on another node's gateway.
#[async_trait::async_trait]
pub trait RemoteGateway: Send + Sync + std::fmt::Debug {
    /// Runs `call` on `owner`'s task queue and waits for its answer.
    async fn call(
        &self,
        owner: &Owner,
        session: SessionId,
        call: GatewayCall,
    ) -> Result<CallResult, RemoteError>;
}

/// The process's view of WhatsApp, routed by lease.
#[derive(Debug, Clone)]
pub struct RoutedGateway {
    node: Option<GatewayNode>,
    db: PgPool,
    remote: Arc<dyn RemoteGateway>,
    lease: Duration,
    /// Subscribers of a process without a gateway hear nothing, from this.
    silent: broadcast::Sender<GatewayEvent>,
}

impl RoutedGateway {
    /// Routes through `remote`; `node` is this process's own gateway, if it is one.
    pub fn new(
        node: Option<GatewayNode>,
        db: PgPool,
        remote: Arc<dyn RemoteGateway>,
        lease: Duration,
    ) -> Self {
        Self {
            node,
            db,
            remote,
            lease,
            silent: broadcast::channel(SILENT_CAPACITY).0,
        }
    }

    /// Runs `call` on the session's owner.
    pub async fn call(&self, session: SessionId, call: GatewayCall) -> CallResult {
        let mut last_error = None;
        for _ in 0..ROUTE_ATTEMPTS {
            let target = match self.route(session, &call).await? {
                Route::Local(node) => return node.execute(session, call).await,
                Route::Remote(owner) => owner,
                Route::Nobody => return not_running(session, &call),
            };
            match self.remote.call(&target, session, call.clone()).await {
                Ok(Err(CallError::NotOwner(_))) => {
                    last_error = Some(GatewayError::Unavailable(format!(
                        "{session} moved away from node {}",
                        target.node_id
                    )));
                }
                Ok(result) => return result,
                Err(error @ RemoteError::OwnerGone(_)) => {
                    tracing::info!(%session, %error, call = call.name(), "re-routing the call");
                    last_error = Some(GatewayError::Unavailable(error.to_string()));
                }
                Err(error @ RemoteError::Failed { .. }) => {
                    return Err(GatewayError::Unavailable(error.to_string()).into());
                }
            }
        }
        Err(last_error
            .unwrap_or_else(|| GatewayError::Unavailable("no gateway answered".into()))
            .into())
    }

    async fn route(&self, session: SessionId, call: &GatewayCall) -> Result<Route<'_>, CallError> {
        if let Some(node) = &self.node
            && node.owns(session)
        {
            return Ok(Route::Local(node));
        }
        let owner = leases::owner(&self.db, session)
            .await
            .map_err(|error| unavailable("look up the session's node", &error))?;
        match (owner, &self.node) {
            (Some(owner), Some(node)) if owner.node_id != node.node_id() => {
                Ok(Route::Remote(owner))
            }
            (Some(owner), None) => Ok(Route::Remote(owner)),
            (None, _) if call.is_read_only() => Ok(Route::Nobody),
            (_, Some(node)) => match node
                .acquire(session)
                .await
                .map_err(|error| unavailable("claim the session", &error))?
            {
                Acquired::Mine => Ok(Route::Local(node)),
                Acquired::HeldBy(owner) => Ok(Route::Remote(owner)),
                Acquired::Leaving => Err(GatewayError::Unavailable(
                    "this gateway node is shutting down".into(),
                )
                .into()),
            },
            (None, None) => leases::least_loaded_node(&self.db, self.lease)
                .await
                .map_err(|error| unavailable("find a gateway node", &error))?
                .map(Route::Remote)
                .ok_or_else(|| {
                    GatewayError::Unavailable("no WhatsApp gateway node is running".into()).into()
                }),
        }
    }
}

impl RoutedGateway {
    async fn send(
        &self,
        session: SessionId,
        to: &ClientAddress,
        text: &str,
        key: Option<String>,
        origin: Origin,
    ) -> Result<MessageId, GatewayError> {
        let call = GatewayCall::SendText {
            to: to.clone(),
            text: text.to_owned(),
            key,
            origin,
        };
        let result = self.call(session, call).await;
        Ok(calls::expect(result, |reply| match reply {
            GatewayReply::Message(id) => Ok(id),
            other => Err(other),
        })?)
    }
}

enum Route<'a> {
    Local(&'a GatewayNode),
    Remote(Owner),
    Nobody,
}

fn unavailable(what: &str, error: &anyhow::Error) -> CallError {
    GatewayError::Unavailable(format!("cannot {what}: {error:#}")).into()
}

/// The answer of a read-only call about a session no node runs, as a gateway that
/// never saw the session gives it.
fn not_running(session: SessionId, call: &GatewayCall) -> CallResult {
    match call {
        GatewayCall::Status => Ok(GatewayReply::Status(SessionStatus::LoggedOut)),
        GatewayCall::PhoneView => Ok(GatewayReply::View(None)),
        GatewayCall::PhoneOutbox => Err(ControlError::NoSession(session.to_string()).into()),
        _ => Err(GatewayError::NoSession(session.to_string()).into()),
    }
}

#[async_trait::async_trait]
impl WhatsAppGateway for RoutedGateway {
    async fn create_session(&self, session: SessionId) -> Result<SessionStatus, GatewayError> {
        let result = self.call(session, GatewayCall::CreateSession).await;
        Ok(calls::expect(result, |reply| match reply {
            GatewayReply::Status(status) => Ok(status),
            other => Err(other),
        })?)
    }

    async fn current_qr(&self, session: SessionId) -> Result<Option<QrCode>, GatewayError> {
        let result = self.call(session, GatewayCall::CurrentQr).await;
        Ok(calls::expect(result, |reply| match reply {
            GatewayReply::Qr(qr) => Ok(qr),
            other => Err(other),
        })?)
    }

    async fn refresh_qr(&self, session: SessionId) -> Result<QrCode, GatewayError> {
        let result = self.call(session, GatewayCall::RefreshQr).await;
        Ok(calls::expect(result, |reply| match reply {
            GatewayReply::NewQr(qr) => Ok(qr),
            other => Err(other),
        })?)
    }

    async fn request_pairing_code(
        &self,
        session: SessionId,
        phone: &PhoneNumber,
    ) -> Result<PairingCode, GatewayError> {
        let call = GatewayCall::PairingCode {
            phone: phone.clone(),
        };
        let result = self.call(session, call).await;
        Ok(calls::expect(result, |reply| match reply {
            GatewayReply::Pairing(code) => Ok(code),
            other => Err(other),
        })?)
    }

    async fn status(&self, session: SessionId) -> SessionStatus {
        let result = self.call(session, GatewayCall::Status).await;
        match calls::expect(result, |reply| match reply {
            GatewayReply::Status(status) => Ok(status),
            other => Err(other),
        }) {
            Ok(status) => status,
            Err(error) => {
                tracing::warn!(%session, %error, "could not ask the session's node");
                SessionStatus::Connecting
            }
        }
    }

    fn sessions(&self) -> Vec<SessionId> {
        self.node
            .as_ref()
            .map_or_else(Vec::new, GatewayNode::sessions)
    }

    async fn send_text(
        &self,
        session: SessionId,
        to: &ClientAddress,
        text: &str,
    ) -> Result<MessageId, GatewayError> {
        self.send(session, to, text, None, Origin::Reply).await
    }

    async fn send_text_once(
        &self,
        session: SessionId,
        to: &ClientAddress,
        text: &str,
        key: &str,
        origin: Origin,
    ) -> Result<MessageId, GatewayError> {
        self.send(session, to, text, Some(key.to_owned()), origin)
            .await
    }

    async fn is_on_whatsapp(
        &self,
        session: SessionId,
        phone: &PhoneNumber,
    ) -> Result<bool, GatewayError> {
        let call = GatewayCall::IsOnWhatsApp {
            phone: phone.clone(),
        };
        let result = self.call(session, call).await;
        Ok(calls::expect(result, |reply| match reply {
            GatewayReply::OnWhatsApp(registered) => Ok(registered),
            other => Err(other),
        })?)
    }

    async fn send_reaction(
        &self,
        session: SessionId,
        chat: &ClientAddress,
        message: &MessageId,
        emoji: &str,
    ) -> Result<(), GatewayError> {
        let call = GatewayCall::SendReaction {
            chat: chat.clone(),
            message: message.clone(),
            emoji: emoji.to_owned(),
        };
        done(self.call(session, call).await)
    }

    async fn mark_read(
        &self,
        session: SessionId,
        chat: &ClientAddress,
        messages: &[MessageId],
    ) -> Result<(), GatewayError> {
        let call = GatewayCall::MarkRead {
            chat: chat.clone(),
            messages: messages.to_vec(),
        };
        done(self.call(session, call).await)
    }

    async fn set_typing(
        &self,
        session: SessionId,
        chat: &ClientAddress,
        typing: bool,
    ) -> Result<(), GatewayError> {
        let call = GatewayCall::SetTyping {
            chat: chat.clone(),
            typing,
        };
        done(self.call(session, call).await)
    }

    async fn download_media(
        &self,
        session: SessionId,
        media: &MediaRef,
        limit: u64,
    ) -> Result<Vec<u8>, GatewayError> {
        let call = GatewayCall::DownloadMedia {
            media: media.clone(),
            limit,
        };
        let result = self.call(session, call).await;
        let data = calls::expect(result, |reply| match reply {
            GatewayReply::Media { data_base64 } => Ok(data_base64),
            other => Err(other),
        })?;
        calls::media_bytes(&data)
    }

    async fn logout(&self, session: SessionId) -> Result<(), GatewayError> {
        done(self.call(session, GatewayCall::Logout).await)
    }

    async fn stored_sessions(&self) -> Result<Vec<SessionId>, GatewayError> {
        match &self.node {
            Some(node) => node.gateway().stored_sessions().await,
            None => Ok(Vec::new()),
        }
    }

    async fn release_session(&self, session: SessionId) {
        if let Some(node) = &self.node {
            node.gateway().release_session(session).await;
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<GatewayEvent> {
        match &self.node {
            Some(node) => node.gateway().subscribe(),
            None => self.silent.subscribe(),
        }
    }
}

fn done(result: CallResult) -> Result<(), GatewayError> {
    Ok(calls::expect(result, |reply| match reply {
        GatewayReply::Done => Ok(()),
        other => Err(other),
    })?)
}
