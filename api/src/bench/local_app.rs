//! The app run inside a benchmark's (or the evaluation's) own process, on a free port,
//! until told to stop.

use crate::config::Config;
use crate::startup::Application;
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
