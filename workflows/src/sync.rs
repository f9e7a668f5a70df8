//! `sync-<salon_id>` (and the scheduled `sync-<salon_id>-<part>` runs): syncs the asked
//! parts of a salon's data, one retrying, idempotent activity per part — independent
//! parts at once, parts that refer to others after them — then writes the
//! `sync_completed` event with counts and duration.

// `#[workflow_methods]` generates one undocumented constant per handler.
#![allow(missing_docs)]

use crate::options::database_write;
use crate::search_attributes::SALON_ID;
use ai_admin_activities::acts::sync::{
    PartInput, PartReport, ProgressSlot, SyncActivities, SyncInput, SyncPart, SyncReport,
};
use chrono::{DateTime, Utc};
use std::time::Duration;
use temporalio_common::{ActivityCloseTimeouts, RetryPolicy};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::workflows::join_all;
use temporalio_sdk::{
    ActivityExecutionError, ActivityOptions, ApplicationFailure, WorkflowContext,
    WorkflowContextView, WorkflowResult,
};

/// How long one part may keep failing transiently before the sync fails.
const PART_PATIENCE: Duration = Duration::from_secs(2 * 60 * 60);

fn part_options(part: SyncPart) -> ActivityOptions {
    let paged = matches!(
        part,
        SyncPart::Clients | SyncPart::Visits | SyncPart::Bookings
    );
    let builder =
        ActivityOptions::with_close_timeouts(ActivityCloseTimeouts::ScheduleAndStartToClose {
            schedule_to_close: PART_PATIENCE,
            start_to_close: if paged {
                Duration::from_secs(30 * 60)
            } else {
                Duration::from_secs(5 * 60)
            },
        })
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_secs(1))
                .backoff_coefficient(2.0)
                .maximum_interval(Duration::from_secs(60))
                .build(),
        );
    if paged {
        // A killed worker is noticed within a minute; the retry resumes at the
        // heartbeated page.
        builder.heartbeat_timeout(Duration::from_secs(20)).build()
    } else {
        builder.build()
    }
}

/// One sync run.
#[workflow]
pub struct SyncWorkflow {
    input: SyncInput,
}

#[workflow_methods]
impl SyncWorkflow {
    /// Syncs `input.parts` (all when empty).
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: SyncInput) -> Self {
        Self { input }
    }

    async fn run_part(
        ctx: &WorkflowContext<Self>,
        part: SyncPart,
        input: PartInput,
    ) -> Result<PartReport, ActivityExecutionError> {
        let options = part_options(part);
        match part {
            SyncPart::Company => {
                ctx.execute_activity(SyncActivities::sync_company, input, options)
                    .await
            }
            SyncPart::Services => {
                ctx.execute_activity(SyncActivities::sync_services, input, options)
                    .await
            }
            SyncPart::Staff => {
                ctx.execute_activity(SyncActivities::sync_staff, input, options)
                    .await
            }
            SyncPart::Clients => {
                ctx.execute_activity(SyncActivities::sync_clients, input, options)
                    .await
            }
            SyncPart::Schedules => {
                ctx.execute_activity(SyncActivities::sync_schedules, input, options)
                    .await
            }
            SyncPart::SchedulesToday => {
                ctx.execute_activity(SyncActivities::sync_schedules_today, input, options)
                    .await
            }
            SyncPart::Visits => {
                ctx.execute_activity(SyncActivities::sync_visits, input, options)
                    .await
            }
            SyncPart::Bookings => {
                ctx.execute_activity(SyncActivities::sync_bookings, input, options)
                    .await
            }
        }
    }

    /// Syncs independent parts at once, then those referring to them; records the report.
    #[run(name = "sync")]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<SyncReport> {
        let input = ctx.state(|s| s.input.clone());
        ctx.upsert_search_attributes([SALON_ID.value_set(input.salon_id.into())]);
        let started = ctx
            .workflow_time()
            .ok_or_else(|| ApplicationFailure::new("workflow time is unknown"))?;
        let synced_at: DateTime<Utc> = started.into();
        let parts = if input.parts.is_empty() {
            SyncPart::FULL.to_vec()
        } else {
            input.parts.clone()
        };
        // Company, price list, masters and clients do not depend on each other; working
        // hours and records refer to them, so they follow.
        let (first, second): (Vec<_>, Vec<_>) = parts
            .iter()
            .copied()
            .enumerate()
            .partition(|(_, part)| !part.refers_to_others());
        let mut reports: Vec<(usize, PartReport)> = Vec::with_capacity(parts.len());
        for phase in [first, second] {
            let runs = phase.into_iter().map(|(index, part)| {
                let part_input = PartInput {
                    salon_id: input.salon_id,
                    synced_at,
                    progress: input.publish_progress.then_some(ProgressSlot {
                        index,
                        of: parts.len(),
                    }),
                };
                let ctx = &*ctx;
                async move { (index, Self::run_part(ctx, part, part_input).await) }
            });
            for (index, report) in join_all(runs).await {
                reports.push((index, report?));
            }
        }
        reports.sort_by_key(|(index, _)| *index);
        let reports: Vec<PartReport> = reports.into_iter().map(|(_, report)| report).collect();
        let finished = ctx.workflow_time().unwrap_or(started);
        let report = SyncReport {
            salon_id: input.salon_id,
            parts: reports,
            duration_ms: finished
                .duration_since(started)
                .unwrap_or_default()
                .as_millis() as u64,
        };
        ctx.execute_activity(
            SyncActivities::record_sync_completed,
            report.clone(),
            database_write(),
        )
        .await?;
        Ok(report)
    }
}
