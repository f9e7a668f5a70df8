//! The `outbound_messages` table: every message we send is keyed here before it goes
//! out, so a retried send finds the key and does not send again.

use crate::domain::{ClientAddress, SalonId};
use sqlx::{PgExecutor, Row};

/// What a send attempt should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Nobody sent it yet: send now, then [`mark_sent`].
    Send,
    /// An earlier attempt sent it (this WhatsApp message id).
    AlreadySent(String),
}

/// Records the intent to send `text` under `key` and says whether to send.
pub async fn claim(
    db: impl PgExecutor<'_>,
    key: &str,
    salon_id: SalonId,
    to: &ClientAddress,
    text: &str,
) -> anyhow::Result<Claim> {
    let row = sqlx::query(
        "WITH inserted AS (
             INSERT INTO outbound_messages (idempotency_key, salon_id, to_phone, text)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (idempotency_key) DO NOTHING
             RETURNING status, message_id
         )
         SELECT status, message_id FROM inserted
         UNION ALL
         SELECT status, message_id FROM outbound_messages WHERE idempotency_key = $1
         LIMIT 1",
    )
    .bind(key)
    .bind(salon_id.get())
    .bind(to.to_string())
    .bind(text)
    .fetch_one(db)
    .await?;
    let status: String = row.try_get("status")?;
    let message_id: Option<String> = row.try_get("message_id")?;
    Ok(match (status.as_str(), message_id) {
        ("sent", Some(id)) => Claim::AlreadySent(id),
        _ => Claim::Send,
    })
}

/// What a leased send attempt should do ([`claim_leased`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lease {
    /// Send now (nobody else is sending it for `lease`), then [`mark_sent`].
    Send,
    /// It went out already (this WhatsApp message id).
    AlreadySent(String),
    /// Another attempt is sending it right now.
    InProgress,
    /// The key was used for another text.
    OtherText,
}

/// Like [`claim`], for a sender that may run twice at once (a person's double click, a
/// request retried while the first still sends): the attempt holds the key for `lease`,
/// and a second one meanwhile is told [`Lease::InProgress`]. One that sent and then
/// failed to [`mark_sent`] sends again after the lease, as any unacknowledged send may.
pub async fn claim_leased(
    db: &sqlx::PgPool,
    key: &str,
    salon_id: SalonId,
    to: &ClientAddress,
    text: &str,
    lease: std::time::Duration,
) -> anyhow::Result<Lease> {
    let fresh = sqlx::query(
        "INSERT INTO outbound_messages (idempotency_key, salon_id, to_phone, text, claimed_at)
         VALUES ($1, $2, $3, $4, NOW())
         ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(key)
    .bind(salon_id.get())
    .bind(to.to_string())
    .bind(text)
    .execute(db)
    .await?;
    if fresh.rows_affected() == 1 {
        return Ok(Lease::Send);
    }
    let taken = sqlx::query(
        "UPDATE outbound_messages SET claimed_at = NOW()
         WHERE idempotency_key = $1 AND status = 'pending' AND text = $2
           AND salon_id = $3 AND to_phone = $4
           AND (claimed_at IS NULL OR claimed_at < NOW() - make_interval(secs => $5))",
    )
    .bind(key)
    .bind(text)
    .bind(salon_id.get())
    .bind(to.to_string())
    .bind(lease.as_secs_f64())
    .execute(db)
    .await?;
    if taken.rows_affected() == 1 {
        return Ok(Lease::Send);
    }
    let row: Option<(String, Option<String>, String)> = sqlx::query_as(
        "SELECT status, message_id, text FROM outbound_messages WHERE idempotency_key = $1",
    )
    .bind(key)
    .fetch_optional(db)
    .await?;
    Ok(match row {
        Some((_, _, stored)) if stored != text => Lease::OtherText,
        Some((status, Some(id), _)) if status == "sent" => Lease::AlreadySent(id),
        _ => Lease::InProgress,
    })
}

/// Whether a message keyed under `prefix`, other than `key` itself, went out within
/// `within` (a retry of `key` is its own business: [`claim`] answers it).
pub async fn sent_within(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    prefix: &str,
    key: &str,
    within: std::time::Duration,
) -> anyhow::Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM outbound_messages
                        WHERE salon_id = $4 AND created_at > NOW() - make_interval(secs => $3)
                          AND starts_with(idempotency_key, $1) AND idempotency_key <> $2
                          AND status = 'sent' AND sent_at > NOW() - make_interval(secs => $3))",
    )
    .bind(prefix)
    .bind(key)
    .bind(within.as_secs_f64())
    .bind(salon_id.get())
    .fetch_one(db)
    .await?)
}

