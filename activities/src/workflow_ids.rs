//! Workflow ids. They are deterministic, so a duplicate start is impossible and ops find
//! a salon's runs by id in the Temporal UI. Built here, at the bottom of the crate
//! graph, so activities, workflows and the API build each one the same way.

use crate::domain::{SalonId, SessionId};

/// `onboarding-<salon_id>`: one owner's journey from the marketplace to a working bot.
pub fn onboarding(salon_id: SalonId) -> String {
    format!("onboarding-{salon_id}")
}

/// `activation-<salon_id>`: the activation callback to YClients.
pub fn activation(salon_id: SalonId) -> String {
    format!("activation-{salon_id}")
}

/// `sync-<salon_id>`: a full sync of the salon's data (scheduled part syncs run as
/// `sync-<salon_id>-<part>-<time>`).
pub fn sync(salon_id: SalonId) -> String {
    format!("sync-{salon_id}")
}

/// `company-<salon_id>`: the salon's lifecycle, fed by its webhooks.
pub fn company(salon_id: SalonId) -> String {
    format!("company-{salon_id}")
}

/// `conversation-<salon_id>-<client_phone>`: one client of one salon (phone as digits).
pub fn conversation(salon_id: SalonId, phone: &str) -> String {
    format!("conversation-{salon_id}-{phone}")
}

/// `handoff-<salon_id>-<client_phone>`: the watch on a client's handoff (back to the
/// bot when nobody answers).
pub fn handoff(salon_id: SalonId, phone: &str) -> String {
    format!("handoff-{salon_id}-{phone}")
}

/// `erasure-<salon_id>`: the deletion of an uninstalled salon's personal data.
pub fn erasure(salon_id: SalonId) -> String {
    format!("erasure-{salon_id}")
}

/// `payment-<salon_id>-<payment_id>`: reporting one payment of ours to YClients.
pub fn payment_report(salon_id: SalonId, payment_id: i64) -> String {
    format!("payment-{salon_id}-{payment_id}")
}

/// `refund-<salon_id>-<payment_id>`: refunding one payment and reporting the refund to
/// YClients.
pub fn payment_refund(salon_id: SalonId, payment_id: i64) -> String {
    format!("refund-{salon_id}-{payment_id}")
}

/// Whether `workflow_id` is one of the salon's [`payment_report`] or [`payment_refund`]
/// runs (accounting, which an uninstall lets finish).
pub fn is_payment_run(salon_id: SalonId, workflow_id: &str) -> bool {
    [
        format!("payment-{salon_id}-"),
        format!("refund-{salon_id}-"),
    ]
    .iter()
    .any(|prefix| {
        workflow_id
            .strip_prefix(prefix.as_str())
            .is_some_and(|rest| rest.parse::<i64>().is_ok())
    })
}

/// `sync-<salon_id>-<part>`: the schedule syncing one part of a salon's data (its runs
/// are `sync-<salon_id>-<part>-<time>`).
pub fn sync_part_schedule(salon_id: SalonId, part: &str) -> String {
    format!("sync-{salon_id}-{part}")
}

/// `retention-<task_queue>`: the schedule pruning old rows, one per deployment's queue.
pub fn retention_schedule(task_queue: &str) -> String {
    format!("retention-{task_queue}")
}

/// `install-reconcile-<task_queue>`: the daily install check's schedule.
pub fn install_reconcile_schedule(task_queue: &str) -> String {
    format!("install-reconcile-{task_queue}")
}

/// `reminder-<record_id>`: the reminders of one visit.
pub fn reminder(record_id: i64) -> String {
    format!("reminder-{record_id}")
}

/// `wa-call-<session>-<nonce>`: one WhatsApp operation on the session's gateway node.
pub fn whatsapp_call(session: SessionId, nonce: u64) -> String {
    format!("wa-call-{session}-{nonce:016x}")
}

/// `wa-send-<session>-<digest>`: the one send of a keyed message (`digest` stands for
/// its idempotency key), so asking again finds it.
pub fn whatsapp_send(session: SessionId, digest: &str) -> String {
    format!("wa-send-{session}-{digest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_the_salon() {
        let salon = SalonId::new(962302).unwrap();
        assert_eq!(onboarding(salon), "onboarding-962302");
        assert_eq!(activation(salon), "activation-962302");
        assert_eq!(sync(salon), "sync-962302");
        assert_eq!(
            conversation(salon, "79005554433"),
            "conversation-962302-79005554433"
        );
        assert_eq!(company(salon), "company-962302");
        assert_eq!(reminder(41), "reminder-41");
        assert_eq!(handoff(salon, "79005554433"), "handoff-962302-79005554433");
        assert_eq!(sync_part_schedule(salon, "clients"), "sync-962302-clients");
        assert_eq!(retention_schedule("ai-admin"), "retention-ai-admin");
        assert_eq!(
            install_reconcile_schedule("ai-admin"),
            "install-reconcile-ai-admin"
        );
    }

    #[test]
    fn payment_runs_are_told_from_the_salons_other_runs() {
        let salon = SalonId::new(962302).unwrap();
        assert!(is_payment_run(salon, &payment_report(salon, 7)));
        assert!(is_payment_run(salon, &payment_refund(salon, 7)));
        let other = SalonId::new(96230).unwrap();
        assert!(!is_payment_run(other, &payment_report(salon, 7)));
        assert!(!is_payment_run(salon, &company(salon)));
        assert!(!is_payment_run(salon, "payment-962302-"));
    }
}
