//! Activities of `sync-<salon_id>`: one per part of a salon's data (company, price list,
//! masters, clients, schedules, visits, bookings). Each fetches from YClients through the
//! shared rate limiter, writes in batches (one multi-row upsert per page, one transaction
//! per batch), marks rows YClients no longer returns as inactive, and reports counts.
//! Paged parts heartbeat the next page and resume from it when retried.
//!
//! # Layout
//! - [`SyncActivities`] — the activities.
//! - [`parts`] — what each part fetches and writes.
//! - [`convert`] — YClients' shapes to table rows.

// `#[activities]` generates one undocumented constant per activity.
#![allow(missing_docs)]

pub mod convert;
pub mod parts;

use crate::clients::yclients::YClients;
use crate::db::events::{self, EventType, NewEvent};
use crate::db::live_events::{self, LiveEventKind};
use crate::domain::SalonId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::sync::Arc;
use temporalio_common::WorkflowDefinition;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// A part of a salon's data, synced on its own schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncPart {
    /// Name, contacts, time zone.
    Company,
    /// Categories and services with prices.
    Services,
    /// Masters.
    Staff,
    /// The client base.
    Clients,
    /// Working hours, 30 days ahead.
    Schedules,
    /// Working hours, today and tomorrow (refreshed hourly).
    SchedulesToday,
    /// Visits of the last 30 days.
    Visits,
    /// Bookings from today, 30 days ahead.
    Bookings,
}

impl SyncPart {
    /// A full sync, in dependency order (records refer to clients, masters, services).
    pub const FULL: [SyncPart; 7] = [
        SyncPart::Company,
        SyncPart::Services,
        SyncPart::Staff,
        SyncPart::Clients,
        SyncPart::Schedules,
        SyncPart::Visits,
        SyncPart::Bookings,
    ];

    /// The name used in schedule ids, reports and events.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Company => "company",
            Self::Services => "services",
            Self::Staff => "staff",
            Self::Clients => "clients",
            Self::Schedules => "schedules",
            Self::SchedulesToday => "schedules_today",
            Self::Visits => "visits",
            Self::Bookings => "bookings",
        }
    }

    /// Whether its rows refer to rows of other parts (records to clients, masters and
    /// services; working hours to masters), so it must run after them.
    pub fn refers_to_others(self) -> bool {
        matches!(
            self,
            Self::Schedules | Self::SchedulesToday | Self::Visits | Self::Bookings
        )
    }

    /// The owner-facing name (Russian), for progress on the page.
    pub fn label(self) -> &'static str {
        match self {
            Self::Company => "Данные салона",
            Self::Services => "Услуги",
            Self::Staff => "Мастера",
            Self::Clients => "Клиенты",
            Self::Schedules | Self::SchedulesToday => "Расписание",
            Self::Visits => "Визиты",
            Self::Bookings => "Записи",
        }
    }
}

/// What `sync-<salon_id>` is asked to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncInput {
    /// Whose YClients company is read; the run's search attribute.
    pub salon_id: SalonId,
    /// Parts to sync, in order; empty means [`SyncPart::FULL`].
    pub parts: Vec<SyncPart>,
    /// Show progress on the owner's page (the first sync does; scheduled ones do not).
    pub publish_progress: bool,
}

/// A part's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartReport {
    /// Which part.
    pub part: SyncPart,
    /// Rows written (inserted or updated).
    pub rows: u64,
    /// Rows marked inactive because YClients no longer has them.
    pub deactivated: u64,
    /// YClients requests made.
    pub requests: u32,
}

/// What a sync did, written as the `sync_completed` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    /// Whose event log gets the `sync_completed` event.
    pub salon_id: SalonId,
    /// Each part's outcome, in order.
    pub parts: Vec<PartReport>,
    /// Wall time of the whole sync.
    pub duration_ms: u64,
}

impl SyncReport {
    /// Rows written across all parts.
    pub fn rows(&self) -> u64 {
        self.parts.iter().map(|part| part.rows).sum()
    }

