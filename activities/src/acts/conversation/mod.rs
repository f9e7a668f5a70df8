//! The activities of one conversation turn, run by `conversation-<salon_id>-<phone>` as
//! local activities (see the workflow for why):
//!
//! 1. [`ConversationActivities::open_turn`] — answer at all? (salon active, client not
//!    handed off); blue ticks and "typing…" when so, the messages closed as ignored when not.
//! 2. [`ConversationActivities::understand`] — stage 1: commands as JSON.
//! 3. [`ConversationActivities::execute`] — the commands against YClients and the database.
//! 4. [`ConversationActivities::compose`] — stage 2: the reply from the results.
//! 5. [`ConversationActivities::send_reply`] — sent once under the step's key, paced per
//!    session; the messages closed as handled.
//!
//! A turn that only thanks or says goodbye is [`ConversationActivities::react`] instead.
//!
//! [`ConversationActivities::report_assistant_down`] records that the language model
//! stayed away and a client got the fixed apology instead; a provider refusing the
//! salon's region is an `llm_unavailable` event of its own.
//!
//! # Layout
//! - [`context`] — the salon and client as a turn sees them; both prompts.
//! - [`lookup`] — the read-only commands: prices, free times, a master's days.
//! - [`booking`] — `CREATE_BOOKING`: check, then book once (api_id), or alternatives.
//! - [`changes`] — cancel, move or confirm the client's own visits.
//! - [`courtesy`] — thanks and goodbyes, answered with a reaction.
//! - [`discussed`] — what the conversation is about, kept by the workflow.
//! - [`facts`] — what stage 2 is told about the salon and the client.
//! - [`shortlist`] — which services and masters stage 1 is shown.
//! - [`execute`] — one command run.

// `#[activities]` generates one undocumented constant per activity.
#![allow(missing_docs)]

pub mod booking;
pub mod changes;
pub mod context;
pub mod courtesy;
pub mod discussed;
pub mod execute;
pub mod facts;
pub mod listen;
pub mod lookup;
pub mod shortlist;
pub mod unanswered;
pub mod voice;

use crate::acts::conversation::lookup::CommandResult;
use crate::acts::failure;
use crate::acts::messaging::send_once;
use crate::acts::reminders;
use crate::assistant::commands::{self, Command, Parsed, Problem};
use crate::assistant::prompts::PromptSet;
use crate::assistant::usual;
use crate::clients::llm::error::once_more_if_broken;
use crate::clients::llm::{Audio, Generated, LanguageModel, LlmError, Turn};
use crate::clients::yclients::YClients;
use crate::db::events::{self, EventType, NewEvent};
use crate::db::inbound::{self, Outcome};
use crate::db::{bookings, companies, conversations, outbound, settings, turns};
use crate::domain::{ClientAddress, IntegrationStatus, SalonId, SessionId};
use crate::whatsapp::pacing::Origin;
use crate::whatsapp::{MediaInfo, MessageId, MessageKind, WhatsAppGateway};
use context::SalonContext;
use discussed::{Awaiting, Discussed, Question};
use execute::TurnOf;
use listen::{Heard, Hearing};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// Why a salon's `llm_unavailable` event was written, as the owner and ops read it.
pub const LLM_REGION_REASON: &str =
    "provider refuses this region: set LLM_PROXY or another provider";

/// What the client gets when the assistant cannot answer (the language model down past
/// its retries).
pub const APOLOGY: &str = "Извините, я сейчас не могу ответить. Администратор салона \
     увидит ваше сообщение и ответит вам здесь же в ближайшее время.";

/// What a client gets for messages that reached us long after they were written (a
/// phone that was offline, our outage): the question may be settled by now, so the bot
/// says sorry and asks, instead of acting on it as if it were new.
pub const LATE_APOLOGY: &str = "Здравствуйте! Простите, ваше сообщение дошло до нас с большой \
     задержкой. Если вопрос ещё актуален, напишите, пожалуйста, ещё раз — ответим сразу.";

/// Messages said without the bot taken into the history at one turn at most (the
/// history keeps 20 turns).
const OVERHEARD_TURNS: usize = 10;
/// Older messages said without the bot are not context any more.
const OVERHEARD_WITHIN: Duration = Duration::from_secs(24 * 3600);

/// The days of bookings that say which of a salon's services is most booked.
const MOST_BOOKED_DAYS: i32 = 180;

/// How long after a reminder the client's «ок» still answers it.
pub const REMINDER_ANSWERED_WITHIN: Duration = Duration::from_secs(12 * 3600);

/// Earlier turns whose services stage 2 is told about («а сколько она длится?»).
const FACT_TURNS: usize = 4;

/// The longest message text the assistant reads (and keeps in history); longer ones are
/// cut here, before anything reaches the language model or the workflow.
pub const MAX_MESSAGE_CHARS: usize = 2_000;

/// `text` cut to [`MAX_MESSAGE_CHARS`] characters.
pub fn bounded_text(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => text[..cut].to_owned(),
        None => text.to_owned(),
    }
}

/// What the assistant may do for a client, so a client (or someone who writes as many
/// clients) cannot fill a salon's book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistantLimits {
    /// Changes to visits (book, move, cancel, confirm) one turn may make; the rest are
    /// answered with a request to go one at a time.
    pub changes_per_turn: usize,
    /// How far ahead, in days, the bot books or moves a visit.
    pub booking_horizon_days: u32,
    /// Upcoming visits the bot may have booked for one client at once
    /// (`ASSISTANT_MAX_UPCOMING_BOOKINGS`).
    pub upcoming_bookings_per_client: u32,
    /// Messages written longer ago than this when they reach us get an apology, not an
    /// answer (`LATE_MESSAGE_AFTER`).
    pub late_after: std::time::Duration,
}

