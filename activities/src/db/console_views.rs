//! What the owner's console reads about a salon's conversations: the list of clients
//! by last message, one client's transcript (their messages, the bot's replies with the
//! commands behind them, the salon's own answers), and the results figures. Nothing
//! here writes.

use crate::domain::SalonId;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgExecutor;

/// Conversations listed at most (the most recent).
const LISTED: i64 = 200;

/// Transcript lines shown at most (the most recent).
const TRANSCRIPT_LINES: i64 = 300;

/// Who wrote a transcript line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Author {
    /// The salon's client.
    Client,
    /// The assistant (replies, reminders).
    Bot,
    /// The salon's own people (from the console or their own phone).
    Salon,
}

impl Author {
    fn from_name(name: &str) -> Self {
        match name {
            "client" => Self::Client,
            "salon" => Self::Salon,
            _ => Self::Bot,
        }
    }
}

/// One client of the salon, as the console lists them.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationSummary {
    /// The conversation's id (the console's links use it, never the phone).
    pub id: i64,
    /// The client's address as stored (digits, or `<digits>@lid`).
    pub phone: String,
    /// The name the client gave, else the one YClients or WhatsApp has.
    pub name: Option<String>,
    /// The newest line of the conversation.
    pub last_message: Option<String>,
    /// Who wrote it.
    pub last_from: Option<Author>,
    /// When.
    pub last_at: Option<DateTime<Utc>>,
    /// `bot` or `handoff`.
    pub status: String,
    /// The salon answered the client itself a moment ago: the bot pauses.
    pub paused: bool,
    /// What the last turn's commands gave (`[{command, ok, …}]`).
    pub last_results: Option<Value>,
}

/// What the console says the conversation stands at: a person has it (`handoff`,
/// `salon`), or what the bot last did (`booked`, `moved`, `cancelled`, `asked`), or
/// nothing yet (`new`).
pub fn state(summary: &ConversationSummary) -> &'static str {
    if summary.status == "handoff" {
        return "handoff";
    }
    if summary.paused {
        return "salon";
    }
    let Some(results) = summary.last_results.as_ref().and_then(Value::as_array) else {
        return "new";
    };
    let done = |name: &str| {
        results
            .iter()
            .any(|r| r["command"] == name && r["ok"] == Value::Bool(true))
    };
    if done("CREATE_BOOKING") {
        "booked"
    } else if done("RESCHEDULE_BOOKING") {
        "moved"
    } else if done("CANCEL_BOOKING") {
        "cancelled"
    } else {
        "asked"
    }
}

