//! `company-<salon_id>`: the salon's lifecycle. The webhook relay delivers the salon's
//! stored webhooks as `webhooks` signals (signal-with-start, several per signal); this
//! workflow applies them strictly in sequence order — buffering any that arrive early,
//! ignoring any already applied — a contiguous run per activity call, and continues as
//! new every [`EVENTS_PER_RUN`] events so its history stays short.

// `#[workflow_methods]` generates one undocumented constant per handler.
#![allow(missing_docs)]

use crate::search_attributes::{INTEGRATION_STATUS, SALON_ID};
use ai_admin_activities::acts::webhooks::ApplyBatch;
use ai_admin_activities::acts::webhooks::apply::WebhookActivities;
use ai_admin_activities::db::webhook_inbox::InboxEvent;
use ai_admin_activities::domain::SalonId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;
use temporalio_common::RetryPolicy;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    LocalActivityOptions, SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult,
};

/// Events applied by one run before it continues as new.
pub const EVENTS_PER_RUN: u64 = 2_000;
/// Events handed to one activity call at most.
const BATCH: usize = 500;

/// Where a run starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompanyInput {
    /// Whose webhooks the run applies (its workflow id is `company-<salon_id>`).
    pub salon_id: SalonId,
    /// The first sequence number not applied yet.
    pub next_seq: i64,
    /// Events that arrived ahead of `next_seq` (carried over by continue-as-new).
    #[serde(default)]
    pub waiting: Vec<InboxEvent>,
}

/// The answer to the `status` query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyStatus {
    /// The next sequence number to apply.
    pub next_seq: i64,
    /// Events received but not applied yet.
    pub waiting: usize,
    /// Events applied by this run.
    pub applied: u64,
}

/// State of one run.
#[workflow]
pub struct CompanyWorkflow {
    salon_id: SalonId,
    next_seq: i64,
    waiting: BTreeMap<i64, InboxEvent>,
    applied: u64,
}

/// Applying runs as a local activity: on the worker that holds the workflow, recorded as
/// one marker in the workflow task that asked for it, instead of an activity task with
/// its own history events and a second workflow task. That halves the Temporal work of a
/// webhook burst. Applying is idempotent, so the re-run after a worker crash (the only
/// cost of a local activity) is harmless.
fn apply_options() -> LocalActivityOptions {
    // Applying must eventually succeed: events are never dropped, only retried; long
    // back-offs become durable timers rather than sleeps in the worker.
    LocalActivityOptions::builder()
        .start_to_close_timeout(Duration::from_secs(120))
        .timer_backoff_threshold(Duration::from_secs(10))
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_millis(500))
                .backoff_coefficient(2.0)
                .maximum_interval(Duration::from_secs(30))
                .build(),
        )
        .build()
}

#[workflow_methods]
impl CompanyWorkflow {
    /// Resumes at `input.next_seq`.
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: CompanyInput) -> Self {
        let next_seq = input.next_seq.max(1);
        Self {
            salon_id: input.salon_id,
            next_seq,
            waiting: input
                .waiting
                .into_iter()
                .filter(|event| event.seq >= next_seq)
                .map(|event| (event.seq, event))
                .collect(),
            applied: 0,
        }
    }

    /// Applies waiting events in sequence order; continues as new every [`EVENTS_PER_RUN`].
    #[run(name = "company")]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        let salon_id = ctx.state(|s| s.salon_id);
        ctx.upsert_search_attributes([SALON_ID.value_set(salon_id.into())]);
        loop {
            ctx.wait_condition(|s: &Self| s.waiting.contains_key(&s.next_seq))
                .await?;
            let events = ctx.state_mut(|s| {
                let mut run = Vec::new();
                while run.len() < BATCH
                    && let Some(event) = s.waiting.remove(&(s.next_seq + run.len() as i64))
                {
                    run.push(event);
                }
                run
            });
            let count = events.len();
            let report = ctx
                .execute_local_activity(
                    WebhookActivities::apply_webhooks,
                    ApplyBatch { salon_id, events },
                    apply_options(),
                )
                .await?;
            if let Some(status) = report.status {
                ctx.upsert_search_attributes([
                    INTEGRATION_STATUS.value_set(status.as_str().to_owned())
                ]);
            }
            let done = ctx.state_mut(|s| {
                s.next_seq += count as i64;
                s.applied += count as u64;
                s.applied >= EVENTS_PER_RUN
            });
            if done || ctx.continue_as_new_suggested() {
                let handlers = ctx.clone();
                ctx.wait_condition(move |_| handlers.all_handlers_finished())
                    .await?;
                let input = ctx.state(|s| CompanyInput {
                    salon_id: s.salon_id,
                    next_seq: s.next_seq,
                    waiting: s.waiting.values().cloned().collect(),
                });
                let Err(termination) = ctx.continue_as_new(input, Default::default());
                return Err(termination);
            }
        }
    }

    /// The relay hands over stored webhooks (any order, possibly again).
    #[signal(name = "webhooks")]
    pub fn webhooks(&mut self, _ctx: &mut SyncWorkflowContext<Self>, events: Vec<InboxEvent>) {
        for event in events {
            if event.seq >= self.next_seq {
                self.waiting.insert(event.seq, event);
            }
        }
    }

    /// Where the salon's event stream stands.
    #[query(name = "status")]
    pub fn status(&self, _ctx: &WorkflowContextView) -> CompanyStatus {
        CompanyStatus {
            next_seq: self.next_seq,
            waiting: self.waiting.len(),
            applied: self.applied,
        }
    }
}
