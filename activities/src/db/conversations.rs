//! The `conversations` table: per client of a salon, whether the bot answers or a person
//! has taken over (handoff, or the salon answering the client itself: a pause), and the
//! name the client gave.

use crate::domain::SalonId;
use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Row};

/// What the table says about one client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConversationRow {
    /// A person from the salon answers; the bot stays silent.
    pub handed_off: bool,
    /// The salon wrote to the client itself a moment ago: the bot pauses for them.
    pub answered_by_salon: bool,
    /// The name the client gave, if any.
    pub client_name: Option<String>,
}

impl ConversationRow {
    /// Whether the bot answers this client now.
    pub fn bot_answers(&self) -> bool {
        !self.handed_off && !self.answered_by_salon
    }
}

/// The client's row, or the default (bot answers, no name) when they never wrote.
pub async fn find(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    phone: &str,
) -> anyhow::Result<ConversationRow> {
    let row = sqlx::query(
        "SELECT status, client_name, COALESCE(paused_until > NOW(), false) AS paused
         FROM conversations WHERE salon_id = $1 AND client_phone = $2",
    )
    .bind(salon_id.get())
    .bind(phone)
    .fetch_optional(db)
    .await?;
    Ok(match row {
        Some(row) => ConversationRow {
            handed_off: row.try_get::<String, _>("status")? == "handoff",
            answered_by_salon: row.try_get("paused")?,
            client_name: row.try_get("client_name")?,
        },
        None => ConversationRow::default(),
    })
}

/// The salon wrote to the client itself: the bot pauses for them for `pause`.
pub async fn pause_for_salon(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    phone: &str,
    pause: std::time::Duration,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO conversations (salon_id, client_phone, paused_until)
         VALUES ($1, $2, NOW() + make_interval(secs => $3))
         ON CONFLICT (salon_id, client_phone)
         DO UPDATE SET paused_until = EXCLUDED.paused_until, updated_at = NOW()",
    )
    .bind(salon_id.get())
    .bind(phone)
    .bind(pause.as_secs_f64())
    .execute(db)
    .await?;
    Ok(())
}

/// Remembers the name the client gave.
pub async fn save_name(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    phone: &str,
    name: &str,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO conversations (salon_id, client_phone, client_name) VALUES ($1, $2, $3)
         ON CONFLICT (salon_id, client_phone)
         DO UPDATE SET client_name = EXCLUDED.client_name, updated_at = NOW()",
    )
    .bind(salon_id.get())
    .bind(phone)
    .bind(name)
    .execute(db)
    .await?;
    Ok(())
}

/// Hands the client over to a person; false when they already were.
pub async fn hand_off(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    phone: &str,
    reason: &str,
) -> anyhow::Result<bool> {
    let changed = sqlx::query(
        "INSERT INTO conversations (salon_id, client_phone, status, handoff_reason, handoff_at)
         VALUES ($1, $2, 'handoff', $3, NOW())
         ON CONFLICT (salon_id, client_phone) DO UPDATE
             SET status = 'handoff', handoff_reason = EXCLUDED.handoff_reason,
                 handoff_at = NOW(), updated_at = NOW()
             WHERE conversations.status <> 'handoff'",
    )
    .bind(salon_id.get())
    .bind(phone)
    .bind(reason)
    .execute(db)
    .await?;
    Ok(changed.rows_affected() == 1)
}

/// Gives the client back to the bot, ending a handoff and any pause after the salon's
/// own message; false when a person did not have them.
pub async fn release(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    phone: &str,
) -> anyhow::Result<bool> {
    let changed = sqlx::query(
        "UPDATE conversations
            SET status = 'bot', paused_until = NULL, released_at = NOW(), updated_at = NOW()
         WHERE salon_id = $1 AND client_phone = $2
           AND (status = 'handoff' OR paused_until > NOW())",
    )
    .bind(salon_id.get())
    .bind(phone)
    .execute(db)
    .await?;
    Ok(changed.rows_affected() == 1)
}

/// The reason recorded when the salon itself took a client over (its reply from the
/// console): such a handoff is answered by definition and never goes back by itself.
pub const SALON_STEPPED_IN: &str = "Администратор ответил из консоли";

