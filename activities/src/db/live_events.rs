//! The `live_events` table and its notification channel: what the owner's onboarding
//! page and console show as it happens.

use crate::domain::SalonId;
use serde::{Deserialize, Serialize};
use sqlx::{PgExecutor, Row};

/// The `LISTEN` channel every API process subscribes to.
pub const CHANNEL: &str = "ai_admin_live";

/// Events shown live on the owner's pages (the WebSocket protocol's server events).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LiveEventKind {
    /// A QR code to scan (`data: {code, expires_in}`; the API renders the image).
    #[serde(rename = "qr-update")]
    QrUpdate,
    /// A pairing code (`data: {code, phone_number, expires_in}`).
    #[serde(rename = "pairing-code")]
    PairingCode,
    /// The salon's WhatsApp is linked (`data: {phone, company_id}`).
    #[serde(rename = "whatsapp-connected")]
    WhatsappConnected,
    /// The salon's WhatsApp was unlinked (`data: {reason}`).
    #[serde(rename = "whatsapp-logged-out")]
    WhatsappLoggedOut,
    /// WhatsApp stopped the session (`data: {reason, detail, until}`).
    #[serde(rename = "whatsapp-suspended")]
    WhatsappSuspended,
    /// A workflow step moved (`data: {workflow, step, percent, status, detail}`).
    #[serde(rename = "progress")]
    Progress,
    /// A client's conversation changed: a message came or went out, or a person took it
    /// or gave it back (`data: {what}`; the console reads the rest from its API, so no
    /// client's words or number are in the table).
    #[serde(rename = "conversation")]
    Conversation,
}

impl LiveEventKind {
    /// The name stored and sent to the page.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::QrUpdate => "qr-update",
            Self::PairingCode => "pairing-code",
            Self::WhatsappConnected => "whatsapp-connected",
            Self::WhatsappLoggedOut => "whatsapp-logged-out",
            Self::WhatsappSuspended => "whatsapp-suspended",
            Self::Progress => "progress",
            Self::Conversation => "conversation",
        }
    }

    /// Whether a page that (re)connects should replay it: state changes yes; codes no,
    /// since they expire and the page is sent the current one anyway.
    pub fn replayable(self) -> bool {
        matches!(
            self,
            Self::WhatsappConnected
                | Self::WhatsappLoggedOut
                | Self::WhatsappSuspended
                | Self::Progress
        )
    }
}

/// One stored event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveEvent {
    /// Position in the table; pages de-duplicate and resume by it.
    pub id: i64,
    /// The salon whose page shows it.
    pub salon_id: i32,
    /// What happened (a [`LiveEventKind`] name).
    pub event: String,
    /// Details.
    pub data: serde_json::Value,
}

/// Tells the salon's open consoles that a conversation changed (`what`: `message`,
/// `reply`, `handoff`, `release`). A failure is logged, never the caller's: the console
/// also reads again on its own.
pub async fn conversation_changed(db: impl PgExecutor<'_>, salon_id: SalonId, what: &str) {
    let data = serde_json::json!({ "what": what });
    if let Err(error) = publish(db, salon_id, LiveEventKind::Conversation, &data, None).await {
        tracing::warn!(%salon_id, error = %format!("{error:#}"), "could not announce a conversation change");
    }
}

/// Stores the event and notifies every listener in the same statement. With a
/// `dedup_key` already used, nothing is stored or sent and `None` is returned.
pub async fn publish(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    kind: LiveEventKind,
    data: &serde_json::Value,
    dedup_key: Option<&str>,
) -> anyhow::Result<Option<i64>> {
    // NOTIFY payloads are limited to 8000 bytes: a larger event is announced by id
    // and read from the table by the listener.
    let id = sqlx::query_scalar::<_, i64>(
        "WITH inserted AS (
             INSERT INTO live_events (salon_id, event, data, dedup_key)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
             RETURNING id, salon_id, event, data
         ), payload AS (
             SELECT id, json_build_object('id', id, 'salon_id', salon_id, 'event', event, 'data', data)::text AS full_text,
                    json_build_object('id', id, 'salon_id', salon_id)::text AS short_text
             FROM inserted
         )
         SELECT id FROM payload,
             LATERAL (SELECT pg_notify($5, CASE WHEN octet_length(full_text) < 7900
                                               THEN full_text ELSE short_text END)) AS sent",
    )
    .bind(salon_id.get())
    .bind(kind.as_str())
    .bind(data)
    .bind(dedup_key)
    .bind(CHANNEL)
    .fetch_optional(db)
    .await?;
    Ok(id)
}

/// The salon's replayable events newer than `after_id` and younger than an hour,
/// oldest first, at most `limit`.
pub async fn replay(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    after_id: i64,
    limit: i64,
) -> anyhow::Result<Vec<LiveEvent>> {
    let replayable: Vec<&str> = [
        LiveEventKind::WhatsappConnected,
        LiveEventKind::WhatsappLoggedOut,
        LiveEventKind::Progress,
    ]
    .iter()
    .map(|kind| kind.as_str())
    .collect();
    let rows = sqlx::query(
        "SELECT id, salon_id, event, data FROM (
             SELECT id, salon_id, event, data FROM live_events
             WHERE salon_id = $1 AND id > $2 AND event = ANY($3)
               AND created_at > NOW() - INTERVAL '1 hour'
             ORDER BY id DESC LIMIT $4
         ) recent ORDER BY id",
    )
    .bind(salon_id.get())
    .bind(after_id)
    .bind(&replayable)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(row_to_event).collect()
}

/// One event by id (for notifications that carried only the id).
pub async fn by_id(db: impl PgExecutor<'_>, id: i64) -> anyhow::Result<Option<LiveEvent>> {
    let row = sqlx::query("SELECT id, salon_id, event, data FROM live_events WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(row_to_event).transpose()
}

/// Deletes events older than `older_than` (they are for live display and a page's
/// replay, which reads the last few).
pub async fn prune(db: &sqlx::PgPool, older_than: std::time::Duration) -> anyhow::Result<u64> {
    super::delete_in_batches(
        db,
        "DELETE FROM live_events WHERE id IN (
             SELECT id FROM live_events
             WHERE created_at < NOW() - make_interval(secs => $1) LIMIT $2)",
        older_than,
    )
    .await
}

fn row_to_event(row: &sqlx::postgres::PgRow) -> anyhow::Result<LiveEvent> {
    Ok(LiveEvent {
        id: row.try_get("id")?,
        salon_id: row.try_get("salon_id")?,
        event: row.try_get("event")?,
        data: row.try_get("data")?,
    })
}
