//! The `salon_settings` table: what the owner sets in the console — whether the bot
//! answers at all, when it answers, what clients are told otherwise, when reminders go,
//! and how the bot speaks for the salon (its greeting, «вы» or «ты», emoji, the salon's
//! own facts). Every turn and every reminder reads it, so a change applies without a
//! restart.

use crate::domain::SalonId;
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};
use sqlx::PgExecutor;
use std::time::Duration;

/// The longest fixed answer the owner may set.
pub const MAX_FIXED_REPLY: usize = 1000;
/// The longest greeting the owner may set.
pub const MAX_WELCOME: usize = 300;
/// The most the owner may tell about the salon, in characters and in lines.
pub const MAX_FACTS: (usize, usize) = (2000, 30);

/// How the bot addresses clients.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Address {
    /// На «вы» (the default).
    #[default]
    #[serde(rename = "вы")]
    Vy,
    /// На «ты».
    #[serde(rename = "ты")]
    Ty,
}

impl Address {
    /// As stored and shown: «вы» or «ты».
    pub fn as_str(self) -> &'static str {
        match self {
            Address::Vy => "вы",
            Address::Ty => "ты",
        }
    }

    /// The stored word; anything else is the default.
    fn from_stored(text: &str) -> Self {
        match text {
            "ты" => Address::Ty,
            _ => Address::Vy,
        }
    }
}

/// The bot's tone: how it addresses clients and whether it may use emoji.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tone {
    /// «вы» or «ты».
    pub address: Address,
    /// Whether a reply may carry an emoji (off: any is taken out).
    pub emoji: bool,
}

/// When the bot answers, in the salon's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerHours {
    /// ISO weekdays (1 Monday … 7 Sunday) the hours hold on; all days when empty.
    #[serde(default)]
    pub days: Vec<u8>,
    /// From (`HH:MM`).
    pub from: String,
    /// Until (`HH:MM`); before `from`, the hours run past midnight.
    pub to: String,
}

impl AnswerHours {
    /// Checks the days and times; a clear message for the owner otherwise.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(day) = self.days.iter().find(|d| !(1..=7).contains(*d)) {
            return Err(format!(
                "answer_hours.days: {day} — дни недели от 1 (пн) до 7 (вс)"
            ));
        }
        let (from, to) = (time(&self.from, "from")?, time(&self.to, "to")?);
        if from == to {
            return Err("answer_hours: начало и конец совпадают".to_owned());
        }
        Ok(())
    }

    /// Whether the bot answers at `local` (the salon's wall-clock time). Hours running
    /// past midnight belong to the day they start on.
    pub fn contains(&self, local: NaiveDateTime) -> bool {
        let (Ok(from), Ok(to)) = (time(&self.from, "from"), time(&self.to, "to")) else {
            // Stored hours are validated; unreadable ones never silence the bot.
            return true;
        };
        let day_is_on = |weekday: u32| {
            self.days.is_empty() || self.days.iter().any(|d| u32::from(*d) == weekday)
        };
        let now = local.time();
        let today = local.weekday().number_from_monday();
        if from < to {
            day_is_on(today) && from <= now && now < to
        } else {
            let yesterday = local.weekday().pred().number_from_monday();
            (day_is_on(today) && now >= from) || (day_is_on(yesterday) && now < to)
        }
    }

    /// The local day the hours next hold after `local` (minute by minute, a week at
    /// most: validated hours hold at least once a week).
    pub fn reopens(&self, local: NaiveDateTime) -> NaiveDate {
        let mut at = local;
        for _ in 0..(8 * 24 * 60) {
            if self.contains(at) {
                return at.date();
            }
            at += chrono::Duration::minutes(1);
        }
        local.date()
    }
}

fn time(text: &str, field: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M")
        .map_err(|_| format!("answer_hours.{field}: «{text}» — время как ЧЧ:ММ"))
}

/// A salon's settings; [`Default`] for a salon that never changed any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalonSettings {
    /// The bot answers clients (off: messages are recorded, not answered).
    pub bot_enabled: bool,
    /// The fixed answer while the bot is off (`None`: silence).
    pub off_reply: Option<String>,
    /// When the bot answers (`None`: always).
    pub answer_hours: Option<AnswerHours>,
    /// The fixed answer outside those hours (`None`: silence).
    pub outside_hours_reply: Option<String>,
    /// When reminders go before a visit (`None`: the deployment's `REMINDER_OFFSETS`).
    pub reminder_offsets: Option<Vec<Duration>>,
    /// The greeting opening the bot's first reply to a client (`None`: the model's own).
    pub welcome_text: Option<String>,
    /// «вы» or «ты», emoji or not.
    pub tone: Tone,
    /// What the owner tells about the salon (parking, the entrance, payment), one fact a
    /// line; the bot may tell it.
    pub facts: Option<String>,
}

impl Default for SalonSettings {
    fn default() -> Self {
        Self {
            bot_enabled: true,
            off_reply: None,
            answer_hours: None,
            outside_hours_reply: None,
            reminder_offsets: None,
            welcome_text: None,
            tone: Tone::default(),
            facts: None,
        }
    }
}

