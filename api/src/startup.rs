//! Building and running the application: [`Application::build`] connects to everything
//! and starts the parts of the configured roles (API, worker, WhatsApp gateway node),
//! then binds the port (0 picks a free one, for tests); [`Application::run_until_stopped`]
//! serves until the shutdown future resolves, then stops each part cleanly. A process
//! without the API role still serves `/health` and `/metrics` for its orchestrator.

use crate::auth::TokenKeys;
use crate::config::{Config, WhatsAppMode};
use crate::gateway_events::{self, EventSinks};
use crate::inbound_ledger::DbLedger;
use crate::live::rate_limit::ConnectionRateLimiter;
use crate::live::{self, LiveHub};
use crate::routes;
use crate::state::AppState;
use ai_admin_activities::acts::activation::ActivationSettings;
use ai_admin_activities::clients::llm::LanguageModel;
use ai_admin_activities::clients::llm::health::LlmHealth;
use ai_admin_activities::clients::yclients::YClients;
use ai_admin_activities::clients::yclients::{HttpYClients, RateLimiter, YClientsConfig};
use ai_admin_activities::db;
use ai_admin_activities::db::session_stores::PgSessionVault;
use ai_admin_activities::metrics::Metrics;
use ai_admin_activities::supervisor::Supervisor;
use ai_admin_activities::whatsapp::live::LiveGateway;
use ai_admin_activities::whatsapp::metered::MeteredGateway;
use ai_admin_activities::whatsapp::ownership::GatewayNode;
use ai_admin_activities::whatsapp::routed::RoutedGateway;
use ai_admin_activities::whatsapp::simulator::SimulatedGateway;
use ai_admin_activities::whatsapp::{InboundLedger, WhatsAppGateway};
use ai_admin_temporal::gateway_calls::TemporalGateways;
use ai_admin_temporal::sdk_metrics::SdkMetrics;
use ai_admin_temporal::worker::{ActivityDeps, Queue, RunningWorker, spawn_workers};
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

/// Connections of the requests' pool: the handlers run short queries, and a webhook ack
/// must never wait behind background work (which has pools of its own).
const REQUEST_CONNECTIONS: u32 = 20;

/// Connections of the worker activities' pool: a sync's batches and applied webhooks.
const WORKER_CONNECTIONS: u32 = 10;

/// Live events kept for a page that falls behind before it is told to catch up from
/// the database.
const LIVE_BACKLOG: usize = 1024;

/// How long start-up waits for Temporal to answer (the demo starts both at once).
const TEMPORAL_PATIENCE: Duration = Duration::from_secs(60);

/// Limit for one YClients request.
const YCLIENTS_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest a YClients call made while a person waits (the registration redirect)
/// queues at the shared limiter; background work may queue longer.
const INTERACTIVE_QUEUE_WAIT: Duration = Duration::from_secs(2);

/// How long a stopping gateway node waits for its WhatsApp calls under way.
const CALLS_PATIENCE: Duration = Duration::from_secs(20);

/// How long a stopping gateway node keeps polling its queue after handing its sessions
/// back, so the workflows of calls it finished complete.
const LAST_TASKS: Duration = Duration::from_millis(500);

/// The window of the per-client limits (`WS_RATE_LIMIT`, `REDIRECT_RATE_LIMIT` are per
/// minute).
const RATE_WINDOW: Duration = Duration::from_secs(60);

/// A built application, listening but not yet serving.
pub struct Application {
    listener: TcpListener,
    port: u16,
    router: axum::Router,
    worker: Option<RunningWorker>,
    /// The gateway node's own queue, stopped last: calls it finished still report back.
    gateway_worker: Option<RunningWorker>,
    node: Option<GatewayNode>,
    /// Stops the node's lease keeper, right before the node hands its sessions back.
    keeper_stop: watch::Sender<bool>,
    keeper: Option<JoinHandle<()>>,
    pools: Vec<PgPool>,
    background: Vec<JoinHandle<()>>,
    stopping: watch::Sender<bool>,
    live_whatsapp: Option<LiveGateway>,
}

/// The WhatsApp gateway of the configured mode, with the concrete handle of its kind:
/// the simulator's for its control side, the live one to stop its bots.
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

