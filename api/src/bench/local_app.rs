//! The app run inside a benchmark's (or the evaluation's) own process, on a free port,
//! until told to stop.

use crate::config::{Config, WhatsAppMode};
use crate::startup::Application;
use ai_admin_activities::secret::Secret;
use anyhow::Context as _;
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
