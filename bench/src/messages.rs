//! `ai-admin-bench messages`: clients of many salons write to the salons' WhatsApp
//! (simulated) at a fixed rate, through the whole pipeline — the inbound ledger, the
//! conversation relay, `conversation-<salon_id>-<phone>` on Temporal, both Gemini stages
//! against the Gemini simulator with zero delay, the commands against the synced tables
//! and the YClients simulator, the send — and prints throughput and p50/p99 of incoming
//! → reply sent (the database's `received_at` → `handled_at`, stamped right after the
//! send). In the same run it measures a baseline: a bare workflow with one no-op
//! activity on the same server (5 a second, unloaded), so the report shows the
//! pipeline's cost in units of the server's own round trip.
//!
//! Salons are onboarded the owner's way (registration redirect, QR, link, activation,
//! first sync, welcome) before the load. The debounce is off: it is deliberate waiting,
//! not cost (with it, a reply comes that much later).

use crate::baseline::{self, BaselineWorkflow};
use ai_admin_activities::db;
use ai_admin_activities::domain::{SalonId, SessionId};
use ai_admin_api::config::Config;
use ai_admin_api::local_app::{self, LocalApp, onboard, wait_for};
use ai_admin_simulators::gemini::{self, GeminiSimState};
use ai_admin_simulators::yclients::{self, Salon, SalonSize, SimState};
use ai_admin_temporal::connection;
use ai_admin_temporal::worker::spawn_workers;
use anyhow::Context as _;
use futures::StreamExt as _;
use std::future::Future;
use std::time::{Duration, Instant};
use temporalio_client::{WorkflowGetResultOptions, WorkflowStartOptions};

/// Connections of the benchmark's pool: the benchmark's own counts (the app has its own pools).
const POOL_CONNECTIONS: u32 = 5;

const PARTNER_TOKEN: &str = "bench-partner-token";
const GEMINI_KEY: &str = "bench-gemini-key";
/// Bare workflows per second in the baseline, and for how long.
const BASELINE_RATE: u32 = 5;
const BASELINE_FOR: Duration = Duration::from_secs(10);
/// What the clients write, in turn: small talk, prices, free times.
const TEXTS: [&str; 4] = [
    "Здравствуйте!",
    "Сколько стоит маникюр?",
    "Есть свободное время на мужскую стрижку завтра?",
    "Подскажите цены на педикюр",
];

/// What to send.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Messages per second.
    pub rate: u32,
    /// For how long.
    pub duration: Duration,
    /// Demo salons, each onboarded before the load starts.
    pub salons: usize,
    /// Clients writing (spread over the salons).
    pub clients: usize,
}

/// Latencies of one run, sorted, and what it did.
#[derive(Debug, Clone, Default)]
pub struct Latencies {
    sorted: Vec<Duration>,
    /// Operations that failed.
    pub failed: usize,
    /// First start to last finish.
    pub wall: Duration,
}

impl Latencies {
    fn new(mut sorted: Vec<Duration>, failed: usize, wall: Duration) -> Self {
        sorted.sort();
        Self {
            sorted,
            failed,
            wall,
        }
    }

    fn quantile(&self, q: f64) -> Duration {
        if self.sorted.is_empty() {
            return Duration::ZERO;
        }
        self.sorted[((self.sorted.len() as f64 - 1.0) * q).round() as usize]
    }

    /// Median latency; zero when nothing completed.
    pub fn p50(&self) -> Duration {
        self.quantile(0.5)
    }

    /// 99th percentile.
    pub fn p99(&self) -> Duration {
        self.quantile(0.99)
    }

    /// Slowest latency; zero when nothing completed.
    pub fn max(&self) -> Duration {
        self.sorted.last().copied().unwrap_or_default()
    }

    /// Completed per second of wall time.
    pub fn throughput(&self) -> f64 {
        self.sorted.len() as f64 / self.wall.as_secs_f64().max(1e-9)
    }
}

/// Runs `op(n)` for `n` in `0..rate × duration`, the n-th at `n / rate` seconds, all
/// concurrently, on a thread and runtime of its own (like a separate client process,
/// so the load's timing does not queue behind the app's tasks). Returns each op's
/// latency or failure.
fn paced<F, Fut>(
    rate: u32,
    duration: Duration,
    op: F,
) -> std::thread::JoinHandle<anyhow::Result<(Vec<Duration>, usize, Duration)>>
where
    F: Fn(u64) -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<()>> + 'static,
{
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("Failed to start the load runtime")?;
        runtime.block_on(async move {
            let total = (f64::from(rate) * duration.as_secs_f64()) as u64;
            let started = tokio::time::Instant::now();
            let mut ops = futures::stream::FuturesUnordered::new();
            for n in 0..total {
                let at = started + Duration::from_secs_f64(n as f64 / f64::from(rate));
                let op = op(n);
                ops.push(async move {
                    tokio::time::sleep_until(at).await;
                    let begun = Instant::now();
                    op.await.map(|()| begun.elapsed())
                });
            }
            let mut latencies = Vec::with_capacity(total as usize);
            let mut failed = 0;
            while let Some(result) = ops.next().await {
                match result {
                    Ok(latency) => latencies.push(latency),
                    Err(error) => {
                        failed += 1;
                        tracing::warn!(error = %format!("{error:#}"), "bench operation failed");
                    }
                }
            }
            Ok((latencies, failed, started.elapsed()))
        })
    })
}

