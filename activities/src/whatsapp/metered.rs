//! A gateway that counts what goes through it: every other part of the system sends
//! through [`WhatsAppGateway`], so wrapping the process's one gateway counts every
//! message the bot sends (welcome, replies, reminders) without each caller knowing.

use super::{
    GatewayError, GatewayEvent, MediaRef, MessageId, PairingCode, QrCode, SessionStatus,
    WhatsAppGateway,
};
use crate::domain::{ClientAddress, PhoneNumber, SessionId};
use crate::metrics::Metrics;
use std::sync::Arc;
use tokio::sync::broadcast;

/// `inner`, with its sends counted in `metrics` (`ai_admin_messages_total{direction="out"}`).
#[derive(Debug)]
pub struct MeteredGateway {
    inner: Arc<dyn WhatsAppGateway>,
    metrics: Metrics,
}

impl MeteredGateway {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn WhatsAppGateway>, metrics: Metrics) -> Self {
        Self { inner, metrics }
    }
}

#[async_trait::async_trait]
impl WhatsAppGateway for MeteredGateway {
    async fn create_session(&self, session: SessionId) -> Result<SessionStatus, GatewayError> {
        self.inner.create_session(session).await
    }

    async fn current_qr(&self, session: SessionId) -> Result<Option<QrCode>, GatewayError> {
        self.inner.current_qr(session).await
    }

    async fn refresh_qr(&self, session: SessionId) -> Result<QrCode, GatewayError> {
        self.inner.refresh_qr(session).await
    }

    async fn request_pairing_code(
        &self,
        session: SessionId,
        phone: &PhoneNumber,
    ) -> Result<PairingCode, GatewayError> {
        self.inner.request_pairing_code(session, phone).await
    }

    async fn status(&self, session: SessionId) -> SessionStatus {
        self.inner.status(session).await
    }

    fn sessions(&self) -> Vec<SessionId> {
        self.inner.sessions()
    }

    async fn is_on_whatsapp(
        &self,
        session: SessionId,
        phone: &PhoneNumber,
    ) -> Result<bool, GatewayError> {
        self.inner.is_on_whatsapp(session, phone).await
    }

    async fn send_text(
        &self,
        session: SessionId,
        to: &ClientAddress,
        text: &str,
    ) -> Result<MessageId, GatewayError> {
        let sent = self.inner.send_text(session, to, text).await;
        if sent.is_ok() {
            self.metrics.messages.with_label_values(&["out"]).inc();
        }
        sent
    }

    async fn send_reaction(
        &self,
        session: SessionId,
        chat: &ClientAddress,
        message: &MessageId,
        emoji: &str,
    ) -> Result<(), GatewayError> {
        self.inner
            .send_reaction(session, chat, message, emoji)
            .await
    }

    async fn mark_read(
        &self,
        session: SessionId,
        chat: &ClientAddress,
        messages: &[MessageId],
    ) -> Result<(), GatewayError> {
        self.inner.mark_read(session, chat, messages).await
    }

    async fn set_typing(
        &self,
        session: SessionId,
        chat: &ClientAddress,
        typing: bool,
    ) -> Result<(), GatewayError> {
        self.inner.set_typing(session, chat, typing).await
    }

    async fn download_media(
        &self,
        session: SessionId,
        media: &MediaRef,
        limit: u64,
    ) -> Result<Vec<u8>, GatewayError> {
        self.inner.download_media(session, media, limit).await
    }

    async fn logout(&self, session: SessionId) -> Result<(), GatewayError> {
        self.inner.logout(session).await
    }

    async fn stored_sessions(&self) -> Result<Vec<SessionId>, GatewayError> {
        self.inner.stored_sessions().await
    }

    async fn release_session(&self, session: SessionId) {
        self.inner.release_session(session).await;
    }

    fn subscribe(&self) -> broadcast::Receiver<GatewayEvent> {
        self.inner.subscribe()
    }
}
