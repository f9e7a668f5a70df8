//! Idempotency keys from a place in a workflow run: the same on every retry (of the
//! activity, or of the workflow task that replays it), different for another run of the
//! workflow. Activities build them from their context, workflows from theirs; both
//! spell them here.

use temporalio_sdk::activities::ActivityContext;

/// `<workflow id>/<run id>`: every activity of one workflow run shares it.
pub fn of_run(workflow_id: &str, run_id: &str) -> String {
    format!("{workflow_id}/{run_id}")
}

/// `<workflow id>-<run id>-<turn>`: one conversation turn's steps (the `step` key its
/// sends are made once under).
pub fn of_turn(workflow_id: &str, run_id: &str, turn: u64) -> String {
    format!("{workflow_id}-{run_id}-{turn}")
}

/// [`of_run`] of the activity's workflow run.
pub fn run_key(ctx: &ActivityContext) -> String {
    let info = ctx.info();
    of_run(
        info.workflow_id.as_deref().unwrap_or("-"),
        info.workflow_run_id.as_deref().unwrap_or("-"),
    )
}

/// `<workflow id>/<run id>/<activity id>`: one activity execution, across its retries.
pub fn attempt_key(ctx: &ActivityContext) -> String {
    format!("{}/{}", run_key(ctx), ctx.info().activity_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_their_spelling() {
        // Keys already stored (sends, activations) must keep matching after a deploy.
        assert_eq!(of_run("activation-962302", "r1"), "activation-962302/r1");
        assert_eq!(
            of_turn("conversation-962302-79005554433", "r1", 3),
            "conversation-962302-79005554433-r1-3"
        );
    }
}
