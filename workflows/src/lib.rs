//! AI Admin's Temporal workflow definitions. Deterministic code only: SDK timers and
//! `select!`, no I/O, no clock, no randomness; every side effect is an activity from
//! `ai-admin-activities`.
//!
//! # Layout
//! - [`search_attributes`] — `SalonId` and `IntegrationStatus`.
//! - [`onboarding`] — `onboarding-<salon_id>`: link → activate → sync → welcome → ready.
//! - [`activation`] — `activation-<salon_id>`: API key and the YClients callback.
//! - [`sync`] — `sync-<salon_id>`: a salon's data, part by part.
//! - [`company`] — `company-<salon_id>`: the salon's webhooks, applied in order.
//! - [`conversation`] — `conversation-<salon_id>-<phone>`: a client's messages answered.
//! - [`handoff`] — `handoff-<salon_id>-<phone>`: an unanswered handoff back to the bot.
//! - [`reminder`] — `reminder-<record_id>`: timers before a visit, one message each.
//! - [`reconcile`] — `install_reconcile`: installs checked against YClients (daily).
//! - [`erasure`] — `erasure-<salon_id>`: personal data deleted a grace period after an
//!   uninstall.
//! - [`billing`] — `payment-<salon_id>-<id>` and `refund-<salon_id>-<id>`: payments
//!   reported to YClients and refunded there, once each.
//! - [`whatsapp_call`] — `wa-call-…`: one WhatsApp operation on the node holding the session.
//! - [`retention`] — `retention`: old rows pruned (hourly, by a schedule).
//! - [`options`] — activity options shared by workflows.
//! - [`waits`] — a condition or a deadline, and the end on cancellation.

pub mod activation;
pub mod billing;
pub mod company;
pub mod conversation;
pub mod erasure;
pub mod handoff;
pub mod onboarding;
pub mod options;
pub mod reconcile;
pub mod reminder;
pub mod retention;
pub mod search_attributes;
pub mod sync;
pub mod waits;
pub mod whatsapp_call;

use temporalio_sdk::ActivityExecutionError;

/// The most specific message of an activity failure (the application's own words, not
/// "Activity task failed").
pub fn failure_reason(error: &ActivityExecutionError) -> String {
    let mut failure = error.failure();
    let mut message = error.to_string();
    while let Some(current) = failure {
        if !current.message.is_empty() {
            message = current.message.clone();
        }
        failure = current.cause.as_deref();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use temporalio_common::WorkflowDefinition;

    #[test]
    fn activities_start_the_reminder_workflow_by_its_real_name() {
        assert_eq!(
            reminder::ReminderWorkflow::run.name(),
            ai_admin_activities::acts::reminders::ReminderWorkflowRef.name()
        );
        assert_eq!(
            temporalio_common::SignalDefinition::name(&reminder::ReminderWorkflow::visit),
            ai_admin_activities::acts::reminders::VISIT_SIGNAL
        );
    }

    #[test]
    fn the_retention_schedule_starts_the_workflow_by_its_real_name() {
        assert_eq!(
            retention::RetentionWorkflow::run.name(),
            ai_admin_activities::acts::retention::RETENTION_WORKFLOW_TYPE
        );
    }

    #[test]
    fn schedules_start_the_sync_workflow_by_its_real_name() {
        assert_eq!(
            sync::SyncWorkflow::run.name(),
            ai_admin_activities::acts::sync::SyncWorkflowRef.name()
        );
    }
}
