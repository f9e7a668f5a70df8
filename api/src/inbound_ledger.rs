//! The gateway's [`InboundLedger`] in PostgreSQL: a batch of client messages is
//! committed to `inbound_messages` (edits and deletions applied) before the gateway
//! tells WhatsApp it arrived; then the conversation relay is woken for each client with
//! something new, and the messages are counted.

use ai_admin_activities::db::inbound::{self, Recorded};
use ai_admin_activities::metrics::Metrics;
use ai_admin_activities::whatsapp::{InboundLedger, IncomingMessage};
use ai_admin_temporal::conversation_relay::ConversationRelay;
use sqlx::PgPool;

/// `inbound_messages`, and who to tell about new rows.
#[derive(Debug, Clone)]
pub struct DbLedger {
    db: PgPool,
    conversations: ConversationRelay,
    metrics: Metrics,
    /// How long the bot pauses for a client the salon wrote to itself.
    salon_pause: std::time::Duration,
}

impl DbLedger {
    /// Records into `db`; wakes `conversations`; counts into `metrics`; the bot pauses
    /// `salon_pause` for a client the salon answers itself.
    pub fn new(
        db: PgPool,
        conversations: ConversationRelay,
        metrics: Metrics,
        salon_pause: std::time::Duration,
    ) -> Self {
        Self {
            db,
            conversations,
            metrics,
            salon_pause,
        }
    }
}

#[async_trait::async_trait]
impl InboundLedger for DbLedger {
    async fn record(&self, messages: &[IncomingMessage]) -> anyhow::Result<()> {
        // One bot serves one session, so a batch is one salon's; split all the same.
        let mut rest = messages;
        while let Some(first) = rest.first() {
            let same = rest
                .iter()
                .take_while(|m| m.session == first.session)
                .count();
            let (batch, after) = rest.split_at(same);
            rest = after;
            let salon_id = first.session.salon_id();
            let recorded =
                inbound::record_batch(&self.db, salon_id, batch, self.salon_pause).await?;
            for (message, outcome) in batch.iter().zip(recorded) {
                match outcome {
                    Recorded::New(id) if message.from_me => {
                        tracing::info!(%salon_id, inbound = id, client = %message.from.masked(), "the salon answered a client itself; the bot pauses for them");
                    }
                    Recorded::New(id) => {
                        self.metrics.messages.with_label_values(&["in"]).inc();
                        tracing::info!(%salon_id, inbound = id, kind = message.kind.as_str(), client = %message.from.masked(), "client message recorded");
                        self.conversations.wake(salon_id, &message.from.to_string());
                    }
                    Recorded::Duplicate => {
                        tracing::info!(%salon_id, client = %message.from.masked(), "client message redelivered, ignored");
                    }
                }
            }
        }
        Ok(())
    }
}