impl Default for AssistantLimits {
    fn default() -> Self {
        Self {
            changes_per_turn: 3,
            booking_horizon_days: 90,
            upcoming_bookings_per_client: 3,
            late_after: std::time::Duration::from_secs(12 * 3600),
        }
    }
}

/// A client's message as the conversation holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientMessage {
    /// Its `inbound_messages` row (increasing in arrival order).
    pub inbound_id: i64,
    /// WhatsApp's id.
    pub message_id: String,
    /// What they wrote, else their kind's placeholder; a heard voice note's starts with 🎤.
    pub text: String,
    /// The name the client set in WhatsApp.
    pub push_name: Option<String>,
    /// The client deleted it: drop it if it is still waiting.
    #[serde(default)]
    pub withdrawn: bool,
    /// What it is (a voice note is listened to before it is answered).
    #[serde(default)]
    pub kind: MessageKind,
    /// Its media, for kinds that carry one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<MediaInfo>,
}

/// Input of [`ConversationActivities::open_turn`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenTurn {
    /// The salon written to: its status and opening hours decide whether the bot answers.
    pub salon_id: SalonId,
    /// The client's number, digits.
    pub phone: String,
    /// The messages answered together.
    pub messages: Vec<ClientMessage>,
    /// The last inbound row the conversation took in before: what was said in the chat
    /// after it without the bot joins the history.
    #[serde(default)]
    pub after: i64,
}

/// Input of [`ConversationActivities::listen`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listen {
    /// Whose WhatsApp session the voice notes are downloaded through.
    pub salon_id: SalonId,
    /// The voice notes to hear (see [`listen::to_hear`]).
    pub messages: Vec<ClientMessage>,
}

/// A message of the chat the bot took no part in: the salon's own, from its phone, or
/// the client's while the bot kept quiet (the salon answering, a handoff).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overheard {
    /// Its `inbound_messages` row, ordered with the client's.
    pub inbound_id: i64,
    /// The salon wrote it (else the client).
    pub by_salon: bool,
    /// What it said.
    pub text: String,
}

/// Whether to answer, and the client's name as the salon knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opening {
    /// Why the bot stays silent, when it does.
    pub silent: Option<String>,
    /// The name the client gave, from an earlier conversation.
    pub client_name: Option<String>,
    /// Every message of the turn was written longer ago than
    /// [`AssistantLimits::late_after`]: answer with [`LATE_APOLOGY`].
    #[serde(default)]
    pub late: bool,
    /// What was said in the chat without the bot since the last turn, oldest first.
    #[serde(default)]
    pub overheard: Vec<Overheard>,
    /// A reminder the client may be answering now: nothing else was sent to them after
    /// it, within [`REMINDER_ANSWERED_WITHIN`].
    #[serde(default)]
    pub reminder: Option<Awaiting>,
}

/// Input of [`ConversationActivities::understand`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Understand {
    /// Whose services and masters stage 1 is shown; the turn is recorded under it.
    pub salon_id: SalonId,
    /// The client's number, digits.
    pub phone: String,
    /// The name as known.
    pub client_name: Option<String>,
    /// Earlier turns, oldest first.
    pub history: Vec<Turn>,
    /// The client's new messages.
    pub messages: Vec<String>,
    /// The turn's step: its record in `assistant_turns` (empty: not recorded).
    #[serde(default)]
    pub step: String,
    /// What the conversation is about so far.
    #[serde(default)]
    pub discussed: Discussed,
}

/// Stage 1's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Understood {
    /// Commands to run, in order.
    pub commands: Vec<Command>,
    /// Commands named without what they need.
    pub problems: Vec<Problem>,
}

/// Input of [`ConversationActivities::execute`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Execute {
    /// Whose YClients company the commands run against; its reminders are redone after.
    pub salon_id: SalonId,
    /// The client's number, digits.
    pub phone: String,
    /// The name as known.
    pub client_name: Option<String>,
    /// What stage 1 asked for.
    pub understood: Understood,
    /// Unique per turn, the same on every retry (the bookings' `api_id`).
    pub step: String,
    /// The client's messages of this turn (a yes to a question asked before).
    #[serde(default)]
    pub messages: Vec<String>,
    /// The cancellation or move the last turn asked the client to confirm.
    #[serde(default)]
    pub awaiting: Option<Awaiting>,
}

/// Input of [`ConversationActivities::compose`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Compose {
    /// Whose catalog, settings and owner's greeting stage 2 writes the reply with.
    pub salon_id: SalonId,
    /// The name as known.
    pub client_name: Option<String>,
    /// Earlier turns, oldest first.
    pub history: Vec<Turn>,
    /// The client's new messages.
    pub messages: Vec<String>,
    /// What the commands gave.
    pub results: Vec<CommandResult>,
    /// The turn's step: its record in `assistant_turns` (empty: not recorded).
    #[serde(default)]
    pub step: String,
    /// The client's number, digits (their visits are among the facts told).
    #[serde(default)]
    pub phone: String,
}

/// Input of [`ConversationActivities::send_reply`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendReply {
    /// Whose WhatsApp session sends the reply.
    pub salon_id: SalonId,
    /// The client's number, digits.
    pub phone: String,
    /// Sent once under this key.
    pub key: String,
    /// Stage 2's reply or a fixed answer (the apology); recorded as the turn's reply.
    pub text: String,
    /// The messages it answers, closed as handled once it is sent.
    pub inbound_ids: Vec<i64>,
}

/// Input of [`ConversationActivities::react`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct React {
    /// Whose WhatsApp session sends the reaction.
    pub salon_id: SalonId,
    /// The client's number, digits.
    pub phone: String,
    /// The client's message reacted to (WhatsApp's id).
    pub message_id: String,
    /// What the bot reacts with; recorded as the turn's reply.
    pub emoji: String,
    /// The client's messages of the turn, for its record.
    pub messages: Vec<String>,
    /// The messages it answers, closed as handled once the reaction is sent.
    pub inbound_ids: Vec<i64>,
    /// The turn's step: its record in `assistant_turns`.
    pub step: String,
}