/// The salon's conversations, newest line first; with `only`, that one conversation
/// (whether or not it is among the newest).
pub async fn conversations(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    company_id: i64,
    only: Option<i64>,
) -> anyhow::Result<Vec<ConversationSummary>> {
    let rows: Vec<SummaryRow> = sqlx::query_as(
        "SELECT c.id, c.client_phone AS phone, c.status,
                COALESCE(c.paused_until > NOW(), false) AS paused,
                COALESCE(c.client_name, cl.name, pn.push_name) AS name,
                last.text AS last_message, last.author AS last_from, last.at AS last_at,
                lt.results AS last_results
           FROM conversations c
           LEFT JOIN LATERAL (
               SELECT * FROM (
                   (SELECT m.text, CASE WHEN m.from_salon THEN 'salon' ELSE 'client' END AS author,
                           m.received_at AS at
                      FROM inbound_messages m
                     WHERE m.salon_id = c.salon_id AND m.client_phone = c.client_phone
                       AND m.kind NOT IN ('edit', 'revoke') AND m.status <> 'withdrawn'
                     ORDER BY m.received_at DESC LIMIT 1)
                   UNION ALL
                   (SELECT o.text,
                           CASE WHEN o.idempotency_key LIKE 'salon/%' THEN 'salon' ELSE 'bot' END,
                           COALESCE(o.sent_at, o.created_at)
                      FROM outbound_messages o
                     WHERE o.salon_id = c.salon_id AND o.to_phone = c.client_phone
                     ORDER BY COALESCE(o.sent_at, o.created_at) DESC LIMIT 1)
               ) lines ORDER BY at DESC LIMIT 1
           ) last ON true
           LEFT JOIN LATERAL (
               SELECT m.push_name FROM inbound_messages m
                WHERE m.salon_id = c.salon_id AND m.client_phone = c.client_phone
                  AND m.push_name IS NOT NULL AND NOT m.from_salon
                ORDER BY m.received_at DESC LIMIT 1
           ) pn ON true
           LEFT JOIN LATERAL (
               SELECT t.results FROM assistant_turns t
                WHERE t.salon_id = c.salon_id AND t.client_phone = c.client_phone
                ORDER BY t.created_at DESC LIMIT 1
           ) lt ON true
           LEFT JOIN LATERAL (
               SELECT cl.name FROM clients cl
                WHERE cl.company_id = $2 AND cl.phone = c.client_phone AND cl.name <> ''
                LIMIT 1
           ) cl ON true
          WHERE c.salon_id = $1 AND last.at IS NOT NULL
            AND ($4::bigint IS NULL OR c.id = $4)
            -- The owner's own number (it was sent a handoff notice) is not a client.
            AND NOT EXISTS (SELECT 1 FROM outbound_messages n
                             WHERE n.salon_id = c.salon_id AND n.to_phone = c.client_phone
                               AND n.idempotency_key LIKE 'handoff-notice/%')
          ORDER BY last.at DESC, c.id DESC
          LIMIT $3",
    )
    .bind(salon_id.get())
    .bind(company_id)
    .bind(LISTED)
    .bind(only)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(ConversationSummary::from).collect())
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    phone: String,
    name: Option<String>,
    last_message: Option<String>,
    last_from: Option<String>,
    last_at: Option<DateTime<Utc>>,
    status: String,
    paused: bool,
    last_results: Option<Value>,
}

impl From<SummaryRow> for ConversationSummary {
    fn from(row: SummaryRow) -> Self {
        Self {
            id: row.id,
            phone: row.phone,
            name: row.name,
            last_message: row.last_message,
            last_from: row.last_from.as_deref().map(Author::from_name),
            last_at: row.last_at,
            status: row.status,
            paused: row.paused,
            last_results: row.last_results,
        }
    }
}

/// The client's address of the salon's conversation `id`; `None` for an id that is not
/// this salon's.
pub async fn conversation(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    id: i64,
) -> anyhow::Result<Option<String>> {
    Ok(
        sqlx::query_scalar(
            "SELECT client_phone FROM conversations WHERE salon_id = $1 AND id = $2",
        )
        .bind(salon_id.get())
        .bind(id)
        .fetch_optional(db)
        .await?,
    )
}

/// A line of a transcript.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    /// Who wrote it.
    pub from: Author,
    /// What was written (a voice note's transcript, marked 🎤).
    pub text: String,
    /// When (RFC 3339).
    pub at: DateTime<Utc>,
    /// What the message is (`text`, `voice`, `image`, `reaction`, …), for the client's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// A message of ours not on its way yet (or lost on the way).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub pending: bool,
    /// For a bot reply: the commands of its turn and what each gave.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commands: Option<Value>,
}

#[derive(sqlx::FromRow)]
struct LineRow {
    author: String,
    text: String,
    at: DateTime<Utc>,
    kind: Option<String>,
    pending: bool,
    results: Option<Value>,
}