    /// YClients requests across all parts.
    pub fn requests(&self) -> u32 {
        self.parts.iter().map(|part| part.requests).sum()
    }
}

/// The workflow type `sync-<salon_id>` runs as; schedules start it by this name.
pub const SYNC_WORKFLOW_TYPE: &str = "sync";

/// A typed reference to the sync workflow for starters that cannot see its definition
/// (the schedules activity); its name must match the workflow's `#[run(name)]`.
#[derive(Debug, Clone, Copy)]
pub struct SyncWorkflowRef;

impl WorkflowDefinition for SyncWorkflowRef {
    type Input = SyncInput;
    type Output = SyncReport;
    fn name(&self) -> &str {
        SYNC_WORKFLOW_TYPE
    }
}

impl temporalio_common::HasWorkflowDefinition for SyncWorkflowRef {
    type Run = Self;
}

/// Where a part stands in a sync that shows progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressSlot {
    /// 0-based position of the part.
    pub index: usize,
    /// Parts in the sync.
    pub of: usize,
}

/// Input of every part activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartInput {
    /// Whose YClients data is read; rows go to its company, progress to its page.
    pub salon_id: SalonId,
    /// The sync's start (workflow time): rows it writes carry it; rows older than it
    /// afterwards were not seen.
    pub synced_at: DateTime<Utc>,
    /// Set when the owner's page shows this sync.
    pub progress: Option<ProgressSlot>,
}

/// Owns what the sync needs.
#[derive(Debug, Clone)]
pub struct SyncActivities {
    db: PgPool,
    yclients: Arc<dyn YClients>,
    reminder_offsets: Vec<std::time::Duration>,
}

impl SyncActivities {
    /// Activities over these dependencies.
    pub fn new(db: PgPool, yclients: Arc<dyn YClients>) -> Self {
        Self {
            db,
            yclients,
            reminder_offsets: Vec::new(),
        }
    }

    /// After each bookings sync, visit reminders are brought in step (none without).
    pub fn with_reminders(mut self, offsets: Vec<std::time::Duration>) -> Self {
        self.reminder_offsets = offsets;
        self
    }

    async fn run(
        &self,
        ctx: &ActivityContext,
        input: &PartInput,
        part: SyncPart,
    ) -> Result<PartReport, ActivityError> {
        let report = parts::run(self, ctx, input, part).await?;
        if let Some(slot) = input.progress {
            let last = slot.index + 1 == slot.of;
            let percent = ((slot.index + 1) * 100 / slot.of.max(1)) as u8;
            let data = serde_json::json!({
                "workflow": "sync",
                "workflow_id": ctx.info().workflow_id,
                "step": "syncing",
                "percent": percent,
                "status": if last { "completed" } else { "in_progress" },
                "detail": format!("{}: {}", part.label(), report.rows),
            });
            live_events::publish(
                &self.db,
                input.salon_id,
                LiveEventKind::Progress,
                &data,
                None,
            )
            .await?;
        }
        tracing::info!(
            salon_id = %input.salon_id,
            part = part.as_str(),
            rows = report.rows,
            deactivated = report.deactivated,
            requests = report.requests,
            "sync part done"
        );
        Ok(report)
    }
}

#[activities]
impl SyncActivities {
    /// Company name, contacts and time zone.
    #[activity(name = "sync_company")]
    #[tracing::instrument(name = "sync_company", skip_all, fields(salon_id = %input.salon_id))]
    pub async fn sync_company(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: PartInput,
    ) -> Result<PartReport, ActivityError> {
        self.run(&ctx, &input, SyncPart::Company).await
    }

    /// Service categories and services.
    #[activity(name = "sync_services")]
    #[tracing::instrument(name = "sync_services", skip_all, fields(salon_id = %input.salon_id))]
    pub async fn sync_services(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: PartInput,
    ) -> Result<PartReport, ActivityError> {
        self.run(&ctx, &input, SyncPart::Services).await
    }

