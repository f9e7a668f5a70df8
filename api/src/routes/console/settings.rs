//! The salon's settings in the console, applied without a restart (each turn and each
//! reminder reads them); every change is a `settings_changed` event naming the fields.
//!
//! - `GET /console/api/settings` → `{success, settings: {bot_enabled, off_reply,
//!   answer_hours: {days, from, to} | null, outside_hours_reply, reminder_offsets: ["24h",
//!   …], reminder_offsets_own, welcome_text, tone: {address: "вы" | "ты", emoji}, facts,
//!   synonyms: [{said, stands_for, origin}]}}`.
//! - `PUT /console/api/settings` with any of those fields (`reminder_offsets: null` goes
//!   back to the deployment's; `synonyms` is the whole list in use) → the settings as
//!   stored. A bad value or an unknown field → 400 saying which, nothing stored.

use crate::auth::ConsoleAuth;
use crate::config::parse_duration;
use crate::error::ApiError;
use crate::state::AppState;
use ai_admin_activities::assistant::synonyms::normalised;
use ai_admin_activities::db::events::{self, EventType, NewEvent};
use ai_admin_activities::db::settings::{
    self, AnswerHours, MAX_FACTS, MAX_FIXED_REPLY, MAX_WELCOME, SalonSettings, Tone,
};
use ai_admin_activities::db::synonyms;
use axum::extract::State;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde_json::{Map, Value, json};
use std::time::Duration;

/// Reminders a salon may have per visit.
const MAX_REMINDERS: usize = 4;
/// The shortest and longest time a reminder may go before the visit.
const REMINDER_RANGE: (Duration, Duration) = (
    Duration::from_secs(10 * 60),
    Duration::from_secs(7 * 86_400),
);
/// Synonyms a salon may keep.
const MAX_SYNONYMS: usize = 500;

/// The fields `PUT` takes.
const FIELDS: [&str; 9] = [
    "bot_enabled",
    "off_reply",
    "answer_hours",
    "outside_hours_reply",
    "reminder_offsets",
    "welcome_text",
    "tone",
    "facts",
    "synonyms",
];

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/api/settings", get(show))
        .route("/console/api/settings", put(change))
}

/// `90s` → `90s`, `7200s` → `2h`: the largest unit that divides it.
fn duration_text(duration: Duration) -> String {
    let secs = duration.as_secs();
    match secs {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

async fn current(state: &AppState, auth: &ConsoleAuth) -> Result<Value, ApiError> {
    let salon_id = auth.user.salon_id;
    let stored = settings::load(&state.db, salon_id).await?;
    let deployment = &state.config.assistant.reminder_offsets;
    let offsets = stored.reminder_offsets.as_ref().unwrap_or(deployment);
    let synonyms = synonyms::in_use(&state.db, auth.user.company_id).await?;
    Ok(json!({
        "bot_enabled": stored.bot_enabled,
        "off_reply": stored.off_reply,
        "answer_hours": stored.answer_hours,
        "outside_hours_reply": stored.outside_hours_reply,
        "reminder_offsets": offsets.iter().copied().map(duration_text).collect::<Vec<_>>(),
        "reminder_offsets_own": stored.reminder_offsets.is_some(),
        "welcome_text": stored.welcome_text,
        "tone": stored.tone,
        "facts": stored.facts,
        "synonyms": synonyms,
    }))
}

async fn show(State(state): State<AppState>, auth: ConsoleAuth) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "success": true, "settings": current(&state, &auth).await? }),
    ))
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::BadRequest(message.into())
}

/// The owner's text: trimmed, at most `max` characters, or null (empty is null too).
fn owner_text(field: &str, value: &Value, max: usize) -> Result<Option<String>, ApiError> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) if text.trim().is_empty() => Ok(None),
        Value::String(text) if text.trim().chars().count() > max => {
            Err(bad(format!("{field}: не длиннее {max} символов")))
        }
        Value::String(text) => Ok(Some(text.trim().to_owned())),
        _ => Err(bad(format!("{field}: текст или null"))),
    }
}

/// A fixed answer: text of at most [`MAX_FIXED_REPLY`] characters, or null.
fn fixed_reply(field: &str, value: &Value) -> Result<Option<String>, ApiError> {
    owner_text(field, value, MAX_FIXED_REPLY)
}

/// The salon's facts: at most [`MAX_FACTS`] characters and lines, blank lines dropped.
fn facts(value: &Value) -> Result<Option<String>, ApiError> {
    let Some(text) = owner_text("facts", value, MAX_FACTS.0)? else {
        return Ok(None);
    };
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.len() > MAX_FACTS.1 {
        return Err(bad(format!(
            "facts: не больше {} строк, по факту в строке",
            MAX_FACTS.1
        )));
    }
    Ok(Some(lines.join("\n")))
}

