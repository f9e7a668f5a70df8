//! Values that cross the [`super::WhatsAppGateway`] trait.

use crate::domain::{ClientAddress, PhoneNumber, SessionId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Starting, or reconnecting after a network loss.
    Connecting,
    /// Running, showing QR codes or a pairing code, waiting for the phone.
    AwaitingLink,
    /// Linked and online.
    Connected,
    /// Unlinked (or never created): a new link is needed.
    LoggedOut,
    /// Linked, but WhatsApp stopped the session (another device took over, a
    /// temporary ban, an outdated client, a refused connection): it is started again
    /// when WhatsApp allows.
    Suspended,
}

impl SessionStatus {
    /// The state's name, as serialized (`awaiting_link`), for labels and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::AwaitingLink => "awaiting_link",
            Self::Connected => "connected",
            Self::LoggedOut => "logged_out",
            Self::Suspended => "suspended",
        }
    }
}

/// Why WhatsApp stopped a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuspendReason {
    /// Another WhatsApp Web session with the same keys took over.
    Replaced,
    /// WhatsApp banned the number for a while.
    Banned,
    /// WhatsApp refuses this client version.
    Outdated,
    /// WhatsApp refused the connection.
    ConnectFailure,
    /// WhatsApp (or the phone) unlinked the device: a new link is needed.
    LoggedOut,
}

impl SuspendReason {
    /// The name events and pages use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Replaced => "replaced",
            Self::Banned => "banned",
            Self::Outdated => "outdated",
            Self::ConnectFailure => "connect_failure",
            Self::LoggedOut => "logged_out",
        }
    }

    /// Whether the session can come back without a new link.
    pub fn recoverable(self) -> bool {
        !matches!(self, Self::LoggedOut)
    }
}

/// A QR code to show: the text a phone's camera reads, and how long it stays valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrCode {
    /// What the QR image encodes.
    pub code: String,
    /// Validity from now.
    pub expires_in: Duration,
}

impl QrCode {
    /// Whole seconds left, rounded up (a code with 59.9 s left shows 60).
    pub fn expires_in_secs(&self) -> u64 {
        self.expires_in.as_millis().div_ceil(1000) as u64
    }
}

/// An 8-character pairing code, shown as `XXXX-XXXX`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairingCode {
    /// `XXXX-XXXX`.
    pub code: String,
    /// The phone it was requested for.
    pub phone: PhoneNumber,
    /// Validity from now.
    pub expires_in: Duration,
}

/// Either way of linking (for the control API and the events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum LinkCode {
    /// A QR code.
    Qr(QrCode),
    /// A pairing code.
    Pairing(PairingCode),
}

/// WhatsApp's id of a message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageId(pub String);

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a client sent: WhatsApp's kinds of message, as far as the salon cares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// Plain text, nothing attached.
    #[default]
    Text,
    /// A photo (its caption, if any, is the text).
    Image,
    /// A video (its caption, if any, is the text).
    Video,
    /// A file (its caption, if any, is the text).
    Document,
    /// A voice note (push-to-talk audio).
    Voice,
    /// Another audio file.
    Audio,
    /// A sticker.
    Sticker,
    /// A location (the text names it).
    Location,
    /// A contact card (the text names it).
    Contact,
    /// A reaction to one of the salon's messages (`refers_to`); the text is the emoji.
    Reaction,
    /// A new text for the client's earlier message `refers_to`.
    Edit,
    /// The client deleted their earlier message `refers_to`.
    Revoke,
}

