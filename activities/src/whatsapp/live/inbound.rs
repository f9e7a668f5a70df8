//! Clients' messages as a bot receives them: what each decrypted message says to the
//! salon ([`read`]), who sent it ([`sender_phone`]), and the crate's inbound
//! durability hook ([`Durability`]), which records a batch in the gateway's ledger
//! before the crate acknowledges it to WhatsApp — so a message is never acknowledged
//! and then lost (see [`crate::whatsapp::ledger`]).

use crate::domain::{ClientAddress, PhoneNumber, SessionId};
use crate::whatsapp::{
    GatewayEvent, InboundLedger, IncomingMessage, MediaInfo, MediaRef, MessageId, MessageKind,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::sync::Arc;
use tokio::sync::broadcast;
use whatsapp_rust::prelude::MessageExt;
use whatsapp_rust::types::events::InboundMessage;
use whatsapp_rust::types::message::MessageSource;
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::waproto::whatsapp::message::protocol_message::Type as ProtocolType;
use whatsapp_rust::{Client, InboundDurabilityHook, Jid};

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
                download: None,
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
                download: None,
            }),
        );
    }
    if let Some(document) = base.document_message.as_option() {
        return Some(
            Read::of(MessageKind::Document, document.caption.as_deref()).with_media(MediaInfo {
                mimetype: document.mimetype.clone(),
                seconds: None,
                bytes: document.file_length,
                download: None,
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
            download: audio_ref(audio),
        }));
    }
    if let Some(sticker) = base.sticker_message.as_option() {
        return Some(Read::of(MessageKind::Sticker, None).with_media(MediaInfo {
            mimetype: sticker.mimetype.clone(),
            seconds: None,
            bytes: sticker.file_length,
            download: None,
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

/// Where a voice note or audio file can be downloaded from: its CDN path and keys, as
/// WhatsApp gave them (`None` when the message lacks them: nothing to fetch).
fn audio_ref(audio: &wa::message::AudioMessage) -> Option<Box<MediaRef>> {
    let b64 = |bytes: &Option<Vec<u8>>| bytes.as_deref().map(|b| STANDARD.encode(b));
    Some(Box::new(MediaRef {
        direct_path: audio.direct_path.clone()?,
        media_type: "audio".to_owned(),
        media_key: b64(&audio.media_key)?,
        file_sha256: b64(&audio.file_sha256)?,
        file_enc_sha256: b64(&audio.file_enc_sha256)?,
        file_length: audio.file_length?,
    }))
}

/// Who sent a client's message: their phone number, else their LID. WhatsApp
/// increasingly addresses people by LID (a number-hiding id); the phone then comes from
/// the stanza's alternate address or from the LID→phone mappings the crate has learnt,
/// and a client whose number WhatsApp keeps hidden is known by the LID itself.
pub(super) async fn sender_address(
    session: SessionId,
    client: &Client,
    source: &MessageSource,
) -> Option<ClientAddress> {
    let alt = source.sender_alt.as_ref().filter(|alt| alt.is_pn());
    if let Some(alt) = alt.filter(|_| !source.sender.is_pn()) {
        return phone_or_lid(session, alt, Some(&source.sender));
    }
    if source.sender.is_lid() {
        let phone = lid_phone(session, client, &source.sender).await;
        return match phone {
            Some(phone) => phone_or_lid(session, &phone, Some(&source.sender)),
            None => phone_or_lid(session, &source.sender, None),
        };
    }
    phone_or_lid(session, &source.sender, None)
}

/// The client of a chat the salon wrote to from one of its own devices: the chat's
/// number, for a LID chat the peer's number WhatsApp adds to the envelope or the one
/// the crate knows, else the LID.
async fn chat_address(
    session: SessionId,
    client: &Client,
    info: &whatsapp_rust::types::message::MessageInfo,
) -> Option<ClientAddress> {
    let chat = &info.source.chat;
    if chat.is_lid() {
        if let Some(peer) = info.peer_recipient_pn.as_ref().filter(|peer| peer.is_pn()) {
            return phone_or_lid(session, peer, Some(chat));
        }
        if let Some(phone) = lid_phone(session, client, chat).await {
            return phone_or_lid(session, &phone, Some(chat));
        }
    }
    phone_or_lid(session, chat, None)
}

/// The phone number the crate has learnt for a LID.
async fn lid_phone(session: SessionId, client: &Client, lid: &Jid) -> Option<Jid> {
    match client.get_lid_pn_entry(lid).await {
        Ok(entry) => entry.map(|entry| Jid::pn(entry.phone_number.to_string())),
        Err(error) => {
            // Known by the LID for now: better a second conversation than a lost message.
            tracing::warn!(%session, %error, "LID lookup failed");
            None
        }
    }
}

/// `jid` as a client's address: a phone number's digits (JID digits are international:
/// no trunk rule), or a LID; `lid` is the LID a phone was found for, kept when the
/// phone's digits are unusable.
fn phone_or_lid(session: SessionId, jid: &Jid, lid: Option<&Jid>) -> Option<ClientAddress> {
    let address = if jid.is_pn() {
        PhoneNumber::from_digits(jid.user_base())
            .ok()
            .map(ClientAddress::from)
            .or_else(|| lid.and_then(|lid| ClientAddress::lid(lid.user_base()).ok()))
    } else if jid.is_lid() {
        ClientAddress::lid(jid.user_base()).ok()
    } else {
        None
    };
    if address.is_none() {
        tracing::debug!(%session, "skipping a message from an unusual address");
    }
    address
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
        chat_address(session, client, info).await?
    } else {
        sender_address(session, client, source).await?
    };
    Some(IncomingMessage {
        session,
        from,
        id: MessageId(info.id.clone()),
        kind: read.kind,
        text: read.text,
        push_name: Some(info.push_name.clone()).filter(|name| !name.is_empty()),
        timestamp: info.timestamp.timestamp(),
        media: read.media,
        refers_to: read.refers_to.map(MessageId),
        from_me: source.is_from_me,
        chat: Some(source.chat.to_string()),
        sender: Some(source.sender.to_string()),
        expiration: inbound
            .message
            .get_base_message()
            .get_ephemeral_expiration(),
    })
}

/// The crate's inbound durability hook for one session: a batch is recorded in the
/// ledger (and then announced) before the crate acknowledges it; an error leaves it
/// unacknowledged, and WhatsApp delivers it again on the next connection.
pub(super) struct Durability {
    pub(super) session: SessionId,
    pub(super) ledger: Option<Arc<dyn InboundLedger>>,
    pub(super) events: broadcast::Sender<GatewayEvent>,
    pub(super) chats: Arc<super::chats::ChatBook>,
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
                self.chats.learn(
                    self.session,
                    &message.from,
                    &inbound.info.source.chat,
                    message.expiration,
                );
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
