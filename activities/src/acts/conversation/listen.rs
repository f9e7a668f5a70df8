//! Voice notes and other media before the assistant reads a turn. A voice note is
//! downloaded through the gateway and written down by the language model (see
//! [`super::ConversationActivities::listen`]), then stands in the conversation as the
//! client's words, marked as voice. What cannot be heard or read gets a fixed, polite
//! answer instead of the assistant's ([`plan`]); a sticker beside other messages is
//! left out, and a sticker alone is not answered at all (the turn's opening decides
//! that, see [`only_stickers`]).

use super::ClientMessage;
use crate::whatsapp::MessageKind;
use serde::{Deserialize, Serialize};

/// The longest voice note listened to: past two minutes a client is better asked to
/// write (and the recording would cost more than the rest of the turn).
pub const MAX_SECONDS: u32 = 120;

/// The largest voice note taken. Two minutes of WhatsApp's Opus are 250–500 kB; the
/// file may cross a Temporal payload (as base64) when another node holds the salon's
/// session, and payloads stop at 2 MB.
pub const MAX_BYTES: u64 = 1024 * 1024;

/// What marks a voice note's transcript in the history and the ledger.
pub const VOICE_MARK: &str = "🎤 ";

/// The answer to a voice note that could not be heard.
pub const UNHEARD: &str =
    "Не удалось прослушать голосовое сообщение, напишите, пожалуйста, текстом 🙏";

/// The answer to a voice note over [`MAX_SECONDS`] or [`MAX_BYTES`].
pub const TOO_LONG: &str = "Голосовое сообщение слишком длинное, прослушать его я не смогу. \
Напишите, пожалуйста, коротко текстом, что вам нужно 🙏";

/// The answer to a photo, video or file without a word of text: a person is offered.
pub const ATTACHMENT_ONLY: &str = "Спасибо! Вложения я открыть не могу. Напишите, \
пожалуйста, словами, чем помочь, — или напишите «позовите администратора», и я передам \
ваш вопрос сотруднику салона.";

/// Appended to the assistant's reply when a voice note among the messages it answered
/// could not be heard.
pub const UNHEARD_NOTE: &str = "Голосовое сообщение прослушать не удалось — если в нём было что-то ещё, напишите, пожалуйста, текстом.";

/// What listening to one voice note gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "heard", content = "text")]
pub enum Heard {
    /// The client's words.
    Transcript(String),
    /// Over [`MAX_SECONDS`] or [`MAX_BYTES`]: not downloaded.
    TooLong,
    /// Nothing to download, the download or the transcription failed, or nothing
    /// could be made out.
    Unheard,
}

impl Heard {
    /// For logs (never the words).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Transcript(_) => "transcript",
            Self::TooLong => "too_long",
            Self::Unheard => "unheard",
        }
    }
}

/// One voice note's [`Heard`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hearing {
    /// Its `inbound_messages` row.
    pub inbound_id: i64,
    /// What was heard.
    pub heard: Heard,
}

/// How a turn is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// By the assistant, reading `messages`; `note` goes after its reply.
    Assistant {
        /// What the assistant reads (stickers left out, transcripts in).
        messages: Vec<String>,
        /// Said after the reply.
        note: Option<&'static str>,
    },
    /// With this fixed text.
    Fixed(&'static str),
}

/// What a turn's messages say, and how it is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Each message as the history keeps it (a transcript marked as voice).
    pub said: Vec<String>,
    /// The answer.
    pub answer: Answer,
}

/// Whether `kind` is a recording the assistant listens to.
fn audible(kind: MessageKind) -> bool {
    matches!(kind, MessageKind::Voice | MessageKind::Audio)
}

/// Whether `kind` is a file the assistant cannot look at.
fn unseen(kind: MessageKind) -> bool {
    matches!(
        kind,
        MessageKind::Image | MessageKind::Video | MessageKind::Document
    )
}

/// The batch's recordings not heard yet (a message handed over again after its
/// transcript was recorded carries the transcript already).
pub fn to_hear(batch: &[ClientMessage]) -> Vec<ClientMessage> {
    batch
        .iter()
        .filter(|m| audible(m.kind) && !m.text.starts_with(VOICE_MARK))
        .cloned()
        .collect()
}

/// Whether a recording is past what is listened to, by what WhatsApp said of it.
pub fn too_long(message: &ClientMessage) -> bool {
    message.media.as_ref().is_some_and(|media| {
        media.seconds.is_some_and(|s| s > MAX_SECONDS) || media.bytes.is_some_and(|b| b > MAX_BYTES)
    })
}

/// Whether a batch is stickers and nothing else: nothing to answer.
pub fn only_stickers(batch: &[ClientMessage]) -> bool {
    !batch.is_empty() && batch.iter().all(|m| m.kind == MessageKind::Sticker)
}

