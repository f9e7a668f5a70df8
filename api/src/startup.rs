//! Building and running the application: [`Application::build`] connects to everything
//! and binds the port (0 picks a free one, for tests); [`Application::run_until_stopped`]
//! serves until the shutdown future resolves, then stops the worker cleanly.

use crate::auth::TokenKeys;
use crate::config::{Config, WhatsAppMode};
use crate::gateway_events::{self, EventSinks};
use crate::live::rate_limit::ConnectionRateLimiter;
use crate::live::{self, LiveHub};
use crate::routes;
use crate::state::AppState;
use ai_admin_activities::activation::ActivationSettings;
use ai_admin_activities::db;
use ai_admin_activities::gemini::{Gemini, GeminiConfig, HttpGemini, NoGemini};
use ai_admin_activities::metrics::Metrics;
use ai_admin_activities::whatsapp::WhatsAppGateway;
use ai_admin_activities::whatsapp::live::LiveGateway;
use ai_admin_activities::whatsapp::metered::MeteredGateway;
use ai_admin_activities::whatsapp::pacing::{Pace, SendPacer};
use ai_admin_activities::whatsapp::simulator::SimulatedGateway;
use ai_admin_activities::yclients::YClients;
use ai_admin_activities::yclients::{HttpYClients, RateLimiter, YClientsConfig};
use ai_admin_temporal::sdk_metrics::SdkMetrics;
use ai_admin_temporal::worker::{ActivityDeps, RunningWorker, spawn_worker};
use ai_admin_temporal::{connection, search_attributes};
use anyhow::Context as _;
use sqlx::PgPool;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long start-up waits for Temporal to answer (the demo starts both at once).
const TEMPORAL_PATIENCE: Duration = Duration::from_secs(60);

/// Limit for one Gemini request (the original system saw ~9 s answers).
const GEMINI_TIMEOUT: Duration = Duration::from_secs(30);

/// Limit for one YClients request.
const YCLIENTS_TIMEOUT: Duration = Duration::from_secs(10);

/// WebSocket connections allowed per IP per window (the spec: 5 per 60 s).
const WS_CONNECTIONS_PER_IP: usize = 5;
const WS_RATE_WINDOW: Duration = Duration::from_secs(60);

/// A built application, listening but not yet serving.
pub struct Application {
    listener: TcpListener,
    port: u16,
    router: axum::Router,
    worker: RunningWorker,
    db: PgPool,
    worker_db: PgPool,
    relay_db: PgPool,
    background: Vec<JoinHandle<()>>,
    stopping: watch::Sender<bool>,
    live_whatsapp: Option<LiveGateway>,
}

/// The WhatsApp gateway of the configured mode, with the concrete handle of its kind:
/// the simulator's for its control routes, the live one to restore and stop its bots.
struct Gateways {
    gateway: Arc<dyn WhatsAppGateway>,
    simulator: Option<SimulatedGateway>,
    live: Option<LiveGateway>,
}

impl Gateways {
    fn for_config(config: &Config) -> Self {
        match config.whatsapp_mode {
            WhatsAppMode::Simulator => {
                let simulator = SimulatedGateway::new(config.whatsapp_simulator.clone());
                Self {
                    gateway: Arc::new(simulator.clone()),
                    simulator: Some(simulator),
                    live: None,
                }
            }
            WhatsAppMode::Live => {
                let live = LiveGateway::new(config.data_dir.join("whatsapp"));
                Self {
                    gateway: Arc::new(live.clone()),
                    simulator: None,
                    live: Some(live),
                }
            }
        }
    }
}

impl Application {
    /// Connects to PostgreSQL (lazily), YClients and Temporal, registers the search
    /// attributes, starts the worker and binds the HTTP port.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let config = Arc::new(config);
        let db = db::connect_lazy(config.database_url.expose(), 20)?;
        // The worker's activities get a pool of their own: a burst of applied webhooks
        // or a sync must not make requests (webhook acks above all) queue for a connection.
        let worker_db = db::connect_lazy(config.database_url.expose(), 10)?;
        // The relay holds a connection per salon while it signals Temporal: its own too.
        let relay_db = db::connect_lazy(
            config.database_url.expose(),
            ai_admin_temporal::webhook_relay::CONNECTIONS
                + ai_admin_temporal::conversation_relay::CONNECTIONS,
        )?;
        let metrics = Metrics::new();
        let sdk_metrics = SdkMetrics::start()?;
        let limiter = Arc::new(RateLimiter::per_second(config.yclients.rate_limit_rps));
        let yclients = HttpYClients::new(
            YClientsConfig {
                base_url: config.yclients.base_url.clone(),
                partner_token: config.yclients.partner_token.clone(),
                user_token: None,
                timeout: YCLIENTS_TIMEOUT,
            },
            limiter,
        )
        .context("Failed to build the YClients client")?
        .with_metrics(metrics.clone());

