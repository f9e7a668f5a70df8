//! `assistant_turns`: the record of each conversation turn — the client's words, stage
//! 1's commands, their results, the reply, and the language-model calls' tokens and
//! time. Each activity of the turn writes its own part under the turn's step, so a
//! retried step overwrites what it wrote before and never adds a second row.

use crate::domain::SalonId;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::PgExecutor;
use std::time::Duration;

/// One language-model call of a turn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallCost {
    /// Tokens of the prompt.
    pub prompt_tokens: u32,
    /// Tokens of the answer.
    pub output_tokens: u32,
    /// How long the call took, milliseconds (retries included).
    pub ms: u32,
}

impl CallCost {
    /// A call's cost from its usage and duration.
    pub fn new(prompt_tokens: u32, output_tokens: u32, took: Duration) -> Self {
        Self {
            prompt_tokens,
            output_tokens,
            ms: u32::try_from(took.as_millis()).unwrap_or(u32::MAX),
        }
    }
}

/// Stage 1's part of a turn.
#[derive(Debug, Clone)]
pub struct Understood<'a> {
    /// Unique per turn, the same on every retry.
    pub step: &'a str,
    /// The salon.
    pub salon_id: SalonId,
    /// The client's address (digits, or `<digits>@lid`).
    pub phone: &'a str,
    /// The client's messages answered by the turn.
    pub messages: &'a [String],
    /// The prompt set in use.
    pub prompt_version: &'a str,
    /// The model that answered.
    pub model: &'a str,
    /// The route that answered (`gemini`, `openai (fallback)`, …).
    pub provider: &'a str,
    /// The commands, as JSON.
    pub commands: Value,
    /// The commands named without what they need, as JSON.
    pub problems: Value,
    /// The call.
    pub cost: CallCost,
}

fn int(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// Records stage 1's part (a retry replaces it).
pub async fn record_understood(
    db: impl PgExecutor<'_>,
    turn: &Understood<'_>,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO assistant_turns
             (step, salon_id, client_phone, messages, prompt_version, model, commands, problems,
              stage1_prompt_tokens, stage1_output_tokens, stage1_ms, stage1_provider)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULLIF($12, ''))
         ON CONFLICT (step) DO UPDATE SET
             messages = EXCLUDED.messages, prompt_version = EXCLUDED.prompt_version,
             model = EXCLUDED.model, commands = EXCLUDED.commands,
             problems = EXCLUDED.problems,
             stage1_prompt_tokens = EXCLUDED.stage1_prompt_tokens,
             stage1_output_tokens = EXCLUDED.stage1_output_tokens,
             stage1_ms = EXCLUDED.stage1_ms, stage1_provider = EXCLUDED.stage1_provider,
             updated_at = NOW()",
    )
    .bind(turn.step)
    .bind(turn.salon_id.get())
    .bind(turn.phone)
    .bind(serde_json::to_value(turn.messages)?)
    .bind(turn.prompt_version)
    .bind(turn.model)
    .bind(&turn.commands)
    .bind(&turn.problems)
    .bind(int(turn.cost.prompt_tokens))
    .bind(int(turn.cost.output_tokens))
    .bind(int(turn.cost.ms))
    .bind(turn.provider)
    .execute(db)
    .await?;
    Ok(())
}

/// Records what the commands gave.
pub async fn record_results(
    db: impl PgExecutor<'_>,
    step: &str,
    results: &Value,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE assistant_turns SET results = $2, updated_at = NOW() WHERE step = $1")
        .bind(step)
        .bind(results)
        .execute(db)
        .await?;
    Ok(())
}

/// Records stage 2's call and who answered it.
pub async fn record_composed(
    db: impl PgExecutor<'_>,
    step: &str,
    cost: CallCost,
    provider: &str,
    model: &str,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE assistant_turns SET stage2_prompt_tokens = $2, stage2_output_tokens = $3,
             stage2_ms = $4, stage2_provider = NULLIF($5, ''), stage2_model = NULLIF($6, ''),
             updated_at = NOW()
         WHERE step = $1",
    )
    .bind(step)
    .bind(int(cost.prompt_tokens))
    .bind(int(cost.output_tokens))
    .bind(int(cost.ms))
    .bind(provider)
    .bind(model)
    .execute(db)
    .await?;
    Ok(())
}

/// Records the reply that went out (stage 2's, the results' own words, or the apology).
pub async fn record_reply(db: impl PgExecutor<'_>, step: &str, reply: &str) -> anyhow::Result<()> {
    sqlx::query("UPDATE assistant_turns SET reply = $2, updated_at = NOW() WHERE step = $1")
        .bind(step)
        .bind(reply)
        .execute(db)
        .await?;
    Ok(())
}

/// A turn as recorded.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TurnRecord {
    /// The turn's step.
    pub step: String,
    /// The client's messages.
    pub messages: Value,
    /// The prompt set in use.
    pub prompt_version: String,
    /// The model that answered stage 1.
    pub model: Option<String>,
    /// Stage 1's commands.
    pub commands: Option<Value>,
    /// Commands named without what they need.
    pub problems: Option<Value>,
    /// What the commands gave.
    pub results: Option<Value>,
    /// What was sent.
    pub reply: Option<String>,
    /// Stage 1's prompt tokens.
    pub stage1_prompt_tokens: Option<i32>,
    /// Stage 1's answer tokens.
    pub stage1_output_tokens: Option<i32>,
    /// Stage 1's time, ms.
    pub stage1_ms: Option<i32>,
    /// Stage 2's prompt tokens.
    pub stage2_prompt_tokens: Option<i32>,
    /// Stage 2's answer tokens.
    pub stage2_output_tokens: Option<i32>,
    /// Stage 2's time, ms.
    pub stage2_ms: Option<i32>,
    /// The route that answered stage 1 (`gemini`, `openai (fallback)`, …).
    pub stage1_provider: Option<String>,
    /// The route that answered stage 2.
    pub stage2_provider: Option<String>,
}

/// A client's turns, oldest first.
pub async fn for_client(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    phone: &str,
) -> anyhow::Result<Vec<TurnRecord>> {
    Ok(sqlx::query_as(
        "SELECT step, messages, prompt_version, model, commands, problems, results, reply,
                stage1_prompt_tokens, stage1_output_tokens, stage1_ms,
                stage2_prompt_tokens, stage2_output_tokens, stage2_ms,
                stage1_provider, stage2_provider
         FROM assistant_turns WHERE salon_id = $1 AND client_phone = $2
         ORDER BY created_at, step",
    )
    .bind(salon_id.get())
    .bind(phone)
    .fetch_all(db)
    .await?)
}

/// Deletes turns recorded more than `older_than` ago.
pub async fn prune(db: &sqlx::PgPool, older_than: Duration) -> anyhow::Result<u64> {
    super::delete_in_batches(
        db,
        "DELETE FROM assistant_turns WHERE step IN (
             SELECT step FROM assistant_turns
             WHERE created_at < NOW() - make_interval(secs => $1)
             LIMIT $2)",
        older_than,
    )
    .await
}
