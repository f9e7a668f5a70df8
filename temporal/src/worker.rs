//! The Temporal workers: [`Queue::Main`] registers every workflow and activity of the
//! main task queue, [`Queue::Gateway`] the WhatsApp calls of one gateway node on
//! `wa-<node_id>`, [`Queue::Other`] a caller's own (a benchmark's yardstick);
//! [`spawn_workers`] runs the process's queues beside the API in the
//! same tokio runtime.
//!
//! The SDK's `Worker::run` future is `!Send` (workflows live in a `LocalSet`), so it
//! cannot be `tokio::spawn`ed. It is driven on a blocking-pool thread with
//! `Handle::block_on`, which keeps one runtime (and one database pool) for the whole
//! process; activities are still spawned onto the runtime's worker threads by the SDK.

use ai_admin_activities::acts::activation::{ActivationActivities, ActivationSettings};
use ai_admin_activities::acts::billing::BillingActivities;
use ai_admin_activities::acts::conversation::ConversationActivities;
use ai_admin_activities::acts::erasure::ErasureActivities;
use ai_admin_activities::acts::gateway_calls::GatewayCallActivities;
use ai_admin_activities::acts::marketplace::MarketplaceActivities;
use ai_admin_activities::acts::messaging::MessagingActivities;
use ai_admin_activities::acts::reconcile::ReconcileActivities;
use ai_admin_activities::acts::recurring_sync::RecurringSyncActivities;
use ai_admin_activities::acts::reminders::ReminderActivities;
use ai_admin_activities::acts::retention::{RetentionActivities, RetentionPolicy};
use ai_admin_activities::acts::sync::SyncActivities;
use ai_admin_activities::acts::webhooks::apply::WebhookActivities;
use ai_admin_activities::clients::llm::LanguageModel;
use ai_admin_activities::clients::yclients::YClients;
use ai_admin_activities::whatsapp::WhatsAppGateway;
use ai_admin_activities::whatsapp::ownership::GatewayNode;
use ai_admin_workflows::activation::ActivationWorkflow;
use ai_admin_workflows::billing::{PaymentRefundWorkflow, PaymentReportWorkflow};
use ai_admin_workflows::company::CompanyWorkflow;
use ai_admin_workflows::conversation::ConversationWorkflow;
use ai_admin_workflows::erasure::ErasureWorkflow;
use ai_admin_workflows::handoff::HandoffWorkflow;
use ai_admin_workflows::onboarding::OnboardingWorkflow;
use ai_admin_workflows::reconcile::InstallReconcileWorkflow;
use ai_admin_workflows::reminder::ReminderWorkflow;
use ai_admin_workflows::retention::RetentionWorkflow;
use ai_admin_workflows::sync::SyncWorkflow;
use ai_admin_workflows::whatsapp_call::WhatsAppCallWorkflow;
use anyhow::Context as _;
use sqlx::PgPool;
use std::sync::Arc;
use temporalio_client::Client;
use temporalio_common::telemetry::TelemetryOptions;
use temporalio_common::telemetry::metrics::CoreMeter;
use temporalio_sdk::runtime::RuntimeOptions;
use temporalio_sdk::{Runtime, Worker, WorkerOptions};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// What the activities need: everything they touch outside Temporal.
#[derive(Debug, Clone)]
pub struct ActivityDeps {
    /// The application database.
    pub db: PgPool,
    /// YClients (the process's one rate-limited client).
    pub yclients: Arc<dyn YClients>,
    /// The salons' WhatsApp sessions.
    pub gateway: Arc<dyn WhatsAppGateway>,
    /// Our application id and webhook URL, for the activation callback.
    pub activation: ActivationSettings,
    /// The assistant's language model.
    pub llm: Arc<dyn LanguageModel>,
    /// How long before a visit reminders go out.
    pub reminder_offsets: Vec<std::time::Duration>,
    /// How long old rows are kept.
    pub retention: RetentionPolicy,
    /// What the assistant may do in one conversation.
    pub assistant_limits: ai_admin_activities::acts::conversation::AssistantLimits,
    /// The prompts the assistant uses.
    pub prompts: &'static ai_admin_activities::assistant::prompts::PromptSet,
    /// How long a handoff may go unanswered (in answer hours) before the bot takes the
    /// client back; `None`: as long as it takes.
    pub handoff_timeout: Option<std::time::Duration>,
    /// How long after an uninstall the salon's personal data is deleted
    /// (`PERSONAL_DATA_GRACE`).
    pub personal_data_grace: std::time::Duration,
}

