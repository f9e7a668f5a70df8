//! Idempotency keys from an activity's place in its workflow: the same on every retry
//! of the activity, different for another run of the workflow.

use temporalio_sdk::activities::ActivityContext;

/// `<workflow id>/<run id>`: every activity of one workflow run shares it.
pub fn run_key(ctx: &ActivityContext) -> String {
    let info = ctx.info();
    format!(
        "{}/{}",
        info.workflow_id.as_deref().unwrap_or("-"),
        info.workflow_run_id.as_deref().unwrap_or("-")
    )
}

/// `<workflow id>/<run id>/<activity id>`: one activity execution, across its retries.
pub fn attempt_key(ctx: &ActivityContext) -> String {
    format!("{}/{}", run_key(ctx), ctx.info().activity_id)
}