/// Gives up a leased claim after a failed send, so a retry need not wait out the lease.
pub async fn release_claim(db: impl PgExecutor<'_>, key: &str) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE outbound_messages SET claimed_at = NULL
         WHERE idempotency_key = $1 AND status = 'pending'",
    )
    .bind(key)
    .execute(db)
    .await?;
    Ok(())
}

/// Whether the bot ever replied to `phone` (as far as the kept rows go).
pub async fn replied_before(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    phone: &str,
) -> anyhow::Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM outbound_messages
                        WHERE salon_id = $1 AND to_phone = $2
                          AND idempotency_key LIKE 'reply/%' AND status = 'sent')",
    )
    .bind(salon_id.get())
    .bind(phone)
    .fetch_one(db)
    .await?)
}

/// Whether a message is claimed under `key` (sent or not).
pub async fn claimed(db: impl PgExecutor<'_>, key: &str) -> anyhow::Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM outbound_messages WHERE idempotency_key = $1)",
    )
    .bind(key)
    .fetch_one(db)
    .await?)
}

/// Whether the message under `key` went out already.
pub async fn was_sent(db: impl PgExecutor<'_>, key: &str) -> anyhow::Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM outbound_messages
                        WHERE idempotency_key = $1 AND status = 'sent')",
    )
    .bind(key)
    .fetch_one(db)
    .await?)
}

/// The last reminder sent to `phone` within `within`, when nothing else was sent to
/// them after it (a reply after it is what the client answers then): its record id and
/// text. Reminder keys are `reminder/<record_id>/…`.
pub async fn pending_reminder(
    db: impl PgExecutor<'_>,
    salon_id: crate::domain::SalonId,
    phone: &str,
    within: std::time::Duration,
) -> anyhow::Result<Option<(i64, String)>> {
    let last: Option<(String, String)> = sqlx::query_as(
        "SELECT idempotency_key, text FROM outbound_messages
         WHERE salon_id = $1 AND to_phone = $2 AND status = 'sent'
           AND sent_at > NOW() - make_interval(secs => $3)
         ORDER BY sent_at DESC LIMIT 1",
    )
    .bind(salon_id.get())
    .bind(phone)
    .bind(within.as_secs_f64())
    .fetch_optional(db)
    .await?;
    Ok(last.and_then(|(key, text)| {
        let record = key
            .strip_prefix("reminder/")?
            .split('/')
            .next()?
            .parse()
            .ok()?;
        Some((record, text))
    }))
}

/// Records that the message under `key` went out as `message_id`.
pub async fn mark_sent(db: impl PgExecutor<'_>, key: &str, message_id: &str) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE outbound_messages SET status = 'sent', message_id = $2, sent_at = NOW()
         WHERE idempotency_key = $1",
    )
    .bind(key)
    .bind(message_id)
    .execute(db)
    .await?;
    Ok(())
}

/// Records WhatsApp's server answer to a message we sent: taken (`error` `None`) or
/// refused with a nack code. A repeated answer keeps a refusal already recorded.
pub async fn record_ack(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    message_id: &str,
    error: Option<&str>,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO whatsapp_send_acks (message_id, salon_id, error) VALUES ($1, $2, $3)
         ON CONFLICT (message_id) DO UPDATE
         SET error = COALESCE(EXCLUDED.error, whatsapp_send_acks.error), acked_at = NOW()",
    )
    .bind(message_id)
    .bind(salon_id.get())
    .bind(error.map(|code| code.chars().take(64).collect::<String>()))
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes sent messages and server answers older than `older_than` (a retry that old
/// cannot come; the key has done its job).
pub async fn prune(db: &sqlx::PgPool, older_than: std::time::Duration) -> anyhow::Result<u64> {
    let messages = super::delete_in_batches(
        db,
        "DELETE FROM outbound_messages WHERE idempotency_key IN (
             SELECT idempotency_key FROM outbound_messages
             WHERE status = 'sent' AND created_at < NOW() - make_interval(secs => $1) LIMIT $2)",
        older_than,
    )
    .await?;
    let acks = super::delete_in_batches(
        db,
        "DELETE FROM whatsapp_send_acks WHERE message_id IN (
             SELECT message_id FROM whatsapp_send_acks
             WHERE acked_at < NOW() - make_interval(secs => $1) LIMIT $2)",
        older_than,
    )
    .await?;
    Ok(messages + acks)
}
