//! `ai-admin-bench sync`: syncs a simulated salon of 10 000 clients, 50 masters, 300
//! services, 30 days of working hours and 5 000 records through the real sync workflow
//! (Temporal, activities, the HTTP client, PostgreSQL), once with the rate limiter off and
//! once per given rate, and prints rows written per second and, for a rate, the ratio of
//! wall time to the limiter's bound (requests ÷ rps).

use ai_admin_activities::acts::activation::ActivationSettings;
use ai_admin_activities::acts::sync::{SyncInput, SyncReport};
use ai_admin_activities::clients::yclients::{HttpYClients, RateLimiter, YClients, YClientsConfig};
use ai_admin_activities::db::{self, companies};
use ai_admin_activities::domain::SalonId;
use ai_admin_activities::secret::Secret;
use ai_admin_activities::whatsapp::simulator::{SimulatedGateway, SimulatorSettings};
use ai_admin_api::config::Config;
use ai_admin_simulators::yclients::{self, Salon, SalonSize, SimState};
use ai_admin_temporal::worker::{ActivityDeps, spawn_worker};
use ai_admin_temporal::{Client, connection, search_attributes};
use ai_admin_workflows::sync::SyncWorkflow;
use anyhow::Context as _;
use std::sync::Arc;
use std::time::{Duration, Instant};
use temporalio_client::{WorkflowGetResultOptions, WorkflowStartOptions};

/// Connections of the benchmark's pool: the bench salon and the sync worker's batches.
const POOL_CONNECTIONS: u32 = 20;

/// The salon the issue asks for.
pub const BENCH_SALON: SalonSize = SalonSize {
    services: 300,
    staff: 50,
    clients: 10_000,
    schedule_days: 30,
    records: 5_000,
};

const PARTNER_TOKEN: &str = "bench-partner-token";

/// One measured sync.
#[derive(Debug, Clone)]
pub struct SyncRun {
    /// Requests per second allowed (0 = no limit).
    pub rps: f64,
    /// What the sync did.
    pub report: SyncReport,
    /// Wall time from start to result.
    pub wall: Duration,
}

impl SyncRun {
    /// Rows written per second of wall time.
    pub fn rows_per_second(&self) -> f64 {
        self.report.rows() as f64 / self.wall.as_secs_f64()
    }

    /// Wall time over the rate limit's bound (requests ÷ rps); `None` without a limit.
    pub fn bound_ratio(&self) -> Option<f64> {
        (self.rps > 0.0).then(|| {
            let bound = f64::from(self.report.requests()) / self.rps;
            self.wall.as_secs_f64() / bound
        })
    }
}

/// Runs the benchmark for each rate (0 = limiter off) and prints the figures.
pub async fn run(config: Config, rates: &[f64]) -> anyhow::Result<Vec<SyncRun>> {
    let pool = db::connect_lazy(config.database_url.expose(), POOL_CONNECTIONS)?;
    db::migrate(&pool).await?;
    let temporal =
        connection::connect_with_retry(&config.temporal, Duration::from_secs(30)).await?;
    search_attributes::ensure_registered(&temporal).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let state = SimState::new(PARTNER_TOKEN, Vec::new());
    let simulator = yclients::spawn(listener, state.clone())?;
    let mut runs = Vec::new();
    for (n, rps) in rates.iter().copied().enumerate() {
        // A new salon per run, so every run inserts the same rows from scratch.
        let salon_id =
            SalonId::new(i64::from(rand::random_range(100_000..1_000_000_000u32)) + n as i64)?;
        state.add_salon(Salon::generate(
            salon_id.into(),
            "Салон «Бенчмарк»",
            "Europe/Moscow",
            BENCH_SALON,
            chrono::Utc::now().date_naive(),
        ));
        let client: Arc<dyn YClients> = Arc::new(HttpYClients::new(
            YClientsConfig {
                base_url: simulator.base_url(),
                partner_token: Secret::new(PARTNER_TOKEN),
                user_token: None,
                timeout: Duration::from_secs(30),
                brand: Default::default(),
            },
            Arc::new(RateLimiter::per_second(rps)),
        )?);
        let company = client.company(salon_id).await?;
        companies::upsert_registered(&pool, &company, &Default::default()).await?;
        let run = sync_once(&temporal, &pool, client, salon_id, rps).await?;
        print_run(&run);
        runs.push(run);
    }
    pool.close().await;
    Ok(runs)
}

async fn sync_once(
    temporal: &Client,
    pool: &sqlx::PgPool,
    yclients: Arc<dyn YClients>,
    salon_id: SalonId,
    rps: f64,
) -> anyhow::Result<SyncRun> {
    let task_queue = format!("bench-sync-{salon_id}");
    let worker = spawn_worker(
        temporal.clone(),
        task_queue.clone(),
        ActivityDeps {
            db: pool.clone(),
            yclients,
            gateway: Arc::new(SimulatedGateway::new(SimulatorSettings::default())),
            activation: ActivationSettings {
                application_id: "bench".to_owned(),
                webhook_base_url: "http://localhost/webhook/yclients".to_owned(),
                plans: Default::default(),
            },
            llm: Arc::new(ai_admin_activities::clients::llm::NoLanguageModel {
                reason: "the sync benchmark asks no language model".to_owned(),
            }),
            reminder_offsets: Vec::new(),
            retention: Default::default(),
            assistant_limits: Default::default(),
            prompts: ai_admin_activities::assistant::prompts::PromptSet::current(),
            handoff_timeout: None,
            personal_data_grace: std::time::Duration::from_secs(86_400),
        },
        None,
    )
    .await?;
    let started = Instant::now();
    let handle = temporal
        .start_workflow(
            SyncWorkflow::run,
            SyncInput {
                salon_id,
                parts: Vec::new(),
                publish_progress: false,
            },
            WorkflowStartOptions::new(task_queue, format!("bench-sync-{salon_id}")).build(),
        )
        .await
        .context("Failed to start the sync")?;
    let report = handle
        .get_result(WorkflowGetResultOptions::default())
        .await
        .context("The sync failed")?;
    let wall = started.elapsed();
    worker.shutdown().await?;
    Ok(SyncRun { rps, report, wall })
}

#[allow(clippy::print_stdout)]
fn print_run(run: &SyncRun) {
    let limit = if run.rps > 0.0 {
        format!("{} rps", run.rps)
    } else {
        "off".to_owned()
    };
    println!("sync of a 10 000-client salon, rate limit {limit}:");
    for part in &run.report.parts {
        println!(
            "  {:<16} {:>6} rows  {:>3} requests",
            part.part.as_str(),
            part.rows,
            part.requests
        );
    }
    println!(
        "  total            {:>6} rows  {:>3} requests in {:.2?}: {:.0} rows/s",
        run.report.rows(),
        run.report.requests(),
        run.wall,
        run.rows_per_second()
    );
    if let Some(ratio) = run.bound_ratio() {
        println!(
            "  rate-limit bound {:.1} s (requests ÷ rps); wall ÷ bound = {ratio:.3}",
            f64::from(run.report.requests()) / run.rps
        );
    }
}
