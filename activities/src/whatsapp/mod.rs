//! The WhatsApp gateway: one trait in front of WhatsApp, so the rest of the system
//! neither knows nor cares whether a salon's phone is real (whatsapp-rust, a linked
//! device like WhatsApp Web) or simulated (dev and tests).
//!
//! # Layout
//! - [`WhatsAppGateway`] — sessions, QR and pairing codes, status, sending, logout, and
//!   a stream of [`GatewayEvent`]s.
//! - [`types`] — the values that cross the trait.
//! - [`ledger`] — where incoming messages are recorded before WhatsApp hears they
//!   arrived.
//! - [`simulator`] — in-process simulated phones with a control API.
//! - [`metered`] — a wrapper counting the messages sent, for metrics.
//! - [`calls`] — one gateway operation as data, to run it on another process.
//! - [`ownership`] — a gateway node: leases on its sessions, takeover, hand-back.
//! - [`routed`] — the gateway a process uses: each call runs where its session lives.
//! - [`pacing`] — per-session send pacing, so a number is never flagged as a spammer.
//! - [`vault`] — the shared copy of linked sessions' keys, for moving them between
//!   hosts.
//! - [`live`] — the real implementation over `whatsapp-rust`: one linked-device bot
//!   per salon, keys in one SQLite file per session.

pub mod calls;
pub mod ledger;
pub mod live;
pub mod metered;
pub mod ownership;
pub mod pacing;
pub mod routed;
pub mod simulator;
pub mod types;
pub mod vault;

pub use ledger::InboundLedger;
pub use types::{
    GatewayError, GatewayEvent, IncomingMessage, LinkCode, MediaInfo, MediaRef, MessageId,
    MessageKind, PairingCode, QrCode, SessionStatus, SuspendReason,
};

use crate::domain::{ClientAddress, PhoneNumber, SessionId};
use tokio::sync::broadcast;

/// One salon = one WhatsApp session (`company_<salon_id>`), linked as a device of the
/// salon's phone.
#[async_trait::async_trait]
pub trait WhatsAppGateway: Send + Sync + std::fmt::Debug {
    /// Starts the session if it is not running (idempotent) and returns its status.
    /// A linked session is restored; an unlinked one starts producing QR codes.
    async fn create_session(&self, session: SessionId) -> Result<SessionStatus, GatewayError>;

    /// The QR code a phone can scan right now, if the session is waiting for a link.
    async fn current_qr(&self, session: SessionId) -> Result<Option<QrCode>, GatewayError>;

    /// A fresh QR code, replacing the current one (rebuilding the session when its
    /// codes ran out).
    async fn refresh_qr(&self, session: SessionId) -> Result<QrCode, GatewayError>;

    /// An 8-character code to type into WhatsApp on `phone` instead of scanning.
    async fn request_pairing_code(
        &self,
        session: SessionId,
        phone: &PhoneNumber,
    ) -> Result<PairingCode, GatewayError>;

    /// Where the session stands.
    async fn status(&self, session: SessionId) -> SessionStatus;

    /// The sessions this process holds (any state), for metrics and ops.
    fn sessions(&self) -> Vec<SessionId>;

    /// Sends a text message; returns WhatsApp's message id.
    async fn send_text(
        &self,
        session: SessionId,
        to: &ClientAddress,
        text: &str,
    ) -> Result<MessageId, GatewayError>;

    /// Sends a text message that must go out once under `key`, however often it is
    /// asked for: a gateway that runs the send elsewhere uses the key to find a send
    /// already made, and paces it by its `origin`. Locally, the same as
    /// [`send_text`](Self::send_text).
    async fn send_text_once(
        &self,
        session: SessionId,
        to: &ClientAddress,
        text: &str,
        _key: &str,
        _origin: pacing::Origin,
    ) -> Result<MessageId, GatewayError> {
        self.send_text(session, to, text).await
    }

    /// Whether `phone` has WhatsApp, asked before the bot starts a chat with a number
    /// that never wrote to the salon (WhatsApp flags numbers that message strangers who
    /// are not on it). When WhatsApp's answer does not say, `true`.
    async fn is_on_whatsapp(
        &self,
        session: SessionId,
        phone: &PhoneNumber,
    ) -> Result<bool, GatewayError>;

    /// Reacts to a message with an emoji.
    async fn send_reaction(
        &self,
        session: SessionId,
        chat: &ClientAddress,
        message: &MessageId,
        emoji: &str,
    ) -> Result<(), GatewayError>;

    /// Marks messages of a chat as read (blue ticks).
    async fn mark_read(
        &self,
        session: SessionId,
        chat: &ClientAddress,
        messages: &[MessageId],
    ) -> Result<(), GatewayError>;

    /// Shows or hides "typing…" in a chat.
    async fn set_typing(
        &self,
        session: SessionId,
        chat: &ClientAddress,
        typing: bool,
    ) -> Result<(), GatewayError>;

    /// Fetches (and decrypts) a client's media, at most `limit` bytes: a bigger file
    /// is refused before it is read whole.
    async fn download_media(
        &self,
        session: SessionId,
        media: &MediaRef,
        limit: u64,
    ) -> Result<Vec<u8>, GatewayError>;

    /// Unlinks the device and wipes the session's keys; a new link starts from scratch.
    async fn logout(&self, session: SessionId) -> Result<(), GatewayError>;

    /// Sessions whose keys this gateway's store holds: linked before, restorable by
    /// [`create_session`](Self::create_session).
    async fn stored_sessions(&self) -> Result<Vec<SessionId>, GatewayError>;

    /// Stops running the session here without unlinking it: its keys stay in the store
    /// for the node that takes it over.
    async fn release_session(&self, session: SessionId);

    /// Every event of every session, from now on.
    fn subscribe(&self) -> broadcast::Receiver<GatewayEvent>;
}
