//! YClients webhooks: what arrived (the shapes YClients sends), and the activity that
//! applies them to a salon. Receiving (authentication, the inbox, the answer) is the API's
//! job; ordering and delivery are the relay's and the `company-<salon_id>` workflow's.
//!
//! The shapes are [`crate::clients::yclients::webhooks`]; stored, they are
//! [`InboxEvent`]s. [`apply`] holds the `apply_webhooks` activity.

pub mod apply;

use crate::db::webhook_inbox::InboxEvent;
use crate::domain::SalonId;
use serde::{Deserialize, Serialize};

/// Input of the apply activity: consecutive events of one salon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplyBatch {
    /// Whose inbox the events are; for a salon gone from the database, only marked applied.
    pub salon_id: SalonId,
    /// Events in sequence order, without gaps.
    pub events: Vec<InboxEvent>,
}