/// Input of [`ConversationActivities::report_assistant_down`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistantDown {
    /// Whose event log gets the `assistant_unavailable` event.
    pub salon_id: SalonId,
    /// The client's number, digits.
    pub phone: String,
    /// What failed.
    pub reason: String,
    /// The turn (one event per turn).
    pub step: String,
}

/// Owns what a conversation turn needs.
#[derive(Debug, Clone)]
pub struct ConversationActivities {
    db: PgPool,
    yclients: Arc<dyn YClients>,
    llm: Arc<dyn LanguageModel>,
    gateway: Arc<dyn WhatsAppGateway>,
    reminder_offsets: Vec<Duration>,
    limits: AssistantLimits,
    prompts: &'static PromptSet,
    handoff_timeout: Option<Duration>,
}

impl ConversationActivities {
    /// Sends the owner's fixed answer for a closed bot (off, or outside its hours), at
    /// most once per client per reason and closed stretch (the salon day while off; up to
    /// the hours' next opening outside them): the key names both, so a retry or
    /// the client's next messages that day send nothing more. Sent off the turn's path
    /// and best-effort: a courtesy that cannot go is logged, and the turn stays silent.
    fn tell_closed(
        &self,
        input: &OpenTurn,
        closed: &settings::Closed,
        local_day: chrono::NaiveDate,
    ) {
        let Some(reply) = closed.reply().map(str::to_owned) else {
            return;
        };
        let Ok(to) = ClientAddress::parse(&input.phone) else {
            return;
        };
        let key = format!(
            "closed/{}/{}/{}/{}",
            closed.kind(),
            input.salon_id,
            input.phone,
            closed.stretch(local_day).format("%Y-%m-%d")
        );
        let (db, gateway, salon_id) = (self.db.clone(), self.gateway.clone(), input.salon_id);
        tokio::spawn(async move {
            match send_once(&db, &*gateway, Origin::Reply, &key, salon_id, &to, &reply).await {
                Ok(_) => tracing::info!(%salon_id, client = %to.masked(), "fixed answer sent"),
                Err(error) => tracing::warn!(%salon_id, error = ?error, "fixed answer not sent"),
            }
        });
    }

    /// Tells the salon's owner a client waits for a person (see [`handoff_notice`]): once
    /// per turn (the key names it), and not again for the same client within an hour.
    /// Sent off the turn's path and best-effort: a notice that cannot go is logged, never
    /// the turn's failure (the console's inbox shows the client anyway). The owner's
    /// «ок» back is not taken for a client's question: the bot pauses for their number.
    fn announce_handoff(&self, salon_id: SalonId, step: &str, phone: &str, reason: Option<&str>) {
        let (db, gateway) = (self.db.clone(), self.gateway.clone());
        let (step, phone, reason) = (step.to_owned(), phone.to_owned(), reason.map(str::to_owned));
        tokio::spawn(async move {
            crate::db::live_events::conversation_changed(&db, salon_id, "handoff").await;
            if let Err(error) =
                notify_owner(&db, &*gateway, salon_id, &step, &phone, reason.as_deref()).await
            {
                tracing::warn!(%salon_id, error = %format!("{error:#}"), "handoff notice not sent");
            }
        });
    }

    /// A client handed over writes again: if nobody from the salon answered within the
    /// timeout, they are given back to the bot (and told so) before this turn; true then.
    /// Best-effort: a check or a word that fails is logged and the turn goes on as
    /// before (the watch, or the next message, tries again).
    async fn give_back_if_due(&self, input: &OpenTurn) -> bool {
        let watch = unanswered::HandoffWatch {
            salon_id: input.salon_id,
            phone: input.phone.clone(),
        };
        let now = chrono::Utc::now();
        let due = match unanswered::check(&self.db, &watch, self.handoff_timeout, now).await {
            Ok(unanswered::HandoffCheck::Due { since_micros }) => since_micros,
            Ok(_) => return false,
            Err(error) => {
                tracing::warn!(salon_id = %input.salon_id, error = %format!("{error:#}"), "handoff not looked at");
                return false;
            }
        };
        match unanswered::give_back(&self.db, &*self.gateway, &watch, due).await {
            Ok(given) => given,
            Err(error) => {
                tracing::warn!(salon_id = %input.salon_id, error = ?error, "unanswered handoff not given back");
                false
            }
        }
    }

    /// Activities over these dependencies.
    pub fn new(
        db: PgPool,
        yclients: Arc<dyn YClients>,
        llm: Arc<dyn LanguageModel>,
        gateway: Arc<dyn WhatsAppGateway>,
        reminder_offsets: Vec<Duration>,
    ) -> Self {
        Self {
            db,
            yclients,
            llm,
            gateway,
            reminder_offsets,
            limits: AssistantLimits::default(),
            prompts: PromptSet::current(),
            handoff_timeout: None,
        }
    }

    /// Unanswered handoffs go back to the bot after `timeout` of answer hours (`None`:
    /// a handoff waits for a person however long it takes).
    pub fn with_handoff_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.handoff_timeout = timeout;
        self
    }

    /// With this prompt set instead of the newest.
    pub fn with_prompts(mut self, prompts: &'static PromptSet) -> Self {
        self.prompts = prompts;
        self
    }

    /// With these limits instead of the defaults.
    pub fn with_limits(mut self, limits: AssistantLimits) -> Self {
        self.limits = limits;
        self
    }
}

fn address_of(text: &str) -> Result<ClientAddress, ActivityError> {
    ClientAddress::parse(text)
        .map_err(|e| failure::permanent("InvalidPhone", format!("client address: {e}")))
}