        let gemini: Arc<dyn Gemini> = match &config.gemini.api_key {
            Some(api_key) => Arc::new(
                HttpGemini::new(GeminiConfig {
                    base_url: config.gemini.base_url.clone(),
                    api_key: api_key.clone(),
                    model: config.gemini.model.clone(),
                    timeout: GEMINI_TIMEOUT,
                })
                .context("Failed to build the Gemini client")?
                .with_metrics(metrics.clone()),
            ),
            None => {
                tracing::warn!("GEMINI_API_KEY is not set: clients will get the fixed apology");
                Arc::new(NoGemini)
            }
        };

        let Gateways {
            gateway,
            simulator,
            live: live_whatsapp,
        } = Gateways::for_config(&config);
        // Every send of the process goes through this one gateway: counted here.
        let gateway: Arc<dyn WhatsAppGateway> =
            Arc::new(MeteredGateway::new(gateway, metrics.clone()));
        let temporal = connection::connect_with_retry(&config.temporal, TEMPORAL_PATIENCE).await?;
        search_attributes::ensure_registered(&temporal).await?;
        let yclients: Arc<dyn YClients> = Arc::new(yclients);
        let worker = spawn_worker(
            temporal.clone(),
            config.temporal.task_queue.clone(),
            ActivityDeps {
                db: worker_db.clone(),
                yclients: yclients.clone(),
                gateway: gateway.clone(),
                activation: ActivationSettings {
                    application_id: config.yclients.app_id.clone(),
                    webhook_url: config.webhook_url(),
                },
                gemini,
                pacer: Arc::new(SendPacer::new(Pace::DEFAULT)),
                reminder_offsets: config.assistant.reminder_offsets.clone(),
            },
            Some(sdk_metrics.meter.clone()),
        )
        .await?;

        let listener = TcpListener::bind(("0.0.0.0", config.port))
            .await
            .with_context(|| format!("Failed to listen on port {}", config.port))?;
        let port = listener.local_addr()?.port();
        let hub = LiveHub::new(1024);
        let (webhook_wakeup, wakeup_task) = crate::webhook_wakeup::spawn(db.clone());
        let (conversations, conversation_relay) = ai_admin_temporal::conversation_relay::spawn(
            relay_db.clone(),
            temporal.clone(),
            config.temporal.task_queue.clone(),
            config.assistant.conversation,
        );
        let background = vec![
            wakeup_task,
            conversation_relay,
            live::listener::spawn(db.clone(), hub.clone()),
            ai_admin_temporal::webhook_relay::spawn(
                relay_db.clone(),
                temporal.clone(),
                config.temporal.task_queue.clone(),
            ),
            gateway_events::spawn(
                gateway.clone(),
                EventSinks {
                    db: db.clone(),
                    temporal: temporal.clone(),
                    conversations,
                    metrics: metrics.clone(),
                },
            ),
        ];
        // Restored sessions report `Connected`: only now is the consumer listening.
        if let Some(live) = &live_whatsapp {
            let restored = live
                .restore_sessions()
                .await
                .context("Failed to restore the WhatsApp sessions")?;
            tracing::info!(sessions = restored.len(), "WhatsApp sessions restored");
        }
        let (stopping, shutdown) = watch::channel(false);
        let state = AppState {
            tokens: TokenKeys::new(&config.jwt_secret),
            config,
            db: db.clone(),
            yclients,
            temporal,
            gateway,
            live: hub,
            ws_limiter: Arc::new(ConnectionRateLimiter::new(
                WS_CONNECTIONS_PER_IP,
                WS_RATE_WINDOW,
            )),
            shutdown,
            webhook_wakeup,
            metrics,
            sdk_metrics,
        };
        Ok(Application {
            listener,
            port,
            router: routes::router(state, simulator),
            worker,
            db,
            worker_db,
            relay_db,
            background,
            stopping,
            live_whatsapp,
        })
    }

    /// The port the application listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until `shutdown` resolves; then closes WebSockets with a reconnect hint,
    /// finishes in-flight requests, stops the worker (in-flight activities complete),
    /// stops the background tasks and closes the pools.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(port = self.port, "AI Admin listening");
        let stopping = self.stopping;
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stopping.send(true);
        })
        .await
        .context("The HTTP server failed");
        let stopped = self.worker.shutdown().await;
        if let Some(live) = &self.live_whatsapp {
            // Session stores are flushed by stopping their bots, not by dropping them.
            live.shutdown().await;
        }
        // The listener holds a pool connection: stop it before closing the pool.
        for task in self.background {
            task.abort();
        }
        self.db.close().await;
        self.worker_db.close().await;
        self.relay_db.close().await;
        served.and(stopped)
    }
}
