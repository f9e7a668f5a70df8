//! The `marketplace_events` table: the salon's history as owners, YClients and ops see it.

use crate::domain::SalonId;
use serde::{Deserialize, Serialize};
use sqlx::PgExecutor;

/// The kinds of event we write (the spec's list plus the onboarding timeout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    /// The owner arrived from the marketplace.
    RegistrationStarted,
    /// The salon's WhatsApp was linked.
    WhatsappConnected,
    /// The salon's WhatsApp was unlinked.
    WhatsappLoggedOut,
    /// WhatsApp stopped the salon's session (another device took over, a ban, an
    /// outdated client, a refused connection, an unlink); the data says why and until
    /// when.
    WhatsappSuspended,
    /// YClients accepted the activation callback.
    IntegrationActivated,
    /// YClients refused the activation callback.
    IntegrationFailed,
    /// The owner did not link WhatsApp before the onboarding token expired.
    OnboardingExpired,
    /// A sync of the salon's data finished (counts and duration in the data).
    SyncCompleted,
    /// The salon removed the application.
    Uninstalled,
    /// The salon stopped paying; the bot is silent.
    Frozen,
    /// YClients reported a payment.
    PaymentReceived,
    /// The language model stayed unavailable: a client got the fixed apology instead of
    /// an answer.
    AssistantUnavailable,
    /// A language-model provider refuses the salon's region (the data says which and
    /// what to do); its clients got the fallback's answer or the apology.
    LlmUnavailable,
    /// A client was handed over to a person; the bot is silent for them.
    HandoffRequested,
    /// The salon gave the client back to the bot.
    HandoffReleased,
    /// A visit reminder went out.
    ReminderSent,
    /// The owner changed the salon's settings in the console (the data names the fields).
    SettingsChanged,
    /// A payment the salon made us was reported to YClients (our and YClients' ids).
    PaymentReported,
    /// A payment was refunded and the refund reported to YClients.
    PaymentRefunded,
    /// The salon's personal data was deleted after its uninstall (counts per table).
    PersonalDataErased,
    /// YClients' install status disagreed with ours; the missing lifecycle event was
    /// stored (the data says which).
    InstallReconciled,
}

impl EventType {
    /// The value stored in `event_type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RegistrationStarted => "registration_started",
            Self::WhatsappConnected => "whatsapp_connected",
            Self::WhatsappLoggedOut => "whatsapp_logged_out",
            Self::WhatsappSuspended => "whatsapp_suspended",
            Self::IntegrationActivated => "integration_activated",
            Self::IntegrationFailed => "integration_failed",
            Self::OnboardingExpired => "onboarding_expired",
            Self::SyncCompleted => "sync_completed",
            Self::Uninstalled => "uninstalled",
            Self::Frozen => "frozen",
            Self::PaymentReceived => "payment_received",
            Self::AssistantUnavailable => "assistant_unavailable",
            Self::LlmUnavailable => "llm_unavailable",
            Self::HandoffRequested => "handoff_requested",
            Self::HandoffReleased => "handoff_released",
            Self::SettingsChanged => "settings_changed",
            Self::ReminderSent => "reminder_sent",
            Self::PaymentReported => "payment_reported",
            Self::PaymentRefunded => "payment_refunded",
            Self::PersonalDataErased => "personal_data_erased",
            Self::InstallReconciled => "install_reconciled",
        }
    }
}

/// One event to write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    /// The salon it concerns.
    pub salon_id: SalonId,
    /// What happened.
    pub event_type: EventType,
    /// Details (never secrets).
    pub data: serde_json::Value,
    /// When set, a second write with the same key does nothing.
    pub dedup_key: Option<String>,
}

/// Whether an event was recorded under `dedup_key`.
pub async fn recorded(db: impl PgExecutor<'_>, dedup_key: &str) -> anyhow::Result<bool> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM marketplace_events WHERE dedup_key = $1)")
            .bind(dedup_key)
            .fetch_one(db)
            .await?,
    )
}

/// Writes the event, linking it to the salon's company row when there is one.
/// Returns false when `dedup_key` had already been written.
pub async fn record(db: impl PgExecutor<'_>, event: &NewEvent) -> anyhow::Result<bool> {
    let result = sqlx::query(
        "INSERT INTO marketplace_events (company_id, salon_id, event_type, event_data, dedup_key)
         VALUES ((SELECT id FROM companies WHERE yclients_id = $1), $1, $2, $3, $4)
         ON CONFLICT (dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING",
    )
    .bind(event.salon_id.get())
    .bind(event.event_type.as_str())
    .bind(&event.data)
    .bind(&event.dedup_key)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Deletes events older than `older_than`.
pub async fn prune(db: &sqlx::PgPool, older_than: std::time::Duration) -> anyhow::Result<u64> {
    super::delete_in_batches(
        db,
        "DELETE FROM marketplace_events WHERE id IN (
             SELECT id FROM marketplace_events
             WHERE created_at < NOW() - make_interval(secs => $1) LIMIT $2)",
        older_than,
    )
    .await
}