/// How long the owner is not told again of the same client waiting.
const HANDOFF_NOTICE_EVERY: Duration = Duration::from_secs(3600);

/// How long the bot leaves the owner's own number alone after a notice (their «ок» back
/// is not a client's question).
const OWNER_PAUSE: Duration = Duration::from_secs(3600);

async fn notify_owner(
    db: &PgPool,
    gateway: &dyn WhatsAppGateway,
    salon_id: SalonId,
    step: &str,
    phone: &str,
    reason: Option<&str>,
) -> anyhow::Result<()> {
    let Some(owner) = companies::owner_phone(db, salon_id).await? else {
        return Ok(());
    };
    let to = crate::domain::PhoneNumber::parse(&owner)
        .map_err(|error| anyhow::anyhow!("the owner's phone: {error}"))?;
    let prefix = format!("handoff-notice/{salon_id}/{phone}/");
    let key = format!("{prefix}{step}");
    if outbound::sent_within(db, salon_id, &prefix, &key, HANDOFF_NOTICE_EVERY).await? {
        tracing::info!(%salon_id, "owner told of this client within the hour: no new notice");
        return Ok(());
    }
    let name = conversations::find(db, salon_id, phone).await?.client_name;
    let text = handoff_notice(name.as_deref(), phone, reason);
    let to: ClientAddress = to.into();
    send_once(db, gateway, Origin::Initiated, &key, salon_id, &to, &text)
        .await
        .map_err(|error| anyhow::anyhow!("{error:?}"))?;
    conversations::pause_for_salon(db, salon_id, &to.to_string(), OWNER_PAUSE).await?;
    tracing::info!(%salon_id, owner = %to.masked(), "owner told of a handoff");
    Ok(())
}

/// The owner's notice of a client waiting for a person: who, why, and where to answer.
fn handoff_notice(name: Option<&str>, phone: &str, reason: Option<&str>) -> String {
    let who = name.filter(|n| !n.trim().is_empty()).unwrap_or("Клиент");
    let number = match phone.contains('@') {
        true => String::new(),
        false => format!(" (+{phone})"),
    };
    let why = reason
        .filter(|r| !r.trim().is_empty())
        .map(|r| format!(": {}", r.trim()))
        .unwrap_or_default();
    format!(
        "🙋 {who}{number} ждёт администратора{why}. Ответьте ему в WhatsApp или в консоли \
         AI Admin (YClients → Маркетплейс → AI Admin): пока вы не вернёте диалог боту, бот \
         этому клиенту не отвечает."
    )
}

/// Why the bot must not answer the salon's clients now, if it must not.
fn silence_for(status: Option<IntegrationStatus>, handed_off: bool) -> Option<String> {
    match status {
        None => Some("salon not registered".to_owned()),
        Some(IntegrationStatus::Active) if handed_off => {
            Some("client handed over to the salon".to_owned())
        }
        Some(IntegrationStatus::Active) => None,
        Some(other) => Some(format!("salon is {}", other.as_str())),
    }
}

#[activities]
impl ConversationActivities {
    /// Decides whether the bot answers; shows the client their messages were read and
    /// the bot is typing. Silent turns close their messages as ignored.
    #[activity(name = "open_turn")]
    #[tracing::instrument(name = "open_turn", skip_all, fields(salon_id = %input.salon_id, client = %crate::domain::masked_client(&input.phone)))]
    pub async fn open_turn(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: OpenTurn,
    ) -> Result<Opening, ActivityError> {
        let company = companies::find_by_salon(&self.db, input.salon_id).await?;
        let mut conversation = conversations::find(&self.db, input.salon_id, &input.phone).await?;
        if conversation.handed_off && self.give_back_if_due(&input).await {
            conversation = conversations::find(&self.db, input.salon_id, &input.phone).await?;
        }
        let zone = company.as_ref().map(|c| c.zone());
        let mut silent = silence_for(
            company.map(|c| c.integration_status),
            !conversation.bot_answers(),
        );
        let ids: Vec<i64> = input.messages.iter().map(|m| m.inbound_id).collect();
        let stickers = silent.is_none() && listen::only_stickers(&input.messages);
        if let (None, false, Some(zone)) = (&silent, stickers, zone) {
            // The owner's settings, read on every turn: a change applies at once.
            let local = chrono::Utc::now().with_timezone(&zone).naive_local();
            let settings = settings::load(&self.db, input.salon_id).await?;
            if let Some(closed) = settings.closed_at(local) {
                self.tell_closed(&input, &closed, local.date());
                silent = Some(closed.reason().to_owned());
            }
        }
        if stickers {
            // A sticker alone says nothing to answer; seen, and no more.
            self.show_read(&input, false).await?;
            inbound::finish(&self.db, &ids, Outcome::Handled).await?;
            tracing::info!(salon_id = %input.salon_id, messages = ids.len(), "stickers alone: nothing to answer");
        } else if let Some(reason) = &silent {
            inbound::finish(&self.db, &ids, Outcome::Ignored).await?;
            tracing::info!(salon_id = %input.salon_id, reason, messages = ids.len(), "client messages not answered");
        } else {
            self.show_read(&input, true).await?;
        }
        let silent = silent.or_else(|| stickers.then(|| "stickers alone".to_owned()));
        let late = silent.is_none()
            && inbound::all_written_before(&self.db, &ids, self.limits.late_after).await?;
        if late {
            tracing::info!(salon_id = %input.salon_id, messages = ids.len(), "late messages: apologising instead of answering");
        }
        let up_to = ids.iter().copied().max().unwrap_or(input.after);
        let overheard = inbound::overheard(
            &self.db,
            input.salon_id,
            &input.phone,
            input.after..=up_to,
            &ids,
            OVERHEARD_WITHIN,
            OVERHEARD_TURNS,
        )
        .await?
        .into_iter()
        .map(|(inbound_id, by_salon, text)| Overheard {
            inbound_id,
            by_salon,
            text: bounded_text(&text),
        })
        .collect();
        let reminder = if silent.is_none() {
            outbound::pending_reminder(
                &self.db,
                input.salon_id,
                &input.phone,
                REMINDER_ANSWERED_WITHIN,
            )
            .await?
            .map(|(record_id, text)| Awaiting {
                record_id,
                visit: text,
                question: Question::Confirm,
            })
        } else {
            None
        };
        Ok(Opening {
            silent,
            client_name: conversation.client_name,
            late,
            overheard,
            reminder,
        })
    }