fn tone(value: &Value) -> Result<Tone, ApiError> {
    serde_json::from_value(value.clone())
        .map_err(|_| bad("tone: {\"address\": \"вы\" или \"ты\", \"emoji\": true или false}"))
}

fn reminder_offsets(value: &Value) -> Result<Option<Vec<Duration>>, ApiError> {
    if value.is_null() {
        return Ok(None);
    }
    let items = value
        .as_array()
        .ok_or_else(|| bad("reminder_offsets: список вроде [\"24h\", \"2h\"] или null"))?;
    if items.is_empty() || items.len() > MAX_REMINDERS {
        return Err(bad(format!(
            "reminder_offsets: от 1 до {MAX_REMINDERS} напоминаний"
        )));
    }
    let mut offsets = Vec::with_capacity(items.len());
    for item in items {
        let offset = item
            .as_str()
            .and_then(parse_duration)
            .filter(|d| (REMINDER_RANGE.0..=REMINDER_RANGE.1).contains(d))
            .ok_or_else(|| {
                bad(format!(
                    "reminder_offsets: {item} — число и d, h или m, от 10m до 7d"
                ))
            })?;
        if !offsets.contains(&offset) {
            offsets.push(offset);
        }
    }
    offsets.sort_by(|a, b| b.cmp(a));
    Ok(Some(offsets))
}

fn answer_hours(value: &Value) -> Result<Option<AnswerHours>, ApiError> {
    if value.is_null() {
        return Ok(None);
    }
    let hours: AnswerHours = serde_json::from_value(value.clone()).map_err(|_| {
        bad("answer_hours: {\"days\": [1, …, 7], \"from\": \"ЧЧ:ММ\", \"to\": \"ЧЧ:ММ\"} или null")
    })?;
    hours.validate().map_err(bad)?;
    let mut days = hours.days.clone();
    days.sort_unstable();
    days.dedup();
    Ok(Some(AnswerHours { days, ..hours }))
}

/// The synonyms asked for, as matching reads them.
fn synonym_list(value: &Value) -> Result<Vec<(String, String)>, ApiError> {
    let items = value
        .as_array()
        .ok_or_else(|| bad("synonyms: список [{\"said\": …, \"stands_for\": …}]"))?;
    if items.len() > MAX_SYNONYMS {
        return Err(bad(format!("synonyms: не больше {MAX_SYNONYMS}")));
    }
    let mut list: Vec<(String, String)> = Vec::with_capacity(items.len());
    for item in items {
        let said = normalised(item["said"].as_str().unwrap_or_default());
        let stands_for = normalised(item["stands_for"].as_str().unwrap_or_default());
        let word_ok = (2..=40).contains(&said.chars().count())
            && said
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ('а'..='я').contains(&c));
        if !word_ok {
            return Err(bad(format!(
                "synonyms: «{said}» — одно слово из 2–40 букв или цифр"
            )));
        }
        if !(2..=80).contains(&stands_for.chars().count()) {
            return Err(bad(format!(
                "synonyms: у «{said}» нужен текст услуги из 2–80 символов"
            )));
        }
        if list.iter().any(|(known, _)| *known == said) {
            return Err(bad(format!("synonyms: «{said}» дважды")));
        }
        list.push((said, stands_for));
    }
    Ok(list)
}

