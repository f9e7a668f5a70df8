//! What one turn of a conversation knows about the salon and the client, and the two
//! language-model prompts rendered from it with the versioned prompt files.

use super::discussed::Discussed;
use super::facts::Facts;
use super::shortlist::shortlist;
use super::voice::Voice;
use crate::acts::conversation::lookup::CommandResult;
use crate::assistant::catalog::Catalog;
use crate::assistant::dates::weekday_name;
use crate::assistant::prompts::{self, PromptSet};
use crate::assistant::usual;
use crate::clients::llm::{Prompt, Stage, Turn};
use crate::db::{bookings, companies};
use crate::domain::SalonId;
use anyhow::Context as _;
use chrono::{Datelike as _, NaiveDate};
use chrono_tz::Tz;
use sqlx::PgPool;
use std::collections::BTreeMap;

/// Stage 1 is a classifier: as deterministic as the model allows.
const STAGE1_TEMPERATURE: f32 = 0.1;
/// Stage 2 writes: a little freedom, short answers.
const STAGE2_TEMPERATURE: f32 = 0.4;
const STAGE1_MAX_TOKENS: u32 = 1024;
const STAGE2_MAX_TOKENS: u32 = 512;

/// The salon as a turn sees it.
#[derive(Debug, Clone)]
pub struct SalonContext {
    /// Our company row id.
    pub company_id: i64,
    /// Salon name.
    pub title: String,
    /// Its time zone.
    pub zone: Tz,
    /// Today there.
    pub today: NaiveDate,
    /// The time there now.
    pub now: chrono::NaiveTime,
    /// Services and masters.
    pub catalog: Catalog,
}

impl SalonContext {
    /// Loads the salon (it must be registered).
    pub async fn load(db: &PgPool, salon_id: SalonId) -> anyhow::Result<SalonContext> {
        let company = companies::find_by_salon(db, salon_id)
            .await?
            .with_context(|| format!("salon {salon_id} is not registered"))?;
        let zone = company.zone();
        let local = chrono::Utc::now().with_timezone(&zone);
        let (today, now) = (local.date_naive(), local.time());
        let catalog = crate::db::assistant_views::load(db, company.id).await?;
        Ok(SalonContext {
            company_id: company.id,
            title: company.title,
            zone,
            today,
            now,
            catalog,
        })
    }
}

fn client_name_text(name: Option<&str>) -> String {
    name.filter(|n| !n.trim().is_empty())
        .map_or_else(|| "имя неизвестно".to_owned(), str::to_owned)
}

/// Stage 1: the salon, the client's visits and the conversation → commands (JSON).
pub async fn stage1_prompt(
    db: &PgPool,
    set: &PromptSet,
    salon: &SalonContext,
    input: &super::Understand,
) -> anyhow::Result<Prompt> {
    let visits_text = super::facts::visits_text(db, salon, &input.phone).await?;
    let past =
        bookings::past_for_phone(db, salon.company_id, &input.phone, usual::VISITS_READ).await?;
    let usual_text = usual::text(&usual::usual(&past, salon.zone));
    stage1_prompt_with(
        set,
        salon,
        &Stage1Turn {
            client_name: input.client_name.as_deref(),
            visits: &visits_text,
            usual: &usual_text,
            history: &input.history,
            messages: &input.messages,
            discussed: &input.discussed,
        },
    )
}

/// What stage 1 is told of the client and the conversation.
#[derive(Debug, Clone, Copy)]
pub struct Stage1Turn<'a> {
    /// The name as known.
    pub client_name: Option<&'a str>,
    /// The client's upcoming visits, as text.
    pub visits: &'a str,
    /// What the client usually books, as text.
    pub usual: &'a str,
    /// Earlier turns, oldest first.
    pub history: &'a [Turn],
    /// The client's new messages.
    pub messages: &'a [String],
    /// What the conversation is about.
    pub discussed: &'a Discussed,
}

/// Earlier turns whose words pick the services a large salon's prompt lists.
const SHORTLIST_TURNS: usize = 4;