    /// Listens to the turn's voice notes: each downloaded through the gateway (bounded
    /// by [`listen::MAX_SECONDS`] and [`listen::MAX_BYTES`]), written down by the
    /// language model, and its transcript recorded in the ledger in place of the
    /// placeholder (the recording itself is never stored). A download or model that
    /// is away for now fails the step so it is retried; anything final is
    /// [`Heard::Unheard`].
    #[activity(name = "listen")]
    #[tracing::instrument(name = "listen", skip_all, fields(salon_id = %input.salon_id))]
    pub async fn listen(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: Listen,
    ) -> Result<Vec<Hearing>, ActivityError> {
        let mut hearings = Vec::with_capacity(input.messages.len());
        for message in &input.messages {
            // The ledger has the download reference, and the transcript of a voice note
            // an earlier attempt heard already.
            let Some((text, media)) = inbound::text_and_media(&self.db, message.inbound_id).await?
            else {
                continue;
            };
            if let Some(words) = text.strip_prefix(listen::VOICE_MARK) {
                hearings.push(Hearing {
                    inbound_id: message.inbound_id,
                    heard: Heard::Transcript(words.to_owned()),
                });
                continue;
            }
            let message = ClientMessage {
                media: media.or_else(|| message.media.clone()),
                ..message.clone()
            };
            let heard = self.hear(input.salon_id, &message).await?;
            if let Heard::Transcript(words) = &heard {
                let text = format!("{}{words}", listen::VOICE_MARK);
                inbound::heard(&self.db, message.inbound_id, &text).await?;
            }
            tracing::info!(salon_id = %input.salon_id, inbound = message.inbound_id, heard = heard.name(), "voice note listened to");
            hearings.push(Hearing {
                inbound_id: message.inbound_id,
                heard,
            });
        }
        Ok(hearings)
    }

    /// One call to the language model; a provider that refuses the salon's region is
    /// reported to the salon (even when the fallback answered).
    /// Shows the client their messages were read and, with `typing`, that the bot is
    /// typing. Courtesy: a failure must not hold the answer up.
    async fn show_read(&self, input: &OpenTurn, typing: bool) -> Result<(), ActivityError> {
        let phone = address_of(&input.phone)?;
        let session = SessionId::for_salon(input.salon_id);
        let read: Vec<MessageId> = input
            .messages
            .iter()
            .map(|m| MessageId(m.message_id.clone()))
            .collect();
        if let Err(error) = self.gateway.mark_read(session, &phone, &read).await {
            tracing::warn!(%session, %error, "could not mark messages read");
        }
        if typing && let Err(error) = self.gateway.set_typing(session, &phone, true).await {
            tracing::warn!(%session, %error, "could not show typing");
        }
        Ok(())
    }

    /// What one voice note says (see [`Self::listen`]).
    async fn hear(
        &self,
        salon_id: SalonId,
        message: &ClientMessage,
    ) -> Result<Heard, ActivityError> {
        if listen::too_long(message) {
            return Ok(Heard::TooLong);
        }
        let media = message.media.clone().unwrap_or_default();
        let Some(reference) = &media.download else {
            tracing::warn!(%salon_id, inbound = message.inbound_id, "a voice note without a download reference");
            return Ok(Heard::Unheard);
        };
        let session = SessionId::for_salon(salon_id);
        let data = match self
            .gateway
            .download_media(session, reference, listen::MAX_BYTES)
            .await
        {
            Ok(data) => data,
            Err(error) if error.is_retryable() => {
                return Err(failure::whatsapp(error, "MediaDownload"));
            }
            Err(error) => {
                tracing::warn!(%salon_id, inbound = message.inbound_id, %error, "voice note not downloaded");
                return Ok(Heard::Unheard);
            }
        };
        let audio = Audio {
            mime: media
                .mimetype
                .unwrap_or_else(|| "audio/ogg; codecs=opus".to_owned()),
            data,
        };
        let heard =
            once_more_if_broken("voice note transcript", || self.llm.transcribe(&audio)).await;
        match heard {
            Ok(generated) if !generated.text.trim().is_empty() => {
                Ok(Heard::Transcript(bounded_text(generated.text.trim())))
            }
            Ok(_) | Err(LlmError::NoText(_)) => Ok(Heard::Unheard),
            Err(error) => {
                if matches!(error, LlmError::RegionRefused(_)) {
                    self.report_region_refusal(salon_id, "", &error, None).await;
                }
                if error.is_retryable() {
                    return Err(failure::llm(error));
                }
                tracing::warn!(%salon_id, inbound = message.inbound_id, %error, "voice note not transcribed");
                Ok(Heard::Unheard)
            }
        }
    }

    async fn ask(
        &self,
        salon_id: SalonId,
        prompt: &crate::clients::llm::Prompt,
    ) -> Result<Generated, LlmError> {
        let answer = self.llm.generate(prompt).await;
        let refusals: Vec<(&str, &LlmError, Option<&str>)> = match &answer {
            Ok(generated) => generated
                .troubles
                .iter()
                .map(|t| {
                    (
                        t.provider.as_str(),
                        &t.error,
                        Some(generated.provider.as_str()),
                    )
                })
                .collect(),
            Err(error) => vec![("", error, None)],
        };
        for (provider, error, answered_by) in refusals {
            if matches!(error, LlmError::RegionRefused(_)) {
                self.report_region_refusal(salon_id, provider, error, answered_by)
                    .await;
            }
        }
        answer
    }

