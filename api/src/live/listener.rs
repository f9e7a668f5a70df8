//! The one `LISTEN ai_admin_live` of the process. Notifications carry the event (or only
//! its id when it was too big for NOTIFY); a lost connection is re-established by sqlx
//! and announced as [`Fanout::Resync`], since notifications sent meanwhile are gone.

use super::{Fanout, LiveHub};
use ai_admin_activities::db::live_events::{self, CHANNEL, LiveEvent};
use ai_admin_activities::supervisor::Supervisor;
use serde::Deserialize;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

#[derive(Debug, Deserialize)]
struct Notification {
    id: i64,
    salon_id: i32,
    #[serde(default)]
    event: Option<String>,
    #[serde(default)]
    data: Option<serde_json::Value>,
}

/// Listens until the task is aborted (abort it before closing the pool: the listener
/// holds one of its connections); supervised.
pub fn spawn(db: PgPool, hub: LiveHub, supervisor: &Supervisor) -> JoinHandle<()> {
    supervisor.spawn("live_listener", move || {
        let (db, hub) = (db.clone(), hub.clone());
        async move { listen_forever(db, hub).await }
    })
}

async fn listen_forever(db: PgPool, hub: LiveHub) {
    loop {
        match listen(&db, &hub).await {
            Ok(()) => return,
            // The app is stopping and closed the pool first: nothing to listen for.
            Err(_) if db.is_closed() => return,
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "live event listener failed, restarting");
                hub.send(Fanout::Resync);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

async fn listen(db: &PgPool, hub: &LiveHub) -> anyhow::Result<()> {
    let mut listener = PgListener::connect_with(db).await?;
    listener.listen(CHANNEL).await?;
    tracing::debug!("listening for live events");
    loop {
        // `try_recv` reports a lost (and re-established) connection as `None`.
        let Some(notification) = listener.try_recv().await? else {
            hub.send(Fanout::Resync);
            continue;
        };
        let parsed: Notification = match serde_json::from_str(notification.payload()) {
            Ok(parsed) => parsed,
            Err(error) => {
                tracing::warn!(%error, "ignoring a malformed live event notification");
                continue;
            }
        };
        let event = match (parsed.event, parsed.data) {
            (Some(event), Some(data)) => Some(LiveEvent {
                id: parsed.id,
                salon_id: parsed.salon_id,
                event,
                data,
            }),
            _ => live_events::by_id(db, parsed.id).await?,
        };
        if let Some(event) = event {
            hub.send(Fanout::Event(Arc::new(event)));
        }
    }
}
