//! `conversation-<salon_id>-<client_phone>`: one client of one salon. The conversation
//! relay hands the client's recorded messages over as `messages` signals
//! (signal-with-start); the workflow answers them one turn at a time, in order, and
//! answers quick successive messages together (a durable debounce that starts again
//! with each new message, up to a longest wait).
//!
//! A turn is five local activities: open (answer at all? ticks, typing) → [listen to
//! its voice notes, when it has any (see `listen`): a transcript is the client's words,
//! what cannot be heard or seen gets a fixed answer] → understand
//! (Gemini stage 1) → execute (commands) → compose (Gemini stage 2) → send; thanks or a
//! goodbye alone get a reaction on the client's message after the open instead (no model
//! call). Local
//! activities run on the worker that holds the workflow and are recorded as markers in
//! the workflow task that asked for them, so a turn costs one or two workflow tasks
//! instead of a dozen: the Temporal dev server spends ~30 ms per workflow task, more than
//! all the turn's own work with a fast model. A worker that dies mid-turn re-runs the
//! turn's unrecorded steps on replay; every step with an effect is idempotent (the
//! booking's `api_id`, the reply's send key), so nothing is booked or sent twice.
//!
//! Gemini is retried on 429/5xx/timeouts with backoff; when it stays away the client gets
//! a fixed apology and the salon an `assistant_unavailable` event — never silence. The
//! history (last [`HISTORY_TURNS`] turns) and the client's name are the workflow's state;
//! it continues as new every [`TURNS_PER_RUN`] turns and ends after a quiet period.

// `#[workflow_methods]` generates one undocumented constant per handler.
#![allow(missing_docs)]

use crate::search_attributes::SALON_ID;
use crate::waits::condition_within;
use ai_admin_activities::acts::conversation::courtesy::reaction_for;
use ai_admin_activities::acts::conversation::discussed::Discussed;
use ai_admin_activities::acts::conversation::listen::{self, Answer, Hearing, Plan};
use ai_admin_activities::acts::conversation::lookup::CommandResult;
use ai_admin_activities::acts::conversation::{
    APOLOGY, AssistantDown, ClientMessage, Compose, ConversationActivities, Execute, LATE_APOLOGY,
    Listen, OpenTurn, Overheard, React, SendReply, Understand, Understood,
};
use ai_admin_activities::acts::run_keys;
use ai_admin_activities::assistant::commands::Command;
use ai_admin_activities::clients::llm::Turn;
use ai_admin_activities::domain::SalonId;
use ai_admin_activities::whatsapp::MessageKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;
use temporalio_common::RetryPolicy;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    LocalActivityOptions, SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult,
};

/// The patch that turns answer voice notes and media by kind (see `listen`).
const MEDIA_ANSWERS: &str = "media-answers";

/// Turns of history kept (a client message or a reply each).
pub const HISTORY_TURNS: usize = 20;
/// Turns answered by one run before it continues as new.
pub const TURNS_PER_RUN: u64 = 50;
/// Messages answered together at most.
const MESSAGES_PER_TURN: usize = 10;

/// How conversations behave (from the process configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSettings {
    /// How long to wait after a message for another before answering; each new message
    /// starts the wait again (0 = answer at once).
    pub debounce_ms: u64,
    /// The longest wait from the first unanswered message, however many follow.
    #[serde(default = "default_debounce_max_ms")]
    pub debounce_max_ms: u64,
    /// The workflow ends after this long without messages.
    pub quiet_secs: u64,
}

/// The default of [`ConversationSettings::debounce_ms`]: clients who write in
/// fragments send the next within about two seconds; a lone message waits that long.
pub const DEBOUNCE_MS: u64 = 2_000;
/// The default of [`ConversationSettings::debounce_max_ms`]: a client who keeps typing
/// is answered within about this long after their first message.
pub const DEBOUNCE_MAX_MS: u64 = 6_000;

fn default_debounce_max_ms() -> u64 {
    DEBOUNCE_MAX_MS
}

impl Default for ConversationSettings {
    fn default() -> Self {
        Self {
            debounce_ms: DEBOUNCE_MS,
            debounce_max_ms: DEBOUNCE_MAX_MS,
            quiet_secs: 6 * 3600,
        }
    }
}

