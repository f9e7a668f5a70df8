//! The conversation relay: hands each client's recorded messages (the `inbound_messages`
//! ledger) to `conversation-<salon_id>-<phone>` (a signal, or a start when it is not running). The gateway's
//! event consumer wakes it for each new message, so a message reaches its conversation
//! at once; a sweep on start-up and every [`SWEEP_EVERY`] hands over whatever a crash or
//! a Temporal outage left behind, and re-hands messages that stayed unanswered for
//! [`STALE_AFTER_SECS`] (the workflow ignores ids it already answered).
//!
//! Messages of a salon that is not active (frozen, uninstalled, not yet activated) or of
//! a client handed over to a person are closed as ignored here: nothing is started for
//! them.
//!
//! A transaction-scoped advisory lock per conversation keeps concurrent hand-overs (two
//! quick messages, two processes) in arrival order.

use ai_admin_activities::acts::conversation::ClientMessage;
use ai_admin_activities::db::inbound::{self, Outcome};
use ai_admin_activities::db::{companies, conversations};
use ai_admin_activities::domain::{IntegrationStatus, SalonId};
use ai_admin_activities::supervisor::Supervisor;
use ai_admin_activities::workflow_ids as ids;
use ai_admin_workflows::conversation::{
    ConversationInput, ConversationSettings, ConversationWorkflow,
};
use anyhow::Context as _;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use temporalio_client::errors::{WorkflowInteractionError, WorkflowStartError};
use temporalio_client::{
    Client, WorkflowIdConflictPolicy, WorkflowSignalOptions, WorkflowStartOptions,
};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;

/// Sweep for messages to hand over this often.
pub const SWEEP_EVERY: Duration = Duration::from_secs(2);
/// Messages handed over but unanswered after this long are handed over again.
const STALE_AFTER_SECS: i64 = 120;
/// How long one signal or start may take.
const RPC_TIMEOUT: Duration = Duration::from_secs(10);
/// Conversations relayed at once.
const PARALLEL: usize = 8;
/// Connections the relay needs: one per conversation relayed at once, one for the sweep.
pub const CONNECTIONS: u32 = PARALLEL as u32 + 1;

/// Wakes the relay for a conversation with a new message.
#[derive(Debug, Clone)]
pub struct ConversationRelay {
    wake: mpsc::UnboundedSender<(SalonId, String)>,
}

impl ConversationRelay {
    /// The client has a new recorded message (never blocks; the sweep covers a lost wake).
    pub fn wake(&self, salon_id: SalonId, phone: &str) {
        let _ = self.wake.send((salon_id, phone.to_owned()));
    }
}

/// What the relay needs.
#[derive(Debug, Clone)]
struct Relay {
    db: PgPool,
    client: Client,
    task_queue: String,
    settings: ConversationSettings,
}

/// Starts the relay; it runs until the task is aborted (supervised: a restart picks up
/// the same wake-up channel).
pub fn spawn(
    db: PgPool,
    client: Client,
    task_queue: String,
    settings: ConversationSettings,
    supervisor: &Supervisor,
) -> (ConversationRelay, JoinHandle<()>) {
    let (wake, woken) = mpsc::unbounded_channel::<(SalonId, String)>();
    let woken = Arc::new(tokio::sync::Mutex::new(woken));
    let relay = Arc::new(Relay {
        db,
        client,
        task_queue,
        settings,
    });
    let slots = Arc::new(Semaphore::new(PARALLEL));
    let task = supervisor.spawn("conversation_relay", move || {
        relay_forever(relay.clone(), slots.clone(), woken.clone())
    });
    (ConversationRelay { wake }, task)
}

type Woken = Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<(SalonId, String)>>>;

async fn relay_forever(relay: Arc<Relay>, slots: Arc<Semaphore>, woken: Woken) {
    let mut woken = woken.lock().await;
    let mut sweep = tokio::time::interval(SWEEP_EVERY);
    loop {
        let due: Vec<(SalonId, String)> = tokio::select! {
            Some(conversation) = woken.recv() => vec![conversation],
            _ = sweep.tick() => match inbound::conversations_to_relay(&relay.db, STALE_AFTER_SECS).await {
                Ok(due) => due,
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), "conversation sweep failed");
                    Vec::new()
                }
            },
        };
        for (salon_id, phone) in due {
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            let relay = relay.clone();
            tokio::spawn(async move {
                if let Err(error) = relay.conversation(salon_id, &phone).await {
                    // The sweep tries again.
                    tracing::warn!(%salon_id, error = %format!("{error:#}"), "conversation relay attempt failed");
                }
                drop(slot);
            });
        }
    }
}

