//! The `webhook_inbox` table: every accepted webhook, committed before it is answered.
//! Events of a registered salon get the salon's next sequence number in the same
//! transaction (the `webhook_sequences` row lock orders them), so the sequence has no
//! gaps and the `company-<salon_id>` workflow can apply them strictly in order.
//!
//! Waking the relay is not part of storing: `NOTIFY` serialises the commits of all
//! notifying transactions on one lock, which under load would make every webhook wait for
//! the others. Callers wake the relay afterwards with [`notify`], coalesced; the relay's
//! periodic sweep covers a wake-up that never came.

use crate::domain::SalonId;
use crate::webhooks::{InboxEvent, Webhook, WebhookKind};
use sqlx::{PgPool, Row};

/// The `LISTEN` channel the relay wakes on; the payload is salon ids, comma-separated.
pub const CHANNEL: &str = "ai_admin_webhooks";

/// The unique constraint on `dedup_key` (PostgreSQL's default name for it).
const DEDUP_CONSTRAINT: &str = "webhook_inbox_dedup_key_key";

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
/// One statement, so one round trip and the salon's sequence row is locked only for the
/// statement and its commit: it checks the salon, takes the next sequence number when
/// the event is to be applied, and inserts the row. A repeated delivery violates the
/// unique dedup key, which undoes the whole statement, sequence number included.
pub async fn store(db: &PgPool, hook: &Webhook) -> anyhow::Result<Stored> {
    let acts = hook.kind != WebhookKind::Unknown;
    let stored = sqlx::query(
        "WITH company AS (
             SELECT EXISTS (SELECT 1 FROM companies WHERE yclients_id = $1) AS known
         ), next AS (
             INSERT INTO webhook_sequences (salon_id, last_seq)
             SELECT $1, 1 FROM company WHERE known AND $6
             ON CONFLICT (salon_id) DO UPDATE SET last_seq = webhook_sequences.last_seq + 1
             RETURNING last_seq
         )
         INSERT INTO webhook_inbox (salon_id, seq, kind, event, payload, dedup_key, status)
         SELECT $1, next.last_seq, $2, $3, $4, $5,
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
    .bind(&hook.dedup_key)
    .bind(acts)
    .fetch_one(db)
    .await;
    let row = match stored {
        Ok(row) => row,
        Err(sqlx::Error::Database(error)) if error.constraint() == Some(DEDUP_CONSTRAINT) => {
            return Ok(Stored::Duplicate);
        }
        Err(error) => return Err(error.into()),
    };
    let seq: Option<i64> = row.try_get("seq")?;
    let status: String = row.try_get("status")?;
    Ok(match (seq, status.as_str()) {
        (Some(seq), _) => Stored::Queued(seq),
        (None, "orphan") => Stored::Orphan,
        _ => Stored::Ignored,
    })
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
