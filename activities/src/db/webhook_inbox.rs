//! The `webhook_inbox` table: every accepted webhook, committed before it is answered.
//! Events of a registered salon get the salon's next sequence number in the same
//! transaction (the `webhook_sequences` row lock orders them), so the sequence has no
//! gaps and the `company-<salon_id>` workflow can apply them strictly in order.
//!
//! Waking the relay is not part of storing: `NOTIFY` serialises the commits of all
//! notifying transactions on one lock, which under load would make every webhook wait for
//! the others. Callers wake the relay afterwards with [`notify`], coalesced; the relay's
//! periodic sweep covers a wake-up that never came.

use crate::clients::yclients::webhooks::{Webhook, WebhookKind};
use crate::domain::SalonId;
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Row};
use std::time::Duration;

/// A stored webhook handed to `company-<salon_id>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxEvent {
    /// `webhook_inbox.id`.
    pub id: i64,
    /// The salon's sequence number: events are applied in this order.
    pub seq: i64,
    /// What kind of event.
    pub kind: WebhookKind,
    /// `uninstall`, `freeze`, `payment`, `create`, `update`, `delete`, …
    pub event: Option<String>,
    /// The body as YClients sent it.
    pub payload: serde_json::Value,
}

/// The `LISTEN` channel the relay wakes on; the payload is salon ids, comma-separated.
pub const CHANNEL: &str = "ai_admin_webhooks";

/// The unique index on YClients' delivery ids (per salon).
const DELIVERY_ID_INDEX: &str = "webhook_inbox_delivery_id";

/// The advisory-lock class of inbox writers (the salon id is the second key): one
/// writer per salon at a time, so the check for a repeat and the insert see each other.
const WRITER_LOCK: i32 = 8_275_002;

/// What storing a webhook did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Queued for the salon's workflow with this sequence number.
    Queued(i64),
    /// The same delivery was stored before; nothing changed.
    Duplicate,
    /// The salon is not registered with us: kept for the record, not applied.
    Orphan,
    /// Not something we act on (unknown shape or resource): kept, not applied.
    Ignored,
}

/// Stores a webhook durably (commits before returning).
///
/// A repeated delivery is recognised by YClients' delivery id when the body has one.
/// Without one, the body is a repeat only when it is the same as the salon's latest
/// stored webhook, received within `repeat_window`, with no (re)registration or
/// activation of the salon since: five deliveries of one freeze store one row, while
/// freeze → payment → freeze stores three, and an uninstall after a reinstall is new.
/// The salon's writers take turns (a transaction-scoped advisory lock), so concurrent
/// deliveries cannot both miss each other.
pub async fn store(db: &PgPool, hook: &Webhook, repeat_window: Duration) -> anyhow::Result<Stored> {
    let mut tx = db.begin().await?;
    if let Some(salon_id) = hook.salon_id {
        sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
            .bind(WRITER_LOCK)
            .bind(salon_id.get())
            .execute(&mut *tx)
            .await?;
        if hook.delivery_id.is_none()
            && repeats_latest(&mut tx, salon_id, hook, repeat_window).await?
        {
            return Ok(Stored::Duplicate);
        }
    }
    let acts = hook.kind != WebhookKind::Unknown;
    // One statement: it checks the salon, takes the next sequence number when the event
    // is to be applied, and inserts the row. A repeated delivery id violates the unique
    // index, which undoes the whole statement, sequence number included.
    let stored = sqlx::query(
        "WITH company AS (
             SELECT EXISTS (SELECT 1 FROM companies WHERE yclients_id = $1) AS known
         ), next AS (
             INSERT INTO webhook_sequences (salon_id, last_seq)
             SELECT $1, 1 FROM company WHERE known AND $6
             ON CONFLICT (salon_id) DO UPDATE SET last_seq = webhook_sequences.last_seq + 1
             RETURNING last_seq
         )
         INSERT INTO webhook_inbox (salon_id, seq, kind, event, payload, dedup_key, content_hash, status)
         SELECT $1, next.last_seq, $2, $3, $4, $5, $7,
                CASE WHEN next.last_seq IS NOT NULL THEN 'pending'
                     WHEN $1 IS NOT NULL AND NOT company.known THEN 'orphan'
                     ELSE 'ignored' END
         FROM company LEFT JOIN next ON TRUE
         RETURNING seq, status",
    )
    .bind(hook.salon_id.map(SalonId::get))
    .bind(hook.kind.as_str())
    .bind(&hook.event)
    .bind(&hook.payload)
    .bind(&hook.delivery_id)
    .bind(acts)
    .bind(&hook.content_hash)
    .fetch_one(&mut *tx)
    .await;
    let row = match stored {
        Ok(row) => row,
        Err(sqlx::Error::Database(error)) if error.constraint() == Some(DELIVERY_ID_INDEX) => {
            return Ok(Stored::Duplicate);
        }
        Err(error) => return Err(error.into()),
    };
    tx.commit().await?;
    let seq: Option<i64> = row.try_get("seq")?;
    let status: String = row.try_get("status")?;
    Ok(match (seq, status.as_str()) {
        (Some(seq), _) => Stored::Queued(seq),
        (None, "orphan") => Stored::Orphan,
        _ => Stored::Ignored,
    })
}

