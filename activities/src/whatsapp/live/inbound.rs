//! Clients' messages as a bot receives them: what each decrypted message says to the
//! salon ([`read`]), who sent it ([`sender_phone`]), and the crate's inbound
//! durability hook ([`Durability`]), which records a batch in the gateway's ledger
//! before the crate acknowledges it to WhatsApp — so a message is never acknowledged
//! and then lost (see [`crate::whatsapp::ledger`]).

use crate::domain::{PhoneNumber, SessionId};
use crate::whatsapp::{
    GatewayEvent, InboundLedger, IncomingMessage, MediaInfo, MessageId, MessageKind,
};
use std::sync::Arc;
use tokio::sync::broadcast;
use whatsapp_rust::prelude::MessageExt;
use whatsapp_rust::types::events::InboundMessage;
use whatsapp_rust::types::message::MessageSource;
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::waproto::whatsapp::message::protocol_message::Type as ProtocolType;
use whatsapp_rust::{Client, InboundDurabilityHook};

/// What a message says to the salon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Read {
    pub(super) kind: MessageKind,
    /// Text, caption, a location's or contact's name, an emoji, an edit's new text.
    pub(super) text: String,
    pub(super) media: Option<MediaInfo>,
    /// The message an edit, a deletion or a reaction is about.
    pub(super) refers_to: Option<String>,
}

impl Read {
    fn of(kind: MessageKind, text: Option<&str>) -> Self {
        Self {
            kind,
            text: text.unwrap_or_default().trim().to_owned(),
            media: None,
            refers_to: None,
        }
    }

    fn with_media(mut self, media: MediaInfo) -> Self {
        self.media = Some(media);
        self
    }
}

/// The kind, text and media of a decrypted message (wrappers such as disappearing or
/// view-once peeled off); `None` for what a salon has nothing to do with (protocol
/// housekeeping, polls, calls, a reaction taken back).
pub(super) fn read(message: &wa::Message) -> Option<Read> {
    let base = message.get_base_message();
    if let Some(protocol) = base.protocol_message.as_option() {
        let original = protocol.key.as_option().and_then(|key| key.id.clone());
        return match protocol.r#type {
            Some(ProtocolType::MESSAGE_EDIT) => {
                let edited = protocol.edited_message.as_option();
                let text = edited.and_then(|m| m.text_content().or_else(|| m.get_caption()));
                Some(Read {
                    refers_to: original,
                    ..Read::of(MessageKind::Edit, text)
                })
            }
            Some(ProtocolType::REVOKE) => Some(Read {
                refers_to: original,
                ..Read::of(MessageKind::Revoke, None)
            }),
            _ => None,
        };
    }
    if let Some(text) = base.text_content() {
        return Some(Read::of(MessageKind::Text, Some(text)));
    }
    if let Some(image) = base.image_message.as_option() {
        return Some(
            Read::of(MessageKind::Image, image.caption.as_deref()).with_media(MediaInfo {
                mimetype: image.mimetype.clone(),
                seconds: None,
                bytes: image.file_length,
            }),
        );
    }
    if let Some(video) = base
        .video_message
        .as_option()
        .or_else(|| base.ptv_message.as_option())
    {
        return Some(
            Read::of(MessageKind::Video, video.caption.as_deref()).with_media(MediaInfo {
                mimetype: video.mimetype.clone(),
                seconds: video.seconds,
                bytes: video.file_length,
            }),
        );
    }
    if let Some(document) = base.document_message.as_option() {
        return Some(
            Read::of(MessageKind::Document, document.caption.as_deref()).with_media(MediaInfo {
                mimetype: document.mimetype.clone(),
                seconds: None,
                bytes: document.file_length,
            }),
        );
    }
    if let Some(audio) = base.audio_message.as_option() {
        let kind = if audio.ptt == Some(true) {
            MessageKind::Voice
        } else {
            MessageKind::Audio
        };
        return Some(Read::of(kind, None).with_media(MediaInfo {
            mimetype: audio.mimetype.clone(),
            seconds: audio.seconds,
            bytes: audio.file_length,
        }));
    }
    if let Some(sticker) = base.sticker_message.as_option() {
        return Some(Read::of(MessageKind::Sticker, None).with_media(MediaInfo {
            mimetype: sticker.mimetype.clone(),
            seconds: None,
            bytes: sticker.file_length,
        }));
    }
    let place = base
        .location_message
        .as_option()
        .map(|l| [l.name.as_deref(), l.address.as_deref()])
        .or_else(|| {
            base.live_location_message
                .as_option()
                .map(|l| [l.caption.as_deref(), None])
        });
    if let Some(parts) = place {
        let named: Vec<&str> = parts
            .into_iter()
            .flatten()
            .filter(|p| !p.trim().is_empty())
            .collect();
        let text = (!named.is_empty()).then(|| format!("[геолокация: {}]", named.join(", ")));
        return Some(Read::of(MessageKind::Location, text.as_deref()));
    }
    let contacts: Option<Vec<&str>> = base
        .contact_message
        .as_option()
        .map(|c| c.display_name.as_deref().into_iter().collect())
        .or_else(|| {
            base.contacts_array_message.as_option().map(|array| {
                array
                    .contacts
                    .iter()
                    .filter_map(|c| c.display_name.as_deref())
                    .collect()
            })
        });
    if let Some(names) = contacts {
        let text = (!names.is_empty()).then(|| format!("[контакт: {}]", names.join(", ")));
        return Some(Read::of(MessageKind::Contact, text.as_deref()));
    }
    if let Some(reaction) = base.reaction_message.as_option() {
        let emoji = reaction.text.as_deref().unwrap_or_default();
        // An empty reaction takes an earlier one back: nothing to record.
        return (!emoji.is_empty()).then(|| Read {
            refers_to: reaction.key.as_option().and_then(|key| key.id.clone()),
            ..Read::of(MessageKind::Reaction, Some(emoji))
        });
    }
    None
}

