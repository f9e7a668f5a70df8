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
}

/// The salon's pending messages, oldest first.
pub async fn pending(db: impl PgExecutor<'_>, salon_id: SalonId) -> anyhow::Result<Vec<Pending>> {
    let rows = sqlx::query(
        "SELECT id, message_id, client_phone, text FROM inbound_messages
         WHERE salon_id = $1 AND status = 'pending' ORDER BY id",
    )
    .bind(salon_id.get())
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Pending {
                id: row.try_get("id")?,
                message_id: row.try_get("message_id")?,
                client_phone: row.try_get("client_phone")?,
                text: row.try_get("text")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}
