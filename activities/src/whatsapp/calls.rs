//! One WhatsApp gateway operation as data: what a process without the session sends to
//! the gateway node that holds it (through that node's Temporal task queue), and what
//! comes back. [`execute`] runs a call against the local gateway.

use super::simulator::{ControlError, OutboxEntry, SessionView, SimulatedGateway};
use super::{
    GatewayError, MediaRef, MessageId, PairingCode, QrCode, SessionStatus, WhatsAppGateway,
};
use crate::domain::{ClientAddress, PhoneNumber, SessionId};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

/// An operation on one session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum GatewayCall {
    /// [`WhatsAppGateway::create_session`].
    CreateSession,
    /// [`WhatsAppGateway::current_qr`].
    CurrentQr,
    /// [`WhatsAppGateway::refresh_qr`].
    RefreshQr,
    /// [`WhatsAppGateway::request_pairing_code`].
    PairingCode {
        /// The salon's number.
        phone: PhoneNumber,
    },
    /// [`WhatsAppGateway::status`].
    Status,
    /// [`WhatsAppGateway::send_text`] (or `send_text_once` with its key).
    SendText {
        /// Phone digits, or a client's LID when WhatsApp hides their number.
        to: ClientAddress,
        /// Text.
        text: String,
        /// The message's idempotency key: a repeated call with it gets the first call's
        /// answer instead of a second message.
        #[serde(default)]
        key: Option<String>,
        /// An answer or the bot's own message (paced apart).
        #[serde(default)]
        origin: super::pacing::Origin,
    },
    /// [`WhatsAppGateway::is_on_whatsapp`].
    IsOnWhatsApp {
        /// The number asked about.
        phone: PhoneNumber,
    },
    /// [`WhatsAppGateway::send_reaction`].
    SendReaction {
        /// The client's chat, by phone or LID.
        chat: ClientAddress,
        /// The message reacted to.
        message: MessageId,
        /// One emoji; the bot sends ❤️ to thanks and 👍 to a goodbye.
        emoji: String,
    },
    /// [`WhatsAppGateway::mark_read`].
    MarkRead {
        /// The client's chat, by phone or LID.
        chat: ClientAddress,
        /// Messages read.
        messages: Vec<MessageId>,
    },
    /// [`WhatsAppGateway::set_typing`].
    SetTyping {
        /// The client's chat, by phone or LID.
        chat: ClientAddress,
        /// Shown or hidden.
        typing: bool,
    },
    /// [`WhatsAppGateway::download_media`].
    DownloadMedia {
        /// What to fetch.
        media: MediaRef,
        /// The most bytes taken.
        limit: u64,
    },
    /// [`WhatsAppGateway::logout`].
    Logout,
    /// Simulator only: the phone scans the QR code or enters the pairing code.
    PhoneLink {
        /// The salon's number.
        phone: PhoneNumber,
    },
    /// Simulator only: a client writes.
    PhoneIncoming(super::simulator::SimulatedIncoming),
    /// Simulator only: WhatsApp stops the session (replaced, banned, …).
    PhoneFault {
        /// How.
        reason: super::SuspendReason,
        /// How long a ban lasts.
        seconds: Option<u64>,
    },
    /// Simulator only: `phone` has no WhatsApp, as the session sees it.
    PhoneAbsent {
        /// The number.
        phone: PhoneNumber,
    },
    /// Simulator only: what the bot did in the session.
    PhoneOutbox,
    /// Simulator only: the session as `/dev/phone` shows it.
    PhoneView,
}

impl GatewayCall {
    /// Whether the call only reads: a session no node runs is not started for it.
    pub fn is_read_only(&self) -> bool {
        matches!(
            self,
            Self::Status | Self::CurrentQr | Self::PhoneOutbox | Self::PhoneView
        )
    }

    /// Short name for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Self::CreateSession => "create_session",
            Self::CurrentQr => "current_qr",
            Self::RefreshQr => "refresh_qr",
            Self::PairingCode { .. } => "pairing_code",
            Self::Status => "status",
            Self::SendText { .. } => "send_text",
            Self::IsOnWhatsApp { .. } => "is_on_whatsapp",
            Self::SendReaction { .. } => "send_reaction",
            Self::MarkRead { .. } => "mark_read",
            Self::SetTyping { .. } => "set_typing",
            Self::DownloadMedia { .. } => "download_media",
            Self::Logout => "logout",
            Self::PhoneLink { .. } => "phone_link",
            Self::PhoneIncoming(_) => "phone_incoming",
            Self::PhoneFault { .. } => "phone_fault",
            Self::PhoneAbsent { .. } => "phone_absent",
            Self::PhoneOutbox => "phone_outbox",
            Self::PhoneView => "phone_view",
        }
    }
}

/// What a call answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", content = "value", rename_all = "snake_case")]
pub enum GatewayReply {
    /// A session status.
    Status(SessionStatus),
    /// The current QR code, if one is showing.
    Qr(Option<QrCode>),
    /// A new QR code.
    NewQr(QrCode),
    /// A pairing code.
    Pairing(PairingCode),
    /// A message id (sent).
    Message(MessageId),
    /// Whether a number has WhatsApp.
    OnWhatsApp(bool),
    /// A message the simulated phone received, and whether the ledger took it yet.
    Received {
        /// Its id.
        id: MessageId,
        /// Recorded now (else delivered again until it is).
        delivered: bool,
    },
    /// Downloaded media (base64: the reply travels as JSON). A remote caller deletes
    /// the call's workflow once it has it, so a client's recording is not kept there.
    Media {
        /// The file.
        data_base64: String,
    },
    /// Done, nothing to say.
    Done,
    /// The simulated phone's outbox.
    Outbox(Vec<OutboxEntry>),
    /// The simulated session (boxed: the other replies are small).
    View(Option<Box<SessionView>>),
}

