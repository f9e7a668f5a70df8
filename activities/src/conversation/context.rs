//! What one turn of a conversation knows about the salon and the client, and the two
//! Gemini prompts rendered from it with the versioned prompt files.

use super::facts::Facts;
use crate::assistant::catalog::{self, Catalog};
use crate::assistant::dates::weekday_name;
use crate::assistant::lookup::CommandResult;
use crate::assistant::prompts::{self, PromptSet};
use crate::db::companies;
use crate::domain::SalonId;
use crate::gemini::{Prompt, Turn};
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
        let catalog = catalog::load(db, company.id).await?;
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
    phone: &str,
    client_name: Option<&str>,
    history: &[Turn],
    messages: &[String],
) -> anyhow::Result<Prompt> {
    let visits_text = super::facts::visits_text(db, salon, phone).await?;
    let services = salon
        .catalog
        .services
        .iter()
        .map(|s| format!("- {} — {}", s.title, s.price_text()))
        .collect::<Vec<_>>()
        .join("\n");
    let staff = salon
        .catalog
        .staff
        .iter()
        .map(|s| match &s.specialization {
            Some(what) => format!("- {} ({what})", s.name),
            None => format!("- {}", s.name),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let values = BTreeMap::from([
        ("salon_name", salon.title.clone()),
        ("today", salon.today.format("%d.%m.%Y").to_string()),
        ("weekday", weekday_name(salon.today.weekday()).to_owned()),
        ("timezone", salon.zone.name().to_owned()),
        ("client_name", client_name_text(client_name)),
        ("bookings", visits_text),
        ("services", services),
        ("staff", staff),
    ]);
    let mut turns = history.to_vec();
    turns.extend(messages.iter().map(|text| Turn::user(text.clone())));
    Ok(Prompt {
        system: prompts::render(set.stage1_system, &values)?,
        turns,
        response_schema: Some(set.schema()),
        temperature: STAGE1_TEMPERATURE,
        max_output_tokens: STAGE1_MAX_TOKENS,
    })
}

/// Stage 2: the conversation, the client's words, the command results and the facts
/// about the salon and the client → the reply.
pub fn stage2_prompt(
    set: &PromptSet,
    salon_title: &str,
    client_name: Option<&str>,
    history: &[Turn],
    messages: &[String],
    results: &[CommandResult],
    facts: &Facts,
) -> anyhow::Result<Prompt> {
    let system = prompts::render(
        set.stage2_system,
        &BTreeMap::from([
            ("salon_name", salon_title.to_owned()),
            ("client_name", client_name_text(client_name)),
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
            ("bookings", facts.bookings.clone()),
            ("services_named", facts.services.clone()),
        ]),
    )?;
    let mut turns = history.to_vec();
    turns.push(Turn::user(input));
    Ok(Prompt {
        system,
        turns,
        response_schema: None,
        temperature: STAGE2_TEMPERATURE,
        max_output_tokens: STAGE2_MAX_TOKENS,
    })
}