/// A client's transcript, oldest line first: their messages, ours, the salon's.
pub async fn transcript(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    phone: &str,
) -> anyhow::Result<Vec<Line>> {
    let rows: Vec<LineRow> = sqlx::query_as(
        "SELECT * FROM (
             SELECT * FROM (
                 SELECT CASE WHEN m.from_salon THEN 'salon' ELSE 'client' END AS author,
                        m.text, m.received_at AS at, m.kind, false AS pending,
                        NULL::jsonb AS results, m.id AS seq
                   FROM inbound_messages m
                  WHERE m.salon_id = $1 AND m.client_phone = $2
                    AND m.kind NOT IN ('edit', 'revoke') AND m.status <> 'withdrawn'
                 UNION ALL
                 SELECT CASE WHEN o.idempotency_key LIKE 'salon/%' THEN 'salon' ELSE 'bot' END,
                        o.text, COALESCE(o.sent_at, o.created_at), NULL, o.status <> 'sent',
                        t.results, 0
                   FROM outbound_messages o
                   LEFT JOIN assistant_turns t
                     ON o.idempotency_key LIKE 'reply/%' AND t.step = substr(o.idempotency_key, 7)
                  WHERE o.salon_id = $1 AND o.to_phone = $2
             ) lines ORDER BY at DESC, seq DESC LIMIT $3
         ) newest ORDER BY at, seq",
    )
    .bind(salon_id.get())
    .bind(phone)
    .bind(TRANSCRIPT_LINES)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let from = Author::from_name(&row.author);
            Line {
                from,
                text: row.text,
                at: row.at,
                kind: row.kind,
                pending: row.pending,
                commands: row.results.map(commands_shown),
            }
        })
        .collect())
}

/// A turn's results as the console shows them: each command, whether it did what was
/// asked, and its summary (the data behind it stays out of the page).
fn commands_shown(results: Value) -> Value {
    let shown: Vec<Value> = results
        .as_array()
        .into_iter()
        .flatten()
        .map(|result| {
            serde_json::json!({
                "command": result["command"],
                "ok": result["ok"],
                "summary": result["summary"],
            })
        })
        .collect();
    Value::Array(shown)
}

/// Facts of the salon's status page that live in its events.
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow)]
pub struct StatusFacts {
    /// The last completed sync of the salon's data.
    pub last_sync_at: Option<DateTime<Utc>>,
    /// The salon's last `llm_unavailable` event of the last hour (`{at, reason, …}`).
    pub llm_trouble: Option<Value>,
    /// When the bot last answered one of its clients.
    pub last_answer_at: Option<DateTime<Utc>>,
}

/// The salon's status facts.
pub async fn status_facts(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
) -> anyhow::Result<StatusFacts> {
    Ok(sqlx::query_as(
        "SELECT
             (SELECT MAX(e.created_at) FROM marketplace_events e
               WHERE e.salon_id = $1 AND e.event_type = 'sync_completed') AS last_sync_at,
             (SELECT COALESCE(e.event_data, '{}'::jsonb) || jsonb_build_object('at', e.created_at)
                FROM marketplace_events e
               WHERE e.salon_id = $1 AND e.event_type = 'llm_unavailable'
                 AND e.created_at > NOW() - INTERVAL '1 hour'
               ORDER BY e.created_at DESC LIMIT 1) AS llm_trouble,
             (SELECT MAX(o.sent_at) FROM outbound_messages o
               WHERE o.salon_id = $1 AND o.idempotency_key LIKE 'reply/%') AS last_answer_at",
    )
    .bind(salon_id.get())
    .fetch_one(db)
    .await?)
}

/// What the bot did for the salon over a period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, sqlx::FromRow)]
pub struct Results {
    /// Client messages answered.
    pub messages_answered: i64,
    /// Median seconds from a client's message to its answer.
    pub median_answer_seconds: Option<f64>,
    /// Visits the bot booked.
    pub bookings: i64,
    /// Their value at the services' prices, ₽.
    pub bookings_value: f64,
    /// Visits the bot moved.
    pub moves: i64,
    /// Visits the bot cancelled.
    pub cancellations: i64,
    /// Reminders sent.
    pub reminders_sent: i64,
    /// Visits clients confirmed (after a reminder).
    pub reminders_confirmed: i64,
    /// Clients the bot handed over to a person (not those the salon took itself).
    pub handoffs: i64,
}

