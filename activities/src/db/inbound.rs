//! The `inbound_messages` ledger: every client message, recorded once per (session,
//! WhatsApp id) before the assistant acts on it, so a redelivery is recognised and a
//! message not yet handed to its conversation is not lost with the process.

use crate::domain::SalonId;
use crate::whatsapp::IncomingMessage;
use sqlx::{PgExecutor, Row};

/// What recording a message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// First time: the row's id.
    New(i64),
    /// Seen before (a redelivery): nothing changed.
    Duplicate,
}

/// Records a client's message.
pub async fn record(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    message: &IncomingMessage,
) -> anyhow::Result<Recorded> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO inbound_messages
             (salon_id, session, message_id, client_phone, text, push_name, sent_at)
         VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7))
         ON CONFLICT (session, message_id) DO NOTHING
         RETURNING id",
    )
    .bind(salon_id.get())
    .bind(&message.session)
    .bind(&message.id.0)
    .bind(message.from.as_str())
    .bind(&message.text)
    .bind(&message.push_name)
    .bind(message.timestamp as f64)
    .fetch_optional(db)
    .await?;
    Ok(id.map_or(Recorded::Duplicate, Recorded::New))
}

/// A recorded message not handled yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Row id.
    pub id: i64,
    /// WhatsApp's id.
    pub message_id: String,
    /// The client's number.
    pub client_phone: String,
    /// The text.
    pub text: String,
    /// The name the client set in WhatsApp.
    pub push_name: Option<String>,
}

fn pending_row(row: &sqlx::postgres::PgRow) -> Result<Pending, sqlx::Error> {
    Ok(Pending {
        id: row.try_get("id")?,
        message_id: row.try_get("message_id")?,
        client_phone: row.try_get("client_phone")?,
        text: row.try_get("text")?,
        push_name: row.try_get("push_name")?,
    })
}

/// One client's pending messages that were never handed to their conversation, or were
/// handed over more than `stale_secs` ago and are still unhandled; oldest first.
pub async fn to_relay(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    phone: &str,
    stale_secs: i64,
) -> anyhow::Result<Vec<Pending>> {
    let rows = sqlx::query(
        "SELECT id, message_id, client_phone, text, push_name FROM inbound_messages
         WHERE salon_id = $1 AND client_phone = $2 AND status = 'pending'
           AND (relayed_at IS NULL OR relayed_at < NOW() - make_interval(secs => $3))
         ORDER BY id",
    )
    .bind(salon_id.get())
    .bind(phone)
    .bind(stale_secs as f64)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(pending_row)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Conversations with messages to relay (see [`to_relay`]).
pub async fn conversations_to_relay(
    db: impl PgExecutor<'_>,
    stale_secs: i64,
) -> anyhow::Result<Vec<(SalonId, String)>> {
    let rows = sqlx::query(
        "SELECT DISTINCT salon_id, client_phone FROM inbound_messages
         WHERE status = 'pending'
           AND (relayed_at IS NULL OR relayed_at < NOW() - make_interval(secs => $1))",
    )
    .bind(stale_secs as f64)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                SalonId::new(row.try_get::<i32, _>("salon_id")?.into())?,
                row.try_get("client_phone")?,
            ))
        })
        .collect()
}

/// Records that the messages were handed to their conversation.
pub async fn mark_relayed(db: impl PgExecutor<'_>, ids: &[i64]) -> anyhow::Result<()> {
    sqlx::query("UPDATE inbound_messages SET relayed_at = NOW() WHERE id = ANY($1)")
        .bind(ids)
        .execute(db)
        .await?;
    Ok(())
}

/// How a message's journey ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Answered.
    Handled,
    /// Deliberately not answered (salon frozen or uninstalled, client handed off).
    Ignored,
}

/// Closes the messages with `outcome` (pending ones only: a late retry changes nothing).
pub async fn finish(db: impl PgExecutor<'_>, ids: &[i64], outcome: Outcome) -> anyhow::Result<()> {
    let status = match outcome {
        Outcome::Handled => "handled",
        Outcome::Ignored => "ignored",
    };
    sqlx::query(
        "UPDATE inbound_messages SET status = $2, handled_at = NOW()
         WHERE id = ANY($1) AND status = 'pending'",
    )
    .bind(ids)
    .bind(status)
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes answered or ignored messages received more than `older_than` ago; a message
/// still pending is kept whatever its age.
pub async fn prune(db: &sqlx::PgPool, older_than: std::time::Duration) -> anyhow::Result<u64> {
    super::delete_in_batches(
        db,
        "DELETE FROM inbound_messages WHERE id IN (
             SELECT id FROM inbound_messages
             WHERE status <> 'pending' AND received_at < NOW() - make_interval(secs => $1)
             LIMIT $2)",
        older_than,
    )
    .await
}
