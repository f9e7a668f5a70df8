//! `ai-admin-bench webhooks`: fires signed record webhooks at a fixed rate (default 500
//! per second for 30 s) across 50 salons, each at its own webhook URL, at the real
//! application (HTTP, URL secret, inbox, relay, `company-<salon_id>` workflows, the
//! apply activity, which fetches every record from the YClients simulator without a rate
//! limit) and prints ack latency (p50, p99, max), throughput, the time until every event
//! is applied (drain), and inbox rows and applied events against those sent. In the
//! same run it measures a baseline: the same load against a handler that only inserts
//! the row (no sequence, no relay), so the report shows what the durable, ordered path
//! costs.

use ai_admin_activities::acts::activation::salon_webhook_url;
use ai_admin_activities::clients::yclients::Company;
use ai_admin_activities::clients::yclients::webhooks;
use ai_admin_activities::db::{self, companies};
use ai_admin_activities::domain::SalonId;
use ai_admin_activities::secret::Secret;
use ai_admin_api::config::Config;
use ai_admin_api::local_app::LocalApp;
use ai_admin_simulators::yclients::{self as simulator, Salon, SalonSize, SimState};
use anyhow::Context as _;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::PgPool;
use std::time::{Duration, Instant};

/// Connections of the benchmark's pool: the bench salons, the insert-only baseline and
/// the drain counts.
const POOL_CONNECTIONS: u32 = 10;

const SECRET: &str = "bench-webhook-secret";
/// The secret of every bench salon's webhook URL.
const URL_SECRET: &str = "bench-url-secret";
const PARTNER_TOKEN: &str = "bench-partner-token";

/// A bench salon: its id and the records its webhooks name.
#[derive(Debug, Clone)]
struct BenchSalon {
    id: SalonId,
    records: Vec<i64>,
}

/// What to fire.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Requests per second.
    pub rate: u32,
    /// For how long.
    pub duration: Duration,
    /// Salons the events are spread over.
    pub salons: usize,
}

/// Ack latencies of one load, sorted.
#[derive(Debug, Clone)]
pub struct Acks {
    latencies: Vec<Duration>,
    failed: usize,
    wall: Duration,
}

impl Acks {
    fn quantile(&self, q: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let index = ((self.latencies.len() as f64 - 1.0) * q).round() as usize;
        self.latencies[index]
    }

    /// Median ack latency; zero when nothing was acked.
    pub fn p50(&self) -> Duration {
        self.quantile(0.5)
    }

    /// 99th percentile.
    pub fn p99(&self) -> Duration {
        self.quantile(0.99)
    }

    /// Slowest ack latency; zero when nothing was acked.
    pub fn max(&self) -> Duration {
        self.latencies.last().copied().unwrap_or_default()
    }

    /// Successful acks per second of wall time.
    pub fn throughput(&self) -> f64 {
        self.latencies.len() as f64 / self.wall.as_secs_f64()
    }
}

fn sign(body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The `n`-th webhook: a record update of one of the salons (its URL and body; the
/// comment makes every body its own event).
fn event(base: &str, salons: &[BenchSalon], n: usize) -> (String, Vec<u8>) {
    let salon = &salons[n % salons.len()];
    let record_id = salon.records[(n / salons.len()) % salon.records.len()];
    let body = serde_json::json!({
        "company_id": salon.id.get(),
        "resource": "record",
        "resource_id": record_id,
        "status": "update",
        "data": { "id": record_id, "comment": format!("событие {n}") }
    })
    .to_string()
    .into_bytes();
    (salon_webhook_url(base, salon.id, URL_SECRET), body)
}

/// Fires `load` at `url` from a thread of its own, like a separate client process: the
/// client's timing then does not queue behind the app's tasks on the app's runtime.
async fn fire(url: &str, load: Load, salons: &[BenchSalon]) -> anyhow::Result<Acks> {
    let (url, salons) = (url.to_owned(), salons.to_vec());
    let client = std::thread::Builder::new()
        .name("bench-client".into())
        .spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("Failed to start the client runtime")?
                .block_on(fire_from_here(&url, load, &salons))
        })
        .context("Failed to start the client thread")?;
    tokio::task::spawn_blocking(move || client.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the bench client panicked"))?
}

/// Fires `load` at `url` (open loop: a request every 1/rate s, whatever the answers).
async fn fire_from_here(url: &str, load: Load, salons: &[BenchSalon]) -> anyhow::Result<Acks> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(30))
        .build()?;
    let total = (load.rate as u64 * load.duration.as_secs()) as usize;
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(load.rate)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut requests = tokio::task::JoinSet::new();
    for n in 0..total {
        ticker.tick().await;
        let (to, body) = event(url, salons, n);
        let request = http
            .post(to)
            .header("content-type", "application/json")
            .header("x-signature", sign(&body))
            .body(body);
        requests.spawn(async move {
            let sent = Instant::now();
            let ok = request
                .send()
                .await
                .is_ok_and(|response| response.status().is_success());
            (ok, sent.elapsed())
        });
    }
    let mut latencies = Vec::with_capacity(total);
    let mut failed = 0;
    while let Some(done) = requests.join_next().await {
        match done {
            Ok((true, latency)) => latencies.push(latency),
            _ => failed += 1,
        }
    }
    latencies.sort();
    Ok(Acks {
        latencies,
        failed,
        wall: started.elapsed(),
    })
}

