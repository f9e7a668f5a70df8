//! The `apply_webhooks` activity: applies consecutive webhooks of one salon in order and
//! marks their inbox rows applied. Every effect is idempotent (upserts, status updates,
//! pausing a paused schedule), so a retried batch changes nothing twice.
//!
//! - `uninstall`: the WhatsApp session is logged out (keys wiped), the sync schedules
//!   deleted, the salon's other running workflows (onboarding, sync, conversations,
//!   reminders) cancelled; `uninstalled`, WhatsApp unlinked, event `uninstalled`; and
//!   `erasure-<salon_id>` deletes its personal data `PERSONAL_DATA_GRACE` later.
//! - `freeze`: schedules paused; `frozen` (only an installed salon: one still
//!   onboarding keeps its status), event `frozen`. The bot stays silent for a frozen
//!   salon (the salon stopped paying; writing from its number is not ours to do).
//! - `payment`: `last_payment_date`, event `payment_received`; an installed salon is
//!   `active` again and its schedules resume.
//! - records and clients: a webhook is only a hint of which one changed. The resource is
//!   fetched from YClients by id and what YClients says is applied (never the payload,
//!   which anyone who learnt the URL could have written): upserted when YClients has it
//!   for this salon, marked deleted (inactive) only when YClients confirms it is gone,
//!   never created when YClients does not know it; the record's reminders
//!   (`reminder-<record_id>`) are told where the visit is now.
//! - services and masters: refreshed from YClients.

// `#[activities]` generates one undocumented constant per activity.
#![allow(missing_docs)]

use super::ApplyBatch;
use crate::acts::failure;
use crate::acts::recurring_sync::{CRON_TABLE, schedule_id};
use crate::acts::reminders;
use crate::acts::sync::{SyncActivities, convert, parts};
use crate::clients::yclients::webhooks::{WebhookKind, resource_id};
use crate::clients::yclients::{Client, YClients, YClientsError};
use crate::db::events::{self, EventType, NewEvent};
use crate::db::webhook_inbox::InboxEvent;
use crate::db::{bookings, clients, companies, webhook_inbox};
use crate::domain::{IntegrationStatus, SalonId, SessionId};
use crate::whatsapp::WhatsAppGateway;
use chrono::Utc;
use chrono_tz::Tz;
use futures::StreamExt as _;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::sync::Arc;
use temporalio_client::schedules::ScheduleError;
use temporalio_client::tonic::Code;
use temporalio_client::{WorkflowCancelOptions, WorkflowListOptions};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// A record that changed, for the reminders of that record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordChange {
    /// YClients record id.
    pub record_id: i64,
    /// Whether it was deleted.
    pub deleted: bool,
}

/// What a batch did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyReport {
    /// Events applied.
    pub applied: u32,
    /// The salon's status after a lifecycle event of the batch, if there was one.
    pub status: Option<IntegrationStatus>,
    /// Records created, changed or deleted, in order.
    pub record_changes: Vec<RecordChange>,
}

/// Owns what applying needs.
#[derive(Debug, Clone)]
pub struct WebhookActivities {
    db: PgPool,
    yclients: Arc<dyn YClients>,
    gateway: Arc<dyn WhatsAppGateway>,
    sync: SyncActivities,
    reminder_offsets: Vec<std::time::Duration>,
}

impl WebhookActivities {
    /// Activities over these dependencies; visits get reminders `reminder_offsets` before.
    pub fn new(
        db: PgPool,
        yclients: Arc<dyn YClients>,
        gateway: Arc<dyn WhatsAppGateway>,
        reminder_offsets: Vec<std::time::Duration>,
    ) -> Self {
        Self {
            sync: SyncActivities::new(db.clone(), yclients.clone()),
            db,
            yclients,
            gateway,
            reminder_offsets,
        }
    }
}