fn joined<T>(handle: std::thread::JoinHandle<anyhow::Result<T>>) -> anyhow::Result<T> {
    handle
        .join()
        .map_err(|_| anyhow::anyhow!("the load thread panicked"))?
}

/// Runs the benchmark and prints the report.
pub async fn run(config: Config, load: Load) -> anyhow::Result<()> {
    let run_id: u64 = rand::random();
    let today = chrono::Utc::now().date_naive();
    let salon_ids: Vec<SalonId> = (0..load.salons)
        .map(|n| SalonId::new(600_000_000 + (run_id % 1_000_000) as i64 * 100 + n as i64))
        .collect::<Result<_, _>>()?;
    let salons = salon_ids
        .iter()
        .enumerate()
        .map(|(n, id)| {
            Salon::generate(
                i64::from(id.get()),
                &format!("Салон №{n}"),
                "Europe/Moscow",
                SalonSize::DEMO,
                today,
            )
        })
        .collect();
    let yclients = yclients::spawn(
        tokio::net::TcpListener::bind("127.0.0.1:0").await?,
        SimState::new(PARTNER_TOKEN, salons),
    )?;
    let gemini = gemini::spawn(
        tokio::net::TcpListener::bind("127.0.0.1:0").await?,
        GeminiSimState::new(GEMINI_KEY),
    )?;

    let mut config = local_app::simulated(
        config,
        format!("bench-messages-{run_id:x}"),
        yclients.base_url(),
        PARTNER_TOKEN,
    );
    config.llm.simulated(&gemini.base_url(), GEMINI_KEY);
    config.assistant.conversation.debounce_ms = 0;
    let temporal_config = config.temporal.clone();
    let pool = db::connect_lazy(config.database_url.expose(), POOL_CONNECTIONS)?;
    db::migrate(&pool).await?;

    let app = LocalApp::start(config).await?;
    let base = app.base.clone();

    // Onboard every salon (a few at a time) and wait for their welcome messages.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()?;
    let onboarded = Instant::now();
    let results: Vec<anyhow::Result<()>> = futures::stream::iter(salon_ids.iter().copied())
        .map(|salon_id| {
            let (http, base) = (&http, &base);
            async move { onboard(http, base, salon_id).await }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    results.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    let ids: Vec<i32> = salon_ids.iter().map(|s| s.get()).collect();
    wait_for(
        &pool,
        "SELECT COUNT(*) FROM outbound_messages
         WHERE salon_id = ANY($1) AND idempotency_key LIKE 'welcome/%' AND status = 'sent'",
        &ids,
        ids.len() as i64,
        Duration::from_secs(600),
        "the salons' onboarding",
    )
    .await?;
    let onboarding = onboarded.elapsed();

    // Baseline: bare workflows, alone, at a rate the server sustains (the dev server tops
    // out near 20 bare workflows/s here): its unloaded round trip is the unit.
    let client = connection::connect(&temporal_config).await?;
    let task_queue = format!("bench-baseline-{run_id:x}");
    let baseline_worker = spawn_workers(
        client.clone(),
        vec![baseline::queue(task_queue.clone())],
        None,
    )
    .await?;
    let baseline = joined(paced(BASELINE_RATE, BASELINE_FOR, move |n| {
        let (client, task_queue) = (client.clone(), task_queue.clone());
        async move {
            let handle = client
                .start_workflow(
                    BaselineWorkflow::run,
                    n,
                    WorkflowStartOptions::new(task_queue, format!("baseline-{run_id:x}-{n}"))
                        .build(),
                )
                .await?;
            handle
                .get_result(WorkflowGetResultOptions::default())
                .await?;
            Ok(())
        }
    }))?;
    baseline_worker.shutdown().await?;
    let baseline = Latencies::new(baseline.0, baseline.1, baseline.2);

    // The load: client k % clients of salon (k % clients) % salons writes message k.
    let posts = {
        let (base, http, salon_ids) = (base.clone(), http.clone(), salon_ids.clone());
        let clients = load.clients.max(1);
        paced(load.rate, load.duration, move |n| {
            let client = n as usize % clients;
            let salon = salon_ids[client % salon_ids.len()];
            let session = SessionId::for_salon(salon);
            let body = serde_json::json!({
                "from": format!("7955{:07}", client),
                "text": TEXTS[(n as usize / clients) % TEXTS.len()],
                "id": format!("bench-{run_id:x}-{n}"),
            });
            let (http, url) = (
                http.clone(),
                format!("{base}/dev/whatsapp/{session}/incoming"),
            );
            async move {
                let response = http.post(url).json(&body).send().await?;
                anyhow::ensure!(
                    response.status() == 200,
                    "incoming answered {}",
                    response.status()
                );
                Ok(())
            }
        })
    };
    let (accepted, failed_posts, _) = tokio::task::spawn_blocking(move || joined(posts)).await??;
    let sent = accepted.len() as i64;
    wait_for(
        &pool,
        "SELECT COUNT(*) FROM inbound_messages WHERE salon_id = ANY($1) AND status <> 'pending'",
        &ids,
        sent,
        Duration::from_secs(300),
        "every message answered",
    )
    .await?;

    // Each latency, and whether it was the client's first message (the one that starts
    // the conversation workflow).
    let rows: Vec<(f64, bool)> = sqlx::query_as(
        "SELECT EXTRACT(EPOCH FROM (handled_at - received_at))::float8,
                id = MIN(id) OVER (PARTITION BY salon_id, client_phone)
         FROM inbound_messages WHERE salon_id = ANY($1) AND status = 'handled'",
    )
    .bind(&ids)
    .fetch_all(&pool)
    .await?;
    let (span,): (f64,) = sqlx::query_as(
        "SELECT COALESCE(EXTRACT(EPOCH FROM (MAX(handled_at) - MIN(received_at))), 0)::float8
         FROM inbound_messages WHERE salon_id = ANY($1) AND status = 'handled'",
    )
    .bind(&ids)
    .fetch_one(&pool)
    .await?;
    let (replies, unanswered): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM outbound_messages
                 WHERE salon_id = ANY($1) AND idempotency_key LIKE 'reply/%' AND status = 'sent'),
                (SELECT COUNT(*) FROM inbound_messages
                 WHERE salon_id = ANY($1) AND status <> 'handled')",
    )
    .bind(&ids)
    .fetch_one(&pool)
    .await?;
    let wall = Duration::from_secs_f64(span);
    let of = |keep: &dyn Fn(bool) -> bool| {
        Latencies::new(
            rows.iter()
                .filter(|(_, first)| keep(*first))
                .map(|(secs, _)| Duration::from_secs_f64(secs.max(0.0)))
                .collect(),
            failed_posts,
            wall,
        )
    };
    let pipeline = of(&|_| true);
    let starts = of(&|first| first);
    let later = of(&|first| !first);
    let gemini_calls = gemini.state.calls().len();
    app.stop().await?;
    pool.close().await;

    print_report(
        load,
        onboarding,
        &baseline,
        [&pipeline, &starts, &later],
        sent,
        replies,
        unanswered,
        gemini_calls,
    );
    Ok(())
}

