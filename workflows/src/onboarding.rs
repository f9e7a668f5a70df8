//! `onboarding-<salon_id>`: the salon owner's path from the marketplace redirect to a
//! working bot. It waits for the salon's WhatsApp to be linked (signal
//! `whatsapp_connected`) as long as the onboarding token lives; then activates the
//! integration in YClients (child `activation-<salon_id>`; on failure it waits for the
//! owner's "retry", the `activate` update); creates the recurring sync schedules; runs the
//! first full sync (child `sync-<salon_id>`); sends the welcome message once; and is
//! `ready`. Every step is a `progress` event on the owner's page and the `progress`
//! query's answer; a restart at any step resumes where it was.

// `#[workflow_methods]` generates one undocumented constant per handler.
#![allow(missing_docs)]

use crate::activation::{ActivationInput, ActivationWorkflow};
use crate::options::database_write;
use crate::search_attributes::{INTEGRATION_STATUS, SALON_ID};
use crate::sync::SyncWorkflow;
use crate::waits::condition_within;
use ai_admin_activities::acts::activation::ActivationOutcome;
use ai_admin_activities::acts::marketplace::{MarketplaceActivities, ProgressUpdate};
use ai_admin_activities::acts::messaging::MessagingActivities;
use ai_admin_activities::acts::recurring_sync::{EnsureSchedules, RecurringSyncActivities};
use ai_admin_activities::acts::sync::{SyncInput, SyncReport};
use ai_admin_activities::db::events::{EventType, NewEvent};
use ai_admin_activities::domain::{IntegrationStatus, SalonId};
use ai_admin_activities::workflow_ids as ids;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ApplicationFailure, ChildWorkflowOptions, SyncWorkflowContext, WorkflowContext,
    WorkflowContextView, WorkflowResult,
};

/// What the API gives the workflow when it starts it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnboardingInput {
    /// The salon being onboarded.
    pub salon_id: SalonId,
    /// Its `companies.id`.
    pub company_id: i64,
    /// How long to wait for the WhatsApp link (and, after a failed activation, for the
    /// owner's retry): the onboarding token's lifetime.
    pub link_timeout_secs: u64,
    /// The salon's IANA time zone, for its sync schedules.
    #[serde(default = "default_timezone")]
    pub timezone: String,
    /// The salon's number when its WhatsApp is already linked (the owner came back from
    /// the marketplace): onboarding does not wait for a link then.
    #[serde(default)]
    pub linked_phone: Option<String>,
}

fn default_timezone() -> String {
    ai_admin_activities::domain::DEFAULT_ZONE.name().to_owned()
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
    /// The activation callback to YClients.
    Activating,
    /// The first full sync.
    Syncing,
    /// The welcome message.
    Welcome,
    /// Done: the bot works.
    Ready,
}

impl OnboardingStep {
    /// How far along the journey this step is, for the page's progress bar.
    pub fn percent(self) -> u8 {
        match self {
            Self::WaitingForWhatsapp => 10,
            Self::WhatsappConnected => 25,
            Self::Activating => 35,
            Self::Syncing => 60,
            Self::Welcome => 95,
            Self::Ready => 100,
        }
    }

    /// The name the page and the `progress` event use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WaitingForWhatsapp => "waiting_for_whatsapp",
            Self::WhatsappConnected => "whatsapp_connected",
            Self::Activating => "activating",
            Self::Syncing => "syncing",
            Self::Welcome => "welcome",
            Self::Ready => "ready",
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
    /// The step failed; the owner may retry.
    Failed,
    /// The owner did not finish the step in time.
    Expired,
}

impl StepStatus {
    /// The name the page and the `progress` event use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Expired => "expired",
        }
    }
}

/// The answer to the `progress` query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// The current step.
    pub step: OnboardingStep,
    /// 0–100.
    pub percent: u8,
    /// The step's state.
    pub status: StepStatus,
    /// Why a step failed, when it did.
    #[serde(default)]
    pub detail: Option<String>,
}

impl Progress {
    fn at(step: OnboardingStep, status: StepStatus, detail: Option<String>) -> Self {
        Self {
            step,
            percent: step.percent(),
            status,
            detail,
        }
    }
}

/// Where activation stands, for the `activate` update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum ActivationState {
    /// Not started (the phone is not linked yet, or just was).
    NotStarted,
    /// The activation child is running.
    Running,
    /// YClients accepted the callback.
    Succeeded,
    /// The last attempt failed.
    Failed {
        /// Why; the owner's "activate" (or "retry") is answered with it.
        reason: String,
    },
}

