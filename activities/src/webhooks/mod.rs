//! YClients webhooks: what arrived (the shapes YClients sends), and the activity that
//! applies them to a salon. Receiving (authentication, the inbox, the answer) is the API's
//! job; ordering and delivery are the relay's and the `company-<salon_id>` workflow's.
//!
//! # Layout
//! - [`parse`] — a body to a [`Webhook`]: shape, salon, event, dedup key.
//! - [`apply`] — the `apply_webhooks` activity.

pub mod apply;
pub mod parse;

pub use parse::{Webhook, WebhookError, WebhookKind, parse};

use crate::domain::SalonId;
use serde::{Deserialize, Serialize};

/// A stored webhook handed to `company-<salon_id>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxEvent {
    /// `webhook_inbox.id`.
    pub id: i64,
    /// The salon's sequence number: events are applied in this order.
    pub seq: i64,
    /// What kind of event.
    pub kind: WebhookKind,
    /// `uninstall`, `freeze`, `payment`, `create`, `update`, `delete`, …
    pub event: Option<String>,
    /// The body as YClients sent it.
    pub payload: serde_json::Value,
}

/// Input of the apply activity: consecutive events of one salon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplyBatch {
    /// The salon.
    pub salon_id: SalonId,
    /// Events in sequence order, without gaps.
    pub events: Vec<InboxEvent>,
}