impl MessageKind {
    /// The name stored in `inbound_messages.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Image => "image",
            Self::Video => "video",
            Self::Document => "document",
            Self::Voice => "voice",
            Self::Audio => "audio",
            Self::Sticker => "sticker",
            Self::Location => "location",
            Self::Contact => "contact",
            Self::Reaction => "reaction",
            Self::Edit => "edit",
            Self::Revoke => "revoke",
        }
    }

    /// The kind [`as_str`](Self::as_str) names.
    pub fn from_name(name: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
    }

    /// Whether it is about an earlier message (its `refers_to`) rather than a message
    /// of its own: nothing to answer.
    pub fn refers_to_another(self) -> bool {
        matches!(self, Self::Edit | Self::Revoke | Self::Reaction)
    }

    /// Whether a message of this kind is nothing without its text.
    pub fn needs_text(self) -> bool {
        matches!(self, Self::Text | Self::Edit | Self::Reaction)
    }

    /// What a message of this kind without a text of its own says to the assistant
    /// (and in the transcript).
    pub fn placeholder(self) -> &'static str {
        match self {
            Self::Text | Self::Edit | Self::Revoke | Self::Reaction => "",
            Self::Image => "[фото]",
            Self::Video => "[видео]",
            Self::Document => "[файл]",
            Self::Voice => "[голосовое сообщение]",
            Self::Audio => "[аудиозапись]",
            Self::Sticker => "[стикер]",
            Self::Location => "[геолокация]",
            Self::Contact => "[контакт]",
        }
    }
}

/// What is known of a message's media before downloading it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaInfo {
    /// `audio/ogg; codecs=opus`, `image/jpeg`, …
    #[serde(default)]
    pub mimetype: Option<String>,
    /// Length of a voice note, audio or video.
    #[serde(default)]
    pub seconds: Option<u32>,
    /// Size.
    #[serde(default)]
    pub bytes: Option<u64>,
    /// Where to fetch it from (voice notes and audio: the assistant listens to
    /// them); dropped once the message is heard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download: Option<Box<MediaRef>>,
}

/// Where a message's media can be fetched from, as the gateway that received it
/// left it: WhatsApp's CDN path and the keys to decrypt it (a live session), or the
/// simulated phone's own store (`sim://…`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaRef {
    /// WhatsApp's CDN path (`/v/t62.7117-24/…`), or `sim://<session>/<message id>`.
    pub direct_path: String,
    /// `audio`, `image`, `video`, `document`, `sticker`: which keys decrypt it.
    pub media_type: String,
    /// The media key (base64).
    #[serde(default)]
    pub media_key: String,
    /// SHA-256 of the plain file (base64).
    #[serde(default)]
    pub file_sha256: String,
    /// SHA-256 of the encrypted file (base64).
    #[serde(default)]
    pub file_enc_sha256: String,
    /// The plain file's size.
    #[serde(default)]
    pub file_length: u64,
}

impl fmt::Debug for MediaRef {
    // The key opens a client's recording: never in a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaRef")
            .field("direct_path", &self.direct_path)
            .field("media_type", &self.media_type)
            .field("file_length", &self.file_length)
            .finish_non_exhaustive()
    }
}

/// A message a client sent to the salon's number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomingMessage {
    /// The salon's session.
    pub session: SessionId,
    /// The client: their number, or their LID when WhatsApp hides the number.
    pub from: ClientAddress,
    /// WhatsApp's message id (unique per session; redeliveries repeat it).
    pub id: MessageId,
    /// What it is.
    #[serde(default)]
    pub kind: MessageKind,
    /// The text: what the client typed, a media's caption, a location's or contact's
    /// name, a reaction's emoji, an edit's new text; else the kind's placeholder.
    pub text: String,
    /// The name the client set in WhatsApp, if any.
    pub push_name: Option<String>,
    /// When the client sent it (Unix seconds).
    pub timestamp: i64,
    /// The media, for kinds that carry one.
    #[serde(default)]
    pub media: Option<MediaInfo>,
    /// The client's earlier message an edit, a deletion or a reaction is about.
    #[serde(default)]
    pub refers_to: Option<MessageId>,
    /// Written by the salon itself (from its phone or another of its devices) to the
    /// client `from`: the salon is answering, so the bot pauses for that client.
    #[serde(default)]
    pub from_me: bool,
    /// The chat's JID as WhatsApp named it (a phone's or a LID's), when known.
    #[serde(default)]
    pub chat: Option<String>,
    /// The sender's JID as WhatsApp named it, when known.
    #[serde(default)]
    pub sender: Option<String>,
    /// The chat's disappearing-message timer (seconds) the message carries: replies
    /// disappear after the same time.
    #[serde(default)]
    pub expiration: Option<u32>,
}