#[activities]
impl WebhookActivities {
    /// Applies `batch.events` in order and marks them applied.
    #[activity(name = "apply_webhooks")]
    #[tracing::instrument(name = "apply_webhooks", skip_all, fields(salon_id = %batch.salon_id))]
    pub async fn apply_webhooks(
        self: Arc<Self>,
        ctx: ActivityContext,
        batch: ApplyBatch,
    ) -> Result<ApplyReport, ActivityError> {
        let salon_id = batch.salon_id;
        let mut report = ApplyReport {
            applied: 0,
            status: None,
            record_changes: Vec::new(),
        };
        let Some(company) = companies::find_by_salon(&self.db, salon_id).await? else {
            tracing::warn!(%salon_id, "webhooks for a salon that is no longer registered");
            let ids: Vec<i64> = batch.events.iter().map(|e| e.id).collect();
            webhook_inbox::mark_applied(&self.db, &ids).await?;
            return Ok(report);
        };
        let zone = company.zone();
        for event in &batch.events {
            match event.kind {
                WebhookKind::Marketplace => {
                    if let Some(status) = self.lifecycle(&ctx, salon_id, event).await? {
                        report.status = Some(status);
                    }
                }
                WebhookKind::Record => {
                    if let Some(change) = self.record(salon_id, company.id, zone, event).await? {
                        report.record_changes.push(change);
                    }
                }
                WebhookKind::Client => self.client(salon_id, company.id, zone, event).await?,
                WebhookKind::Service => {
                    parts::services(&self.sync, salon_id, company.id, Utc::now()).await?;
                }
                WebhookKind::Staff => {
                    parts::staff(&self.sync, salon_id, company.id, Utc::now()).await?;
                }
                WebhookKind::Unknown => {}
            }
            report.applied += 1;
        }
        if !report.record_changes.is_empty() {
            reminders::reconcile(
                &self.db,
                &ctx.client(),
                &ctx.info().task_queue,
                salon_id,
                company.id,
                &self.reminder_offsets,
            )
            .await?;
        }
        let ids: Vec<i64> = batch.events.iter().map(|e| e.id).collect();
        webhook_inbox::mark_applied(&self.db, &ids).await?;
        tracing::info!(%salon_id, applied = report.applied, "webhooks applied");
        Ok(report)
    }
}

fn not_found_is_fine<T>(result: Result<T, ScheduleError>) -> Result<(), ActivityError> {
    match result {
        Ok(_) => Ok(()),
        Err(ScheduleError::Rpc(status)) if status.code() == Code::NotFound => Ok(()),
        Err(error) => Err(anyhow::Error::new(error).into()),
    }
}

impl WebhookActivities {
    async fn lifecycle(
        &self,
        ctx: &ActivityContext,
        salon_id: SalonId,
        event: &InboxEvent,
    ) -> Result<Option<IntegrationStatus>, ActivityError> {
        let client = ctx.client();
        let dedup_key = Some(format!("webhook/{}", event.id));
        let (status, event_type) = match event.event.as_deref() {
            Some("uninstall") => {
                self.gateway
                    .logout(SessionId::for_salon(salon_id))
                    .await
                    .map_err(anyhow::Error::new)?;
                for (part, _) in CRON_TABLE {
                    let handle = client.get_schedule_handle(schedule_id(salon_id, part));
                    not_found_is_fine(handle.delete(Default::default()).await)?;
                }
                cancel_salon_workflows(&client, salon_id).await?;
                companies::mark_uninstalled(&self.db, salon_id).await?;
                crate::acts::erasure::schedule(&client, &ctx.info().task_queue, salon_id).await?;
                (IntegrationStatus::Uninstalled, EventType::Uninstalled)
            }
            Some("freeze") => {
                for (part, _) in CRON_TABLE {
                    let handle = client.get_schedule_handle(schedule_id(salon_id, part));
                    not_found_is_fine(
                        handle
                            .pause(Some("salon frozen".to_owned()), Default::default())
                            .await,
                    )?;
                }
                let status = companies::freeze(&self.db, salon_id)
                    .await?
                    .unwrap_or(IntegrationStatus::Frozen);
                (status, EventType::Frozen)
            }
            Some("payment") => {
                let status = companies::record_payment(&self.db, salon_id)
                    .await?
                    .unwrap_or(IntegrationStatus::Active);
                if status == IntegrationStatus::Active {
                    for (part, _) in CRON_TABLE {
                        let handle = client.get_schedule_handle(schedule_id(salon_id, part));
                        not_found_is_fine(
                            handle
                                .unpause(Some("payment received".to_owned()), Default::default())
                                .await,
                        )?;
                    }
                }
                (status, EventType::PaymentReceived)
            }
            _ => return Ok(None),
        };
        events::record(
            &self.db,
            &NewEvent {
                salon_id,
                event_type,
                data: serde_json::json!({ "webhook_id": event.id, "seq": event.seq }),
                dedup_key,
            },
        )
        .await?;
        tracing::info!(%salon_id, %status, "salon lifecycle event applied");
        Ok(Some(status))
    }