/// Builds a worker's registrations, on the worker's own thread.
pub type BuildOptions = Box<dyn FnOnce() -> anyhow::Result<WorkerOptions> + Send>;

/// A task queue this process polls.
pub enum Queue {
    /// The main task queue: every workflow and activity of AI Admin.
    Main {
        /// `TEMPORAL_TASK_QUEUE`.
        task_queue: String,
        /// What the activities use (boxed: it is far bigger than the other variant).
        deps: Box<ActivityDeps>,
    },
    /// A gateway node's own queue (`wa-<node_id>`): the WhatsApp calls on its sessions.
    Gateway(GatewayNode),
    /// A queue with the caller's own workflows and activities (a benchmark's yardstick),
    /// which the product's worker does not register.
    Other {
        /// Its name.
        task_queue: String,
        /// Its registrations.
        options: BuildOptions,
    },
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Main { task_queue, .. } => f
                .debug_struct("Main")
                .field("task_queue", task_queue)
                .finish_non_exhaustive(),
            Self::Gateway(node) => f.debug_tuple("Gateway").field(node).finish(),
            Self::Other { task_queue, .. } => f
                .debug_struct("Other")
                .field("task_queue", task_queue)
                .finish_non_exhaustive(),
        }
    }
}

impl Queue {
    fn name(&self) -> String {
        match self {
            Self::Main { task_queue, .. } => task_queue.clone(),
            Self::Gateway(node) => node.task_queue().to_owned(),
            Self::Other { task_queue, .. } => task_queue.clone(),
        }
    }

    fn options(self) -> anyhow::Result<WorkerOptions> {
        match self {
            Self::Main { task_queue, deps } => worker_options(&task_queue, *deps),
            Self::Gateway(node) => Ok(WorkerOptions::new(node.task_queue())
                .register_workflow::<WhatsAppCallWorkflow>()
                .context("Failed to register the WhatsApp call workflow")?
                .register_activities(GatewayCallActivities::new(node))
                .build()),
            Self::Other { options, .. } => options(),
        }
    }
}

/// Every workflow and activity of AI Admin, on `task_queue`.
fn worker_options(task_queue: &str, deps: ActivityDeps) -> anyhow::Result<WorkerOptions> {
    Ok(WorkerOptions::new(task_queue)
        .register_workflow::<OnboardingWorkflow>()
        .context("Failed to register the onboarding workflow")?
        .register_workflow::<ActivationWorkflow>()
        .context("Failed to register the activation workflow")?
        .register_workflow::<SyncWorkflow>()
        .context("Failed to register the sync workflow")?
        .register_workflow::<CompanyWorkflow>()
        .context("Failed to register the company workflow")?
        .register_workflow::<ConversationWorkflow>()
        .context("Failed to register the conversation workflow")?
        .register_workflow::<ReminderWorkflow>()
        .context("Failed to register the reminder workflow")?
        .register_workflow::<HandoffWorkflow>()
        .context("Failed to register the handoff workflow")?
        .register_workflow::<RetentionWorkflow>()
        .context("Failed to register the retention workflow")?
        .register_workflow::<InstallReconcileWorkflow>()
        .context("Failed to register the install reconcile workflow")?
        .register_activities(ReconcileActivities::new(
            deps.db.clone(),
            deps.yclients.clone(),
            deps.activation.application_id.clone(),
        ))
        .register_workflow::<ErasureWorkflow>()
        .context("Failed to register the erasure workflow")?
        .register_workflow::<PaymentReportWorkflow>()
        .context("Failed to register the payment report workflow")?
        .register_workflow::<PaymentRefundWorkflow>()
        .context("Failed to register the payment refund workflow")?
        .register_activities(ErasureActivities::new(
            deps.db.clone(),
            deps.personal_data_grace,
        ))
        .register_activities(BillingActivities::new(
            deps.db.clone(),
            deps.yclients.clone(),
            deps.activation.application_id.clone(),
        ))
        .register_activities(RetentionActivities::new(deps.db.clone(), deps.retention))
        .register_activities(MarketplaceActivities::new(deps.db.clone()))
        .register_activities(ActivationActivities::new(
            deps.db.clone(),
            deps.yclients.clone(),
            deps.activation,
        ))
        .register_activities(
            SyncActivities::new(deps.db.clone(), deps.yclients.clone())
                .with_reminders(deps.reminder_offsets.clone()),
        )
        .register_activities(WebhookActivities::new(
            deps.db.clone(),
            deps.yclients.clone(),
            deps.gateway.clone(),
            deps.reminder_offsets.clone(),
        ))
        .register_activities(
            ConversationActivities::new(
                deps.db.clone(),
                deps.yclients,
                deps.llm,
                deps.gateway.clone(),
                deps.reminder_offsets,
            )
            .with_limits(deps.assistant_limits)
            .with_prompts(deps.prompts)
            .with_handoff_timeout(deps.handoff_timeout),
        )
        .register_activities(ReminderActivities::new(
            deps.db.clone(),
            deps.gateway.clone(),
        ))
        .register_activities(RecurringSyncActivities)
        .register_activities(MessagingActivities::new(deps.db, deps.gateway))
        .build())
}