/// Stage 1's prompt from what is already loaded.
pub fn stage1_prompt_with(
    set: &PromptSet,
    salon: &SalonContext,
    turn: &Stage1Turn<'_>,
) -> anyhow::Result<Prompt> {
    let discussed_service = turn.discussed.service.clone().unwrap_or_default();
    let texts: Vec<&str> = turn
        .messages
        .iter()
        .rev()
        .map(String::as_str)
        .chain([discussed_service.as_str()])
        .chain(
            turn.history
                .iter()
                .rev()
                .take(SHORTLIST_TURNS)
                .map(|t| t.text.as_str()),
        )
        .chain([turn.visits, turn.usual])
        .collect();
    let lists = shortlist(&salon.catalog, &texts);
    let values = BTreeMap::from([
        ("salon_name", salon.title.clone()),
        ("today", salon.today.format("%d.%m.%Y").to_string()),
        ("weekday", weekday_name(salon.today.weekday()).to_owned()),
        ("timezone", salon.zone.name().to_owned()),
        ("client_name", client_name_text(turn.client_name)),
        ("bookings", turn.visits.to_owned()),
        ("usual", turn.usual.to_owned()),
        ("services", lists.services),
        ("staff", lists.staff),
        ("discussed", turn.discussed.text()),
    ]);
    let mut turns = turn.history.to_vec();
    turns.extend(turn.messages.iter().map(|text| Turn::user(text.clone())));
    Ok(Prompt {
        stage: Stage::Understand,
        system: prompts::render(set.stage1_system, &values)?,
        turns,
        response_schema: Some(set.schema()),
        temperature: STAGE1_TEMPERATURE,
        max_output_tokens: STAGE1_MAX_TOKENS,
    })
}

/// What a turn said before stage 2 writes: the conversation so far, the client's new
/// messages and what their commands gave.
#[derive(Debug, Clone, Copy)]
pub struct Said<'a> {
    /// The conversation so far.
    pub history: &'a [Turn],
    /// The client's messages of this turn.
    pub messages: &'a [String],
    /// The commands' results.
    pub results: &'a [CommandResult],
}

/// Stage 2: the conversation, the client's words, the command results, the facts about
/// the salon and the client, and the owner's voice → the reply.
pub fn stage2_prompt(
    set: &PromptSet,
    salon_title: &str,
    client_name: Option<&str>,
    said: Said<'_>,
    facts: &Facts,
    voice: &Voice,
) -> anyhow::Result<Prompt> {
    let Said {
        history,
        messages,
        results,
    } = said;
    // Older prompt sets name fewer values; the ones they do not name are left out.
    let system = prompts::render(
        set.stage2_system,
        &BTreeMap::from([
            ("salon_name", salon_title.to_owned()),
            ("client_name", client_name_text(client_name)),
            ("address_rule", voice.address_rule().to_owned()),
            ("emoji_rule", voice.emoji_rule().to_owned()),
            ("greeting_rule", voice.greeting_rule().to_owned()),
        ]),
    )?;
    let input = prompts::render(
        set.stage2_input,
        &BTreeMap::from([
            ("message", messages.join("\n")),
            ("results", serde_json::to_string_pretty(results)?),
            ("today", facts.today.clone()),
            ("weekday", facts.weekday.clone()),
            ("salon_address", facts.address.clone()),
            ("salon_phone", facts.phone.clone()),
            ("salon_email", facts.email.clone()),
            ("salon_hours", facts.hours.clone()),
            ("salon_facts", voice.facts_text()),
            ("bookings", facts.bookings.clone()),
            ("client", facts.client.clone()),
            ("services_named", facts.services.clone()),
        ]),
    )?;
    let mut turns = history.to_vec();
    turns.push(Turn::user(input));
    Ok(Prompt {
        stage: Stage::Compose,
        system,
        turns,
        response_schema: None,
        temperature: STAGE2_TEMPERATURE,
        max_output_tokens: STAGE2_MAX_TOKENS,
    })
}