    async fn record(
        &self,
        salon_id: SalonId,
        company_id: i64,
        zone: Tz,
        event: &InboxEvent,
    ) -> Result<Option<RecordChange>, ActivityError> {
        let Some(record_id) = resource_id(&event.payload) else {
            tracing::warn!(%salon_id, id = event.id, "a record webhook without a record id");
            return Ok(None);
        };
        let record = match self.yclients.record(salon_id, record_id).await {
            Ok(record) if record.company_id.is_some_and(|c| c != i64::from(salon_id)) => {
                tracing::warn!(%salon_id, record_id, "a record webhook names another salon's record, ignored");
                return Ok(None);
            }
            Ok(record) if record.id == record_id => record,
            Ok(_) => {
                tracing::warn!(%salon_id, record_id, "YClients answered with another record, ignored");
                return Ok(None);
            }
            // Gone in YClients: the deletion is confirmed (a row we never had stays
            // absent, since marking only touches our own rows).
            Err(YClientsError::NotFound) => {
                bookings::mark_deleted(&self.db, company_id, record_id).await?;
                return Ok(Some(RecordChange {
                    record_id,
                    deleted: true,
                }));
            }
            Err(error) => return Err(failure::yclients(error)),
        };
        if event.event.as_deref() == Some("delete") && !record.deleted {
            tracing::warn!(%salon_id, record_id, "a delete webhook for a record YClients still has: kept as YClients says");
        }
        if let Some(client) = record.client.as_ref().and_then(|c| {
            convert::client(
                &Client {
                    id: c.id,
                    name: c.name.clone(),
                    phone: c.phone.clone(),
                    email: None,
                    visits: None,
                    last_visit_date: None,
                },
                zone,
            )
        }) {
            clients::ensure_exists(&self.db, company_id, &client).await?;
        }
        if let Some(row) = convert::booking(&record, zone) {
            bookings::upsert(&self.db, company_id, &[row], Utc::now()).await?;
        }
        Ok(Some(RecordChange {
            record_id,
            deleted: record.deleted,
        }))
    }

    async fn client(
        &self,
        salon_id: SalonId,
        company_id: i64,
        zone: Tz,
        event: &InboxEvent,
    ) -> Result<(), ActivityError> {
        let Some(client_id) = resource_id(&event.payload) else {
            return Ok(());
        };
        let client = match self.yclients.client(salon_id, client_id).await {
            Ok(client) if client.id == client_id => client,
            Ok(_) => {
                tracing::warn!(%salon_id, client_id, "YClients answered with another client, ignored");
                return Ok(());
            }
            Err(YClientsError::NotFound) => {
                clients::deactivate_one(&self.db, company_id, client_id).await?;
                return Ok(());
            }
            Err(error) => return Err(failure::yclients(error)),
        };
        if let Some(row) = convert::client(&client, zone) {
            clients::upsert(&self.db, company_id, &[row], Utc::now()).await?;
        }
        Ok(())
    }
}

/// Cancels every running workflow of the salon except its lifecycle workflow, the
/// deletion of its personal data (an earlier uninstall's, still counting down), and the
/// reports of its payments and refunds.
async fn cancel_salon_workflows(
    client: &temporalio_client::Client,
    salon_id: SalonId,
) -> Result<(), ActivityError> {
    let kept = [
        crate::workflow_ids::company(salon_id),
        crate::workflow_ids::erasure(salon_id),
    ];
    let query = format!("SalonId = {salon_id} AND ExecutionStatus = 'Running'");
    let mut runs = client.list_workflows(query, WorkflowListOptions::default());
    while let Some(run) = runs.next().await {
        let run = run.map_err(anyhow::Error::new)?;
        // A payment's report or refund is accounting, not the salon's service: it runs on.
        if kept.iter().any(|id| id == run.id())
            || crate::workflow_ids::is_payment_run(salon_id, run.id())
        {
            continue;
        }
        let handle =
            client.get_workflow_handle::<temporalio_common::UntypedWorkflow>(run.id().to_owned());
        match handle
            .cancel(
                WorkflowCancelOptions::builder()
                    .reason("salon uninstalled")
                    .build(),
            )
            .await
        {
            Ok(()) => tracing::info!(%salon_id, workflow = run.id(), "cancelled on uninstall"),
            Err(temporalio_client::errors::WorkflowInteractionError::NotFound(_)) => {}
            Err(error) => return Err(anyhow::Error::new(error).into()),
        }
    }
    Ok(())
}
