//! The Temporal SDK's own metrics (workflow and activity task latencies, slots, polls,
//! sticky cache) for `GET /metrics`. The SDK only exports Prometheus text from an HTTP
//! endpoint of its own; it is bound to a loopback port chosen by the system, and the
//! API's handler reads it there and serves it after the app's metrics, so ops scrape
//! one endpoint.

use anyhow::Context as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use temporalio_common::telemetry::metrics::CoreMeter;
use temporalio_common::telemetry::{PrometheusExporterOptions, start_prometheus_metric_exporter};

/// How long a scrape waits for the SDK's exporter.
const READ_TIMEOUT: Duration = Duration::from_secs(2);

/// The SDK's exporter: the meter the worker's runtime records into, and where to read it.
#[derive(Debug, Clone)]
pub struct SdkMetrics {
    /// Given to the worker's runtime.
    pub meter: Arc<dyn CoreMeter>,
    address: SocketAddr,
    http: reqwest::Client,
}

impl SdkMetrics {
    /// Starts the exporter on a loopback port (needs a tokio runtime).
    pub fn start() -> anyhow::Result<Self> {
        let options = PrometheusExporterOptions::builder()
            .socket_addr(SocketAddr::from(([127, 0, 0, 1], 0)))
            .counters_total_suffix(true)
            .use_seconds_for_durations(true)
            .build();
        let started = start_prometheus_metric_exporter(options)
            .context("Failed to start the Temporal SDK's metrics exporter")?;
        let http = reqwest::Client::builder()
            .timeout(READ_TIMEOUT)
            .build()
            .context("Failed to build the metrics reader")?;
        Ok(Self {
            meter: started.meter,
            address: started.bound_addr,
            http,
        })
    }

    /// The SDK's metrics in Prometheus' text format.
    pub async fn render(&self) -> anyhow::Result<String> {
        self.http
            .get(format!("http://{}/metrics", self.address))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .context("Failed to read the Temporal SDK's metrics")?
            .text()
            .await
            .context("Failed to read the Temporal SDK's metrics")
    }
}
