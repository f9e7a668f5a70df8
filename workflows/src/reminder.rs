//! `reminder-<record_id>`: the reminders of one visit. A durable timer to each offset
//! before the visit (e.g. 24 h and 2 h), then one `send_reminder` activity (sent once,
//! keyed by record, visit time and offset). The `visit` signal moves the visit — the
//! timers follow and reminders already sent for the old time count no more — or, with
//! no time, cancels it. A reminder whose moment has passed (a visit booked 20 h ahead
//! gets no 24 h reminder) is skipped, not sent late.

// `#[workflow_methods]` generates one undocumented constant per handler.
#![allow(missing_docs)]

use crate::options::patient_send;
use crate::search_attributes::SALON_ID;
use crate::waits::condition_within;
use ai_admin_activities::acts::reminders::{
    REMINDER_WORKFLOW_TYPE, ReminderActivities, ReminderEnd, ReminderInput, SendReminder,
    VisitChange,
};
use std::collections::BTreeSet;
use std::time::{Duration, UNIX_EPOCH};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ActivityOptions, SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult,
};

/// A reminder this late after its moment still goes out (timers fire a little late, a
/// worker may have been down briefly); later than that it is skipped.
const LATE_BY_AT_MOST_SECS: i64 = 600;

/// State of one run.
#[workflow]
pub struct ReminderWorkflow {
    input: ReminderInput,
    visit_at: i64,
    sent: BTreeSet<u64>,
    changed: bool,
    cancelled: bool,
}

/// How late a reminder may still go out: a morning's reminders wait their turn at the
/// salon number's pace for the bot's own messages, and WhatsApp may be away a while.
const SEND_PATIENCE: Duration = Duration::from_secs(30 * 60);

fn send_options() -> ActivityOptions {
    patient_send(SEND_PATIENCE)
}

/// The next reminder to send: the soonest offset not sent whose moment is not long past.
fn next_reminder(
    visit_at: i64,
    offsets: &[u64],
    sent: &BTreeSet<u64>,
    now: i64,
) -> Option<(u64, i64)> {
    offsets
        .iter()
        .filter(|offset| !sent.contains(offset))
        .map(|offset| (*offset, visit_at - *offset as i64))
        .filter(|(_, at)| *at >= now - LATE_BY_AT_MOST_SECS)
        .min_by_key(|(_, at)| *at)
}

#[workflow_methods]
impl ReminderWorkflow {
    /// Starts for `input.visit_at`.
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: ReminderInput) -> Self {
        Self {
            visit_at: input.visit_at,
            input,
            sent: BTreeSet::new(),
            changed: false,
            cancelled: false,
        }
    }

    /// Sends each reminder at its time until none is left or the visit is cancelled.
    #[run(name = REMINDER_WORKFLOW_TYPE)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<ReminderEnd> {
        let (salon_id, record_id) = ctx.state(|s| (s.input.salon_id, s.input.record_id));
        ctx.upsert_search_attributes([SALON_ID.value_set(salon_id.into())]);
        loop {
            if ctx.state(|s| s.cancelled) {
                return Ok(ReminderEnd::Cancelled);
            }
            let now = ctx
                .workflow_time()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs() as i64);
            let next = ctx.state_mut(|s| {
                s.changed = false;
                next_reminder(s.visit_at, &s.input.offsets_secs, &s.sent, now)
                    .map(|(offset, at)| (offset, at, s.visit_at))
            });
            let Some((offset, at, visit_at)) = next else {
                return Ok(ReminderEnd::Done);
            };
            let wait = Duration::from_secs(at.saturating_sub(now).max(0) as u64);
            if !wait.is_zero()
                && condition_within(ctx, wait, |s: &Self| s.changed || s.cancelled).await?
            {
                continue;
            }
            ctx.execute_activity(
                ReminderActivities::send_reminder,
                SendReminder {
                    salon_id,
                    record_id,
                    visit_at,
                    offset_secs: offset,
                },
                send_options(),
            )
            .await?;
            ctx.state_mut(|s| {
                // A move that arrived while sending restarts the count for the new time.
                if s.visit_at == visit_at {
                    s.sent.insert(offset);
                }
            });
        }
    }

    /// The visit moved (or, with no time, was cancelled).
    #[signal(name = "visit")]
    pub fn visit(&mut self, _ctx: &mut SyncWorkflowContext<Self>, change: VisitChange) {
        match change.visit_at {
            None => self.cancelled = true,
            Some(at) if at != self.visit_at => {
                self.visit_at = at;
                self.sent.clear();
                self.changed = true;
            }
            Some(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reminders_go_in_time_order_and_passed_ones_are_skipped() {
        let day: u64 = 86_400;
        let offsets = [day, 7_200];
        let visit = 10 * day as i64;
        let none = BTreeSet::new();
        assert_eq!(
            next_reminder(visit, &offsets, &none, 0),
            Some((day, visit - day as i64))
        );
        assert_eq!(
            next_reminder(visit, &offsets, &BTreeSet::from([day]), 0),
            Some((7_200, visit - 7_200))
        );
        // Booked 20 h ahead: the 24 h reminder is past, the 2 h one is next.
        assert_eq!(
            next_reminder(visit, &offsets, &none, visit - 20 * 3600),
            Some((7_200, visit - 7_200))
        );
        assert_eq!(next_reminder(visit, &offsets, &none, visit + 3600), None);
    }
}