/// Something that happened to a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum GatewayEvent {
    /// A new QR code is showing.
    Qr {
        /// The session (`company_<salon_id>`).
        session: SessionId,
        /// The code.
        qr: QrCode,
    },
    /// A pairing code was issued.
    PairingCode {
        /// The session.
        session: SessionId,
        /// The code.
        pairing: PairingCode,
    },
    /// The phone linked the session (or a linked session came back online).
    Connected {
        /// The session.
        session: SessionId,
        /// The salon's WhatsApp number.
        phone: PhoneNumber,
    },
    /// The connection dropped; the gateway reconnects by itself.
    Disconnected {
        /// The session.
        session: SessionId,
        /// Why, as far as known.
        reason: String,
    },
    /// The device was unlinked (from the phone, or by us); its keys are gone.
    LoggedOut {
        /// The session.
        session: SessionId,
        /// Why.
        reason: String,
    },
    /// WhatsApp stopped the session; it does not reconnect by itself.
    Suspended {
        /// The session.
        session: SessionId,
        /// Why.
        reason: SuspendReason,
        /// WhatsApp's words, for ops.
        detail: String,
        /// Until when (Unix seconds), when WhatsApp said (a ban).
        until: Option<i64>,
    },
    /// A client wrote.
    IncomingMessage(IncomingMessage),
    /// WhatsApp's server took a message we sent, or refused it (`error`, its nack
    /// code): "sent" only means written to the socket until this arrives.
    SendAck {
        /// The session.
        session: SessionId,
        /// Our message's id.
        message_id: MessageId,
        /// The nack code when the server refused it.
        error: Option<String>,
    },
}

impl GatewayEvent {
    /// The session the event belongs to.
    pub fn session(&self) -> SessionId {
        match self {
            Self::Qr { session, .. }
            | Self::PairingCode { session, .. }
            | Self::Connected { session, .. }
            | Self::Disconnected { session, .. }
            | Self::LoggedOut { session, .. }
            | Self::Suspended { session, .. }
            | Self::SendAck { session, .. } => *session,
            Self::IncomingMessage(message) => message.session,
        }
    }
}

/// Why a gateway call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum GatewayError {
    /// The session is not running on this gateway.
    #[error("WhatsApp session {0} is not running")]
    NoSession(String),
    /// The session is not linked to a phone, so it cannot send.
    #[error("WhatsApp session {0} is not linked")]
    NotLinked(String),
    /// The session is linked already; there is nothing to scan.
    #[error("WhatsApp session {0} is already linked")]
    AlreadyLinked(String),
    /// WhatsApp refused to issue a pairing code this often.
    #[error("WhatsApp asks to wait before requesting another pairing code")]
    Throttled,
    /// WhatsApp cannot be reached now; a later attempt may work.
    #[error("WhatsApp is unreachable: {0}")]
    Unavailable(String),
    /// WhatsApp refused this message for good (e.g. the number is not on WhatsApp):
    /// sending it again gets the same answer.
    #[error("WhatsApp refused the message: {0}")]
    Refused(String),
    /// The salon's number is at its sending pace: the next slot is this far away.
    #[error("the salon's WhatsApp number is at its sending pace; next slot in {}s", .retry_after_ms.div_ceil(1000))]
    Paced {
        /// Milliseconds until the next slot.
        retry_after_ms: u64,
    },
    /// Anything else.
    #[error("WhatsApp gateway error: {0}")]
    Other(String),
}

impl GatewayError {
    /// Whether the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Unavailable(_) | Self::Throttled | Self::Paced { .. }
        )
    }
}
