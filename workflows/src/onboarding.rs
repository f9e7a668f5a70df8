//! `onboarding-<salon_id>`: the salon owner's path from the marketplace redirect to a
//! working bot. So far: it waits for the salon's WhatsApp to be linked (signal
//! `whatsapp_connected`) for as long as the owner's onboarding token lives, and answers
//! the `progress` query at every point. Activation, the first sync and the welcome
//! message join as later steps.

// `#[workflow_methods]` generates one undocumented constant per handler.
#![allow(missing_docs)]

use crate::search_attributes::{INTEGRATION_STATUS, SALON_ID};
use ai_admin_activities::db::events::{EventType, NewEvent};
use ai_admin_activities::domain::{IntegrationStatus, SalonId};
use ai_admin_activities::marketplace::{MarketplaceActivities, ProgressUpdate};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use temporalio_common::RetryPolicy;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::workflows::select;
use temporalio_sdk::{
    ActivityOptions, CancellableFuture, SyncWorkflowContext, WorkflowContext, WorkflowContextView,
    WorkflowResult,
};

/// What the API gives the workflow when it starts it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnboardingInput {
    /// The salon being onboarded.
    pub salon_id: SalonId,
    /// Its `companies.id`.
    pub company_id: i64,
    /// How long to wait for the WhatsApp link: the onboarding token's lifetime, after
    /// which the owner's page can no longer act anyway.
    pub link_timeout_secs: u64,
}

/// Signal payload: the salon's phone is linked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhatsAppConnected {
    /// The linked phone number, digits only.
    pub phone: String,
}

/// The steps an owner sees on the onboarding page, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnboardingStep {
    /// Waiting for the owner to scan the QR code or enter the pairing code.
    WaitingForWhatsapp,
    /// The phone is linked.
    WhatsappConnected,
}

impl OnboardingStep {
    /// The name the page and the `progress` event use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WaitingForWhatsapp => "waiting_for_whatsapp",
            Self::WhatsappConnected => "whatsapp_connected",
        }
    }

    /// How far along the journey this step is, for the page's progress bar.
    pub fn percent(self) -> u8 {
        match self {
            Self::WaitingForWhatsapp => 10,
            Self::WhatsappConnected => 25,
        }
    }
}

/// Whether the current step is still going, done, or gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// The step is under way.
    InProgress,
    /// The step finished.
    Completed,
    /// The owner did not finish the step in time.
    Expired,
}

/// The answer to the `progress` query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// The current step.
    pub step: OnboardingStep,
    /// 0–100.
    pub percent: u8,
    /// The step's state.
    pub status: StepStatus,
}

impl Progress {
    fn at(step: OnboardingStep, status: StepStatus) -> Self {
        Self {
            step,
            percent: step.percent(),
            status,
        }
    }
}

impl StepStatus {
    /// The name the page and the `progress` event use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Expired => "expired",
        }
    }
}

/// How the workflow ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum OnboardingOutcome {
    /// The phone was linked.
    Linked {
        /// The linked number.
        phone: String,
    },
    /// The token expired before the phone was linked; a new marketplace redirect
    /// starts a new onboarding.
    Expired,
}

/// State of one onboarding run.
#[workflow]
pub struct OnboardingWorkflow {
    input: OnboardingInput,
    progress: Progress,
    linked_phone: Option<String>,
}

#[workflow_methods]
impl OnboardingWorkflow {
    /// Starts waiting for the WhatsApp link.
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: OnboardingInput) -> Self {
        Self {
            input,
            progress: Progress::at(OnboardingStep::WaitingForWhatsapp, StepStatus::InProgress),
            linked_phone: None,
        }
    }

    /// The journey; see the module docs.
    #[run(name = "onboarding")]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<OnboardingOutcome> {
        let (salon_id, link_timeout) = ctx.state(|s| {
            (
                s.input.salon_id,
                Duration::from_secs(s.input.link_timeout_secs),
            )
        });
        ctx.upsert_search_attributes([
            SALON_ID.value_set(salon_id.into()),
            INTEGRATION_STATUS.value_set(IntegrationStatus::PendingWhatsapp.as_str().to_owned()),
        ]);

        Self::advance(
            ctx,
            OnboardingStep::WaitingForWhatsapp,
            StepStatus::InProgress,
        )
        .await?;

        let mut deadline = ctx.timer(link_timeout);
        let linked = select! {
            _ = ctx.wait_condition(|s: &Self| s.linked_phone.is_some()) => true,
            _ = deadline => false,
        };

        if linked {
            deadline.cancel();
            let phone = ctx.state(|s| s.linked_phone.clone()).unwrap_or_default();
            Self::advance(
                ctx,
                OnboardingStep::WhatsappConnected,
                StepStatus::Completed,
            )
            .await?;
            return Ok(OnboardingOutcome::Linked { phone });
        }

        Self::advance(ctx, OnboardingStep::WaitingForWhatsapp, StepStatus::Expired).await?;
        ctx.execute_activity(
            MarketplaceActivities::record_event,
            NewEvent {
                salon_id,
                event_type: EventType::OnboardingExpired,
                data: serde_json::json!({ "waited_secs": link_timeout.as_secs() }),
                dedup_key: None,
            },
            database_write_options(),
        )
        .await?;
        Ok(OnboardingOutcome::Expired)
    }

    /// Moves the `progress` the query answers and shows it on the owner's page.
    async fn advance(
        ctx: &WorkflowContext<Self>,
        step: OnboardingStep,
        status: StepStatus,
    ) -> WorkflowResult<()> {
        let progress = Progress::at(step, status);
        ctx.state_mut(|s| s.progress = progress);
        let salon_id = ctx.state(|s| s.input.salon_id);
        ctx.execute_activity(
            MarketplaceActivities::publish_progress,
            ProgressUpdate {
                salon_id,
                workflow: "onboarding".to_owned(),
                step: step.as_str().to_owned(),
                percent: progress.percent,
                status: status.as_str().to_owned(),
                detail: None,
            },
            database_write_options(),
        )
        .await?;
        Ok(())
    }

    /// The salon's WhatsApp is linked (sent by the gateway's event consumer).
    #[signal(name = "whatsapp_connected")]
    pub fn whatsapp_connected(
        &mut self,
        _ctx: &mut SyncWorkflowContext<Self>,
        signal: WhatsAppConnected,
    ) {
        if self.linked_phone.is_none() {
            self.linked_phone = Some(signal.phone);
        }
    }

    /// Where the onboarding stands, for the owner's page and for ops.
    #[query(name = "progress")]
    pub fn progress(&self, _ctx: &WorkflowContextView) -> Progress {
        self.progress
    }
}

/// A short write to PostgreSQL: retried patiently, since the database coming back is
/// only a matter of time.
fn database_write_options() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(10))
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_millis(500))
                .maximum_interval(Duration::from_secs(30))
                .build(),
        )
        .build()
}
