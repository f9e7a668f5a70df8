//! The app run inside a benchmark's (or the evaluation's) own process, on a free port,
//! until told to stop, and the owner's steps that bring a salon onto it.

use crate::config::{Config, WhatsAppMode};
use crate::startup::Application;
use ai_admin_activities::domain::{SalonId, SessionId};
use ai_admin_activities::secret::Secret;
use anyhow::Context as _;
use sqlx::PgPool;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The app serving in this process.
#[derive(Debug)]
pub struct LocalApp {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    stop: oneshot::Sender<()>,
    server: JoinHandle<anyhow::Result<()>>,
}

/// `config` for a run against simulators: any free port, a task queue of its own, the
/// WhatsApp simulator (in memory), the YClients simulator at `yclients_url` without a
/// rate limit (the pipeline is measured, not YClients' quota), and no per-address
/// redirect limit (every salon is registered from this one address).
pub fn simulated(
    mut config: Config,
    task_queue: String,
    yclients_url: String,
    partner_token: &str,
) -> Config {
    config.port = 0;
    config.temporal.task_queue = task_queue;
    config.whatsapp_mode = WhatsAppMode::Simulator;
    config.whatsapp_simulator.store_dir = None;
    config.yclients.base_url = yclients_url;
    config.yclients.partner_token = Secret::new(partner_token);
    config.yclients.rate_limit_rps = 0.0;
    config.access.redirects_per_minute = 0;
    config
}

impl LocalApp {
    /// Builds the app from `config` (its port is taken as given; 0 = any free one) and
    /// serves it.
    pub async fn start(config: Config) -> anyhow::Result<LocalApp> {
        let app = Application::build(config)
            .await
            .context("Failed to start the app")?;
        let base = format!("http://127.0.0.1:{}", app.port());
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until_stopped(async {
            let _ = stopped.await;
        }));
        Ok(LocalApp { base, stop, server })
    }

    /// Stops it and waits until it has.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.server.await?
    }
}

/// Onboards a salon the owner's way: registration, QR (session), the phone links.
pub async fn onboard(http: &reqwest::Client, base: &str, salon_id: SalonId) -> anyhow::Result<()> {
    let redirect = http
        .get(format!("{base}/auth/yclients/redirect?salon_id={salon_id}"))
        .send()
        .await?;
    let location = redirect
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .with_context(|| format!("registration answered {}", redirect.status()))?;
    let token = location
        .split_once("token=")
        .map(|(_, token)| token.to_owned())
        .context("the redirect carries no token")?;
    let qr = http
        .post(format!("{base}/marketplace/api/qr"))
        .bearer_auth(&token)
        .send()
        .await?;
    anyhow::ensure!(qr.status() == 200, "QR answered {}", qr.status());
    let session = SessionId::for_salon(salon_id);
    let linked = http
        .post(format!("{base}/dev/whatsapp/{session}/link"))
        .json(&serde_json::json!({ "phone": format!("7999{:07}", salon_id.get() % 10_000_000) }))
        .send()
        .await?;
    anyhow::ensure!(linked.status() == 200, "link answered {}", linked.status());
    Ok(())
}

/// Polls `sql` (a count over the salons in `$1`) until it reaches `want`, for at most
/// `patience`.
pub async fn wait_for(
    db: &PgPool,
    sql: &'static str,
    salons: &[i32],
    want: i64,
    patience: Duration,
    what: &str,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + patience;
    loop {
        let have: i64 = sqlx::query_scalar(sql).bind(salons).fetch_one(db).await?;
        if have >= want {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "gave up waiting for {what}: {have} of {want}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