/// The external clients the API and the worker share.
struct Clients {
    /// For the worker's activities.
    yclients: Arc<dyn YClients>,
    /// The same client and limiter for the API's handlers, which queue less.
    interactive_yclients: Arc<dyn YClients>,
    llm: Arc<dyn LanguageModel>,
    /// The language-model routes' states, for the health check.
    llm_health: LlmHealth,
}

impl Clients {
    fn build(config: &Config, metrics: &Metrics) -> anyhow::Result<Self> {
        let limiter = Arc::new(RateLimiter::per_second(config.yclients.rate_limit_rps));
        let yclients = HttpYClients::new(
            YClientsConfig {
                base_url: config.yclients.base_url.clone(),
                partner_token: config.yclients.partner_token.clone(),
                user_token: None,
                timeout: YCLIENTS_TIMEOUT,
                brand: config.yclients.brand,
            },
            limiter,
        )
        .context("Failed to build the YClients client")?
        .with_metrics(metrics.clone());
        let llm_health = LlmHealth::default();
        let llm = crate::language_model::build(&config.llm, metrics, &llm_health)?;
        Ok(Self {
            interactive_yclients: Arc::new(yclients.clone().with_max_wait(INTERACTIVE_QUEUE_WAIT)),
            yclients: Arc::new(yclients),
            llm,
            llm_health,
        })
    }
}

/// The process's database pools, each sized for its users.
struct Pools {
    /// The requests'.
    db: PgPool,
    /// The worker's activities get a pool of their own: a burst of applied webhooks or a
    /// sync must not make requests (webhook acks above all) queue for a connection.
    worker: PgPool,
    /// The relays hold a connection per salon while they signal Temporal: their own too.
    relay: PgPool,
}

impl Pools {
    fn connect(config: &Config) -> anyhow::Result<Self> {
        let url = config.database_url.expose();
        Ok(Self {
            db: db::connect_lazy(url, REQUEST_CONNECTIONS)?,
            worker: db::connect_lazy(url, WORKER_CONNECTIONS)?,
            relay: db::connect_lazy(
                url,
                ai_admin_temporal::webhook_relay::CONNECTIONS
                    + ai_admin_temporal::conversation_relay::CONNECTIONS,
            )?,
        })
    }
}

/// This process as a gateway node: the node, the live gateway to stop its bots, and the
/// conversation relay the node's ledger wakes.
struct GatewayRole {
    node: GatewayNode,
    live: Option<LiveGateway>,
    relay_task: JoinHandle<()>,
}

impl GatewayRole {
    /// The node of the configured WhatsApp mode. Clients' messages are recorded by the
    /// gateway before WhatsApp is told they arrived; the relay then hands them to their
    /// conversations. Every sent message is counted where it leaves.
    fn assemble(
        config: &Config,
        pools: &Pools,
        temporal: &temporalio_client::Client,
        metrics: &Metrics,
        supervisor: &Supervisor,
    ) -> Self {
        let Gateways {
            gateway,
            simulator,
            live,
        } = Gateways::for_config(config);
        let (conversations, relay_task) = ai_admin_temporal::conversation_relay::spawn(
            pools.relay.clone(),
            temporal.clone(),
            config.temporal.task_queue.clone(),
            config.assistant.conversation,
            supervisor,
        );
        let ledger: Arc<dyn InboundLedger> = Arc::new(DbLedger::new(
            pools.db.clone(),
            conversations,
            metrics.clone(),
            config.assistant.salon_reply_pause,
        ));
        if let Some(simulator) = &simulator {
            simulator.set_ledger(ledger.clone());
        }
        if let Some(live) = &live {
            live.set_ledger(ledger);
            // Each node keeps its stores on its own disk; sessions move between hosts
            // through PostgreSQL.
            live.set_vault(Arc::new(PgSessionVault::new(
                pools.db.clone(),
                config.node_id.clone(),
            )));
        }
        let gateway: Arc<dyn WhatsAppGateway> =
            Arc::new(MeteredGateway::new(gateway, metrics.clone()));
        let node = GatewayNode::new(
            config.node_id.clone(),
            pools.db.clone(),
            config.whatsapp_lease,
            gateway,
            simulator,
        );
        Self {
            node,
            live,
            relay_task,
        }
    }
}