/// The batch's text once `hearings` are in, and how the turn is answered: by the
/// assistant when anything in it can be read (a failed voice note then gets a note
/// after the reply), else with the fixed answer for what went wrong.
pub fn plan(batch: &[ClientMessage], hearings: &[Hearing]) -> Plan {
    let heard = |id: i64| {
        hearings
            .iter()
            .find(|h| h.inbound_id == id)
            .map(|h| &h.heard)
    };
    let mut said = Vec::with_capacity(batch.len());
    let mut readable = Vec::new();
    let (mut too_long, mut unheard, mut attachment) = (false, false, false);
    for message in batch {
        let text = message.text.trim();
        match (message.kind, heard(message.inbound_id)) {
            (kind, Some(Heard::Transcript(words))) if audible(kind) => {
                let marked = format!("{VOICE_MARK}{words}");
                said.push(marked.clone());
                readable.push(marked);
                continue;
            }
            (kind, Some(Heard::TooLong)) if audible(kind) => too_long = true,
            (kind, _) if audible(kind) && !text.starts_with(VOICE_MARK) => unheard = true,
            (MessageKind::Sticker, _) => {}
            (kind, _) if unseen(kind) && text == kind.placeholder() => attachment = true,
            _ => readable.push(message.text.clone()),
        }
        said.push(message.text.clone());
    }
    let answer = if !readable.is_empty() {
        Answer::Assistant {
            messages: readable,
            note: (too_long || unheard).then_some(UNHEARD_NOTE),
        }
    } else if too_long {
        Answer::Fixed(TOO_LONG)
    } else if unheard {
        Answer::Fixed(UNHEARD)
    } else if attachment {
        Answer::Fixed(ATTACHMENT_ONLY)
    } else {
        // Stickers alone are silenced at the opening; should one reach here, the
        // assistant reads it as it is.
        Answer::Assistant {
            messages: said.clone(),
            note: None,
        }
    };
    Plan { said, answer }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::whatsapp::MediaInfo;

    fn message(id: i64, kind: MessageKind, text: &str) -> ClientMessage {
        ClientMessage {
            inbound_id: id,
            message_id: format!("M{id}"),
            text: text.to_owned(),
            push_name: None,
            withdrawn: false,
            kind,
            media: None,
        }
    }

    fn voice(id: i64, seconds: u32) -> ClientMessage {
        ClientMessage {
            media: Some(MediaInfo {
                seconds: Some(seconds),
                ..MediaInfo::default()
            }),
            ..message(id, MessageKind::Voice, "[голосовое сообщение]")
        }
    }

    fn heard(id: i64, heard: Heard) -> Hearing {
        Hearing {
            inbound_id: id,
            heard,
        }
    }

    #[test]
    fn text_alone_is_read_as_it_is() {
        let batch = [
            message(1, MessageKind::Text, "Здравствуйте"),
            message(2, MessageKind::Text, "на завтра"),
        ];
        let plan = plan(&batch, &[]);
        assert_eq!(plan.said, ["Здравствуйте", "на завтра"]);
        assert_eq!(
            plan.answer,
            Answer::Assistant {
                messages: vec!["Здравствуйте".into(), "на завтра".into()],
                note: None
            }
        );
    }

    #[test]
    fn a_transcript_is_the_clients_words_marked_as_voice() {
        let batch = [voice(1, 6)];
        assert_eq!(to_hear(&batch).len(), 1);
        let plan = plan(
            &batch,
            &[heard(1, Heard::Transcript("Запишите на маникюр".into()))],
        );
        assert_eq!(plan.said, ["🎤 Запишите на маникюр"]);
        assert_eq!(
            plan.answer,
            Answer::Assistant {
                messages: vec!["🎤 Запишите на маникюр".into()],
                note: None
            }
        );
        // Handed over again with its transcript recorded: not listened to twice.
        let again = [message(1, MessageKind::Voice, "🎤 Запишите на маникюр")];
        assert!(to_hear(&again).is_empty());
        assert!(matches!(
            super::plan(&again, &[]).answer,
            Answer::Assistant { note: None, .. }
        ));
    }

    #[test]
    fn what_cannot_be_heard_or_seen_gets_its_fixed_answer() {
        assert!(too_long(&voice(1, 121)));
        assert!(!too_long(&voice(1, 120)));
        assert_eq!(
            plan(&[voice(1, 300)], &[heard(1, Heard::TooLong)]).answer,
            Answer::Fixed(TOO_LONG)
        );
        assert_eq!(
            plan(&[voice(1, 5)], &[heard(1, Heard::Unheard)]).answer,
            Answer::Fixed(UNHEARD)
        );
        // The listening step failed altogether: no hearing at all.
        assert_eq!(plan(&[voice(1, 5)], &[]).answer, Answer::Fixed(UNHEARD));
        let photo = message(1, MessageKind::Image, "[фото]");
        assert_eq!(plan(&[photo], &[]).answer, Answer::Fixed(ATTACHMENT_ONLY));
        let file = message(1, MessageKind::Document, "[файл]");
        assert_eq!(plan(&[file], &[]).answer, Answer::Fixed(ATTACHMENT_ONLY));
    }

    #[test]
    fn a_caption_is_the_photos_text_and_stickers_beside_words_are_left_out() {
        let batch = [
            message(1, MessageKind::Image, "Хочу такой дизайн"),
            message(2, MessageKind::Sticker, "[стикер]"),
        ];
        assert_eq!(
            plan(&batch, &[]).answer,
            Answer::Assistant {
                messages: vec!["Хочу такой дизайн".into()],
                note: None
            }
        );
        assert!(only_stickers(&[message(
            1,
            MessageKind::Sticker,
            "[стикер]"
        )]));
        assert!(!only_stickers(&batch));
        assert!(!only_stickers(&[]));
    }

    #[test]
    fn an_unheard_voice_note_beside_words_is_mentioned_after_the_reply() {
        let batch = [message(1, MessageKind::Text, "Добрый день"), voice(2, 10)];
        let plan = plan(&batch, &[heard(2, Heard::Unheard)]);
        assert_eq!(
            plan.answer,
            Answer::Assistant {
                messages: vec!["Добрый день".into()],
                note: Some(UNHEARD_NOTE)
            }
        );
        assert_eq!(plan.said, ["Добрый день", "[голосовое сообщение]"]);
    }

    #[test]
    fn a_location_and_a_contact_are_read_by_their_names() {
        let batch = [message(1, MessageKind::Location, "[геолокация: ТЦ Мега]")];
        assert!(matches!(plan(&batch, &[]).answer, Answer::Assistant { .. }));
    }
}
