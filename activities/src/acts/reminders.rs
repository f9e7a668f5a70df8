//! Visit reminders: `reminder-<record_id>` holds durable timers to each offset before a
//! visit (24 h and 2 h by default, `REMINDER_OFFSETS`) and sends one WhatsApp message
//! at each, once. The workflow is told about its visit by signal-with-start from
//! wherever a visit changes: a booking the bot made, moved or cancelled, and YClients'
//! record webhooks; a moved visit moves the timers, a deleted one ends the workflow.
//!
//! [`reconcile`] finds the visits whose reminders are out of step (`bookings.reminder_for`
//! against the visit's time) and tells them. The workflow lives in `ai-admin-workflows`;
//! the typed references here let activities start and signal it by name.

// `#[activities]` generates one undocumented constant per activity.
#![allow(missing_docs)]

use crate::acts::failure;
use crate::acts::messaging::send_once;
use crate::assistant::dates::day_text;
use crate::db::events::{self, EventType, NewEvent};
use crate::db::{bookings, companies, inbound, outbound, settings};
use crate::domain::{IntegrationStatus, PhoneNumber, SalonId, SessionId};
use crate::whatsapp::WhatsAppGateway;
use crate::whatsapp::pacing::Origin;
use anyhow::Context as _;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use temporalio_client::{Client, WorkflowIdConflictPolicy, WorkflowStartOptions};
use temporalio_common::{HasWorkflowDefinition, SignalDefinition, WorkflowDefinition};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// The workflow type of `reminder-<record_id>`.
pub const REMINDER_WORKFLOW_TYPE: &str = "reminder";
/// Its one signal: the visit's (new) time, or that it is gone.
pub const VISIT_SIGNAL: &str = "visit";

/// Where a reminder workflow starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderInput {
    /// Whose visit it is: the run's search attribute and the sender of every reminder.
    pub salon_id: SalonId,
    /// The visit's YClients record id; the workflow id is `reminder-<record_id>`.
    pub record_id: i64,
    /// When the visit starts (Unix seconds).
    pub visit_at: i64,
    /// Seconds before the visit a reminder goes out, e.g. `[86400, 7200]`.
    pub offsets_secs: Vec<u64>,
}

/// What the `visit` signal says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitChange {
    /// The visit's start (Unix seconds); `None` when it was cancelled.
    pub visit_at: Option<i64>,
}

/// How a reminder workflow ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReminderEnd {
    /// Every reminder due was sent (or its time had passed).
    Done,
    /// The visit was cancelled.
    Cancelled,
}

/// `reminder-<record_id>` for starters outside the workflows crate.
#[derive(Debug, Clone, Copy)]
pub struct ReminderWorkflowRef;

impl WorkflowDefinition for ReminderWorkflowRef {
    type Input = ReminderInput;
    type Output = ReminderEnd;
    fn name(&self) -> &str {
        REMINDER_WORKFLOW_TYPE
    }
}

impl HasWorkflowDefinition for ReminderWorkflowRef {
    type Run = Self;
}

/// Its `visit` signal.
#[derive(Debug, Clone, Copy)]
pub struct VisitSignalRef;

impl SignalDefinition for VisitSignalRef {
    type Workflow = ReminderWorkflowRef;
    type Input = VisitChange;
    fn name(&self) -> &str {
        VISIT_SIGNAL
    }
}