/// Where a run starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationInput {
    /// The salon.
    pub salon_id: SalonId,
    /// The client's number, digits.
    pub phone: String,
    /// Behaviour.
    pub settings: ConversationSettings,
    /// The client's name, when known (carried over by continue-as-new).
    #[serde(default)]
    pub client_name: Option<String>,
    /// Earlier turns (carried over).
    #[serde(default)]
    pub history: Vec<Turn>,
    /// The last `inbound_messages` id answered; anything at or below it is a repeat.
    #[serde(default)]
    pub handled_up_to: i64,
    /// Messages received but not answered yet (carried over).
    #[serde(default)]
    pub waiting: Vec<ClientMessage>,
    /// What the conversation is about (carried over).
    #[serde(default)]
    pub discussed: Discussed,
}

/// The answer to the `status` query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationStatus {
    /// The last message id answered.
    pub handled_up_to: i64,
    /// Messages waiting.
    pub waiting: usize,
    /// Turns taken by this run.
    pub turns: u64,
    /// The client's name, when known.
    pub client_name: Option<String>,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationEnd {
    /// Turns taken by the last run.
    pub turns: u64,
}

/// State of one run.
#[workflow]
pub struct ConversationWorkflow {
    salon_id: SalonId,
    phone: String,
    settings: ConversationSettings,
    client_name: Option<String>,
    history: Vec<Turn>,
    handled_up_to: i64,
    waiting: BTreeMap<i64, ClientMessage>,
    /// Messages handed over so far (restarts the debounce).
    received: u64,
    discussed: Discussed,
    turns: u64,
}

/// How a step runs as a local activity: `timeout` per attempt, retried with doubling
/// backoff from `first_retry` up to `longest_wait`, `attempts` times at most (0 = until
/// it succeeds); long back-offs become durable timers instead of sleeps in the worker.
#[derive(Debug, Clone, Copy)]
struct Step {
    timeout: Duration,
    first_retry: Duration,
    longest_wait: Duration,
    attempts: u32,
}

impl Step {
    fn options(self) -> LocalActivityOptions {
        LocalActivityOptions::builder()
            .start_to_close_timeout(self.timeout)
            .timer_backoff_threshold(Duration::from_secs(5))
            .retry_policy(
                RetryPolicy::builder()
                    .initial_interval(self.first_retry)
                    .backoff_coefficient(2.0)
                    .maximum_interval(self.longest_wait)
                    .maximum_attempts(self.attempts)
                    .build(),
            )
            .build()
    }
}

/// Reading the database: patient, the database coming back is a matter of time.
fn database_step() -> LocalActivityOptions {
    Step {
        timeout: Duration::from_secs(15),
        first_retry: Duration::from_millis(200),
        longest_wait: Duration::from_secs(10),
        attempts: 0,
    }
    .options()
}

/// A Gemini call: 429/5xx/timeouts retried with backoff, five times (about 5 s in all),
/// then the apology; a rejected request is not retried.
fn gemini_step() -> LocalActivityOptions {
    Step {
        timeout: Duration::from_secs(40),
        first_retry: Duration::from_millis(300),
        longest_wait: Duration::from_secs(4),
        attempts: 6,
    }
    .options()
}

/// Listening to voice notes: a download and a transcription, retried a few times
/// while WhatsApp's CDN or the model is away, then the client is asked to write.
fn listen_step() -> LocalActivityOptions {
    // At most about 95 s in all: under the relay's hand-over-again age (120 s), so a
    // slow voice note is not handed to the conversation a second time.
    Step {
        timeout: Duration::from_secs(45),
        first_retry: Duration::from_secs(1),
        longest_wait: Duration::from_secs(4),
        attempts: 2,
    }
    .options()
}

/// The commands: YClients failures are results already; what is retried here is the
/// database.
fn execute_step() -> LocalActivityOptions {
    Step {
        timeout: Duration::from_secs(90),
        first_retry: Duration::from_millis(500),
        longest_wait: Duration::from_secs(10),
        attempts: 6,
    }
    .options()
}