/// Why the bot does not answer a client now, by the owner's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closed {
    /// The owner turned the bot off.
    BotOff {
        /// What clients are told, if anything.
        reply: Option<String>,
    },
    /// Outside the hours the bot answers.
    OutsideHours {
        /// What clients are told, if anything.
        reply: Option<String>,
        /// The salon day the hours open again: one closed stretch, even across midnight.
        reopens: NaiveDate,
    },
}

impl Closed {
    /// What the client is told, if anything.
    pub fn reply(&self) -> Option<&str> {
        match self {
            Closed::BotOff { reply } | Closed::OutsideHours { reply, .. } => reply.as_deref(),
        }
    }

    /// The closed stretch `local_day` belongs to, for a once-per-stretch answer: the day
    /// itself while the bot is off, the day the hours open again outside them.
    pub fn stretch(&self, local_day: NaiveDate) -> NaiveDate {
        match self {
            Closed::BotOff { .. } => local_day,
            Closed::OutsideHours { reopens, .. } => *reopens,
        }
    }

    /// A short name, for keys.
    pub fn kind(&self) -> &'static str {
        match self {
            Closed::BotOff { .. } => "off",
            Closed::OutsideHours { .. } => "hours",
        }
    }

    /// For logs and the turn's record.
    pub fn reason(&self) -> &'static str {
        match self {
            Closed::BotOff { .. } => "the owner turned the bot off",
            Closed::OutsideHours { .. } => "outside the bot's answer hours",
        }
    }
}

impl SalonSettings {
    /// Whether the bot answers at `local` (the salon's wall-clock time), and if not why.
    pub fn closed_at(&self, local: NaiveDateTime) -> Option<Closed> {
        if !self.bot_enabled {
            return Some(Closed::BotOff {
                reply: self.off_reply.clone(),
            });
        }
        match &self.answer_hours {
            Some(hours) if !hours.contains(local) => Some(Closed::OutsideHours {
                reply: self.outside_hours_reply.clone(),
                reopens: hours.reopens(local),
            }),
            _ => None,
        }
    }
}

#[derive(sqlx::FromRow)]
struct SettingsRow {
    bot_enabled: bool,
    off_reply: Option<String>,
    answer_hours: Option<serde_json::Value>,
    outside_hours_reply: Option<String>,
    reminder_offsets_secs: Option<Vec<i64>>,
    welcome_text: Option<String>,
    tone_address: String,
    tone_emoji: bool,
    facts: Option<String>,
}

/// The salon's settings (the defaults when it never changed any).
pub async fn load(db: impl PgExecutor<'_>, salon_id: SalonId) -> anyhow::Result<SalonSettings> {
    let row: Option<SettingsRow> = sqlx::query_as(
        "SELECT bot_enabled, off_reply, answer_hours, outside_hours_reply, reminder_offsets_secs,
                welcome_text, tone_address, tone_emoji, facts
         FROM salon_settings WHERE salon_id = $1",
    )
    .bind(salon_id.get())
    .fetch_optional(db)
    .await?;
    let Some(row) = row else {
        return Ok(SalonSettings::default());
    };
    Ok(SalonSettings {
        bot_enabled: row.bot_enabled,
        off_reply: row.off_reply,
        answer_hours: row
            .answer_hours
            .and_then(|hours| serde_json::from_value(hours).ok()),
        outside_hours_reply: row.outside_hours_reply,
        reminder_offsets: row.reminder_offsets_secs.map(|secs| {
            secs.into_iter()
                .filter_map(|s| u64::try_from(s).ok())
                .map(Duration::from_secs)
                .collect()
        }),
        welcome_text: row.welcome_text,
        tone: Tone {
            address: Address::from_stored(&row.tone_address),
            emoji: row.tone_emoji,
        },
        facts: row.facts,
    })
}

/// Stores the salon's settings whole.
pub async fn save(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    settings: &SalonSettings,
) -> anyhow::Result<()> {
    let offsets: Option<Vec<i64>> = settings.reminder_offsets.as_ref().map(|offsets| {
        offsets
            .iter()
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .collect()
    });
    sqlx::query(
        "INSERT INTO salon_settings
             (salon_id, bot_enabled, off_reply, answer_hours, outside_hours_reply,
              reminder_offsets_secs, welcome_text, tone_address, tone_emoji, facts)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (salon_id) DO UPDATE SET
             bot_enabled = EXCLUDED.bot_enabled, off_reply = EXCLUDED.off_reply,
             answer_hours = EXCLUDED.answer_hours,
             outside_hours_reply = EXCLUDED.outside_hours_reply,
             reminder_offsets_secs = EXCLUDED.reminder_offsets_secs,
             welcome_text = EXCLUDED.welcome_text, tone_address = EXCLUDED.tone_address,
             tone_emoji = EXCLUDED.tone_emoji, facts = EXCLUDED.facts, updated_at = NOW()",
    )
    .bind(salon_id.get())
    .bind(settings.bot_enabled)
    .bind(&settings.off_reply)
    .bind(
        settings
            .answer_hours
            .as_ref()
            .map(serde_json::to_value)
            .transpose()?,
    )
    .bind(&settings.outside_hours_reply)
    .bind(offsets)
    .bind(&settings.welcome_text)
    .bind(settings.tone.address.as_str())
    .bind(settings.tone.emoji)
    .bind(&settings.facts)
    .execute(db)
    .await?;
    Ok(())
}