#[allow(clippy::print_stdout, clippy::too_many_arguments)]
fn print_report(
    load: Load,
    onboarding: Duration,
    baseline: &Latencies,
    [pipeline, starts, later]: [&Latencies; 3],
    sent: i64,
    replies: i64,
    unanswered: i64,
    gemini_calls: usize,
) {
    println!(
        "messages: {} msg/s for {:?}, {} clients across {} salons (onboarded in {onboarding:.1?}); \
         Gemini simulator with zero delay, debounce off, YClients simulator without rate limit",
        load.rate, load.duration, load.clients, load.salons
    );
    for (name, l) in [
        ("baseline: bare workflow + no-op activity", baseline),
        ("incoming → reply sent (whole pipeline)", pipeline),
        ("  a client's first message (starts it)", starts),
        ("  later messages (running conversation)", later),
    ] {
        println!(
            "  {name:<42} p50 {:>8.1?}  p99 {:>8.1?}  max {:>8.1?}  {:>5.1} /s  n {}",
            l.p50(),
            l.p99(),
            l.max(),
            l.throughput(),
            l.sorted.len()
        );
    }
    println!(
        "  failed: baseline workflows {}, message posts {}",
        baseline.failed, pipeline.failed
    );
    println!(
        "  pipeline in baseline round trips: p50 {:.2}x, p99 {:.2}x",
        pipeline.p50().as_secs_f64() / baseline.p50().as_secs_f64().max(1e-9),
        pipeline.p99().as_secs_f64() / baseline.p99().as_secs_f64().max(1e-9)
    );
    println!(
        "  messages sent {sent}, replies sent {replies}, unanswered {unanswered}, Gemini calls {gemini_calls}"
    );
}
