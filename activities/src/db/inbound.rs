//! The `inbound_messages` ledger: every client message, recorded once per (session,
//! WhatsApp id) before the assistant acts on it, so a redelivery is recognised and a
//! message not yet handed to its conversation is not lost with the process.

use crate::domain::SalonId;
use crate::whatsapp::types::{IncomingMessage, MediaInfo, MessageKind};
use sqlx::{PgExecutor, Row};

/// What recording a message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// First time: the row's id.
    New(i64),
    /// Seen before (a redelivery): nothing changed.
    Duplicate,
}

/// Records a client's message (see [`record_batch`] for what each kind does).
pub async fn record(
    db: &mut sqlx::PgConnection,
    salon_id: SalonId,
    message: &IncomingMessage,
) -> anyhow::Result<Recorded> {
    let status = match message.kind {
        // The salon's own words, reactions, edits and deletions: kept, nothing to answer.
        _ if message.from_me => "ignored",
        kind if kind.refers_to_another() => "ignored",
        _ => "pending",
    };
    let text = match message.text.trim() {
        "" => message.kind.placeholder(),
        _ => message.text.as_str(),
    };
    let media = message
        .media
        .as_ref()
        .map(serde_json::to_value)
        .transpose()?;
    let client = message.from.to_string();
    // A first message also opens the client's conversations row (the console names a
    // conversation by that row's id), in the same statement.
    let id: Option<i64> = sqlx::query_scalar(
        "WITH recorded AS (
             INSERT INTO inbound_messages
                 (salon_id, session, message_id, client_phone, text, push_name, sent_at,
                  kind, media, refers_to, status, from_salon, chat_jid, sender_jid)
             VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7), $8, $9, $10, $11, $12, $13, $14)
             ON CONFLICT (session, message_id) DO NOTHING
             RETURNING id
         ), opened AS (
             INSERT INTO conversations (salon_id, client_phone)
             SELECT $1, $4 FROM recorded
             ON CONFLICT (salon_id, client_phone) DO NOTHING
         )
         SELECT id FROM recorded",
    )
    .bind(salon_id.get())
    .bind(message.session.to_string())
    .bind(&message.id.0)
    .bind(&client)
    .bind(text)
    .bind(&message.push_name)
    .bind(message.timestamp as f64)
    .bind(message.kind.as_str())
    .bind(media)
    .bind(message.refers_to.as_ref().map(|id| id.0.as_str()))
    .bind(status)
    .bind(message.from_me)
    .bind(&message.chat)
    .bind(&message.sender)
    .fetch_optional(&mut *db)
    .await?;
    let Some(id) = id else {
        return Ok(Recorded::Duplicate);
    };
    if message.from_me {
        // The salon's own message edits or deletes nothing of the client's.
        return Ok(Recorded::New(id));
    }
    if let Some(original) = &message.refers_to {
        // Only a message not answered yet changes; handed to its conversation already,
        // it is handed over again (the conversation replaces or drops it).
        let change = match message.kind {
            MessageKind::Edit => Some(
                "UPDATE inbound_messages SET text = $3, edited_at = NOW(), relayed_at = NULL
                 WHERE session = $1 AND message_id = $2 AND status = 'pending'",
            ),
            MessageKind::Revoke => Some(
                "UPDATE inbound_messages SET status = 'withdrawn', relayed_at = NULL
                 WHERE session = $1 AND message_id = $2 AND status = 'pending'",
            ),
            _ => None,
        };
        if let Some(sql) = change {
            // A hand-over under way finishes first, so marking it handed over cannot
            // undo this change.
            lock_conversation(&mut *db, salon_id, &client).await?;
            sqlx::query(sql)
                .bind(message.session.to_string())
                .bind(&original.0)
                .bind(text)
                .execute(&mut *db)
                .await?;
        }
    }
    Ok(Recorded::New(id))
}

/// Takes the client's conversation lock for the rest of the transaction: hand-overs to
/// the conversation and changes to its messages take turns.
pub async fn lock_conversation(
    db: &mut sqlx::PgConnection,
    salon_id: SalonId,
    phone: &str,
) -> anyhow::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind(salon_id.get())
        .bind(phone)
        .execute(db)
        .await?;
    Ok(())
}

/// Records a batch in one transaction, in order: all or nothing. Text and media are
/// recorded to be answered (a kind without text as its placeholder); reactions, edits
/// and deletions are kept for the record, an edit replacing the text of the message it
/// edits and a deletion withdrawing it while they are not answered. The salon's own
/// messages to a client are kept as the salon's, and pause the bot for that client for
/// `salon_pause`. A message seen before (same session and WhatsApp id: a redelivery)
/// changes nothing.
pub async fn record_batch(
    db: &sqlx::PgPool,
    salon_id: SalonId,
    messages: &[IncomingMessage],
    salon_pause: std::time::Duration,
) -> anyhow::Result<Vec<Recorded>> {
    let mut tx = db.begin().await?;
    let mut recorded = Vec::with_capacity(messages.len());
    for message in messages {
        let outcome = record(&mut tx, salon_id, message).await?;
        if message.from_me && matches!(outcome, Recorded::New(_)) {
            super::conversations::pause_for_salon(
                &mut *tx,
                salon_id,
                &message.from.to_string(),
                salon_pause,
            )
            .await?;
        }
        recorded.push(outcome);
    }
    tx.commit().await?;
    // Announced after the commit and off the caller's path (WhatsApp is answered as
    // soon as the record holds); a failed announcement never undoes the record.
    if recorded.iter().any(|r| matches!(r, Recorded::New(_))) {
        let db = db.clone();
        tokio::spawn(async move {
            super::live_events::conversation_changed(&db, salon_id, "message").await;
        });
    }
    Ok(recorded)
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
    /// The client deleted it before it was answered.
    pub withdrawn: bool,
    /// What it is.
    pub kind: MessageKind,
    /// Its media, for kinds that carry one.
    pub media: Option<MediaInfo>,
}

