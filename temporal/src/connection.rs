//! Connecting to the Temporal frontend. At start-up the server may still be coming up
//! (the demo starts both at once), so the first connection is retried until a deadline.

use anyhow::Context as _;
use std::time::{Duration, Instant};
use temporalio_client::{Client, ClientOptions, ConnectionOptions};

/// Where Temporal is and which queue this deployment uses.
#[derive(Debug, Clone)]
pub struct TemporalConfig {
    /// Frontend gRPC address, e.g. `http://localhost:7233`.
    pub address: String,
    /// Namespace of every workflow we run.
    pub namespace: String,
    /// The main task queue workers poll and workflows are started on.
    pub task_queue: String,
    /// Web UI root, for deep links shown to ops.
    pub ui_url: String,
}

impl TemporalConfig {
    /// A link to one workflow in the Web UI.
    pub fn workflow_url(&self, workflow_id: &str) -> String {
        format!(
            "{}/namespaces/{}/workflows/{}",
            self.ui_url.trim_end_matches('/'),
            self.namespace,
            workflow_id
        )
    }

    /// A link to the Web UI's list of one salon's workflows.
    pub fn salon_runs_url(&self, salon_id: i64) -> String {
        format!(
            "{}/namespaces/{}/workflows?query=SalonId%3D{salon_id}",
            self.ui_url.trim_end_matches('/'),
            self.namespace
        )
    }
}

/// Options for one call to Temporal that gives up after `timeout`.
pub fn rpc_within(timeout: std::time::Duration) -> temporalio_client::RpcOptions {
    temporalio_client::RpcOptions::builder()
        .timeout(timeout)
        .build()
}

/// Connects once, failing fast (5 s) when nothing answers.
pub async fn connect(config: &TemporalConfig) -> anyhow::Result<Client> {
    let url: temporalio_client::Url = config
        .address
        .parse()
        .with_context(|| format!("TEMPORAL_ADDRESS {:?} is not a URL", config.address))?;
    let connection = ConnectionOptions::new(url)
        .identity(format!("ai-admin@{}", std::process::id()))
        .connect_timeout(Duration::from_secs(5))
        .build();
    Client::connect(
        connection,
        ClientOptions::new(config.namespace.clone()).build(),
    )
    .await
    .with_context(|| format!("Failed to connect to Temporal at {}", config.address))
}

/// Connects, retrying every second until `patience` has passed.
pub async fn connect_with_retry(
    config: &TemporalConfig,
    patience: Duration,
) -> anyhow::Result<Client> {
    let give_up_at = Instant::now() + patience;
    loop {
        match connect(config).await {
            Ok(client) => return Ok(client),
            Err(error) if Instant::now() < give_up_at => {
                tracing::warn!(error = %format!("{error:#}"), "Temporal not reachable yet, retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(error) => return Err(error),
        }
    }
}