/// A worker polling in the background.
pub struct RunningWorker {
    shutdown: Box<dyn Fn() + Send + Sync>,
    done: JoinHandle<anyhow::Result<()>>,
}

impl std::fmt::Debug for RunningWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningWorker").finish_non_exhaustive()
    }
}

impl RunningWorker {
    /// Stops polling, lets in-flight tasks finish, and waits for the worker to end.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        (self.shutdown)();
        self.done
            .await
            .context("The Temporal worker thread panicked")?
    }
}

/// Starts a worker on `task_queue` and returns once it is polling; the SDK records its
/// metrics into `meter` when one is given.
pub async fn spawn_worker(
    client: Client,
    task_queue: String,
    deps: ActivityDeps,
    meter: Option<Arc<dyn CoreMeter>>,
) -> anyhow::Result<RunningWorker> {
    let deps = Box::new(deps);
    spawn_workers(client, vec![Queue::Main { task_queue, deps }], meter).await
}

/// Starts one worker per queue (sharing one SDK runtime) and returns once all poll.
pub async fn spawn_workers(
    client: Client,
    queues: Vec<Queue>,
    meter: Option<Arc<dyn CoreMeter>>,
) -> anyhow::Result<RunningWorker> {
    let runtime_handle = tokio::runtime::Handle::current();
    let (ready_tx, ready_rx) = oneshot::channel::<Box<dyn Fn() + Send + Sync>>();
    let done = tokio::task::spawn_blocking(move || {
        runtime_handle.block_on(async move {
            let telemetry = TelemetryOptions::builder().maybe_metrics(meter).build();
            let options = RuntimeOptions::builder()
                .telemetry_options(telemetry)
                .build()
                .map_err(|error| {
                    anyhow::anyhow!("Failed to configure the Temporal SDK runtime: {error}")
                })?;
            let runtime = Runtime::from_current_tokio(options)
                .context("Failed to create the Temporal SDK runtime")?;
            let mut workers = Vec::with_capacity(queues.len());
            let mut names = Vec::with_capacity(queues.len());
            for queue in queues {
                names.push(queue.name());
                let worker = Worker::new(&runtime, client.clone(), queue.options()?)
                    .context("Failed to create the Temporal worker")?;
                workers.push(worker);
            }
            let handles: Vec<_> = workers.iter().map(Worker::shutdown_handle).collect();
            // The receiver only goes away when the caller gave up waiting; the workers
            // then still run until the process ends.
            let _ = ready_tx.send(Box::new(move || handles.iter().for_each(|stop| stop())));
            tracing::info!(task_queues = ?names, "Temporal workers polling");
            let runs = workers.iter_mut().map(Worker::run);
            futures::future::join_all(runs)
                .await
                .into_iter()
                .collect::<Result<Vec<()>, _>>()
                .context("The Temporal worker failed")?;
            Ok(())
        })
    });
    match ready_rx.await {
        Ok(shutdown) => Ok(RunningWorker { shutdown, done }),
        Err(_) => Err(done
            .await
            .context("The Temporal worker thread panicked")?
            .err()
            .unwrap_or_else(|| anyhow::anyhow!("The Temporal worker stopped before polling"))),
    }
}