/// Why a call did not give its reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum CallError {
    /// The gateway refused or failed.
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// The simulated phone refused.
    #[error(transparent)]
    Control(#[from] ControlError),
    /// The session belongs to another node (the caller looks the owner up again).
    #[error("WhatsApp session is held by node {0}")]
    NotOwner(String),
    /// A simulator control call reached a gateway that is not simulated.
    #[error("the WhatsApp simulator is not running (WHATSAPP_MODE=live)")]
    NoSimulator,
    /// The reply did not fit the call (a version mismatch between nodes).
    #[error("unexpected reply from the WhatsApp gateway: {0}")]
    Unexpected(String),
}

/// What a call ends with.
pub type CallResult = Result<GatewayReply, CallError>;

/// Marks a workflow failure that carries a [`CallError`].
const ERROR_PREFIX: &str = "whatsapp-call-error:";

impl CallError {
    /// The error as a workflow failure message (a failed call fails its workflow run).
    pub fn to_failure_message(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_else(|_| "null".to_owned());
        format!("{ERROR_PREFIX}{json}")
    }

    /// The error a failure message made by [`to_failure_message`](Self::to_failure_message)
    /// carries.
    pub fn from_failure_message(message: &str) -> Option<Self> {
        serde_json::from_str(message.strip_prefix(ERROR_PREFIX)?).ok()
    }
}

/// Runs `call` on the local `gateway` (and its `simulator` for the phone's side).
pub async fn execute(
    gateway: &dyn WhatsAppGateway,
    simulator: Option<&SimulatedGateway>,
    session: SessionId,
    call: GatewayCall,
) -> CallResult {
    let simulator = || simulator.ok_or(CallError::NoSimulator);
    Ok(match call {
        GatewayCall::CreateSession => GatewayReply::Status(gateway.create_session(session).await?),
        GatewayCall::CurrentQr => GatewayReply::Qr(gateway.current_qr(session).await?),
        GatewayCall::RefreshQr => GatewayReply::NewQr(gateway.refresh_qr(session).await?),
        GatewayCall::PairingCode { phone } => {
            GatewayReply::Pairing(gateway.request_pairing_code(session, &phone).await?)
        }
        GatewayCall::Status => GatewayReply::Status(gateway.status(session).await),
        GatewayCall::SendText { to, text, .. } => {
            GatewayReply::Message(gateway.send_text(session, &to, &text).await?)
        }
        GatewayCall::IsOnWhatsApp { phone } => {
            GatewayReply::OnWhatsApp(gateway.is_on_whatsapp(session, &phone).await?)
        }
        GatewayCall::SendReaction {
            chat,
            message,
            emoji,
        } => {
            gateway
                .send_reaction(session, &chat, &message, &emoji)
                .await?;
            GatewayReply::Done
        }
        GatewayCall::MarkRead { chat, messages } => {
            gateway.mark_read(session, &chat, &messages).await?;
            GatewayReply::Done
        }
        GatewayCall::SetTyping { chat, typing } => {
            gateway.set_typing(session, &chat, typing).await?;
            GatewayReply::Done
        }
        GatewayCall::DownloadMedia { media, limit } => GatewayReply::Media {
            data_base64: STANDARD.encode(gateway.download_media(session, &media, limit).await?),
        },
        GatewayCall::Logout => {
            gateway.logout(session).await?;
            GatewayReply::Done
        }
        GatewayCall::PhoneLink { phone } => {
            simulator()?.link(session, phone)?;
            GatewayReply::Done
        }
        GatewayCall::PhoneFault { reason, seconds } => {
            simulator()?.fault(session, reason, seconds)?;
            GatewayReply::Done
        }
        GatewayCall::PhoneIncoming(sent) => {
            let (id, delivered) = simulator()?.incoming(session, sent).await?;
            GatewayReply::Received { id, delivered }
        }
        GatewayCall::PhoneAbsent { phone } => {
            simulator()?.not_on_whatsapp(session, phone)?;
            GatewayReply::Done
        }
        GatewayCall::PhoneOutbox => GatewayReply::Outbox(simulator()?.outbox(session)?),
        GatewayCall::PhoneView => {
            let name = session.to_string();
            GatewayReply::View(
                simulator()?
                    .sessions()
                    .into_iter()
                    .find(|view| view.session_id == name)
                    .map(Box::new),
            )
        }
    })
}

/// The bytes of a [`GatewayReply::Media`].
pub fn media_bytes(data_base64: &str) -> Result<Vec<u8>, GatewayError> {
    STANDARD
        .decode(data_base64)
        .map_err(|e| GatewayError::Other(format!("the gateway sent media that is not base64: {e}")))
}

/// The reply's value when it is of the kind `pick` accepts.
pub fn expect<T>(
    result: CallResult,
    pick: impl FnOnce(GatewayReply) -> Result<T, GatewayReply>,
) -> Result<T, CallError> {
    pick(result?).map_err(|other| CallError::Unexpected(format!("{other:?}")))
}

impl From<CallError> for GatewayError {
    fn from(error: CallError) -> Self {
        match error {
            CallError::Gateway(error) => error,
            CallError::NotOwner(node) => {
                GatewayError::Unavailable(format!("the session moved to node {node}"))
            }
            other => GatewayError::Other(other.to_string()),
        }
    }
}