/// Tells `reminder-<record_id>` where its visit is now: starts it for a visit in the
/// future, moves it, or (`visit_at = None`) cancels it if it runs.
pub async fn tell(
    client: &Client,
    task_queue: &str,
    salon_id: SalonId,
    record_id: i64,
    visit_at: Option<DateTime<Utc>>,
    offsets: &[Duration],
) -> anyhow::Result<()> {
    let id = crate::workflow_ids::reminder(record_id);
    let change = VisitChange {
        visit_at: visit_at.map(|at| at.timestamp()),
    };
    match visit_at {
        Some(at) if at > Utc::now() && !offsets.is_empty() => {
            let options = WorkflowStartOptions::new(task_queue.to_owned(), id.clone())
                .id_conflict_policy(WorkflowIdConflictPolicy::UseExisting)
                .static_summary(format!("Reminders of visit {record_id}"))
                .build();
            client
                .signal_with_start_workflow(
                    ReminderWorkflowRef,
                    ReminderInput {
                        salon_id,
                        record_id,
                        visit_at: at.timestamp(),
                        offsets_secs: offsets.iter().map(Duration::as_secs).collect(),
                    },
                    VisitSignalRef,
                    change,
                    options,
                )
                .await
                .with_context(|| format!("Failed to tell {id} about its visit"))?;
        }
        // Gone, or in the past: a running workflow stops; none is started.
        _ => {
            let handle = client.get_workflow_handle::<ReminderWorkflowRef>(id.clone());
            let cancel = VisitChange { visit_at: None };
            if let Err(error) = handle
                .signal(VisitSignalRef, cancel, Default::default())
                .await
            {
                tracing::debug!(record_id, %error, "no reminder workflow to stop");
            }
        }
    }
    Ok(())
}

/// Visits told per call of [`reconcile`] at most (the rest on the next call).
const RECONCILE_BATCH: i64 = 500;
/// How far ahead of its first reminder a visit's workflow is started.
const WINDOW_MARGIN: Duration = Duration::from_secs(24 * 3600);

/// Brings the company's reminder workflows in step with its visits: starts them for
/// upcoming visits entering the reminder window (the largest offset plus a day), moves
/// them for moved visits, stops them for deleted ones. Called after anything that
/// changes visits — the bookings sync (every 15 minutes, which also brings far visits
/// into the window in time), record webhooks, the bot's own bookings. Returns how many
/// visits were told. `offsets` are the deployment's; a salon's own (set in its console)
/// replace them.
pub async fn reconcile(
    db: &PgPool,
    client: &Client,
    task_queue: &str,
    salon_id: SalonId,
    company_id: i64,
    offsets: &[Duration],
) -> anyhow::Result<usize> {
    // The owner's offsets, when set in the console, win over the deployment's.
    let offsets = &settings::reminder_offsets(db, salon_id, offsets).await?;
    let Some(largest) = offsets.iter().max() else {
        return Ok(0);
    };
    let due =
        bookings::reminders_due(db, company_id, *largest + WINDOW_MARGIN, RECONCILE_BATCH).await?;
    for visit in &due {
        tell(
            client,
            task_queue,
            salon_id,
            visit.yclients_id,
            visit.visit_at,
            offsets,
        )
        .await?;
        bookings::mark_reminder_told(db, visit.yclients_id, visit.visit_at).await?;
    }
    if !due.is_empty() {
        tracing::info!(%salon_id, visits = due.len(), "reminders brought in step");
    }
    Ok(due.len())
}

/// Input of [`ReminderActivities::send_reminder`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendReminder {
    /// Whose session sends it; a salon that is not active gets none.
    pub salon_id: SalonId,
    /// The visit's YClients record id; with the time and offset it keys the message.
    pub record_id: i64,
    /// The visit time the workflow knows (Unix seconds).
    pub visit_at: i64,
    /// Which reminder (seconds before the visit).
    pub offset_secs: u64,
}

/// What sending a reminder did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reminded {
    /// Sent (WhatsApp's message id).
    Sent(String),
    /// Not sent, and why.
    Skipped(String),
}

/// Owns what a reminder needs.
#[derive(Debug, Clone)]
pub struct ReminderActivities {
    db: PgPool,
    gateway: Arc<dyn WhatsAppGateway>,
}

impl ReminderActivities {
    /// Activities over these dependencies.
    pub fn new(db: PgPool, gateway: Arc<dyn WhatsAppGateway>) -> Self {
        Self { db, gateway }
    }
}

