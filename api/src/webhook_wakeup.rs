//! Wakes the webhook relay after webhooks are stored, off the request path: salons are
//! collected for a few milliseconds and announced in one `NOTIFY`, so a burst costs a
//! handful of notifications and no webhook waits on another's commit.

use ai_admin_activities::db::webhook_inbox;
use ai_admin_activities::domain::SalonId;
use ai_admin_activities::supervisor::Supervisor;
use sqlx::PgPool;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How long salons are collected before one `NOTIFY`.
const COALESCE: Duration = Duration::from_millis(5);

/// The handle webhook handlers use.
#[derive(Debug, Clone)]
pub struct Wakeup {
    salons: mpsc::UnboundedSender<SalonId>,
}

impl Wakeup {
    /// Announces that the salon has a new webhook (never blocks).
    pub fn salon(&self, salon_id: SalonId) {
        // The task only stops with the process; a lost wake-up is covered by the sweep.
        let _ = self.salons.send(salon_id);
    }
}

/// Starts the notifier task (supervised: a restart picks up the same channel; it
/// finishes when every [`Wakeup`] is gone, with the app).
pub fn spawn(db: PgPool, supervisor: &Supervisor) -> (Wakeup, JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel::<SalonId>();
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let task = supervisor.spawn_until_done("webhook_wakeup", move || {
        notify_forever(db.clone(), rx.clone())
    });
    (Wakeup { salons: tx }, task)
}

async fn notify_forever(db: PgPool, rx: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<SalonId>>>) {
    let mut rx = rx.lock().await;
    while let Some(first) = rx.recv().await {
        let mut salons = BTreeSet::from([first]);
        let until = tokio::time::Instant::now() + COALESCE;
        while let Ok(Some(next)) = tokio::time::timeout_at(until, rx.recv()).await {
            salons.insert(next);
        }
        let salons: Vec<SalonId> = salons.into_iter().collect();
        for chunk in salons.chunks(500) {
            if let Err(error) = webhook_inbox::notify(&db, chunk).await {
                tracing::warn!(error = %format!("{error:#}"), "could not wake the webhook relay");
            }
        }
    }
}
