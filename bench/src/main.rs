//! `ai-admin-bench`: the benchmarks the project keeps, run against the real services by
//! `scripts/bench` and printing their figures. They live outside the product: the
//! `ai-admin` binary and its worker carry none of this code or its yardstick workflow.
//!
//! # Layout
//! - [`gateway`] — a WhatsApp send routed locally, to another node, and keyed.
//! - [`messages`] — client messages through the whole assistant pipeline, against the
//!   [`baseline`] (a bare workflow with one no-op activity on its own worker).
//! - [`prompt`] — the size of stage 1's prompt for a large salon, against its budget.
//! - [`sync`] — a full sync of a large simulated salon, with and without the rate limit.
//! - [`webhooks`] — a webhook load against the durable path and an insert-only baseline.

mod baseline;
mod gateway;
mod messages;
mod prompt;
mod sync;
mod webhooks;

use ai_admin_api::config::Config;
use ai_admin_api::telemetry;
use clap::{Parser, Subcommand};
use std::process::ExitCode;
use std::time::Duration;

/// The benchmarks of AI Admin, against the services in DATABASE_URL and TEMPORAL_ADDRESS.
#[derive(Debug, Parser)]
#[command(name = "ai-admin-bench", version, about)]
struct Cli {
    #[command(subcommand)]
    bench: Benchmark,
}

#[derive(Debug, Subcommand)]
enum Benchmark {
    /// WhatsApp sends through the routed gateway: local, to another gateway node, keyed.
    Gateway {
        /// Calls of each kind.
        #[arg(long, default_value_t = 200)]
        calls: usize,
        /// Milliseconds between two calls.
        #[arg(long, default_value_t = 150)]
        gap_ms: u64,
    },
    /// A full sync of a 10 000-client salon, without a rate limit and at each given rate.
    Sync {
        /// Rates to measure besides "no limit", in requests per second.
        #[arg(long, value_delimiter = ',', default_value = "5")]
        rps: Vec<f64>,
    },
    /// Signed record webhooks at a fixed rate across many salons, against the app and an
    /// insert-only baseline.
    Webhooks {
        /// Requests per second.
        #[arg(long, default_value_t = 500)]
        rate: u32,
        /// Seconds of load.
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        /// Salons the events are spread over.
        #[arg(long, default_value_t = 50)]
        salons: usize,
    },
    /// The size of stage 1's prompt for the bench salon, against its token budget.
    Prompt,
    /// Client messages through the whole assistant pipeline (Gemini simulator with zero
    /// delay), against a bare-workflow baseline at the same rate.
    Messages {
        /// Messages per second.
        #[arg(long, default_value_t = 50)]
        rate: u32,
        /// Seconds of load.
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        /// Demo salons, each onboarded before the load starts.
        #[arg(long, default_value_t = 20)]
        salons: usize,
        /// Clients writing.
        #[arg(long, default_value_t = 100)]
        clients: usize,
    },
}

/// The configuration from the environment, with logging set up by it.
fn configured() -> anyhow::Result<Config> {
    let config = Config::from_env()?;
    telemetry::init_for(&config);
    Ok(config)
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse().bench).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ai-admin-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(bench: Benchmark) -> anyhow::Result<()> {
    match bench {
        Benchmark::Gateway { calls, gap_ms } => {
            gateway::run(configured()?, calls.max(1), Duration::from_millis(gap_ms)).await
        }
        Benchmark::Prompt => prompt::run(),
        Benchmark::Sync { rps } => {
            let rates: Vec<f64> = std::iter::once(0.0).chain(rps).collect();
            sync::run(configured()?, &rates).await.map(|_| ())
        }
        Benchmark::Webhooks {
            rate,
            seconds,
            salons,
        } => {
            let load = webhooks::Load {
                rate,
                duration: Duration::from_secs(seconds),
                salons,
            };
            webhooks::run(configured()?, load).await
        }
        Benchmark::Messages {
            rate,
            seconds,
            salons,
            clients,
        } => {
            let load = messages::Load {
                rate,
                duration: Duration::from_secs(seconds),
                salons,
                clients,
            };
            messages::run(configured()?, load).await
        }
    }
}
