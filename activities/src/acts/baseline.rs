//! A no-op activity: the baseline of `ai-admin bench messages` measures a bare workflow
//! running it, to show the assistant's cost in units of the Temporal server's own round
//! trip.

// `#[activities]` generates one undocumented constant per activity.
#![allow(missing_docs)]

use std::sync::Arc;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// The no-op.
#[derive(Debug, Clone, Copy, Default)]
pub struct BaselineActivities;

#[activities]
impl BaselineActivities {
    /// Returns its input.
    #[activity(name = "noop")]
    pub async fn noop(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: u64,
    ) -> Result<u64, ActivityError> {
        Ok(input)
    }
}