/// The baseline handler: checks the signature, parses, inserts the row. Nothing else.
async fn baseline(State(db): State<PgPool>, body: Bytes) -> StatusCode {
    let hook = match webhooks::parse(&body) {
        Ok(hook) => hook,
        Err(_) => return StatusCode::BAD_REQUEST,
    };
    let inserted = sqlx::query(
        "INSERT INTO webhook_inbox (salon_id, kind, event, payload, content_hash, status)
         VALUES ($1, $2, $3, $4, $5, 'ignored')",
    )
    .bind(hook.salon_id.map(SalonId::get))
    .bind(hook.kind.as_str())
    .bind(&hook.event)
    .bind(&hook.payload)
    .bind(format!("baseline:{}", hook.content_hash))
    .execute(&db)
    .await;
    match inserted {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn counts(db: &PgPool, salons: &[i32]) -> anyhow::Result<(i64, i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT COUNT(*),
                COUNT(*) FILTER (WHERE status = 'applied'),
                COUNT(*) FILTER (WHERE apply_count > 1)
         FROM webhook_inbox WHERE salon_id = ANY($1) AND content_hash NOT LIKE 'baseline:%'",
    )
    .bind(salons)
    .fetch_one(db)
    .await?)
}

/// Runs the benchmark and prints the report.
pub async fn run(mut config: Config, load: Load) -> anyhow::Result<()> {
    config.port = 0;
    config.webhook_secret = Some(Secret::new(SECRET));
    let run_id: u64 = rand::random();
    config.temporal.task_queue = format!("bench-webhooks-{run_id:x}");
    let pool = db::connect_lazy(config.database_url.expose(), POOL_CONNECTIONS)?;
    db::migrate(&pool).await?;

    // The salons live in a YClients simulator: applying a record webhook fetches it.
    let start = chrono::Utc::now().date_naive();
    let simulated: Vec<Salon> = (0..load.salons)
        .map(|n| {
            let id = 500_000_000 + (run_id % 1_000_000) as i64 * 100 + n as i64;
            Salon::generate(
                id,
                &format!("Салон №{n}"),
                "Europe/Moscow",
                SalonSize::DEMO,
                start,
            )
        })
        .collect();
    let yclients = simulator::spawn(
        tokio::net::TcpListener::bind("127.0.0.1:0").await?,
        SimState::new(PARTNER_TOKEN, simulated.clone()),
    )?;
    config.yclients.base_url = yclients.base_url();
    config.yclients.partner_token = Secret::new(PARTNER_TOKEN);
    config.yclients.rate_limit_rps = 0.0;
    let mut salons = Vec::with_capacity(load.salons);
    for salon in &simulated {
        let company = Company {
            id: salon.id,
            title: salon.title.clone(),
            phone: None,
            email: None,
            address: None,
            timezone_name: Some("Europe/Moscow".to_owned()),
        };
        companies::upsert_registered(&pool, &company, &Default::default()).await?;
        let id = SalonId::new(salon.id)?;
        let keys = companies::ActivationKeys {
            api_key: format!("bench-{id}"),
            webhook_secret: URL_SECRET.to_owned(),
        };
        companies::save_activation_key(&pool, id, "bench", &keys).await?;
        salons.push(BenchSalon {
            id,
            records: salon.records.iter().map(|r| r.id).collect(),
        });
    }
    let salon_ids: Vec<i32> = salons.iter().map(|s| s.id.get()).collect();

    // Baseline first, alone, so the two loads do not compete.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let baseline_url = format!("http://{}/baseline", listener.local_addr()?);
    let baseline_app = Router::new()
        .route("/baseline/{salon_id}/{secret}", post(baseline))
        .with_state(pool.clone());
    let baseline_server = tokio::spawn(async move { axum::serve(listener, baseline_app).await });
    let base = fire(&baseline_url, load, &salons).await?;
    baseline_server.abort();

    let app = LocalApp::start(config).await?;
    let url = format!("{}/webhook/yclients", app.base);
    let started = Instant::now();
    let acks = fire(&url, load, &salons).await?;
    let sent_done = started.elapsed();
    let sent = acks.latencies.len() as i64;
    let drain_deadline = Instant::now() + Duration::from_secs(600);
    let (stored, applied, twice) = loop {
        let (stored, applied, twice) = counts(&pool, &salon_ids).await?;
        if applied >= stored || Instant::now() > drain_deadline {
            break (stored, applied, twice);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let all_applied = started.elapsed();
    app.stop().await?;
    pool.close().await;

    print_report(
        load,
        &base,
        &acks,
        sent,
        stored,
        applied,
        twice,
        sent_done,
        all_applied,
    );
    Ok(())
}

#[allow(clippy::print_stdout, clippy::too_many_arguments)]
fn print_report(
    load: Load,
    base: &Acks,
    acks: &Acks,
    sent: i64,
    stored: i64,
    applied: i64,
    twice: i64,
    sent_done: Duration,
    all_applied: Duration,
) {
    println!(
        "webhooks: {} req/s for {:?} across {} salons (signed record events)",
        load.rate, load.duration, load.salons
    );
    for (name, a) in [
        ("baseline (insert only)", base),
        ("durable + relay + apply", acks),
    ] {
        println!(
            "  {name:<24} ack p50 {:>7.2?}  p99 {:>7.2?}  max {:>8.2?}  {:>6.0} req/s  failed {}",
            a.p50(),
            a.p99(),
            a.max(),
            a.throughput(),
            a.failed
        );
    }
    println!(
        "  p99 over baseline: {:.2}x",
        acks.p99().as_secs_f64() / base.p99().as_secs_f64().max(1e-9)
    );
    println!(
        "  sent {sent}, inbox rows {stored}, applied {applied}, applied more than once {twice}, lost {}",
        sent - applied
    );
    println!(
        "  load done after {sent_done:.2?}; every event applied after {all_applied:.2?} (drain {:.2?}); apply rate {:.0} events/s",
        all_applied.saturating_sub(sent_done),
        applied as f64 / all_applied.as_secs_f64()
    );
}