/// The sender's phone number. WhatsApp increasingly addresses people by LID (a
/// number-hiding id); then the phone comes from the stanza's alternate address or
/// from the LID→phone mappings the crate has learnt.
pub(super) async fn sender_phone(
    session: SessionId,
    client: &Client,
    source: &MessageSource,
) -> Option<PhoneNumber> {
    let digits = if source.sender.is_pn() {
        Some(source.sender.user_base().to_owned())
    } else if let Some(alt) = source.sender_alt.as_ref().filter(|alt| alt.is_pn()) {
        Some(alt.user_base().to_owned())
    } else if source.sender.is_lid() {
        match client.get_lid_pn_entry(&source.sender).await {
            Ok(entry) => entry.map(|entry| entry.phone_number.to_string()),
            Err(error) => {
                tracing::warn!(%session, %error, "LID lookup failed");
                None
            }
        }
    } else {
        None
    };
    let Some(digits) = digits else {
        tracing::debug!(%session, "skipping a message from a LID sender whose phone number is unknown");
        return None;
    };
    let phone = PhoneNumber::from_digits(&digits).ok();
    if phone.is_none() {
        tracing::debug!(%session, "skipping a message from an unusual number");
    }
    phone
}

/// The client of a chat the salon wrote to from one of its own devices: the chat's
/// number, or for a LID chat the peer's number WhatsApp adds to the envelope.
async fn chat_phone(
    session: SessionId,
    client: &Client,
    info: &whatsapp_rust::types::message::MessageInfo,
) -> Option<PhoneNumber> {
    let chat = &info.source.chat;
    let digits = if chat.is_pn() {
        Some(chat.user_base().to_owned())
    } else if let Some(peer) = info.peer_recipient_pn.as_ref().filter(|peer| peer.is_pn()) {
        Some(peer.user_base().to_owned())
    } else {
        client
            .get_lid_pn_entry(chat)
            .await
            .ok()
            .flatten()
            .map(|entry| entry.phone_number.to_string())
    };
    let phone = digits.and_then(|digits| PhoneNumber::from_digits(&digits).ok());
    if phone.is_none() {
        tracing::debug!(%session, "skipping the salon's message to a chat whose number is unknown");
    }
    phone
}

/// A message in a client's direct chat as the salon's ledger keeps it — the client's,
/// or the salon's own from its phone (`from_me`) — or `None` for anything else (groups,
/// broadcasts, protocol housekeeping).
pub(super) async fn incoming(
    session: SessionId,
    client: &Client,
    inbound: &InboundMessage,
) -> Option<IncomingMessage> {
    let info = &inbound.info;
    let source = &info.source;
    let direct = source.chat.is_pn() || source.chat.is_lid();
    if source.is_group || !direct {
        tracing::debug!(%session, "skipping a message outside a client's direct chat");
        return None;
    }
    let Some(read) = read(&inbound.message) else {
        tracing::debug!(%session, "skipping a message with nothing for the salon");
        return None;
    };
    let from = if source.is_from_me {
        chat_phone(session, client, info).await?
    } else {
        sender_phone(session, client, source).await?
    };
    Some(IncomingMessage {
        session: session.to_string(),
        from,
        id: MessageId(info.id.clone()),
        kind: read.kind,
        text: read.text,
        push_name: Some(info.push_name.clone()).filter(|name| !name.is_empty()),
        timestamp: info.timestamp.timestamp(),
        media: read.media,
        refers_to: read.refers_to.map(MessageId),
        from_me: source.is_from_me,
    })
}

/// The crate's inbound durability hook for one session: a batch is recorded in the
/// ledger (and then announced) before the crate acknowledges it; an error leaves it
/// unacknowledged, and WhatsApp delivers it again on the next connection.
pub(super) struct Durability {
    pub(super) session: SessionId,
    pub(super) ledger: Option<Arc<dyn InboundLedger>>,
    pub(super) events: broadcast::Sender<GatewayEvent>,
}

#[async_trait::async_trait]
impl InboundDurabilityHook for Durability {
    async fn on_messages(
        &self,
        client: Arc<Client>,
        batch: &[InboundMessage],
    ) -> anyhow::Result<()> {
        let mut messages = Vec::with_capacity(batch.len());
        for inbound in batch {
            if let Some(message) = incoming(self.session, &client, inbound).await {
                messages.push(message);
            }
        }
        if messages.is_empty() {
            return Ok(());
        }
        if let Some(ledger) = &self.ledger {
            // Not acknowledged on an error: WhatsApp delivers the batch again.
            ledger.record(&messages).await?;
        }
        for message in messages {
            let _ = self.events.send(GatewayEvent::IncomingMessage(message));
        }
        Ok(())
    }
}