    /// An `llm_unavailable` event for the salon, at most one a day per cause.
    async fn report_region_refusal(
        &self,
        salon_id: SalonId,
        provider: &str,
        error: &LlmError,
        answered_by: Option<&str>,
    ) {
        let provider = if provider.is_empty() {
            self.llm.describe()
        } else {
            provider.to_owned()
        };
        let day = chrono::Utc::now().date_naive();
        let event = NewEvent {
            salon_id,
            event_type: EventType::LlmUnavailable,
            data: json!({
                "reason": LLM_REGION_REASON,
                "provider": provider,
                "detail": error.to_string(),
                "answered_by": answered_by,
            }),
            dedup_key: Some(format!("llm-unavailable/{salon_id}/{}/{day}", error.kind())),
        };
        if let Err(error) = events::record(&self.db, &event).await {
            tracing::warn!(%salon_id, %error, "could not record llm_unavailable");
        }
    }

    /// Stage 1's answer and its commands. A broken answer (no JSON, or not the
    /// commands) is asked for once more at once ([`LlmError::asks_again_at_once`]); a
    /// second one fails the turn rather than burn the client's wait on retries.
    async fn stage1_answer(
        &self,
        salon_id: SalonId,
        prompt: &crate::clients::llm::Prompt,
    ) -> Result<(Generated, Vec<Parsed>), ActivityError> {
        let answered = once_more_if_broken("stage 1", || async {
            let generated = self.ask(salon_id, prompt).await?;
            match commands::parse(&generated.text) {
                Ok(parsed) => Ok((generated, parsed)),
                Err(error) => Err(LlmError::InvalidResponse(format!(
                    "not the commands: {error}"
                ))),
            }
        })
        .await;
        match answered {
            Ok(answered) => Ok(answered),
            Err(broken) if broken.asks_again_at_once() => Err(failure::permanent(
                "LLM:invalid_answer",
                format!("stage 1 answered no usable commands twice: {broken}"),
            )),
            Err(other) => Err(failure::llm(other)),
        }
    }

    /// Stage 1: the client's words as commands.
    #[activity(name = "understand")]
    #[tracing::instrument(name = "understand", skip_all, fields(salon_id = %input.salon_id, client = %crate::domain::masked_client(&input.phone)))]
    pub async fn understand(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: Understand,
    ) -> Result<Understood, ActivityError> {
        let salon = SalonContext::load(&self.db, input.salon_id).await?;
        let prompt = context::stage1_prompt(&self.db, self.prompts, &salon, &input).await?;
        let started = std::time::Instant::now();
        let (generated, parsed) = self.stage1_answer(input.salon_id, &prompt).await?;
        let cost = turns::CallCost::new(
            generated.usage.prompt,
            generated.usage.output,
            started.elapsed(),
        );
        tracing::info!(
            salon_id = %input.salon_id,
            stage = 1,
            provider = generated.provider,
            prompt_tokens = generated.usage.prompt,
            output_tokens = generated.usage.output,
            prompts = self.prompts.version,
            "language model answered"
        );
        let mut understood = Understood {
            commands: Vec::new(),
            problems: Vec::new(),
        };
        for entry in parsed {
            match entry {
                Parsed::Command(command) => understood.commands.push(command),
                Parsed::Problem(problem) => understood.problems.push(problem),
            }
        }
        if !input.step.is_empty() {
            turns::record_understood(
                &self.db,
                &turns::Understood {
                    step: &input.step,
                    salon_id: input.salon_id,
                    phone: &input.phone,
                    messages: &input.messages,
                    prompt_version: self.prompts.version,
                    model: &generated.model,
                    provider: &generated.provider,
                    commands: json!(understood.commands),
                    problems: json!(understood.problems),
                    cost,
                },
            )
            .await?;
        }
        Ok(understood)
    }

