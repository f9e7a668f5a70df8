//! Creating a fixed-interval Temporal Schedule once: each worker process asks on
//! start-up, and the first one creates it.

use anyhow::Context as _;
use std::time::Duration;
use temporalio_client::Client;
use temporalio_client::schedules::{
    CreateScheduleOptions, ScheduleAction, ScheduleError, ScheduleOverlapPolicy, ScheduleSpec,
};
use temporalio_client::tonic::Code;

/// Creates schedule `id` running `action` every `every` (overlap Skip) unless it exists.
pub async fn ensure_interval(
    client: &Client,
    id: String,
    action: ScheduleAction,
    every: Duration,
    note: &str,
) -> anyhow::Result<()> {
    let options = CreateScheduleOptions::builder()
        .action(action)
        .spec(ScheduleSpec::from_interval(every))
        .overlap_policy(ScheduleOverlapPolicy::Skip)
        .note(note.to_owned())
        .build();
    match client.create_schedule(id.clone(), options).await {
        Ok(_) => {
            tracing::info!(schedule = %id, "schedule created");
            Ok(())
        }
        Err(ScheduleError::Rpc(status)) if status.code() == Code::AlreadyExists => Ok(()),
        Err(error) => Err(error).with_context(|| format!("Failed to create schedule {id}")),
    }
}