/// What the main queue's activities use, from the configuration and the shared clients.
fn activity_deps(
    config: &Config,
    db: PgPool,
    clients: &Clients,
    gateway: Arc<dyn WhatsAppGateway>,
) -> anyhow::Result<ActivityDeps> {
    Ok(ActivityDeps {
        db,
        yclients: clients.yclients.clone(),
        gateway,
        activation: ActivationSettings {
            application_id: config.yclients.app_id.clone(),
            webhook_base_url: config.webhook_url(),
            plans: config.marketplace.plans.clone(),
        },
        llm: clients.llm.clone(),
        reminder_offsets: config.assistant.reminder_offsets.clone(),
        retention: config.retention,
        assistant_limits: config.assistant.limits,
        prompts: config.assistant.prompts()?,
        handoff_timeout: config.assistant.handoff_timeout,
        personal_data_grace: config.marketplace.personal_data_grace,
    })
}

/// Starts the main queue's worker and makes sure its schedules exist (retention, and
/// the install check unless it is off).
async fn spawn_main_worker(
    config: &Config,
    temporal: &temporalio_client::Client,
    deps: ActivityDeps,
    sdk_metrics: &SdkMetrics,
) -> anyhow::Result<RunningWorker> {
    let main = Queue::Main {
        task_queue: config.temporal.task_queue.clone(),
        deps: Box::new(deps),
    };
    let meter = Some(sdk_metrics.meter.clone());
    let worker = spawn_workers(temporal.clone(), vec![main], meter).await?;
    ai_admin_temporal::retention::ensure_schedule(temporal, &config.temporal.task_queue).await?;
    if let Some(every) = config.marketplace.reconcile_every {
        ai_admin_temporal::reconcile::ensure_schedule(temporal, &config.temporal.task_queue, every)
            .await?;
    }
    Ok(worker)
}

impl Application {
    /// Connects to PostgreSQL (lazily), YClients and Temporal, registers the search
    /// attributes, starts the parts of the configured roles and binds the HTTP port.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let config = Arc::new(config);
        let roles = config.roles;
        tracing::info!(roles = ?roles.names(), node_id = %config.node_id, "starting");
        if config.app_env == crate::config::AppEnv::Development {
            tracing::warn!(
                "APP_ENV=development: the marketplace redirect accepts an unsigned salon_id \
                 (for the demo); production requires YClients' signed user_data"
            );
        }
        let pools = Pools::connect(&config)?;
        let metrics = Metrics::new();
        let sdk_metrics = SdkMetrics::start()?;
        let clients = Clients::build(&config, &metrics)?;
        let temporal = connection::connect_with_retry(&config.temporal, TEMPORAL_PATIENCE).await?;
        search_attributes::ensure_registered(&temporal).await?;

        let supervisor = Supervisor::new();
        let started = roles
            .gateway
            .then(|| GatewayRole::assemble(&config, &pools, &temporal, &metrics, &supervisor));
        let node = started.as_ref().map(|started| started.node.clone());
        let routed = RoutedGateway::new(
            node.clone(),
            pools.db.clone(),
            Arc::new(TemporalGateways::new(temporal.clone(), pools.db.clone())),
            config.whatsapp_lease,
        );
        let gateway: Arc<dyn WhatsAppGateway> = Arc::new(routed.clone());

        let worker = if roles.worker {
            let deps = activity_deps(&config, pools.worker.clone(), &clients, gateway.clone())?;
            Some(spawn_main_worker(&config, &temporal, deps, &sdk_metrics).await?)
        } else {
            None
        };
        let gateway_worker = match &node {
            Some(node) => {
                let queue = Queue::Gateway(node.clone());
                let meter = Some(sdk_metrics.meter.clone());
                Some(spawn_workers(temporal.clone(), vec![queue], meter).await?)
            }
            None => None,
        };

