//! The one timed wait every workflow uses: a condition on the workflow's state, or a
//! deadline, whichever comes first — and the end of the workflow when it is cancelled.
//! (A cancelled workflow's `wait_condition` answers at once with an error, ever after;
//! taking that answer for "the condition holds" makes a loop spin, starting timers
//! until the worker runs out of memory.)

use std::time::Duration;
use temporalio_sdk::workflows::select;
use temporalio_sdk::{CancellableFuture, WorkflowContext, WorkflowResult};

/// Waits for `condition` at most `patience`: true when it held, false at the deadline;
/// the workflow's cancellation as an error.
pub async fn condition_within<W>(
    ctx: &WorkflowContext<W>,
    patience: Duration,
    condition: impl FnMut(&W) -> bool,
) -> WorkflowResult<bool> {
    let mut deadline = ctx.timer(patience);
    let met = select! {
        met = ctx.wait_condition(condition) => Some(met),
        _ = deadline => None,
    };
    match met {
        Some(Ok(())) => {
            deadline.cancel();
            Ok(true)
        }
        Some(Err(cancelled)) => Err(cancelled.into()),
        None => Ok(false),
    }
}