async fn change(
    State(state): State<AppState>,
    auth: ConsoleAuth,
    Json(body): Json<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    if let Some(unknown) = body.keys().find(|key| !FIELDS.contains(&key.as_str())) {
        return Err(bad(format!(
            "Неизвестная настройка {unknown}; можно: {}",
            FIELDS.join(", ")
        )));
    }
    let salon_id = auth.user.salon_id;
    let stored = settings::load(&state.db, salon_id).await?;
    let mut wanted = SalonSettings { ..stored.clone() };
    if let Some(value) = body.get("bot_enabled") {
        wanted.bot_enabled = value
            .as_bool()
            .ok_or_else(|| bad("bot_enabled: true или false"))?;
    }
    if let Some(value) = body.get("off_reply") {
        wanted.off_reply = fixed_reply("off_reply", value)?;
    }
    if let Some(value) = body.get("answer_hours") {
        wanted.answer_hours = answer_hours(value)?;
    }
    if let Some(value) = body.get("outside_hours_reply") {
        wanted.outside_hours_reply = fixed_reply("outside_hours_reply", value)?;
    }
    if let Some(value) = body.get("reminder_offsets") {
        wanted.reminder_offsets = reminder_offsets(value)?;
    }
    if let Some(value) = body.get("welcome_text") {
        wanted.welcome_text = owner_text("welcome_text", value, MAX_WELCOME)?;
    }
    if let Some(value) = body.get("tone") {
        wanted.tone = tone(value)?;
    }
    if let Some(value) = body.get("facts") {
        wanted.facts = facts(value)?;
    }
    let synonyms = body.get("synonyms").map(synonym_list).transpose()?;

    let mut changed: Vec<&str> = Vec::new();
    for (field, differs) in [
        ("bot_enabled", wanted.bot_enabled != stored.bot_enabled),
        ("off_reply", wanted.off_reply != stored.off_reply),
        ("answer_hours", wanted.answer_hours != stored.answer_hours),
        (
            "outside_hours_reply",
            wanted.outside_hours_reply != stored.outside_hours_reply,
        ),
        (
            "reminder_offsets",
            wanted.reminder_offsets != stored.reminder_offsets,
        ),
        ("welcome_text", wanted.welcome_text != stored.welcome_text),
        ("tone", wanted.tone != stored.tone),
        ("facts", wanted.facts != stored.facts),
    ] {
        if differs {
            changed.push(field);
        }
    }
    // All of it or nothing: the settings, the synonyms and the event together.
    let mut tx = state.db.begin().await?;
    if !changed.is_empty() {
        settings::save(&mut *tx, salon_id, &wanted).await?;
    }
    if let Some(list) = &synonyms {
        synonyms::replace_all(&mut tx, auth.user.company_id, list).await?;
        changed.push("synonyms");
    }
    if !changed.is_empty() {
        events::record(
            &mut *tx,
            &NewEvent {
                salon_id,
                event_type: EventType::SettingsChanged,
                data: json!({
                    "fields": changed,
                    "bot_enabled": wanted.bot_enabled,
                    "by": auth.user.user_id,
                }),
                dedup_key: None,
            },
        )
        .await?;
    }
    tx.commit().await?;
    if !changed.is_empty() {
        tracing::info!(%salon_id, fields = ?changed, "salon settings changed");
    }
    Ok(Json(
        json!({ "success": true, "settings": current(&state, &auth).await? }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_read_back_in_the_units_they_were_written_in() {
        assert_eq!(duration_text(Duration::from_secs(86_400)), "1d");
        assert_eq!(duration_text(Duration::from_secs(7_200)), "2h");
        assert_eq!(duration_text(Duration::from_secs(1_800)), "30m");
        assert_eq!(duration_text(Duration::from_secs(90)), "90s");
    }

    #[test]
    fn reminder_offsets_are_checked_and_put_in_order() {
        assert_eq!(
            reminder_offsets(&json!(["2h", "24h", "2h"])).unwrap(),
            Some(vec![
                Duration::from_secs(86_400),
                Duration::from_secs(7_200)
            ])
        );
        assert_eq!(reminder_offsets(&Value::Null).unwrap(), None);
        for bad in [
            json!([]),
            json!(["24ч"]),
            json!(["1m"]),
            json!(["30d"]),
            json!("24h"),
        ] {
            assert!(reminder_offsets(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tone_and_facts_are_checked() {
        assert_eq!(
            tone(&json!({"address": "ты", "emoji": true})).unwrap(),
            Tone {
                address: settings::Address::Ty,
                emoji: true
            }
        );
        for wrong in [
            json!({"address": "Вы", "emoji": false}),
            json!({"address": "ты"}),
            json!({"address": "ты", "emoji": "да"}),
            json!("ты"),
        ] {
            assert!(tone(&wrong).is_err(), "{wrong}");
        }
        assert_eq!(
            facts(&json!("  Парковка во дворе \n\n Вход со двора ")).unwrap(),
            Some("Парковка во дворе\nВход со двора".to_owned())
        );
        assert_eq!(facts(&json!("  ")).unwrap(), None);
        assert!(facts(&json!("факт\n".repeat(31))).is_err());
        assert!(facts(&json!("я".repeat(2001))).is_err());
        assert!(owner_text("welcome_text", &json!("п".repeat(301)), MAX_WELCOME).is_err());
    }

    #[test]
    fn a_synonym_is_one_word_standing_for_a_service() {
        assert_eq!(
            synonym_list(&json!([{"said": "Ноготочки", "stands_for": "Маникюр  с покрытием"}]))
                .unwrap(),
            vec![("ноготочки".to_owned(), "маникюр с покрытием".to_owned())]
        );
        assert!(synonym_list(&json!([{"said": "два слова", "stands_for": "маникюр"}])).is_err());
        assert!(synonym_list(&json!([{"said": "ногти", "stands_for": "м"}])).is_err());
        assert!(
            synonym_list(&json!([
                {"said": "ногти", "stands_for": "маникюр"},
                {"said": "ногти", "stands_for": "педикюр"}
            ]))
            .is_err()
        );
    }
}