/// The salon's reminder offsets: its own, else `deployment`'s.
pub async fn reminder_offsets(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    deployment: &[Duration],
) -> anyhow::Result<Vec<Duration>> {
    let own: Option<Option<Vec<i64>>> =
        sqlx::query_scalar("SELECT reminder_offsets_secs FROM salon_settings WHERE salon_id = $1")
            .bind(salon_id.get())
            .fetch_optional(db)
            .await?;
    Ok(match own.flatten() {
        Some(secs) => secs
            .into_iter()
            .filter_map(|s| u64::try_from(s).ok())
            .map(Duration::from_secs)
            .collect(),
        None => deployment.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(day: u32, hour: u32, minute: u32) -> NaiveDateTime {
        // 7 December 2026 is a Monday.
        NaiveDate::from_ymd_opt(2026, 12, day)
            .unwrap()
            .and_hms_opt(hour, minute, 0)
            .unwrap()
    }

    fn hours(days: &[u8], from: &str, to: &str) -> AnswerHours {
        AnswerHours {
            days: days.to_vec(),
            from: from.into(),
            to: to.into(),
        }
    }

    #[test]
    fn the_bot_answers_within_the_hours_on_the_days_set() {
        let weekdays = hours(&[1, 2, 3, 4, 5], "09:00", "21:00");
        assert!(weekdays.contains(at(7, 9, 0)));
        assert!(weekdays.contains(at(7, 20, 59)));
        assert!(!weekdays.contains(at(7, 21, 0)));
        assert!(!weekdays.contains(at(7, 8, 59)));
        assert!(!weekdays.contains(at(12, 12, 0)), "Saturday");
        let every_day = hours(&[], "10:00", "20:00");
        assert!(every_day.contains(at(13, 12, 0)), "Sunday");
    }

    #[test]
    fn night_hours_belong_to_the_day_they_start_on() {
        let fridays = hours(&[5], "20:00", "02:00");
        assert!(fridays.contains(at(11, 23, 0)), "Friday night");
        assert!(fridays.contains(at(12, 1, 30)), "after midnight, Saturday");
        assert!(!fridays.contains(at(12, 3, 0)));
        assert!(!fridays.contains(at(10, 23, 0)), "Thursday");
    }

    #[test]
    fn bad_hours_are_refused_with_a_reason() {
        assert!(
            hours(&[8], "09:00", "18:00")
                .validate()
                .unwrap_err()
                .contains("1 (пн)")
        );
        assert!(
            hours(&[], "9", "18:00")
                .validate()
                .unwrap_err()
                .contains("ЧЧ:ММ")
        );
        assert!(hours(&[], "09:00", "09:00").validate().is_err());
        assert!(hours(&[1], "09:00", "18:00").validate().is_ok());
    }

    #[test]
    fn an_owner_who_turned_the_bot_off_is_obeyed_first() {
        let off = SalonSettings {
            bot_enabled: false,
            off_reply: Some("Ответим утром".into()),
            answer_hours: Some(hours(&[], "09:00", "18:00")),
            ..SalonSettings::default()
        };
        let closed = off.closed_at(at(7, 12, 0)).unwrap();
        assert_eq!(closed.reply(), Some("Ответим утром"));
        assert!(matches!(closed, Closed::BotOff { .. }));
        let hours_only = SalonSettings {
            answer_hours: Some(hours(&[], "09:00", "18:00")),
            ..SalonSettings::default()
        };
        assert_eq!(hours_only.closed_at(at(7, 12, 0)), None);
        assert_eq!(
            hours_only.closed_at(at(7, 19, 0)),
            Some(Closed::OutsideHours {
                reply: None,
                reopens: at(8, 0, 0).date()
            })
        );
        // One closed night is one stretch, before and after midnight.
        let evening = hours_only.closed_at(at(7, 23, 0)).unwrap();
        let night = hours_only.closed_at(at(8, 2, 0)).unwrap();
        assert_eq!(
            evening.stretch(at(7, 0, 0).date()),
            night.stretch(at(8, 0, 0).date())
        );
        let weekdays = SalonSettings {
            answer_hours: Some(hours(&[1, 2, 3, 4, 5], "09:00", "18:00")),
            ..SalonSettings::default()
        };
        assert_eq!(
            weekdays
                .closed_at(at(11, 19, 0))
                .unwrap()
                .stretch(at(11, 0, 0).date()),
            at(14, 0, 0).date(),
            "Friday evening to Monday"
        );
        assert_eq!(SalonSettings::default().closed_at(at(7, 3, 0)), None);
    }
}
