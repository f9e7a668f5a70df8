//! The webhook relay: hands each salon's stored webhooks to `company-<salon_id>` with
//! signal-with-start, everything pending in one signal (up to [`BATCH`]). It wakes on the
//! inbox's `NOTIFY` and also sweeps on start-up and every [`SWEEP_EVERY`], so nothing is
//! lost while Temporal is down. A salon is handed events at most every
//! [`MIN_INTERVAL`]: under a burst, events wait a moment and travel together instead of
//! costing one Temporal round trip each.
//!
//! Several relays (one per process) can run: a transaction-scoped advisory lock per salon
//! keeps them off each other, and the workflow ignores events it has already applied.

use ai_admin_activities::db::webhook_inbox::{self, CHANNEL};
use ai_admin_activities::domain::SalonId;
use ai_admin_activities::supervisor::Supervisor;
use ai_admin_activities::workflow_ids as ids;
use ai_admin_workflows::company::{CompanyInput, CompanyWorkflow};
use anyhow::Context as _;
use futures::StreamExt as _;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;
use temporalio_client::{Client, WorkflowIdConflictPolicy, WorkflowStartOptions};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Events in one signal at most.
pub const BATCH: i64 = 200;
/// Sweep for pending events this often, whatever the notifications say.
pub const SWEEP_EVERY: Duration = Duration::from_secs(2);
/// A salon is handed events about this often at most (see [`turn_after`]).
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// Events handed over but still unapplied after this long are handed over again.
const STALE_AFTER_SECS: i64 = 300;
/// Salons relayed at once.
const PARALLEL: usize = 8;
/// Connections the relay needs: one per salon relayed at once, and one for the sweep.
pub const CONNECTIONS: u32 = PARALLEL as u32 + 1;

/// Relays until the task is aborted; supervised.
pub fn spawn(
    db: PgPool,
    client: Client,
    task_queue: String,
    supervisor: &Supervisor,
) -> JoinHandle<()> {
    supervisor.spawn("webhook_relay", move || {
        let (db, client, task_queue) = (db.clone(), client.clone(), task_queue.clone());
        async move {
            loop {
                if let Err(error) = relay_forever(&db, &client, &task_queue).await {
                    tracing::warn!(error = %format!("{error:#}"), "webhook relay failed, restarting");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    })
}

async fn relay_forever(db: &PgPool, client: &Client, task_queue: &str) -> anyhow::Result<()> {
    let mut listener = PgListener::connect_with(db).await?;
    listener.listen(CHANNEL).await?;
    let mut dirty: BTreeSet<SalonId> = webhook_inbox::salons_with_pending(db, 0)
        .await?
        .into_iter()
        .collect();
    let mut next_turn: HashMap<SalonId, Instant> = HashMap::new();
    let mut sweep = tokio::time::interval(SWEEP_EVERY);
    loop {
        // Relay the salons whose turn has come; the others stay dirty.
        let now = Instant::now();
        let due: Vec<SalonId> = dirty
            .iter()
            .copied()
            .filter(|salon| next_turn.get(salon).is_none_or(|at| now >= *at))
            .collect();
        let results: Vec<(SalonId, anyhow::Result<bool>)> = futures::stream::iter(due)
            .map(|salon_id| async move {
                (
                    salon_id,
                    relay_salon(db, client, task_queue, salon_id).await,
                )
            })
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        for (salon_id, result) in results {
            match result {
                Ok(more) => {
                    next_turn.insert(salon_id, turn_after(Instant::now()));
                    if !more {
                        dirty.remove(&salon_id);
                    }
                }
                // Temporal or the database is away: the salon stays dirty and is tried
                // again on the next sweep.
                Err(error) => {
                    tracing::warn!(%salon_id, error = %format!("{error:#}"), "webhook relay attempt failed");
                    next_turn.insert(salon_id, turn_after(Instant::now()));
                }
            }
        }
        // A salon whose turn has passed is due anyway: forget it, so the map stays small.
        let now = Instant::now();
        next_turn.retain(|salon, at| *at > now || dirty.contains(salon));
        let wait_for_turn = dirty
            .iter()
            .filter_map(|salon| next_turn.get(salon))
            .map(|at| at.saturating_duration_since(Instant::now()))
            .min()
            .unwrap_or(SWEEP_EVERY);
        tokio::select! {
            notification = listener.try_recv() => match notification? {
                Some(notification) => {
                    dirty.extend(webhook_inbox::notified_salons(notification.payload()));
                }
                // The connection dropped and came back: notifications may be lost.
                None => dirty.extend(webhook_inbox::salons_with_pending(db, 0).await?),
            },
            _ = sweep.tick() => {
                dirty.extend(webhook_inbox::salons_with_pending(db, STALE_AFTER_SECS).await?);
            }
            () = tokio::time::sleep(wait_for_turn), if !dirty.is_empty() => {}
        }
    }
}

/// When a salon relayed at `now` may be relayed again: [`MIN_INTERVAL`] on average, spread
/// by ±50 % so that salons relayed together drift apart and a steady load reaches
/// Temporal evenly instead of in a wave every interval.
fn turn_after(now: Instant) -> Instant {
    now + MIN_INTERVAL.mul_f64(rand::random_range(0.5..1.5))
}

/// Hands the salon's pending events to its workflow; true when more are left.
async fn relay_salon(
    db: &PgPool,
    client: &Client,
    task_queue: &str,
    salon_id: SalonId,
) -> anyhow::Result<bool> {
    let mut tx = db.begin().await?;
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(8275001, $1)")
        .bind(salon_id.get())
        .fetch_one(&mut *tx)
        .await?;
    if !locked {
        // Another relay is handing this salon's events over right now.
        return Ok(false);
    }
    let events = webhook_inbox::to_relay(&mut *tx, salon_id, STALE_AFTER_SECS, BATCH).await?;
    let Some(first) = events.first() else {
        return Ok(false);
    };
    let next_seq = webhook_inbox::first_unapplied(&mut *tx, salon_id)
        .await?
        .unwrap_or(first.seq);
    let ids: Vec<i64> = events.iter().map(|event| event.id).collect();
    let count = events.len();
    let options = WorkflowStartOptions::new(task_queue.to_owned(), ids::company(salon_id))
        .id_conflict_policy(WorkflowIdConflictPolicy::UseExisting)
        .static_summary(format!("Lifecycle of salon {salon_id}"))
        .rpc_options(crate::connection::rpc_within(Duration::from_secs(10)))
        .build();
    client
        .signal_with_start_workflow(
            CompanyWorkflow::run,
            CompanyInput {
                salon_id,
                next_seq,
                waiting: Vec::new(),
            },
            CompanyWorkflow::webhooks,
            events,
            options,
        )
        .await
        .with_context(|| format!("Failed to signal company-{salon_id}"))?;
    webhook_inbox::mark_relayed(&mut *tx, &ids).await?;
    tx.commit().await?;
    tracing::debug!(%salon_id, count, "webhooks relayed");
    Ok(count as i64 == BATCH)
}
