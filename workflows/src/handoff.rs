//! `handoff-<salon_id>-<client_phone>`: the watch on a client the bot handed over. It
//! looks at the handoff (`check_handoff`), sleeps on a durable timer until it is due
//! (`HANDOFF_TIMEOUT` of the salon's answer hours), and then gives an unanswered client
//! back to the bot with a word to them (`give_back_handoff`, once). It ends when the
//! handoff is over — answered by the salon, released, or given back. The `handed_off`
//! signal (a new handoff while it runs) makes it look again at once.

// `#[workflow_methods]` generates one undocumented constant per handler.
#![allow(missing_docs)]

use crate::options::{database_write, patient_send};
use crate::search_attributes::SALON_ID;
use crate::waits::condition_within;
use ai_admin_activities::acts::conversation::ConversationActivities;
use ai_admin_activities::acts::conversation::unanswered::{
    GiveBack, HANDOFF_WORKFLOW_TYPE, HandoffCheck, HandoffWatch,
};
use std::time::Duration;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ActivityOptions, SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult,
};

/// Looks and waits at most this many times per run, so a history stays bounded: ten
/// days of 15-minute looks while the owner keeps the bot off. A client still handed over
/// after that is given back when they next write (the same check runs on their turn).
const MAX_LOOKS: u32 = 1000;

/// How long the word to the client may wait for WhatsApp before the give-back fails.
const SEND_PATIENCE: Duration = Duration::from_secs(30 * 60);

fn send_options() -> ActivityOptions {
    patient_send(SEND_PATIENCE)
}

/// State of one run.
#[workflow]
pub struct HandoffWorkflow {
    watch: HandoffWatch,
    poked: bool,
}

#[workflow_methods]
impl HandoffWorkflow {
    /// Starts watching `watch`'s handoff.
    #[init]
    pub fn new(_ctx: &WorkflowContextView, watch: HandoffWatch) -> Self {
        Self {
            watch,
            poked: false,
        }
    }

    /// Looks, waits or gives back until the handoff is over, `MAX_LOOKS` times at most.
    #[run(name = HANDOFF_WORKFLOW_TYPE)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        let watch = ctx.state(|s| s.watch.clone());
        ctx.upsert_search_attributes([SALON_ID.value_set(watch.salon_id.into())]);
        for _ in 0..MAX_LOOKS {
            ctx.state_mut(|s| s.poked = false);
            let check = ctx
                .execute_activity(
                    ConversationActivities::check_handoff,
                    watch.clone(),
                    database_write(),
                )
                .await?;
            match check {
                HandoffCheck::Wait { secs } => {
                    condition_within(ctx, Duration::from_secs(secs), |s: &Self| s.poked).await?;
                }
                HandoffCheck::Due { since_micros } => {
                    ctx.execute_activity(
                        ConversationActivities::give_back_handoff,
                        GiveBack {
                            watch: watch.clone(),
                            since_micros,
                        },
                        send_options(),
                    )
                    .await?;
                }
                // A handoff that arrived while looking is looked at again.
                HandoffCheck::Over if ctx.state(|s| s.poked) => {}
                HandoffCheck::Over => return Ok(()),
            }
        }
        Ok(())
    }

    /// The client was handed over again.
    #[signal(name = "handed_off")]
    pub fn handed_off(&mut self, _ctx: &mut SyncWorkflowContext<Self>, _input: ()) {
        self.poked = true;
    }
}