        let listener = TcpListener::bind(("0.0.0.0", config.port))
            .await
            .with_context(|| format!("Failed to listen on port {}", config.port))?;
        let port = listener.local_addr()?.port();
        let hub = LiveHub::new(LIVE_BACKLOG);
        let (webhook_wakeup, wakeup_task) =
            crate::webhook_wakeup::spawn(pools.db.clone(), &supervisor);
        let mut background = vec![wakeup_task];
        if roles.api {
            background.push(live::listener::spawn(
                pools.db.clone(),
                hub.clone(),
                &supervisor,
            ));
            background.push(ai_admin_temporal::webhook_relay::spawn(
                pools.relay.clone(),
                temporal.clone(),
                config.temporal.task_queue.clone(),
                &supervisor,
            ));
        }
        let (keeper_stop, keeper_stopping) = watch::channel(false);
        let mut keeper = None;
        let live_whatsapp = match started {
            Some(GatewayRole {
                node,
                live,
                relay_task,
            }) => {
                background.push(relay_task);
                background.push(gateway_events::spawn(
                    node.gateway().clone(),
                    EventSinks {
                        db: pools.db.clone(),
                        temporal: temporal.clone(),
                    },
                    &supervisor,
                ));
                // Restored sessions report `Connected`: only now is the consumer
                // listening, and the node's queue is polled before its leases tell anyone
                // to call it.
                node.start()
                    .await
                    .context("Failed to start the WhatsApp gateway node")?;
                keeper = Some(node.spawn_keeper(keeper_stopping, &supervisor));
                live
            }
            None => None,
        };
        let (stopping, shutdown) = watch::channel(false);
        let ws_limiter = Arc::new(ConnectionRateLimiter::new(
            config.access.sockets_per_minute as usize,
            RATE_WINDOW,
        ));
        let redirect_limiter = Arc::new(ConnectionRateLimiter::new(
            config.access.redirects_per_minute as usize,
            RATE_WINDOW,
        ));
        let state = AppState {
            tokens: TokenKeys::new(&config.jwt_secret),
            config,
            db: pools.db.clone(),
            yclients: clients.interactive_yclients,
            temporal,
            gateway,
            live: hub,
            ws_limiter,
            redirect_limiter,
            supervisor,
            shutdown,
            webhook_wakeup,
            metrics,
            sdk_metrics,
            llm_health: clients.llm_health,
            payments: Arc::new(ai_admin_activities::acts::billing::provider::ManualProvider),
        };
        let router = if roles.api {
            // The phone's control side exists only where phones are simulated.
            let phones = (state.config.whatsapp_mode == WhatsAppMode::Simulator).then_some(routed);
            routes::router(state, phones)
        } else {
            routes::probes(state)
        };
        Ok(Application {
            listener,
            port,
            router,
            worker,
            gateway_worker,
            node,
            keeper_stop,
            keeper,
            pools: vec![pools.db, pools.worker, pools.relay],
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
    /// finishes in-flight requests, stops the main worker (in-flight activities
    /// complete), lets the node's WhatsApp calls under way finish while it takes no new
    /// ones, hands its sessions back (stores flushed, leases lapsed so other nodes take
    /// over at once), stops its queue last, then the background tasks and the pools.
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
        let stopped = match self.worker {
            Some(worker) => worker.shutdown().await,
            None => Ok(()),
        };
        if let Some(node) = &self.node {
            // The keeper renews the leases while the calls under way finish.
            node.close(CALLS_PATIENCE).await;
            let _ = self.keeper_stop.send(true);
            if let Some(keeper) = self.keeper {
                let _ = keeper.await;
            }
            node.hand_back().await;
            // Calls that finished report back through their workflow's next task.
            tokio::time::sleep(LAST_TASKS).await;
        }
        let stopped = match self.gateway_worker {
            Some(worker) => stopped.and(worker.shutdown().await),
            None => stopped,
        };
        if let Some(live) = &self.live_whatsapp {
            // Session stores are flushed by stopping their bots, not by dropping them.
            live.shutdown().await;
        }
        // The listener holds a pool connection: stop it before closing the pool.
        for task in self.background {
            task.abort();
        }
        for pool in self.pools {
            pool.close().await;
        }
        served.and(stopped)
    }
}