    /// Runs stage 1's commands in order; each gives a result for stage 2, failures
    /// included (a taken time, a master not found, YClients unavailable).
    #[activity(name = "execute")]
    #[tracing::instrument(name = "execute", skip_all, fields(salon_id = %input.salon_id, client = %crate::domain::masked_client(&input.phone)))]
    pub async fn execute(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: Execute,
    ) -> Result<Vec<CommandResult>, ActivityError> {
        let salon = SalonContext::load(&self.db, input.salon_id).await?;
        let name = input
            .client_name
            .clone()
            .unwrap_or_else(|| "Клиент WhatsApp".to_owned());
        let past =
            bookings::past_for_phone(&self.db, salon.company_id, &input.phone, usual::VISITS_READ)
                .await?;
        let usual = usual::usual(&past, salon.zone);
        let most_booked =
            bookings::most_booked_services(&self.db, salon.company_id, MOST_BOOKED_DAYS).await?;
        let yes_to = input
            .awaiting
            .as_ref()
            .filter(|_| discussed::says_yes(&input.messages));
        let turn = TurnOf {
            salon_id: input.salon_id,
            phone: &input.phone,
            client_name: &name,
            step: &input.step,
            limits: self.limits,
            confirmed_cancel: yes_to
                .filter(|a| a.question == Question::Cancel)
                .map(|a| a.record_id),
            confirmed_move: yes_to
                .filter(|a| matches!(a.question, Question::Move { .. }))
                .map(|a| a.record_id),
            usual: &usual,
            most_booked: &most_booked,
        };
        let mut results = Vec::new();
        let mut bookings = 0;
        let mut changes = 0;
        let mut commands = input.understood.commands.clone();
        if let Some(reminded) = yes_to.filter(|a| a.question == Question::Confirm)
            && commands.is_empty()
        {
            // «Ок», «👍» to a reminder confirms the visit, whatever the model made of it.
            commands.push(Command::ConfirmBooking {
                booking: Some(reminded.record_id.to_string()),
            });
        }
        for command in &commands {
            if execute::changes_a_visit(command) {
                changes += 1;
                if changes > self.limits.changes_per_turn {
                    results.push(execute::too_many_changes(
                        command,
                        self.limits.changes_per_turn,
                    ));
                    continue;
                }
            }
            let index = if matches!(command, Command::CreateBooking { .. }) {
                bookings += 1;
                bookings - 1
            } else {
                0
            };
            let result =
                execute::run(&self.db, &*self.yclients, &salon, turn, index, command).await?;
            tracing::info!(salon_id = %input.salon_id, command = command.name(), ok = result.ok, "command ran");
            results.push(result);
        }
        let visits_changed = results.iter().any(|r| {
            r.ok && matches!(
                r.command.as_str(),
                "CREATE_BOOKING" | "RESCHEDULE_BOOKING" | "CANCEL_BOOKING"
            )
        });
        if visits_changed {
            reminders::reconcile(
                &self.db,
                &ctx.client(),
                &ctx.info().task_queue,
                input.salon_id,
                salon.company_id,
                &self.reminder_offsets,
            )
            .await?;
        }
        if let Some(handoff) = commands.iter().find_map(|command| match command {
            Command::HandoffToHuman { reason } => Some(reason.clone()),
            _ => None,
        }) && results
            .iter()
            .any(|r| r.ok && r.command == "HANDOFF_TO_HUMAN")
        {
            self.announce_handoff(
                input.salon_id,
                &input.step,
                &input.phone,
                handoff.as_deref(),
            );
            if self.handoff_timeout.is_some() {
                // Best-effort: without a watch, the client's next message still finds
                // an unanswered handoff due (see `open_turn`).
                let task_queue = ctx.info().task_queue.clone();
                if let Err(error) =
                    unanswered::watch(&ctx.client(), &task_queue, input.salon_id, &input.phone)
                        .await
                {
                    tracing::warn!(salon_id = %input.salon_id, error = %format!("{error:#}"), "handoff watch not started");
                }
            }
        }
        results.extend(
            input
                .understood
                .problems
                .iter()
                .map(execute::problem_result),
        );
        turns::record_results(&self.db, &input.step, &json!(results)).await?;
        Ok(results)
    }

    /// Looks at a client's handoff for its watch: over, not yet due, or due.
    #[activity(name = "check_handoff")]
    pub async fn check_handoff(
        self: Arc<Self>,
        _ctx: ActivityContext,
        watch: unanswered::HandoffWatch,
    ) -> Result<unanswered::HandoffCheck, ActivityError> {
        Ok(unanswered::check(&self.db, &watch, self.handoff_timeout, chrono::Utc::now()).await?)
    }

    /// Gives a client back to the bot after an unanswered handoff and tells them, once.
    #[activity(name = "give_back_handoff")]
    pub async fn give_back_handoff(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: unanswered::GiveBack,
    ) -> Result<bool, ActivityError> {
        unanswered::give_back(&self.db, &*self.gateway, &input.watch, input.since_micros).await
    }

    /// Stage 2: the reply.
    #[activity(name = "compose")]
    #[tracing::instrument(name = "compose", skip_all, fields(salon_id = %input.salon_id))]
    pub async fn compose(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: Compose,
    ) -> Result<String, ActivityError> {
        let salon = SalonContext::load(&self.db, input.salon_id).await?;
        // The services the conversation is about: the client's words and the last turns.
        let said: Vec<&str> = input.messages.iter().map(String::as_str).collect();
        let recent: Vec<&str> = input
            .history
            .iter()
            .rev()
            .take(FACT_TURNS)
            .map(|t| t.text.as_str())
            .collect();
        let facts = facts::Facts::load(&self.db, &salon, &input.phone, &said, &recent).await?;
        // The owner's voice, read on every reply: a change applies at once.
        let mut voice = voice::Voice::of(&settings::load(&self.db, input.salon_id).await?);
        if !self.prompts.stage2_system.contains("{{greeting_rule}}") {
            // An older prompt set greets as it likes: no second greeting on top.
            voice.welcome = None;
        }
        let prompt = context::stage2_prompt(
            self.prompts,
            &salon.title,
            input.client_name.as_deref(),
            context::Said {
                history: &input.history,
                messages: &input.messages,
                results: &input.results,
            },
            &facts,
            &voice,
        )?;
        let started = std::time::Instant::now();
        let generated = once_more_if_broken("stage 2", || self.ask(input.salon_id, &prompt))
            .await
            .map_err(failure::llm)?;
        if !input.step.is_empty() {
            let cost = turns::CallCost::new(
                generated.usage.prompt,
                generated.usage.output,
                started.elapsed(),
            );
            turns::record_composed(
                &self.db,
                &input.step,
                cost,
                &generated.provider,
                &generated.model,
            )
            .await?;
        }
        tracing::info!(
            salon_id = %input.salon_id,
            stage = 2,
            provider = generated.provider,
            prompt_tokens = generated.usage.prompt,
            output_tokens = generated.usage.output,
            prompts = self.prompts.version,
            "language model answered"
        );
        let text = generated.text.trim().to_owned();
        if text.is_empty() {
            return Err(failure::llm(LlmError::NoText("empty".to_owned())));
        }
        // The owner's greeting goes to a client once, not after every quiet spell.
        let first = voice.welcome.is_some()
            && !outbound::replied_before(&self.db, input.salon_id, &input.phone).await?;
        Ok(voice.dress(&text, first))
    }

