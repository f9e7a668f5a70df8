//! Read-only views across tables for ops: the totals `GET /metrics` exports as gauges
//! and the per-salon overview of `GET /ops/salons`. Nothing here writes.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// Process-independent totals, read at scrape time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    /// Stored webhooks not applied yet.
    pub webhooks_pending: i64,
    /// Client messages neither answered nor closed.
    pub client_messages_pending: i64,
    /// Distinct clients who wrote within the quiet period.
    pub conversations_active: i64,
    /// Salons per integration status.
    pub salons_by_status: Vec<(String, i64)>,
}

/// The totals; `quiet_secs` is how long a conversation stays open after a message.
pub async fn totals(db: &PgPool, quiet_secs: i64) -> sqlx::Result<Totals> {
    let (webhooks_pending, client_messages_pending, conversations_active): (i64, i64, i64) =
        sqlx::query_as(
            "SELECT
                (SELECT COUNT(*) FROM webhook_inbox WHERE status = 'pending'),
                (SELECT COUNT(*) FROM inbound_messages WHERE status = 'pending'),
                (SELECT COUNT(*) FROM (
                    SELECT DISTINCT salon_id, client_phone FROM inbound_messages
                     WHERE received_at > NOW() - make_interval(secs => $1)) AS recent)",
        )
        .bind(quiet_secs as f64)
        .fetch_one(db)
        .await?;
    let salons_by_status = sqlx::query_as(
        "SELECT integration_status, COUNT(*) FROM companies
          GROUP BY integration_status ORDER BY integration_status",
    )
    .fetch_all(db)
    .await?;
    Ok(Totals {
        webhooks_pending,
        client_messages_pending,
        conversations_active,
        salons_by_status,
    })
}

/// One salon as ops see it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SalonOverview {
    /// YClients' company id.
    pub salon_id: i32,
    /// The salon's name.
    pub title: String,
    /// `integration_status`.
    pub status: String,
    /// Whether the salon's WhatsApp is linked (as last recorded).
    pub whatsapp_connected: bool,
    /// The last completed sync of the salon's data.
    pub last_sync_at: Option<DateTime<Utc>>,
    /// The last webhook received for the salon.
    pub last_webhook_at: Option<DateTime<Utc>>,
    /// Its stored webhooks not applied yet.
    pub webhooks_pending: i64,
    /// Its clients' messages neither answered nor closed.
    pub client_messages_pending: i64,
    /// Its latest `llm_unavailable` event of the last day (a provider refusing its
    /// region): `{at, reason, provider, detail, answered_by}`.
    pub llm_unavailable: Option<serde_json::Value>,
}

/// Every salon, most recently connected first.
pub async fn salons(db: &PgPool) -> sqlx::Result<Vec<SalonOverview>> {
    sqlx::query_as(
        "SELECT c.yclients_id AS salon_id, c.title, c.integration_status AS status,
                c.whatsapp_connected,
                (SELECT MAX(e.created_at) FROM marketplace_events e
                  WHERE e.salon_id = c.yclients_id AND e.event_type = 'sync_completed')
                    AS last_sync_at,
                (SELECT MAX(w.received_at) FROM webhook_inbox w
                  WHERE w.salon_id = c.yclients_id) AS last_webhook_at,
                (SELECT COUNT(*) FROM webhook_inbox w
                  WHERE w.salon_id = c.yclients_id AND w.status = 'pending')
                    AS webhooks_pending,
                (SELECT COUNT(*) FROM inbound_messages m
                  WHERE m.salon_id = c.yclients_id AND m.status = 'pending')
                    AS client_messages_pending,
                (SELECT COALESCE(e.event_data, '{}'::jsonb) || jsonb_build_object('at', e.created_at)
                   FROM marketplace_events e
                  WHERE e.salon_id = c.yclients_id AND e.event_type = 'llm_unavailable'
                    AND e.created_at > NOW() - INTERVAL '1 day'
                  ORDER BY e.created_at DESC LIMIT 1) AS llm_unavailable
           FROM companies c
          ORDER BY c.connected_at DESC, c.yclients_id",
    )
    .fetch_all(db)
    .await
}
