//! `erasure-<salon_id>`: an uninstalled salon's personal data is deleted
//! `PERSONAL_DATA_GRACE` after the uninstall. The run looks (`check_erasure`), sleeps on
//! a durable timer until the grace period is over, and erases (`erase_personal_data`);
//! it ends without erasing when the salon installed the application again. A worker
//! restart or a server restart resumes the timer where it was.

// `#[workflow_methods]` generates one undocumented constant per handler.
#![allow(missing_docs)]

use crate::options::database_write;
use crate::search_attributes::SALON_ID;
use crate::waits::condition_within;
use ai_admin_activities::acts::erasure::{ERASURE_WORKFLOW_TYPE, ErasureActivities};
use ai_admin_activities::db::erasure::ErasureCheck;
use ai_admin_activities::domain::SalonId;
use std::time::Duration;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{WorkflowContext, WorkflowContextView, WorkflowResult};

/// Looks at most this many times: each wait runs to the due moment, so a few suffice
/// (a reinstall and a second uninstall move it once each).
const MAX_LOOKS: u32 = 100;

/// State of one run.
#[workflow]
pub struct ErasureWorkflow {
    salon_id: SalonId,
}

#[workflow_methods]
impl ErasureWorkflow {
    /// Starts watching `salon_id`'s uninstall.
    #[init]
    pub fn new(_ctx: &WorkflowContextView, salon_id: SalonId) -> Self {
        Self { salon_id }
    }

    /// Looks, waits out the grace period and erases; ends once there is nothing to erase.
    #[run(name = ERASURE_WORKFLOW_TYPE)]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        let salon_id = ctx.state(|s| s.salon_id);
        ctx.upsert_search_attributes([SALON_ID.value_set(salon_id.into())]);
        for _ in 0..MAX_LOOKS {
            let check = ctx
                .execute_activity(ErasureActivities::check_erasure, salon_id, database_write())
                .await?;
            match check {
                ErasureCheck::Kept => return Ok(()),
                ErasureCheck::Wait { secs } => {
                    condition_within(ctx, Duration::from_secs(secs.max(1)), |_: &Self| false)
                        .await?;
                }
                ErasureCheck::Due => {
                    ctx.execute_activity(
                        ErasureActivities::erase_personal_data,
                        salon_id,
                        database_write(),
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }
}