    /// Masters, in one request.
    #[activity(name = "sync_staff")]
    #[tracing::instrument(name = "sync_staff", skip_all, fields(salon_id = %input.salon_id))]
    pub async fn sync_staff(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: PartInput,
    ) -> Result<PartReport, ActivityError> {
        self.run(&ctx, &input, SyncPart::Staff).await
    }

    /// Clients, 200 a page; heartbeats the next page.
    #[activity(name = "sync_clients")]
    #[tracing::instrument(name = "sync_clients", skip_all, fields(salon_id = %input.salon_id))]
    pub async fn sync_clients(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: PartInput,
    ) -> Result<PartReport, ActivityError> {
        self.run(&ctx, &input, SyncPart::Clients).await
    }

    /// Working hours for 30 days.
    #[activity(name = "sync_schedules")]
    #[tracing::instrument(name = "sync_schedules", skip_all, fields(salon_id = %input.salon_id))]
    pub async fn sync_schedules(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: PartInput,
    ) -> Result<PartReport, ActivityError> {
        self.run(&ctx, &input, SyncPart::Schedules).await
    }

    /// Working hours for today and tomorrow.
    #[activity(name = "sync_schedules_today")]
    #[tracing::instrument(name = "sync_schedules_today", skip_all, fields(salon_id = %input.salon_id))]
    pub async fn sync_schedules_today(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: PartInput,
    ) -> Result<PartReport, ActivityError> {
        self.run(&ctx, &input, SyncPart::SchedulesToday).await
    }

    /// Visits of the last 30 days; heartbeats the next page.
    #[activity(name = "sync_visits")]
    #[tracing::instrument(name = "sync_visits", skip_all, fields(salon_id = %input.salon_id))]
    pub async fn sync_visits(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: PartInput,
    ) -> Result<PartReport, ActivityError> {
        self.run(&ctx, &input, SyncPart::Visits).await
    }

    /// Bookings 30 days ahead; heartbeats the next page.
    #[activity(name = "sync_bookings")]
    #[tracing::instrument(name = "sync_bookings", skip_all, fields(salon_id = %input.salon_id))]
    pub async fn sync_bookings(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: PartInput,
    ) -> Result<PartReport, ActivityError> {
        let report = self.run(&ctx, &input, SyncPart::Bookings).await?;
        if let Some(company) = crate::db::companies::find_by_salon(&self.db, input.salon_id).await?
        {
            crate::acts::reminders::reconcile(
                &self.db,
                &ctx.client(),
                &ctx.info().task_queue,
                input.salon_id,
                company.id,
                &self.reminder_offsets,
            )
            .await?;
        }
        Ok(report)
    }

    /// Writes the `sync_completed` event with counts and duration (once per sync run).
    #[activity(name = "record_sync_completed")]
    #[tracing::instrument(name = "record_sync_completed", skip_all, fields(salon_id = %report.salon_id))]
    pub async fn record_sync_completed(
        self: Arc<Self>,
        ctx: ActivityContext,
        report: SyncReport,
    ) -> Result<(), ActivityError> {
        let counts: serde_json::Map<String, serde_json::Value> = report
            .parts
            .iter()
            .map(|part| (part.part.as_str().to_owned(), part.rows.into()))
            .collect();
        events::record(
            &self.db,
            &NewEvent {
                salon_id: report.salon_id,
                event_type: EventType::SyncCompleted,
                data: serde_json::json!({
                    "counts": counts,
                    "deactivated": report.parts.iter().map(|p| p.deactivated).sum::<u64>(),
                    "requests": report.requests(),
                    "rows": report.rows(),
                    "duration_ms": report.duration_ms,
                }),
                dedup_key: Some(format!(
                    "{}/sync_completed",
                    crate::acts::run_keys::run_key(&ctx)
                )),
            },
        )
        .await?;
        Ok(())
    }
}