/// The reminder's words.
pub fn reminder_text(visit: &bookings::RemindedVisit, zone: Tz) -> String {
    let local = visit.datetime.with_timezone(&zone);
    let service = visit
        .service
        .as_deref()
        .map(|s| format!(" на «{s}»"))
        .unwrap_or_default();
    let staff = visit
        .staff
        .as_deref()
        .map(|s| format!(", мастер {s}"))
        .unwrap_or_default();
    format!(
        "Напоминаем о записи в салон «{}»{service}: {} в {}{staff}. \
         Ответьте «подтверждаю», чтобы подтвердить визит, или напишите, если планы изменились.",
        visit.salon_title,
        day_text(local.date_naive()),
        local.format("%H:%M"),
    )
}

impl ReminderActivities {
    /// Asks WhatsApp whether a number that never wrote to the salon has WhatsApp: the
    /// bot writing first to numbers that do not is what gets a number flagged.
    async fn on_whatsapp(
        &self,
        salon_id: SalonId,
        phone: &PhoneNumber,
    ) -> Result<bool, ActivityError> {
        let session = SessionId::for_salon(salon_id);
        self.gateway
            .is_on_whatsapp(session, phone)
            .await
            .map_err(|error| failure::whatsapp(error, "LookupFailed"))
    }
}

#[activities]
impl ReminderActivities {
    /// Sends one reminder once (keyed by record, visit time and offset); skips a visit
    /// that is gone or moved, a client without a number, a salon the bot is silent for.
    #[activity(name = "send_reminder")]
    #[tracing::instrument(name = "send_reminder", skip_all, fields(salon_id = %input.salon_id))]
    pub async fn send_reminder(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: SendReminder,
    ) -> Result<Reminded, ActivityError> {
        let skip = |why: &str| {
            tracing::info!(record_id = input.record_id, why, "reminder skipped");
            Ok(Reminded::Skipped(why.to_owned()))
        };
        let Some(visit) = bookings::visit_for_reminder(&self.db, input.record_id).await? else {
            return skip("visit unknown");
        };
        if visit.deleted {
            return skip("visit cancelled");
        }
        if visit.datetime.timestamp() != input.visit_at {
            // The record moved; its webhook moves the workflow's timers.
            return skip("visit moved");
        }
        let active = companies::find_by_salon(&self.db, input.salon_id)
            .await?
            .is_some_and(|c| c.integration_status == IntegrationStatus::Active);
        if !active {
            return skip("salon not active");
        }
        let Some(phone) = visit
            .phone
            .as_deref()
            .and_then(|p| PhoneNumber::from_digits(p).ok())
        else {
            return skip("client has no WhatsApp number");
        };
        let key = format!(
            "reminder/{}/{}/{}",
            input.record_id, input.visit_at, input.offset_secs
        );
        if !outbound::was_sent(&self.db, &key).await?
            && !inbound::client_wrote(&self.db, input.salon_id, phone.as_str()).await?
            && !self.on_whatsapp(input.salon_id, &phone).await?
        {
            return skip("client not on WhatsApp");
        }
        let zone = crate::domain::salon_zone(&visit.timezone);
        let text = reminder_text(&visit, zone);
        let message_id = send_once(
            &self.db,
            &*self.gateway,
            Origin::Initiated,
            &key,
            input.salon_id,
            &phone.clone().into(),
            &text,
        )
        .await?;
        events::record(
            &self.db,
            &NewEvent {
                salon_id: input.salon_id,
                event_type: EventType::ReminderSent,
                data: json!({
                    "record_id": input.record_id,
                    "client": phone.masked(),
                    "before_secs": input.offset_secs,
                }),
                dedup_key: Some(key),
            },
        )
        .await?;
        tracing::info!(record_id = input.record_id, client = %phone.masked(), "reminder sent");
        Ok(Reminded::Sent(message_id))
    }
}