fn pending_row(row: &sqlx::postgres::PgRow) -> Result<Pending, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let media: Option<serde_json::Value> = row.try_get("media")?;
    Ok(Pending {
        id: row.try_get("id")?,
        message_id: row.try_get("message_id")?,
        client_phone: row.try_get("client_phone")?,
        text: row.try_get("text")?,
        push_name: row.try_get("push_name")?,
        withdrawn: row.try_get::<String, _>("status")? == "withdrawn",
        // A kind or media this version does not know is answered as its text.
        kind: MessageKind::from_name(&kind).unwrap_or_default(),
        media: media.and_then(|m| serde_json::from_value(m).ok()),
    })
}

/// A message's text and media as recorded now (a voice note's transcript once heard,
/// its download reference until then); `None` for a row gone.
pub async fn text_and_media(
    db: impl PgExecutor<'_>,
    id: i64,
) -> anyhow::Result<Option<(String, Option<MediaInfo>)>> {
    let row: Option<(String, Option<serde_json::Value>)> =
        sqlx::query_as("SELECT text, media FROM inbound_messages WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(text, media)| (text, media.and_then(|m| serde_json::from_value(m).ok()))))
}

/// A voice note was heard: its text becomes the transcript and its download
/// reference goes (the recording itself was never stored).
pub async fn heard(db: impl PgExecutor<'_>, id: i64, text: &str) -> anyhow::Result<()> {
    sqlx::query("UPDATE inbound_messages SET text = $2, media = media - 'download' WHERE id = $1")
        .bind(id)
        .bind(text)
        .execute(db)
        .await?;
    Ok(())
}

/// One client's pending messages that were never handed to their conversation, or were
/// handed over more than `stale_secs` ago and are still unhandled, and the withdrawn
/// ones it was not told about; oldest first.
pub async fn to_relay(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    phone: &str,
    stale_secs: i64,
) -> anyhow::Result<Vec<Pending>> {
    let rows = sqlx::query(
        "SELECT id, message_id, client_phone, text, push_name, status, kind, media
         FROM inbound_messages
         WHERE salon_id = $1 AND client_phone = $2
           AND ((status = 'pending'
                 AND (relayed_at IS NULL OR relayed_at < NOW() - make_interval(secs => $3)))
                OR (status = 'withdrawn' AND relayed_at IS NULL))
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
         WHERE (status = 'pending'
                AND (relayed_at IS NULL OR relayed_at < NOW() - make_interval(secs => $1)))
            OR (status = 'withdrawn' AND relayed_at IS NULL)",
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

/// Whether every one of `ids` was written (WhatsApp's timestamp) more than `ago` ago.
pub async fn all_written_before(
    db: impl PgExecutor<'_>,
    ids: &[i64],
    ago: std::time::Duration,
) -> anyhow::Result<bool> {
    let late: Option<bool> = sqlx::query_scalar(
        "SELECT bool_and(sent_at < NOW() - make_interval(secs => $2))
         FROM inbound_messages WHERE id = ANY($1)",
    )
    .bind(ids)
    .bind(ago.as_secs_f64())
    .fetch_one(db)
    .await?;
    Ok(late.unwrap_or(false))
}

/// The chat's messages the bot took no part in, after inbound row `after` and up to row
/// `up_to`, leaving out `answering` (the rows answered now) and anything received longer
/// than `within` ago: what the salon wrote to `client` itself, and what the client
/// wrote while the bot kept quiet. The newest `limit`, oldest first, as (row, written
/// by the salon, text).
pub async fn overheard(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    client: &str,
    rows: std::ops::RangeInclusive<i64>,
    answering: &[i64],
    within: std::time::Duration,
    limit: usize,
) -> anyhow::Result<Vec<(i64, bool, String)>> {
    let mut said: Vec<(i64, bool, String)> = sqlx::query_as(
        "SELECT id, from_salon, text FROM inbound_messages
         WHERE salon_id = $1 AND client_phone = $2 AND id > $3 AND id <= $4
           AND (from_salon OR status = 'ignored')
           AND kind NOT IN ('reaction', 'edit', 'revoke')
           AND NOT (id = ANY($5))
           AND received_at > NOW() - make_interval(secs => $6)
         ORDER BY id DESC LIMIT $7",
    )
    .bind(salon_id.get())
    .bind(client)
    .bind(*rows.start())
    .bind(*rows.end())
    .bind(answering)
    .bind(within.as_secs_f64())
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(db)
    .await?;
    said.reverse();
    Ok(said)
}

/// Whether `client` ever wrote to the salon (as far as the kept rows go).
pub async fn client_wrote(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    client: &str,
) -> anyhow::Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM inbound_messages
                        WHERE salon_id = $1 AND client_phone = $2 AND NOT from_salon)",
    )
    .bind(salon_id.get())
    .bind(client)
    .fetch_one(db)
    .await?)
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
