//! Live events for the owners' pages: one PostgreSQL listener per API process feeds a
//! broadcast channel; every WebSocket subscribes and keeps its own salon's events.
//!
//! # Layout
//! - [`LiveHub`] — the broadcast side handlers subscribe to.
//! - [`listener`] — the `LISTEN` task that feeds it.
//! - [`rate_limit`] — WebSocket connections per IP.

pub mod listener;
pub mod rate_limit;

use ai_admin_activities::db::live_events::LiveEvent;
use std::sync::Arc;
use tokio::sync::broadcast;

/// What the hub broadcasts.
#[derive(Debug, Clone)]
pub enum Fanout {
    /// A new event (for one salon; receivers filter).
    Event(Arc<LiveEvent>),
    /// The listener lost its connection and may have missed notifications: receivers
    /// re-read the table from the last event they saw.
    Resync,
}

/// The per-process fan-out point.
#[derive(Debug, Clone)]
pub struct LiveHub {
    sender: broadcast::Sender<Fanout>,
}

impl LiveHub {
    /// A hub whose slowest receiver may fall `capacity` events behind before it has to
    /// resync from the table.
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity);
        Self { sender }
    }

    /// A receiver of everything broadcast from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Fanout> {
        self.sender.subscribe()
    }

    pub(crate) fn send(&self, message: Fanout) {
        // No receiver means no page is open: nothing to deliver.
        let _ = self.sender.send(message);
    }
}