impl Relay {
    /// Hands the client's pending messages to their conversation.
    async fn conversation(&self, salon_id: SalonId, phone: &str) -> anyhow::Result<()> {
        let mut tx = self.db.begin().await?;
        inbound::lock_conversation(&mut tx, salon_id, phone).await?;
        let pending = inbound::to_relay(&mut *tx, salon_id, phone, STALE_AFTER_SECS).await?;
        if pending.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = pending.iter().map(|m| m.id).collect();
        let status = companies::find_by_salon(&mut *tx, salon_id)
            .await?
            .map(|c| c.integration_status);
        let handed_off = !conversations::find(&mut *tx, salon_id, phone)
            .await?
            .bot_answers();
        if status != Some(IntegrationStatus::Active) || handed_off {
            inbound::finish(&mut *tx, &ids, Outcome::Ignored).await?;
            // Withdrawn ones are not pending: marked, so they are not picked up again.
            inbound::mark_relayed(&mut *tx, &ids).await?;
            tx.commit().await?;
            tracing::info!(%salon_id, ?status, handed_off, messages = ids.len(), "client messages not answered");
            return Ok(());
        }
        // Only deletions: a running conversation drops them; none is started for them.
        let start_if_missing = !pending.iter().all(|m| m.withdrawn);
        let messages: Vec<ClientMessage> = pending
            .into_iter()
            .map(|m| ClientMessage {
                inbound_id: m.id,
                message_id: m.message_id,
                text: ai_admin_activities::acts::conversation::bounded_text(&m.text),
                push_name: m.push_name,
                withdrawn: m.withdrawn,
                kind: m.kind,
                // Where to download a recording from stays in the ledger: the listening
                // step reads it there, so workflow histories never hold its key.
                media: m.media.map(|mut media| {
                    media.download = None;
                    media
                }),
            })
            .collect();
        self.hand_over(salon_id, phone, messages, start_if_missing)
            .await?;
        inbound::mark_relayed(&mut *tx, &ids).await?;
        tx.commit().await?;
        tracing::debug!(%salon_id, count = ids.len(), "client messages relayed");
        Ok(())
    }

    /// Signals the running conversation, or starts it with the messages as its input.
    ///
    /// Not signal-with-start: a plain start can be *eager* — the server hands the first
    /// workflow task straight back to this process's worker instead of queueing it —
    /// which saves a new conversation one server round trip; starts come in bursts
    /// (a mailing answered by many clients at once). The per-conversation lock keeps
    /// this process's hand-overs in order; the retry covers another process winning a
    /// race to start, or a conversation that ended between signal and start.
    async fn hand_over(
        &self,
        salon_id: SalonId,
        phone: &str,
        messages: Vec<ClientMessage>,
        start_if_missing: bool,
    ) -> anyhow::Result<()> {
        let id = ids::conversation(salon_id, phone);
        for _ in 0..3 {
            let signal = WorkflowSignalOptions::builder().rpc_options(rpc()).build();
            match self
                .client
                .get_workflow_handle::<ConversationWorkflow>(id.clone())
                .signal(ConversationWorkflow::messages, messages.clone(), signal)
                .await
            {
                Ok(()) => return Ok(()),
                Err(WorkflowInteractionError::NotFound(_)) if !start_if_missing => return Ok(()),
                Err(WorkflowInteractionError::NotFound(_)) => {}
                Err(error) => {
                    return Err(error).with_context(|| {
                        format!("Failed to signal the conversation of salon {salon_id}")
                    });
                }
            }
            let options = WorkflowStartOptions::new(self.task_queue.clone(), id.clone())
                .id_conflict_policy(WorkflowIdConflictPolicy::Fail)
                .enable_eager_workflow_start(true)
                .static_summary(format!("A client of salon {salon_id}"))
                .rpc_options(rpc())
                .build();
            let input = ConversationInput {
                salon_id,
                phone: phone.to_owned(),
                settings: self.settings,
                client_name: None,
                history: Vec::new(),
                handled_up_to: 0,
                waiting: messages.clone(),
                discussed: Default::default(),
            };
            match self
                .client
                .start_workflow(ConversationWorkflow::run, input, options)
                .await
            {
                Ok(_) => return Ok(()),
                Err(WorkflowStartError::AlreadyStarted { .. }) => {}
                Err(error) => {
                    return Err(error).with_context(|| {
                        format!("Failed to start the conversation of salon {salon_id}")
                    });
                }
            }
        }
        anyhow::bail!("the conversation of salon {salon_id} kept starting and ending")
    }
}

fn rpc() -> temporalio_client::RpcOptions {
    crate::connection::rpc_within(RPC_TIMEOUT)
}