/// The send: the answer must go out, so it is retried until WhatsApp takes it (an
/// unlinked number is final).
fn send_step() -> LocalActivityOptions {
    Step {
        timeout: Duration::from_secs(30),
        first_retry: Duration::from_millis(500),
        longest_wait: Duration::from_secs(30),
        attempts: 0,
    }
    .options()
}

/// What a turn says back: stage 2's text; without it, the results' own words; without
/// those, the apology.
fn fallback_reply(results: &[CommandResult]) -> Option<String> {
    let said: Vec<&str> = results
        .iter()
        .map(|r| r.summary.trim())
        .filter(|s| !s.is_empty())
        .collect();
    (!said.is_empty()).then(|| said.join(" "))
}

/// What was said without the bot and the client's `batch` as turns (the salon's words
/// as its own), in the order they were written (their inbound rows).
fn interleaved(overheard: &[Overheard], batch: &[ClientMessage]) -> Vec<Turn> {
    let mut said: Vec<(i64, Turn)> = overheard
        .iter()
        .map(|m| {
            let turn = if m.by_salon {
                Turn::model(m.text.clone())
            } else {
                Turn::user(m.text.clone())
            };
            (m.inbound_id, turn)
        })
        .chain(
            batch
                .iter()
                .map(|m| (m.inbound_id, Turn::user(m.text.clone()))),
        )
        .collect();
    said.sort_by_key(|(id, _)| *id);
    said.into_iter().map(|(_, turn)| turn).collect()
}

/// What stage 1 made of a turn's messages, and what the turn knew when it began.
struct Heard<'m> {
    understood: Understood,
    client_name: Option<String>,
    history: Vec<Turn>,
    messages: &'m [String],
    discussed: Discussed,
}

impl ConversationWorkflow {
    /// The client's `messages` up to inbound row `last` were answered with `said` (a
    /// reply or a reaction): handled, and in the history.
    fn answered(&mut self, last: i64, messages: Vec<String>, said: impl Into<String>) {
        self.handled_up_to = self.handled_up_to.max(last);
        self.remember(
            messages
                .into_iter()
                .map(Turn::user)
                .chain([Turn::model(said)]),
        );
    }

    /// Adds `turns` to the history, keeping the last [`HISTORY_TURNS`].
    fn remember(&mut self, turns: impl IntoIterator<Item = Turn>) {
        self.history.extend(turns);
        let excess = self.history.len().saturating_sub(HISTORY_TURNS);
        self.history.drain(..excess);
    }
}