/// The figures since `since`.
pub async fn results(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    company_id: i64,
    since: DateTime<Utc>,
) -> anyhow::Result<Results> {
    Ok(sqlx::query_as(
        "WITH since AS (SELECT $3::timestamptz AS at),
         done AS (
             SELECT r->>'command' AS command, r->'data'->>'record_id' AS record_id
               FROM assistant_turns t, since, jsonb_array_elements(
                        CASE WHEN jsonb_typeof(t.results) = 'array' THEN t.results
                             ELSE '[]'::jsonb END) r
              WHERE t.salon_id = $1 AND t.created_at > since.at
                AND r->>'ok' = 'true'
         )
         SELECT
             (SELECT COUNT(*) FROM inbound_messages m, since
               WHERE m.salon_id = $1 AND m.status = 'handled' AND NOT m.from_salon
                 AND m.received_at > since.at) AS messages_answered,
             (SELECT percentile_cont(0.5) WITHIN GROUP (
                         ORDER BY EXTRACT(EPOCH FROM m.handled_at - m.received_at))
                FROM inbound_messages m, since
               WHERE m.salon_id = $1 AND m.status = 'handled' AND NOT m.from_salon
                 AND m.handled_at IS NOT NULL AND m.received_at > since.at)
                 AS median_answer_seconds,
             (SELECT COUNT(*) FROM done WHERE command = 'CREATE_BOOKING') AS bookings,
             (SELECT COALESCE(SUM(s.price_min), 0)::float8 FROM done d
                JOIN bookings b ON b.company_id = $2 AND b.yclients_id::text = d.record_id
                JOIN services s ON s.id = b.service_id
               WHERE d.command = 'CREATE_BOOKING') AS bookings_value,
             (SELECT COUNT(*) FROM done WHERE command = 'RESCHEDULE_BOOKING') AS moves,
             (SELECT COUNT(*) FROM done WHERE command = 'CANCEL_BOOKING') AS cancellations,
             (SELECT COUNT(*) FROM outbound_messages o, since
               WHERE o.salon_id = $1 AND o.status = 'sent'
                 AND o.idempotency_key LIKE 'reminder/%' AND o.sent_at > since.at)
                 AS reminders_sent,
             (SELECT COUNT(*) FROM done WHERE command = 'CONFIRM_BOOKING')
                 AS reminders_confirmed,
             (SELECT COUNT(*) FROM marketplace_events e, since
               WHERE e.salon_id = $1 AND e.event_type = 'handoff_requested'
                 AND e.event_data->>'by' IS DISTINCT FROM 'salon'
                 AND e.created_at > since.at) AS handoffs",
    )
    .bind(salon_id.get())
    .bind(company_id)
    .bind(since)
    .fetch_one(db)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn summary(status: &str, paused: bool, results: Option<Value>) -> ConversationSummary {
        ConversationSummary {
            id: 1,
            phone: "79005550101".into(),
            name: None,
            last_message: None,
            last_from: None,
            last_at: None,
            status: status.into(),
            paused,
            last_results: results,
        }
    }

    #[test]
    fn a_conversation_shows_who_has_it_and_what_the_bot_last_did() {
        assert_eq!(state(&summary("handoff", true, None)), "handoff");
        assert_eq!(state(&summary("bot", true, None)), "salon");
        assert_eq!(state(&summary("bot", false, None)), "new");
        let booked = json!([{"command": "SEARCH_SLOTS", "ok": true},
                            {"command": "CREATE_BOOKING", "ok": true}]);
        assert_eq!(state(&summary("bot", false, Some(booked))), "booked");
        let failed = json!([{"command": "CREATE_BOOKING", "ok": false}]);
        assert_eq!(state(&summary("bot", false, Some(failed))), "asked");
        let moved = json!([{"command": "RESCHEDULE_BOOKING", "ok": true}]);
        assert_eq!(state(&summary("bot", false, Some(moved))), "moved");
        let cancelled = json!([{"command": "CANCEL_BOOKING", "ok": true}]);
        assert_eq!(state(&summary("bot", false, Some(cancelled))), "cancelled");
    }

    #[test]
    fn the_console_shows_a_commands_summary_not_its_data() {
        let shown = commands_shown(json!([{"command": "CREATE_BOOKING", "ok": true,
            "summary": "Записала", "data": {"record_id": 5}}]));
        assert_eq!(
            shown,
            json!([{"command": "CREATE_BOOKING", "ok": true, "summary": "Записала"}])
        );
    }
}