/// What counts as the salon having answered a client since their handoff began: a
/// console message that went out (or is going out right now), or a message from the
/// salon's own phone (not a reaction, an edit or a deletion). `c` is the conversation.
/// A constant, spliced into the queries below (no input reaches it).
const ANSWERED_SINCE_HANDOFF: &str = "(EXISTS (SELECT 1 FROM outbound_messages o
        WHERE o.salon_id = c.salon_id AND o.to_phone = c.client_phone
          AND o.idempotency_key LIKE 'salon/%' AND o.created_at >= c.handoff_at
          AND (o.status = 'sent' OR o.claimed_at > NOW() - INTERVAL '1 minute'))
     OR EXISTS (SELECT 1 FROM inbound_messages i
        WHERE i.salon_id = c.salon_id AND i.client_phone = c.client_phone
          AND i.from_salon AND i.kind NOT IN ('reaction', 'edit', 'revoke')
          AND i.received_at >= c.handoff_at))";

/// A client's handoff as its watch sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenHandoff {
    /// When it began.
    pub since: DateTime<Utc>,
    /// `since` in Unix microseconds, as the database holds it: names this handoff and
    /// no later one.
    pub since_micros: i64,
    /// The salon wrote to the client since, or took them over itself.
    pub answered: bool,
}

/// The client's handoff, if a person has them now.
pub async fn open_handoff(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    phone: &str,
) -> anyhow::Result<Option<OpenHandoff>> {
    let sql = format!(
        "SELECT c.handoff_at,
                (EXTRACT(EPOCH FROM c.handoff_at) * 1000000)::bigint AS since_micros,
                (c.handoff_reason IS NOT DISTINCT FROM $3 OR {ANSWERED_SINCE_HANDOFF}) AS answered
         FROM conversations c
         WHERE c.salon_id = $1 AND c.client_phone = $2 AND c.status = 'handoff'
           AND c.handoff_at IS NOT NULL"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(salon_id.get())
        .bind(phone)
        .bind(SALON_STEPPED_IN)
        .fetch_optional(db)
        .await?;
    row.map(|row| {
        Ok(OpenHandoff {
            since: row.try_get("handoff_at")?,
            since_micros: row.try_get("since_micros")?,
            answered: row.try_get("answered")?,
        })
    })
    .transpose()
}

/// Gives the client back to the bot if the handoff that began at `since_micros` still
/// holds them unanswered (not released, not a later one, nobody from the salon wrote);
/// false otherwise. The row is locked, so a release or a new handoff waits for it.
pub async fn release_unanswered(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    phone: &str,
    since_micros: i64,
) -> anyhow::Result<bool> {
    let sql = format!(
        "UPDATE conversations c
            SET status = 'bot', released_at = NOW(), updated_at = NOW()
         WHERE c.salon_id = $1 AND c.client_phone = $2 AND c.status = 'handoff'
           AND (EXTRACT(EPOCH FROM c.handoff_at) * 1000000)::bigint = $3
           AND c.handoff_reason IS DISTINCT FROM $4
           AND NOT {ANSWERED_SINCE_HANDOFF}"
    );
    let changed = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(salon_id.get())
        .bind(phone)
        .bind(since_micros)
        .bind(SALON_STEPPED_IN)
        .execute(db)
        .await?;
    Ok(changed.rows_affected() == 1)
}

/// Whether the bot still has the client it took back from the handoff that began at
/// `since_micros`: not handed over again, and nobody from the salon wrote since.
pub async fn still_given_back(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    phone: &str,
    since_micros: i64,
) -> anyhow::Result<bool> {
    let sql = format!(
        "SELECT c.status = 'bot'
                AND (EXTRACT(EPOCH FROM c.handoff_at) * 1000000)::bigint = $3
                AND NOT {ANSWERED_SINCE_HANDOFF}
         FROM conversations c WHERE c.salon_id = $1 AND c.client_phone = $2"
    );
    let still: Option<bool> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(salon_id.get())
        .bind(phone)
        .bind(since_micros)
        .fetch_optional(db)
        .await?;
    Ok(still.unwrap_or(false))
}

/// A client waiting for a person.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HandedOff {
    /// The conversation's id (the console's).
    pub id: i64,
    /// Digits.
    pub phone: String,
    /// The name the client gave.
    pub client_name: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// When (RFC 3339).
    pub since: String,
}

/// The salon's clients waiting for a person, longest waiting first.
pub async fn handed_off(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
) -> anyhow::Result<Vec<HandedOff>> {
    let rows = sqlx::query(
        "SELECT id, client_phone, client_name, handoff_reason,
                to_char(handoff_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS since
         FROM conversations WHERE salon_id = $1 AND status = 'handoff'
         ORDER BY handoff_at",
    )
    .bind(salon_id.get())
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(HandedOff {
                id: row.try_get("id")?,
                phone: row.try_get("client_phone")?,
                client_name: row.try_get("client_name")?,
                reason: row.try_get("handoff_reason")?,
                since: row
                    .try_get::<Option<String>, _>("since")?
                    .unwrap_or_default(),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}