#[workflow_methods]
impl ConversationWorkflow {
    /// Resumes a conversation.
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: ConversationInput) -> Self {
        let handled_up_to = input.handled_up_to;
        Self {
            salon_id: input.salon_id,
            phone: input.phone,
            settings: input.settings,
            client_name: input.client_name,
            history: input.history,
            handled_up_to,
            waiting: input
                .waiting
                .into_iter()
                .filter(|m| m.inbound_id > handled_up_to && !m.withdrawn)
                .map(|m| (m.inbound_id, m))
                .collect(),
            received: 0,
            discussed: input.discussed,
            turns: 0,
        }
    }

    /// See the module docs.
    #[run(name = "conversation")]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<ConversationEnd> {
        let salon_id = ctx.state(|s| s.salon_id);
        ctx.upsert_search_attributes([SALON_ID.value_set(salon_id.into())]);
        let settings = ctx.state(|s| s.settings);
        loop {
            let quiet = Duration::from_secs(settings.quiet_secs.max(1));
            if !condition_within(ctx, quiet, |s: &Self| !s.waiting.is_empty()).await? {
                return Ok(ConversationEnd {
                    turns: ctx.state(|s| s.turns),
                });
            }
            Self::gather(ctx, settings).await?;
            let batch = ctx.state_mut(|s| {
                let mut batch = Vec::new();
                while batch.len() < MESSAGES_PER_TURN
                    && let Some((_, message)) = s.waiting.pop_first()
                {
                    batch.push(message);
                }
                batch
            });
            Self::turn(ctx, batch).await?;
            let done = ctx.state(|s| s.turns >= TURNS_PER_RUN);
            if done || ctx.continue_as_new_suggested() {
                let handlers = ctx.clone();
                ctx.wait_condition(move |_| handlers.all_handlers_finished())
                    .await?;
                let input = ctx.state(|s| ConversationInput {
                    salon_id: s.salon_id,
                    phone: s.phone.clone(),
                    settings: s.settings,
                    client_name: s.client_name.clone(),
                    history: s.history.clone(),
                    handled_up_to: s.handled_up_to,
                    waiting: s.waiting.values().cloned().collect(),
                    discussed: s.discussed.clone(),
                });
                let Err(termination) = ctx.continue_as_new(input, Default::default());
                return Err(termination);
            }
        }
    }

    /// Waits while the client is still writing: until no message came for
    /// `debounce_ms`, or `debounce_max_ms` after the wait began.
    async fn gather(
        ctx: &mut WorkflowContext<Self>,
        settings: ConversationSettings,
    ) -> WorkflowResult<()> {
        if settings.debounce_ms == 0 {
            return Ok(());
        }
        let quiet_for = Duration::from_millis(settings.debounce_ms);
        let longest = Duration::from_millis(settings.debounce_max_ms).max(quiet_for);
        let began = ctx.workflow_time();
        loop {
            let waited = began
                .zip(ctx.workflow_time())
                .and_then(|(began, now)| now.duration_since(began).ok())
                .unwrap_or(longest);
            let wait = quiet_for.min(longest.saturating_sub(waited));
            if wait.is_zero() {
                return Ok(());
            }
            let seen = ctx.state(|s| s.received);
            if !condition_within(ctx, wait, move |s: &Self| s.received != seen).await? {
                return Ok(());
            }
        }
    }

    /// Answers `batch` (one or several quick messages) with one reply.
    async fn turn(
        ctx: &mut WorkflowContext<Self>,
        batch: Vec<ClientMessage>,
    ) -> WorkflowResult<()> {
        let Some(last) = batch.last().map(|m| m.inbound_id) else {
            return Ok(());
        };
        let (salon_id, phone, turn) = ctx.state_mut(|s| {
            s.turns += 1;
            (s.salon_id, s.phone.clone(), s.turns)
        });
        let step = run_keys::of_turn(ctx.workflow_id(), ctx.run_id(), turn);
        let inbound_ids: Vec<i64> = batch.iter().map(|m| m.inbound_id).collect();
        let push_name = batch.iter().rev().find_map(|m| m.push_name.clone());

        let opening = ctx
            .execute_local_activity(
                ConversationActivities::open_turn,
                OpenTurn {
                    salon_id,
                    phone: phone.clone(),
                    messages: batch.clone(),
                    after: ctx.state(|s| s.handled_up_to),
                },
                database_step(),
            )
            .await?;
        if opening.silent.is_some() {
            // Kept in the history, so the bot knows what was said while it was quiet.
            ctx.state_mut(|s| {
                s.handled_up_to = s.handled_up_to.max(last);
                s.remember(interleaved(&opening.overheard, &batch));
            });
            return Ok(());
        }
        let (client_name, history, discussed) = ctx.state_mut(|s| {
            // What was said without the bot comes before the messages answered now.
            s.remember(interleaved(&opening.overheard, &[]));
            if s.client_name.is_none() {
                s.client_name = opening.client_name.clone();
            }
            // A reminder the client may be answering is the bot's last word, and its
            // question is the one waiting.
            if let Some(reminder) = &opening.reminder {
                if s.history.last().map(|t| t.text.as_str()) != Some(reminder.visit.as_str()) {
                    s.remember([Turn::model(reminder.visit.clone())]);
                }
                s.discussed.awaiting = Some(reminder.clone());
            }
            // A question waits one turn: this one answers it or moves on.
            let discussed = s.discussed.clone();
            s.discussed.awaiting = None;
            (s.client_name.clone(), s.history.clone(), discussed)
        });
        if opening.late {
            let said = batch.iter().map(|m| m.text.clone()).collect();
            return Self::reply(ctx, &step, said, LATE_APOLOGY.to_owned(), inbound_ids, last).await;
        }
        // Histories begun before media were answered read every message as its text; a
        // worker replaying one must too (the patch marker says which a history is).
        let media = batch.iter().any(|m| m.kind != MessageKind::Text) && ctx.patched(MEDIA_ANSWERS);
        let Plan { said, answer } = if media {
            let hearings = Self::listen(ctx, salon_id, &batch).await;
            listen::plan(&batch, &hearings)
        } else {
            let said: Vec<String> = batch.iter().map(|m| m.text.clone()).collect();
            let answer = Answer::Assistant {
                messages: said.clone(),
                note: None,
            };
            Plan { said, answer }
        };
        let (messages, note) = match answer {
            Answer::Assistant { messages, note } => (messages, note),
            Answer::Fixed(text) => {
                return Self::reply(ctx, &step, said, text.to_owned(), inbound_ids, last).await;
            }
        };
        // A reaction says nothing of a voice note that could not be heard.
        if note.is_none()
            && let Some(emoji) = reaction_for(&messages)
            && let Some(message_id) = batch.last().map(|m| m.message_id.clone())
        {
            let reacted = ctx
                .execute_local_activity(
                    ConversationActivities::react,
                    React {
                        salon_id,
                        phone: phone.clone(),
                        message_id,
                        emoji: emoji.to_owned(),
                        messages: messages.clone(),
                        inbound_ids,
                        step: step.clone(),
                    },
                    send_step(),
                )
                .await;
            if let Err(error) = &reacted {
                tracing::warn!(reason = %crate::failure_reason(error), "reaction not sent");
            }
            ctx.state_mut(|s| s.answered(last, said, emoji));
            return Ok(());
        }

        let understood = ctx
            .execute_local_activity(
                ConversationActivities::understand,
                Understand {
                    salon_id,
                    phone: phone.clone(),
                    client_name: client_name.clone(),
                    history: history.clone(),
                    messages: messages.clone(),
                    step: step.clone(),
                    discussed: discussed.clone(),
                },
                gemini_step(),
            )
            .await;
        let reply = match understood {
            Ok(understood) => {
                Self::answer(
                    ctx,
                    &step,
                    Heard {
                        understood,
                        client_name: client_name.or(push_name),
                        history,
                        messages: &messages,
                        discussed,
                    },
                )
                .await
            }
            Err(error) => Err(crate::failure_reason(&error)),
        };
        let text = match reply {
            Ok(text) => text,
            Err(reason) => {
                ctx.execute_local_activity(
                    ConversationActivities::report_assistant_down,
                    AssistantDown {
                        salon_id,
                        phone: phone.clone(),
                        reason,
                        step: step.clone(),
                    },
                    database_step(),
                )
                .await?;
                APOLOGY.to_owned()
            }
        };
        let text = match note {
            Some(note) => format!("{text}\n\n{note}"),
            None => text,
        };
        Self::reply(ctx, &step, said, text, inbound_ids, last).await
    }

    /// What the batch's voice notes say; none when the step failed for good (they
    /// are then answered as unheard). A batch without one costs nothing.
    async fn listen(
        ctx: &mut WorkflowContext<Self>,
        salon_id: SalonId,
        batch: &[ClientMessage],
    ) -> Vec<Hearing> {
        let messages = listen::to_hear(batch);
        if messages.is_empty() {
            return Vec::new();
        }
        let heard = ctx
            .execute_local_activity(
                ConversationActivities::listen,
                Listen { salon_id, messages },
                listen_step(),
            )
            .await;
        heard.unwrap_or_else(|error| {
            tracing::warn!(reason = %crate::failure_reason(&error), "voice notes not heard");
            Vec::new()
        })
    }

    /// Sends the turn's reply and keeps the turn in the history.
    async fn reply(
        ctx: &mut WorkflowContext<Self>,
        step: &str,
        messages: Vec<String>,
        text: String,
        inbound_ids: Vec<i64>,
        last: i64,
    ) -> WorkflowResult<()> {
        let (salon_id, phone) = ctx.state(|s| (s.salon_id, s.phone.clone()));
        let sent = ctx
            .execute_local_activity(
                ConversationActivities::send_reply,
                SendReply {
                    salon_id,
                    phone,
                    key: format!("reply/{step}"),
                    text: text.clone(),
                    inbound_ids,
                },
                send_step(),
            )
            .await;
        if let Err(error) = &sent {
            // Only an unlinked number ends here: nobody can be answered from it.
            tracing::warn!(reason = %crate::failure_reason(error), "reply not sent");
        }
        ctx.state_mut(|s| s.answered(last, messages, text));
        Ok(())
    }

    /// Runs the commands and writes the reply; `Err` with the reason when Gemini is away
    /// and there is nothing to say without it.
    async fn answer(
        ctx: &mut WorkflowContext<Self>,
        step: &str,
        heard: Heard<'_>,
    ) -> Result<String, String> {
        let Heard {
            understood,
            client_name,
            history,
            messages,
            discussed,
        } = heard;
        let (salon_id, phone) = ctx.state(|s| (s.salon_id, s.phone.clone()));
        let named = understood.commands.iter().find_map(|c| match c {
            Command::SaveClientName { name } => Some(name.trim().to_owned()),
            _ => None,
        });
        let client_name = named.clone().or(client_name);
        if let Some(name) = named {
            ctx.state_mut(|s| s.client_name = Some(name));
        }
        let results = ctx
            .execute_local_activity(
                ConversationActivities::execute,
                Execute {
                    salon_id,
                    phone,
                    client_name: client_name.clone(),
                    understood,
                    step: step.to_owned(),
                    messages: messages.to_vec(),
                    awaiting: discussed.awaiting.clone(),
                },
                execute_step(),
            )
            .await
            .map_err(|error| crate::failure_reason(&error))?;
        ctx.state_mut(|s| s.discussed = discussed.after(&results));
        let composed = ctx
            .execute_local_activity(
                ConversationActivities::compose,
                Compose {
                    salon_id,
                    client_name,
                    history,
                    messages: messages.to_vec(),
                    results: results.clone(),
                    step: step.to_owned(),
                    phone: ctx.state(|s| s.phone.clone()),
                },
                gemini_step(),
            )
            .await;
        match composed {
            Ok(text) => Ok(text),
            // The commands ran (a booking may be made): say what they did in their own words.
            Err(error) => fallback_reply(&results).ok_or_else(|| crate::failure_reason(&error)),
        }
    }

    /// The relay hands over recorded messages (possibly again).
    #[signal(name = "messages")]
    pub fn messages(&mut self, _ctx: &mut SyncWorkflowContext<Self>, messages: Vec<ClientMessage>) {
        for message in messages {
            if message.withdrawn {
                // Deleted by the client before it was answered.
                self.waiting.remove(&message.inbound_id);
            } else if message.inbound_id > self.handled_up_to {
                // A message handed over again after an edit replaces the waiting one.
                if self.waiting.insert(message.inbound_id, message).is_none() {
                    self.received += 1;
                }
            }
        }
    }

    /// Where the conversation stands.
    #[query(name = "status")]
    pub fn status(&self, _ctx: &WorkflowContextView) -> ConversationStatus {
        ConversationStatus {
            handled_up_to: self.handled_up_to,
            waiting: self.waiting.len(),
            turns: self.turns,
            client_name: self.client_name.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(inbound_id: i64, text: &str) -> ClientMessage {
        ClientMessage {
            inbound_id,
            message_id: format!("m{inbound_id}"),
            text: text.to_owned(),
            push_name: None,
            withdrawn: false,
            kind: Default::default(),
            media: None,
        }
    }

    #[test]
    fn the_salons_words_and_the_clients_keep_the_order_they_were_written_in() {
        let overheard = [
            Overheard {
                inbound_id: 1,
                by_salon: false,
                text: "Можно на завтра?".into(),
            },
            Overheard {
                inbound_id: 2,
                by_salon: true,
                text: "Я сама вас запишу".into(),
            },
            Overheard {
                inbound_id: 5,
                by_salon: true,
                text: "Записала на 15:00".into(),
            },
        ];
        let batch = [client(3, "Спасибо"), client(6, "До встречи")];
        assert_eq!(
            interleaved(&overheard, &batch),
            [
                Turn::user("Можно на завтра?"),
                Turn::model("Я сама вас запишу"),
                Turn::user("Спасибо"),
                Turn::model("Записала на 15:00"),
                Turn::user("До встречи"),
            ]
        );
    }
}