/// The answer of the `activate` update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivationResult {
    /// Whether the integration is active.
    pub success: bool,
    /// Why not, when it is not.
    pub reason: Option<String>,
}

/// How the workflow ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum OnboardingOutcome {
    /// Linked, activated, synced, welcomed: the bot works.
    Ready {
        /// The linked number.
        phone: String,
        /// Rows the first sync wrote.
        synced_rows: u64,
    },
    /// The token expired before the phone was linked; a new marketplace redirect
    /// starts a new onboarding.
    Expired,
    /// Activation failed and the owner did not retry in time.
    ActivationFailed {
        /// The last failure.
        reason: String,
    },
}

/// State of one onboarding run.
#[workflow]
pub struct OnboardingWorkflow {
    input: OnboardingInput,
    progress: Progress,
    linked_phone: Option<String>,
    activation: ActivationState,
    /// Activation attempts that have finished, so an `activate` update knows when the
    /// attempt it waits for is over.
    attempts_finished: u32,
    /// The owner asked to retry a failed activation.
    retry_requested: bool,
}

#[workflow_methods]
impl OnboardingWorkflow {
    /// Starts waiting for the WhatsApp link.
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: OnboardingInput) -> Self {
        Self {
            linked_phone: input.linked_phone.clone(),
            input,
            progress: Progress::at(
                OnboardingStep::WaitingForWhatsapp,
                StepStatus::InProgress,
                None,
            ),
            activation: ActivationState::NotStarted,
            attempts_finished: 0,
            retry_requested: false,
        }
    }

    /// The journey; see the module docs.
    #[run(name = "onboarding")]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<OnboardingOutcome> {
        let (salon_id, patience, timezone) = ctx.state(|s| {
            (
                s.input.salon_id,
                Duration::from_secs(s.input.link_timeout_secs),
                s.input.timezone.clone(),
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
            None,
        )
        .await?;

        if !condition_within(ctx, patience, |s: &Self| s.linked_phone.is_some()).await? {
            Self::advance(
                ctx,
                OnboardingStep::WaitingForWhatsapp,
                StepStatus::Expired,
                None,
            )
            .await?;
            ctx.execute_activity(
                MarketplaceActivities::record_event,
                NewEvent {
                    salon_id,
                    event_type: EventType::OnboardingExpired,
                    data: serde_json::json!({ "waited_secs": patience.as_secs() }),
                    dedup_key: None,
                },
                database_write(),
            )
            .await?;
            return Ok(OnboardingOutcome::Expired);
        }
        let phone = ctx.state(|s| s.linked_phone.clone()).unwrap_or_default();
        Self::advance(
            ctx,
            OnboardingStep::WhatsappConnected,
            StepStatus::Completed,
            None,
        )
        .await?;

        if let Some(reason) = Self::activate_until_done(ctx, salon_id, patience).await? {
            return Ok(OnboardingOutcome::ActivationFailed { reason });
        }
        ctx.upsert_search_attributes([
            INTEGRATION_STATUS.value_set(IntegrationStatus::Active.as_str().to_owned())
        ]);

        ctx.execute_activity(
            RecurringSyncActivities::ensure_sync_schedules,
            EnsureSchedules { salon_id, timezone },
            database_write(),
        )
        .await?;

        Self::advance(ctx, OnboardingStep::Syncing, StepStatus::InProgress, None).await?;
        let report = Self::first_sync(ctx, salon_id).await?;

        Self::advance(ctx, OnboardingStep::Welcome, StepStatus::InProgress, None).await?;
        ctx.execute_activity(
            MessagingActivities::send_welcome,
            salon_id,
            database_write(),
        )
        .await?;
        Self::advance(ctx, OnboardingStep::Ready, StepStatus::Completed, None).await?;
        Ok(OnboardingOutcome::Ready {
            phone,
            synced_rows: report.rows(),
        })
    }

    /// Runs activation attempts until one succeeds (`None`) or a failed one is not retried
    /// by the owner within `patience` (the last reason).
    async fn activate_until_done(
        ctx: &mut WorkflowContext<Self>,
        salon_id: SalonId,
        patience: Duration,
    ) -> WorkflowResult<Option<String>> {
        loop {
            ctx.state_mut(|s| {
                s.activation = ActivationState::Running;
                s.retry_requested = false;
            });
            Self::advance(
                ctx,
                OnboardingStep::Activating,
                StepStatus::InProgress,
                None,
            )
            .await?;
            let child = ctx
                .start_child_workflow(
                    ActivationWorkflow::run,
                    ActivationInput { salon_id },
                    ChildWorkflowOptions::workflow_id(ids::activation(salon_id)),
                )
                .await
                .map_err(|e| ApplicationFailure::new(format!("activation did not start: {e}")))?;
            let outcome = child
                .result()
                .await
                .map_err(|e| ApplicationFailure::new(format!("activation failed: {e}")))?;
            match outcome {
                ActivationOutcome::Activated => {
                    ctx.state_mut(|s| {
                        s.activation = ActivationState::Succeeded;
                        s.attempts_finished += 1;
                    });
                    return Ok(None);
                }
                ActivationOutcome::Failed { reason } => {
                    ctx.state_mut(|s| {
                        s.activation = ActivationState::Failed {
                            reason: reason.clone(),
                        };
                        s.attempts_finished += 1;
                    });
                    Self::advance(
                        ctx,
                        OnboardingStep::Activating,
                        StepStatus::Failed,
                        Some(reason.clone()),
                    )
                    .await?;
                    if !condition_within(ctx, patience, |s: &Self| s.retry_requested).await? {
                        return Ok(Some(reason));
                    }
                }
            }
        }
    }

    async fn first_sync(
        ctx: &mut WorkflowContext<Self>,
        salon_id: SalonId,
    ) -> WorkflowResult<SyncReport> {
        let child = ctx
            .start_child_workflow(
                SyncWorkflow::run,
                SyncInput {
                    salon_id,
                    parts: Vec::new(),
                    publish_progress: true,
                },
                ChildWorkflowOptions::workflow_id(ids::sync(salon_id)),
            )
            .await
            .map_err(|e| ApplicationFailure::new(format!("the first sync did not start: {e}")))?;
        Ok(child
            .result()
            .await
            .map_err(|e| ApplicationFailure::new(format!("the first sync failed: {e}")))?)
    }

    /// Moves the `progress` the query answers and shows it on the owner's page.
    async fn advance(
        ctx: &WorkflowContext<Self>,
        step: OnboardingStep,
        status: StepStatus,
        detail: Option<String>,
    ) -> WorkflowResult<()> {
        let progress = Progress::at(step, status, detail);
        ctx.state_mut(|s| s.progress = progress.clone());
        let salon_id = ctx.state(|s| s.input.salon_id);
        ctx.execute_activity(
            MarketplaceActivities::publish_progress,
            ProgressUpdate {
                salon_id,
                workflow: "onboarding".to_owned(),
                step: step.as_str().to_owned(),
                percent: progress.percent,
                status: status.as_str().to_owned(),
                detail: progress.detail,
            },
            database_write(),
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

    /// Refuses activation before the phone is linked.
    #[update_validator(activate)]
    pub fn validate_activate(
        &self,
        _ctx: &WorkflowContextView,
        _input: &(),
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if self.linked_phone.is_none() {
            return Err("WhatsApp is not linked yet".into());
        }
        Ok(())
    }

    /// The owner's "activate" (or "retry"): answers once the current attempt is over,
    /// starting a new one only after a failure. Several calls at once share one attempt,
    /// so YClients gets one callback.
    #[update(name = "activate")]
    pub async fn activate(ctx: &mut WorkflowContext<Self>, _input: ()) -> ActivationResult {
        let seen = ctx.state(|s| s.attempts_finished);
        let state = ctx.state(|s| s.activation.clone());
        match state {
            ActivationState::Succeeded => {
                return ActivationResult {
                    success: true,
                    reason: None,
                };
            }
            ActivationState::Failed { .. } => ctx.state_mut(|s| s.retry_requested = true),
            ActivationState::NotStarted | ActivationState::Running => {}
        }
        // Cancellation only happens when the whole workflow is cancelled; the state
        // below answers truthfully either way.
        let _ = ctx
            .wait_condition(|s| {
                s.attempts_finished > seen || s.activation == ActivationState::Succeeded
            })
            .await;
        match ctx.state(|s| s.activation.clone()) {
            ActivationState::Succeeded => ActivationResult {
                success: true,
                reason: None,
            },
            ActivationState::Failed { reason } => ActivationResult {
                success: false,
                reason: Some(reason),
            },
            ActivationState::NotStarted | ActivationState::Running => ActivationResult {
                success: false,
                reason: Some("activation is still running".to_owned()),
            },
        }
    }

    /// Where the onboarding stands, for the owner's page and for ops.
    #[query(name = "progress")]
    pub fn progress(&self, _ctx: &WorkflowContextView) -> Progress {
        self.progress.clone()
    }
}