/// Whether `hook` repeats the salon's latest stored webhook (see [`store`]).
async fn repeats_latest(
    tx: &mut sqlx::PgConnection,
    salon_id: SalonId,
    hook: &Webhook,
    window: Duration,
) -> anyhow::Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (
             SELECT 1 FROM (
                 SELECT content_hash, received_at FROM webhook_inbox
                 WHERE salon_id = $1 ORDER BY id DESC LIMIT 1
             ) latest
             WHERE latest.content_hash = $2
               AND latest.received_at > clock_timestamp() - make_interval(secs => $3)
               AND NOT EXISTS (
                   SELECT 1 FROM marketplace_events e
                   WHERE e.salon_id = $1
                     AND e.event_type IN ('registration_started', 'integration_activated')
                     AND e.created_at >= latest.received_at))",
    )
    .bind(salon_id.get())
    .bind(&hook.content_hash)
    .bind(window.as_secs_f64())
    .fetch_one(tx)
    .await?)
}

/// Deletes rows that are done with (applied, ignored, orphans) received more than
/// `older_than` ago; a pending row is kept whatever its age.
pub async fn prune(db: &PgPool, older_than: Duration) -> anyhow::Result<u64> {
    super::delete_in_batches(
        db,
        "DELETE FROM webhook_inbox WHERE id IN (
             SELECT id FROM webhook_inbox
             WHERE status <> 'pending' AND received_at < NOW() - make_interval(secs => $1)
             LIMIT $2)",
        older_than,
    )
    .await
}

/// Wakes the relay for these salons (one `NOTIFY`, outside any webhook's transaction).
pub async fn notify(db: &PgPool, salons: &[SalonId]) -> anyhow::Result<()> {
    if salons.is_empty() {
        return Ok(());
    }
    let payload = salons
        .iter()
        .map(SalonId::to_string)
        .collect::<Vec<_>>()
        .join(",");
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(payload)
        .execute(db)
        .await?;
    Ok(())
}

/// Salon ids from a [`notify`] payload.
pub fn notified_salons(payload: &str) -> Vec<SalonId> {
    payload
        .split(',')
        .filter_map(|id| id.trim().parse().ok())
        .collect()
}

/// Salons with events waiting to be handed to their workflow.
pub async fn salons_with_pending(
    db: &PgPool,
    stale_after_secs: i64,
) -> anyhow::Result<Vec<SalonId>> {
    let ids: Vec<i32> = sqlx::query_scalar(
        "SELECT DISTINCT salon_id FROM webhook_inbox
         WHERE status = 'pending'
           AND (relayed_at IS NULL OR relayed_at < NOW() - make_interval(secs => $1))",
    )
    .bind(stale_after_secs as f64)
    .fetch_all(db)
    .await?;
    Ok(ids
        .into_iter()
        .filter_map(|id| SalonId::new(id.into()).ok())
        .collect())
}

/// The salon's events to hand over: never handed over, or handed over `stale_after_secs`
/// ago and still not applied; in sequence order.
pub async fn to_relay(
    db: impl sqlx::PgExecutor<'_>,
    salon_id: SalonId,
    stale_after_secs: i64,
    limit: i64,
) -> anyhow::Result<Vec<InboxEvent>> {
    let rows = sqlx::query(
        "SELECT id, seq, kind, event, payload FROM webhook_inbox
         WHERE salon_id = $1 AND status = 'pending'
           AND (relayed_at IS NULL OR relayed_at < NOW() - make_interval(secs => $2))
         ORDER BY seq LIMIT $3",
    )
    .bind(salon_id.get())
    .bind(stale_after_secs as f64)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            let kind: String = row.try_get("kind")?;
            Ok(InboxEvent {
                id: row.try_get("id")?,
                seq: row.try_get("seq")?,
                kind: serde_json::from_value(serde_json::Value::String(kind))?,
                event: row.try_get("event")?,
                payload: row.try_get("payload")?,
            })
        })
        .collect()
}

/// The first sequence number of the salon not applied yet (where a new workflow run
/// starts).
pub async fn first_unapplied(
    db: impl sqlx::PgExecutor<'_>,
    salon_id: SalonId,
) -> anyhow::Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT MIN(seq) FROM webhook_inbox WHERE salon_id = $1 AND status = 'pending'",
    )
    .bind(salon_id.get())
    .fetch_one(db)
    .await?)
}

/// Records that these rows were handed to the workflow.
pub async fn mark_relayed(db: impl sqlx::PgExecutor<'_>, ids: &[i64]) -> anyhow::Result<()> {
    sqlx::query("UPDATE webhook_inbox SET relayed_at = NOW() WHERE id = ANY($1)")
        .bind(ids)
        .execute(db)
        .await?;
    Ok(())
}

/// Records that these rows were applied.
pub async fn mark_applied(db: impl sqlx::PgExecutor<'_>, ids: &[i64]) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE webhook_inbox SET status = 'applied',
                applied_at = COALESCE(applied_at, NOW()), apply_count = apply_count + 1
         WHERE id = ANY($1)",
    )
    .bind(ids)
    .execute(db)
    .await?;
    Ok(())
}