    /// Sends the reply once under its key (paced per session) and closes the messages
    /// it answers. Returns WhatsApp's message id.
    #[activity(name = "send_reply")]
    #[tracing::instrument(name = "send_reply", skip_all, fields(salon_id = %input.salon_id, client = %crate::domain::masked_client(&input.phone)))]
    pub async fn send_reply(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: SendReply,
    ) -> Result<String, ActivityError> {
        let phone = address_of(&input.phone)?;
        let session = SessionId::for_salon(input.salon_id);
        let message_id = send_once(
            &self.db,
            &*self.gateway,
            Origin::Reply,
            &input.key,
            input.salon_id,
            &phone,
            &input.text,
        )
        .await?;
        if let Err(error) = self.gateway.set_typing(session, &phone, false).await {
            tracing::debug!(%session, %error, "could not stop typing");
        }
        inbound::finish(&self.db, &input.inbound_ids, Outcome::Handled).await?;
        if let Some(step) = input.key.strip_prefix("reply/") {
            turns::record_reply(&self.db, step, &input.text).await?;
        }
        tracing::info!(salon_id = %input.salon_id, client = %phone.masked(), "reply sent");
        Ok(message_id)
    }

    /// Reacts to the client's last message (thanks, a goodbye) and closes the turn's
    /// messages. A repeated reaction is the same reaction, so a retry is harmless.
    #[activity(name = "react")]
    #[tracing::instrument(name = "react", skip_all, fields(salon_id = %input.salon_id, client = %crate::domain::masked_client(&input.phone)))]
    pub async fn react(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: React,
    ) -> Result<(), ActivityError> {
        let phone = address_of(&input.phone)?;
        let session = SessionId::for_salon(input.salon_id);
        self.gateway
            .send_reaction(
                session,
                &phone,
                &MessageId(input.message_id.clone()),
                &input.emoji,
            )
            .await
            .map_err(|error| failure::whatsapp(error, "ReactionFailed"))?;
        if let Err(error) = self.gateway.set_typing(session, &phone, false).await {
            tracing::debug!(%session, %error, "could not stop typing");
        }
        let mut tx = self.db.begin().await?;
        inbound::finish(&mut *tx, &input.inbound_ids, Outcome::Handled).await?;
        turns::record_understood(
            &mut *tx,
            &turns::Understood {
                step: &input.step,
                salon_id: input.salon_id,
                phone: &input.phone,
                messages: &input.messages,
                prompt_version: self.prompts.version,
                model: "",
                provider: "",
                commands: json!([]),
                problems: json!([]),
                cost: turns::CallCost::new(0, 0, Duration::ZERO),
            },
        )
        .await?;
        turns::record_reply(&mut *tx, &input.step, &input.emoji).await?;
        tx.commit().await?;
        tracing::info!(salon_id = %input.salon_id, client = %phone.masked(), "reacted");
        Ok(())
    }

    /// Records (once per turn) that a client got the apology because the language model
    /// was away.
    #[activity(name = "report_assistant_down")]
    #[tracing::instrument(name = "report_assistant_down", skip_all, fields(salon_id = %input.salon_id, client = %crate::domain::masked_client(&input.phone)))]
    pub async fn report_assistant_down(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: AssistantDown,
    ) -> Result<(), ActivityError> {
        let client = crate::domain::masked_client(&input.phone);
        events::record(
            &self.db,
            &NewEvent {
                salon_id: input.salon_id,
                event_type: EventType::AssistantUnavailable,
                data: json!({ "client": client, "phone": input.phone, "reason": input.reason }),
                dedup_key: Some(format!("assistant-down/{}", input.step)),
            },
        )
        .await?;
        tracing::error!(salon_id = %input.salon_id, client, reason = input.reason, "assistant unavailable, client got the apology");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_active_salon_answers_and_never_a_handed_off_client() {
        assert_eq!(silence_for(Some(IntegrationStatus::Active), false), None);
        assert!(silence_for(Some(IntegrationStatus::Active), true).is_some());
        for status in [
            IntegrationStatus::Frozen,
            IntegrationStatus::Uninstalled,
            IntegrationStatus::PendingWhatsapp,
            IntegrationStatus::Activating,
        ] {
            assert!(silence_for(Some(status), false).is_some(), "{status:?}");
        }
        assert!(silence_for(None, false).is_some());
    }

    #[test]
    fn the_owner_is_told_who_waits_why_and_where_to_answer() {
        let notice = handoff_notice(Some("Ольга"), "79005550101", Some("жалоба на мастера"));
        assert!(
            notice.starts_with("🙋 Ольга (+79005550101) ждёт администратора: жалоба на мастера.")
        );
        assert!(notice.contains("консоли AI Admin"), "{notice}");
        let hidden = handoff_notice(None, "123456789@lid", None);
        assert!(
            hidden.starts_with("🙋 Клиент ждёт администратора."),
            "{hidden}"
        );
    }
}

#[cfg(test)]
mod limit_tests {
    use super::*;
    use crate::assistant::commands::Command;

    #[test]
    fn message_text_is_cut_at_the_bound_on_a_character_boundary() {
        let long = "ж".repeat(MAX_MESSAGE_CHARS + 10);
        let cut = bounded_text(&long);
        assert_eq!(cut.chars().count(), MAX_MESSAGE_CHARS);
        assert_eq!(bounded_text("коротко"), "коротко");
    }

    #[test]
    fn only_changes_to_visits_count_against_a_turns_changes() {
        let change = Command::CancelBooking { booking: None };
        let question = Command::ShowPrices { category: None };
        assert!(execute::changes_a_visit(&change));
        assert!(!execute::changes_a_visit(&question));
        let answer = execute::too_many_changes(&change, 3);
        assert!(!answer.ok && answer.summary.contains('3'), "{answer:?}");
    }
}
