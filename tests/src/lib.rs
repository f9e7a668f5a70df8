//! The integration-test harness: each test gets the real application on its own port,
//! its own PostgreSQL database, its own Temporal task queue and its own YClients
//! simulator, so tests run in parallel against one PostgreSQL server and one Temporal dev
//! server (both started by `scripts/test`, which passes them in `TEST_DATABASE_URL` and
//! `TEST_TEMPORAL_ADDRESS`).
//!
//! # Layout
//! - [`spawn_app`] / [`TestApp`]: the application and one helper per endpoint.
//! - [`proxy::TcpProxy`] — a TCP forwarder a test can cut, to take a dependency away.
//! - [`ws_client::WsClient`] — the onboarding page's WebSocket protocol, for tests.
//! - [`browser::Browser`] — real headless Chromium over the DevTools protocol.

pub mod browser;
pub mod faults;
pub mod nodes;
pub mod proxy;
pub mod services;
pub mod socks;
pub mod sync_checks;
pub mod ws_client;

use ai_admin_activities::db;
use ai_admin_activities::domain::{SalonId, SessionId};
use ai_admin_activities::whatsapp::simulator::SimulatorSettings;
use ai_admin_api::auth::{OnboardingClaims, TokenKeys};
use ai_admin_api::config::Config;
use ai_admin_api::startup::Application;
use ai_admin_simulators::gemini::{self, GeminiSimState, RunningGemini};
use ai_admin_simulators::yclients::{self, RunningSimulator, Salon, SalonSize, SimState};
use ai_admin_temporal::{Client, TemporalConfig};
use anyhow::Context as _;
use proxy::TcpProxy;
use rand::Rng as _;
use reqwest::Url;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use std::collections::HashMap;
use std::time::Duration;

/// The partner token the test simulator accepts and the app sends.
pub const PARTNER_TOKEN: &str = "test-partner-token";
/// The key of the tests' onboarding tokens.
pub const JWT_SECRET: &str = "test-jwt-secret-test-jwt-secret-0123456789";

fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests with scripts/test, which starts PostgreSQL and Temporal")
    })
}

/// How to build the app under test.
#[derive(Debug, Default, Clone)]
pub struct AppOptions {
    /// Route the app's database connections through a [`TcpProxy`] the test can cut.
    pub database_through_proxy: bool,
    /// Simulated WhatsApp behaviour (e.g. fast QR rotation); default: WhatsApp's own.
    pub whatsapp_simulator: Option<SimulatorSettings>,
    /// Run with `WHATSAPP_MODE=live` (real whatsapp-rust; WhatsApp is unreachable here).
    pub live_whatsapp: bool,
    /// Run `ai-admin serve` as a separate process (which a test can kill), instead of on
    /// a thread of the test process.
    pub separate_process: bool,
    /// Set `WEBHOOK_SECRET`: webhooks must then be signed.
    pub webhook_secret: Option<String>,
    /// `CONVERSATION_DEBOUNCE_MS`; the tests' default is [`TEST_DEBOUNCE_MS`].
    pub debounce_ms: Option<u64>,
    /// `REMINDER_OFFSETS`, e.g. `"20s,8s"` (default `1s`, see `spawn_app_with`).
    pub reminder_offsets: Option<String>,
    /// `AI_ADMIN_ROLES` of the app (default: all roles).
    pub roles: Option<String>,
    /// `WHATSAPP_LEASE_SECS` (default: the app's 15 s).
    pub whatsapp_lease_secs: Option<u64>,
    /// A PostgreSQL server of the test's own (see [`services`]) instead of the shared one.
    pub database_server: Option<String>,
    /// A Temporal server of the test's own instead of the shared one.
    pub temporal_address: Option<String>,
    /// Run as production (`APP_ENV=production`, live WhatsApp, which is unreachable
    /// here: for what needs no phone).
    pub production: bool,
    /// The primary language model's API (`LLM_PROVIDER`: `gemini` or `openai`), spoken
    /// to the test's simulator; unset, the app is configured by `GEMINI_*` as before.
    pub llm_provider: Option<&'static str>,
    /// A second simulator as the fallback provider, in this API.
    pub llm_fallback: Option<&'static str>,
    /// Further variables, e.g. `("TRUSTED_PROXIES", "127.0.0.1")`.
    pub env: Vec<(&'static str, String)>,
}

/// The variables pointing one route (`LLM_` or `LLM_FALLBACK_`) at a simulator.
fn llm_route_env(prefix: &str, kind: &str, simulator: &RunningGemini) -> Vec<(String, String)> {
    let base = match kind {
        "openai" => format!("{}/v1", simulator.base_url()),
        _ => simulator.base_url(),
    };
    let model = match kind {
        "openai" => "sim-chat",
        _ => "gemini-2.5-flash",
    };
    vec![
        (format!("{prefix}PROVIDER"), kind.to_owned()),
        (format!("{prefix}BASE_URL"), base),
        (format!("{prefix}API_KEY"), GEMINI_API_KEY.to_owned()),
        (format!("{prefix}MODEL"), model.to_owned()),
    ]
}

/// The debounce the tests run with: long enough for "three quick messages" sent back to
/// back, short enough not to slow every conversation down.
pub const TEST_DEBOUNCE_MS: u64 = 400;
/// The Gemini key the tests' simulator accepts.
pub const GEMINI_API_KEY: &str = "test-gemini-key";
/// The test apps' `OPS_TOKEN`.
pub const OPS_TOKEN: &str = "test-ops-token";

/// How the app under test runs.
enum Runner {
    /// On its own thread and runtime; dropping the sender stops it.
    Thread(Option<tokio::sync::oneshot::Sender<()>>),
    /// `ai-admin serve` as a child process with this environment.
    Process {
        child: Option<std::process::Child>,
        env: Vec<(String, String)>,
        log: std::path::PathBuf,
    },
}

/// A running application and handles on everything around it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The test's own connection to the app's database.
    pub db: PgPool,
    /// The YClients simulator the app talks to.
    pub yclients: RunningSimulator,
    /// The language-model simulator the app talks to (the primary provider).
    pub gemini: RunningGemini,
    /// The fallback provider's simulator, when asked for.
    pub fallback_llm: Option<RunningGemini>,
    /// A Temporal client for the test's own checks.
    pub temporal: Client,
    /// The configuration the app runs with.
    pub config: Config,
    /// HTTP client that does not follow redirects.
    pub http: reqwest::Client,
    /// The database proxy, when asked for.
    pub db_proxy: Option<TcpProxy>,
    /// Webhook URLs minted by [`TestApp::salon_webhook_url`] for salons not activated.
    minted_webhook_urls: std::sync::Mutex<HashMap<SalonId, String>>,
    runner: Runner,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        match &mut self.runner {
            // The app's thread stops its server and worker on its own time.
            Runner::Thread(stop) => {
                if let Some(stop) = stop.take() {
                    let _ = stop.send(());
                }
            }
            Runner::Process { child, .. } => {
                if let Some(mut child) = child.take() {
                    let _ = child.kill();
                    let _ = child.wait();
                }
            }
        }
    }
}

/// The `ai-admin` binary: `AI_ADMIN_BIN`, else beside the test binary's `deps/` folder.
pub fn ai_admin_binary() -> std::path::PathBuf {
    if let Ok(path) = std::env::var("AI_ADMIN_BIN") {
        return path.into();
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let binary = exe
        .parent()
        .and_then(std::path::Path::parent)
        .map(|dir| dir.join("ai-admin"))
        .expect("target/<profile>/ai-admin");
    assert!(
        binary.exists(),
        "{} does not exist: run the tests with scripts/test (it builds the binary)",
        binary.display()
    );
    binary
}

fn spawn_process(env: &[(String, String)], log: &std::path::Path) -> std::process::Child {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("open the app log");
    std::process::Command::new(ai_admin_binary())
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "info")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(file.try_clone().expect("clone the log handle"))
        .stderr(file)
        .spawn()
        .expect("start ai-admin serve")
}

/// Sends SIGTERM to `process` and waits for it to exit (killing it after `patience`).
async fn terminate_child(
    mut process: std::process::Child,
    patience: Duration,
) -> std::process::ExitStatus {
    let signalled = std::process::Command::new("kill")
        .args(["-TERM", &process.id().to_string()])
        .status()
        .expect("run kill");
    assert!(signalled.success(), "SIGTERM sent");
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        if let Some(status) = process.try_wait().expect("poll the process") {
            return status;
        }
        if tokio::time::Instant::now() > deadline {
            let _ = process.kill();
            let _ = process.wait();
            panic!("the process did not stop within {patience:?} of SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A port for a process to listen on, below Linux's ephemeral range (32768–60999): a
/// port the kernel handed out with `:0` can be taken by one of the many outgoing
/// connections (to PostgreSQL, Temporal) before the process binds it, and the process
/// then fails with "Address already in use".
fn free_port() -> u16 {
    use rand::Rng as _;
    let mut rng = rand::rng();
    for _ in 0..200 {
        let port = rng.random_range(20_000..32_000);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}

/// Starts the application with default options.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(AppOptions::default()).await
}

/// Creates the database `name` on the test server and migrates it; returns a pool on it
/// and its URL.
async fn fresh_database(server_url: &Url, name: &str) -> (PgPool, Url) {
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(server_url.as_str())
        .await
        .expect("connect to the test PostgreSQL server");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&admin)
        .await
        .expect("create the test database");
    admin.close().await;
    let mut db_url = server_url.clone();
    db_url.set_path(name);
    let db = PgPoolOptions::new()
        .max_connections(5)
        .connect(db_url.as_str())
        .await
        .expect("connect to the test database");
    db::migrate(&db).await.expect("migrate the test database");
    (db, db_url)
}

/// The proxy the app reaches the database through, when the test cuts it, and the URL
/// the app is given (the proxy's, or the database's own).
async fn app_database(through_proxy: bool, db_url: &Url) -> (Option<TcpProxy>, Url) {
    if !through_proxy {
        return (None, db_url.clone());
    }
    let target = format!(
        "{}:{}",
        db_url.host_str().unwrap_or("127.0.0.1"),
        db_url.port().unwrap_or(5432)
    );
    let proxy = TcpProxy::start(&target)
        .await
        .expect("start the database proxy");
    let mut app_url = db_url.clone();
    app_url
        .set_port(Some(proxy.port()))
        .expect("postgres URLs have ports");
    (Some(proxy), app_url)
}

/// The simulated services a test app talks to.
struct Simulators {
    yclients: RunningSimulator,
    gemini: RunningGemini,
    fallback_llm: Option<RunningGemini>,
}

impl Simulators {
    /// YClients with the demo salons, Gemini, and a second model for a fallback route.
    async fn start(with_fallback: bool) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the simulator");
        let start = chrono::Utc::now().date_naive();
        let yclients = yclients::spawn(
            listener,
            SimState::new(PARTNER_TOKEN, Salon::demo_salons(start)),
        )
        .expect("start the YClients simulator");
        let gemini = Self::model("Gemini").await;
        let fallback_llm = if with_fallback {
            Some(Self::model("fallback").await)
        } else {
            None
        };
        Self {
            yclients,
            gemini,
            fallback_llm,
        }
    }

    async fn model(what: &str) -> RunningGemini {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|error| panic!("bind the {what} simulator: {error}"));
        gemini::spawn(listener, GeminiSimState::new(GEMINI_API_KEY))
            .unwrap_or_else(|error| panic!("start the {what} simulator: {error}"))
    }
}

/// Where a test app is and what it talks to, for its environment.
struct Placement<'a> {
    suffix: &'a str,
    db_name: &'a str,
    port: u16,
    database_url: &'a Url,
    temporal_address: &'a str,
    simulators: &'a Simulators,
}

/// The app's environment variables: the test's own queue, node and data directory, the
/// simulators, and the options' changes on top.
fn app_env(options: &AppOptions, at: &Placement<'_>) -> HashMap<String, String> {
    let Placement {
        suffix,
        db_name,
        port,
        database_url,
        temporal_address,
        simulators,
    } = at;
    let mut vars: HashMap<String, String> = [
        ("APP_ENV", "development".to_owned()),
        ("PORT", port.to_string()),
        (
            "BASE_URL",
            format!("http://127.0.0.1:{}", if *port == 0 { 3000 } else { *port }),
        ),
        ("DATABASE_URL", database_url.to_string()),
        ("TEMPORAL_ADDRESS", (*temporal_address).to_owned()),
        ("TEMPORAL_TASK_QUEUE", format!("test-{suffix}")),
        // Gateway queues are `wa-<node_id>` on the shared server: unique per test too.
        ("NODE_ID", format!("node-{suffix}")),
        ("JWT_SECRET", JWT_SECRET.to_owned()),
        ("YCLIENTS_BASE_URL", simulators.yclients.base_url()),
        ("YCLIENTS_PARTNER_TOKEN", PARTNER_TOKEN.to_owned()),
        ("YCLIENTS_APP_ID", "test-app".to_owned()),
        ("YCLIENTS_RATE_LIMIT_RPS", "0".to_owned()),
        ("GEMINI_BASE_URL", simulators.gemini.base_url()),
        ("GEMINI_API_KEY", GEMINI_API_KEY.to_owned()),
        ("OPS_TOKEN", OPS_TOKEN.to_owned()),
        // The simulator's installs are not kept in step by every test (a callback answered
        // by an injected fault leaves it pending): a test runs the daily check itself.
        ("INSTALL_RECONCILE_EVERY", "off".to_owned()),
        (
            "CONVERSATION_DEBOUNCE_MS",
            options.debounce_ms.unwrap_or(TEST_DEBOUNCE_MS).to_string(),
        ),
        (
            "DATA_DIR",
            std::env::temp_dir().join(db_name).display().to_string(),
        ),
        (
            "WHATSAPP_MODE",
            if options.live_whatsapp {
                "live"
            } else {
                "simulator"
            }
            .to_owned(),
        ),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect();
    let mut set = |name: &str, value: String| {
        vars.insert(name.to_owned(), value);
    };
    if let Some(roles) = &options.roles {
        set("AI_ADMIN_ROLES", roles.clone());
    }
    if let Some(secs) = options.whatsapp_lease_secs {
        set("WHATSAPP_LEASE_SECS", secs.to_string());
    }
    if let Some(secret) = &options.webhook_secret {
        set("WEBHOOK_SECRET", secret.clone());
    }
    if options.production {
        set("APP_ENV", "production".to_owned());
        set("WHATSAPP_MODE", "live".to_owned());
    }
    if let Some(kind) = options.llm_provider {
        for (name, value) in llm_route_env("LLM_", kind, &simulators.gemini) {
            set(&name, value);
        }
    }
    if let (Some(kind), Some(fallback)) = (options.llm_fallback, &simulators.fallback_llm) {
        for (name, value) in llm_route_env("LLM_FALLBACK_", kind, fallback) {
            set(&name, value);
        }
    }
    for (name, value) in &options.env {
        set(name, value.clone());
    }
    // The seeded salons have visits at every half hour: with the real offsets (24h,2h)
    // a test starting just after one of those moments would see a seeded client get a
    // reminder. One second before the visit practically never falls inside a test.
    set(
        "REMINDER_OFFSETS",
        options
            .reminder_offsets
            .clone()
            .unwrap_or_else(|| "1s".to_owned()),
    );
    vars
}

/// Starts the application: fresh database, simulator with the demo salons, unique task
/// queue; the app runs on its own thread and runtime, like a separate process would.
pub async fn spawn_app_with(options: AppOptions) -> TestApp {
    capture_logs();
    let server_url: Url = options
        .database_server
        .clone()
        .unwrap_or_else(|| required_env("TEST_DATABASE_URL"))
        .parse()
        .expect("the test database server is a URL");
    let temporal_address = options
        .temporal_address
        .clone()
        .unwrap_or_else(|| required_env("TEST_TEMPORAL_ADDRESS"));
    let suffix: String = format!("{:016x}", rand::rng().random::<u64>());
    let db_name = format!("test_{suffix}");
    let (db, db_url) = fresh_database(&server_url, &db_name).await;
    let (db_proxy, app_db_url) = app_database(options.database_through_proxy, &db_url).await;
    let simulators = Simulators::start(options.llm_fallback.is_some()).await;
    let port = if options.separate_process {
        free_port()
    } else {
        0
    };
    let vars = app_env(
        &options,
        &Placement {
            suffix: &suffix,
            db_name: &db_name,
            port,
            database_url: &app_db_url,
            temporal_address: &temporal_address,
            simulators: &simulators,
        },
    );
    let mut config = Config::from_lookup(|name| vars.get(name).cloned()).expect("test config");
    if let Some(simulator) = options.whatsapp_simulator {
        config.whatsapp_simulator = SimulatorSettings {
            store_dir: config.whatsapp_simulator.store_dir.take(),
            ..simulator
        };
    }

    let (port, runner) = if options.separate_process {
        let env: Vec<(String, String)> = vars.into_iter().collect();
        let log = output_dir("processes").join(format!("{db_name}.log"));
        let child = spawn_process(&env, &log);
        (
            port,
            Runner::Process {
                child: Some(child),
                env,
                log,
            },
        )
    } else {
        let (port, stop) = spawn_thread(config.clone()).await;
        (port, Runner::Thread(Some(stop)))
    };

    let temporal = ai_admin_temporal::connection::connect(&TemporalConfig {
        address: temporal_address,
        namespace: config.temporal.namespace.clone(),
        task_queue: config.temporal.task_queue.clone(),
        ui_url: config.temporal.ui_url.clone(),
    })
    .await
    .expect("connect the test's Temporal client");

    let Simulators {
        yclients,
        gemini,
        fallback_llm,
    } = simulators;
    let app = TestApp {
        address: format!("http://127.0.0.1:{port}"),
        db,
        yclients,
        gemini,
        fallback_llm,
        temporal,
        config,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(90))
            .build()
            .expect("build the HTTP client"),
        db_proxy,
        minted_webhook_urls: Default::default(),
        runner,
    };
    if options.separate_process {
        app.wait_until_healthy().await;
    }
    app
}

/// Runs the application on its own thread and runtime, like a separate process would;
/// returns its port and the sender that stops it.
async fn spawn_thread(config: Config) -> (u16, tokio::sync::oneshot::Sender<()>) {
    let (port_tx, port_rx) = tokio::sync::oneshot::channel::<anyhow::Result<u16>>();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let app_config = config;
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("build the app runtime");
        runtime.block_on(async move {
            match Application::build(app_config).await {
                Ok(app) => {
                    let _ = port_tx.send(Ok(app.port()));
                    let stopped = async {
                        let _ = stop_rx.await;
                    };
                    if let Err(error) = app.run_until_stopped(stopped).await {
                        eprintln!("test app stopped with an error: {error:#}");
                    }
                }
                Err(error) => {
                    let _ = port_tx.send(Err(error));
                }
            }
        });
    });
    let port = port_rx
        .await
        .expect("the app thread reports its port")
        .expect("the application builds");
    (port, stop_tx)
}

impl TestApp {
    async fn wait_until_healthy(&self) {
        let log = match &self.runner {
            Runner::Process { log, .. } => log.display().to_string(),
            Runner::Thread(_) => String::new(),
        };
        self.wait_for_health(&self.address, &format!("the app (log: {log})"))
            .await;
    }

    /// Waits until the process at `address` answers its health check.
    async fn wait_for_health(&self, address: &str, what: &str) {
        eventually(
            Duration::from_secs(90),
            &format!("{what} to be healthy"),
            || async {
                let response = self
                    .http
                    .get(format!("{address}/marketplace/health"))
                    .send()
                    .await
                    .ok()?;
                (response.status() == 200).then_some(())
            },
        )
        .await;
    }

    /// Kills the app process with SIGKILL, as a crash would (separate-process apps only).
    pub fn kill(&mut self) {
        let Runner::Process { child, .. } = &mut self.runner else {
            panic!("only an app in a separate process can be killed");
        };
        if let Some(mut child) = child.take() {
            child.kill().expect("SIGKILL the app");
            child.wait().expect("reap the app");
        }
    }

    /// Stops the app process with SIGTERM, as an orchestrator does, and waits for it to
    /// exit (killing it after `patience`); returns how it exited.
    pub async fn terminate(&mut self, patience: Duration) -> std::process::ExitStatus {
        let Runner::Process { child, .. } = &mut self.runner else {
            panic!("only an app in a separate process can be terminated");
        };
        let process = child.take().expect("the app is running");
        terminate_child(process, patience).await
    }

    /// The environment the app process runs with.
    fn process_env(&self) -> Vec<(String, String)> {
        let Runner::Process { env, .. } = &self.runner else {
            panic!("only an app in a separate process has a process environment");
        };
        env.clone()
    }

    /// The test database's name (`test_<suffix>`).
    fn db_name(&self) -> String {
        self.db
            .connect_options()
            .get_database()
            .unwrap_or("test")
            .to_owned()
    }

    /// Starts the app process again with the same environment and waits until it is
    /// healthy.
    pub async fn restart(&mut self) {
        let Runner::Process { child, env, log } = &mut self.runner else {
            panic!("only an app in a separate process can be restarted");
        };
        assert!(child.is_none(), "kill the app before restarting it");
        *child = Some(spawn_process(env, log));
        self.wait_until_healthy().await;
    }

    /// Adds a demo-sized Moscow salon to the simulator under a random id no other test
    /// uses.
    pub fn add_salon(&self, title: &str) -> SalonId {
        self.add_salon_with(title, "Europe/Moscow", SalonSize::DEMO)
    }

    /// Adds a salon of `size` in `timezone` under a random id.
    pub fn add_salon_with(&self, title: &str, timezone: &str, size: SalonSize) -> SalonId {
        let id = rand::rng().random_range(10_000_000..2_000_000_000);
        self.yclients.state.add_salon(Salon::generate(
            id,
            title,
            timezone,
            size,
            chrono::Utc::now().date_naive(),
        ));
        SalonId::new(id).expect("the range holds valid salon ids")
    }

    /// The onboarding page asks for a QR code (`POST /marketplace/api/qr`).
    pub async fn request_qr(&self, token: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/marketplace/api/qr", self.address))
            .bearer_auth(token)
            .send()
            .await
            .expect("request a QR code")
    }

    /// Registers the salon, opens its WhatsApp session and links `phone`: what an owner
    /// does on the onboarding page. Returns the onboarding token.
    pub async fn onboard(&self, salon_id: SalonId, phone: &str) -> String {
        let token = self.register(salon_id).await;
        self.link_from_page(&token, salon_id, phone).await;
        token
    }

    /// On the onboarding page opened with `token`: asks for a QR code and links `phone`.
    pub async fn link_from_page(&self, token: &str, salon_id: SalonId, phone: &str) {
        let qr = self.request_qr(token).await;
        assert_eq!(qr.status(), 200, "the session is created");
        let linked = self.link_phone(salon_id, phone).await;
        assert_eq!(linked.status(), 200, "the phone links");
    }

    /// Runs `sync-…` for the parts given (all when empty) and returns its report.
    pub async fn sync(
        &self,
        salon_id: SalonId,
        parts: Vec<ai_admin_activities::acts::sync::SyncPart>,
    ) -> ai_admin_activities::acts::sync::SyncReport {
        let suffix: u64 = rand::random();
        let handle = self
            .temporal
            .start_workflow(
                ai_admin_workflows::sync::SyncWorkflow::run,
                ai_admin_activities::acts::sync::SyncInput {
                    salon_id,
                    parts,
                    publish_progress: false,
                },
                temporalio_client::WorkflowStartOptions::new(
                    self.config.temporal.task_queue.clone(),
                    format!("sync-test-{salon_id}-{suffix:x}"),
                )
                .build(),
            )
            .await
            .expect("start the sync");
        handle
            .get_result(temporalio_client::WorkflowGetResultOptions::default())
            .await
            .expect("the sync succeeds")
    }

    /// Whether `companies` records the salon's WhatsApp as linked.
    pub async fn whatsapp_connected(&self, salon_id: SalonId) -> Option<bool> {
        sqlx::query_scalar("SELECT whatsapp_connected FROM companies WHERE yclients_id = $1")
            .bind(salon_id.get())
            .fetch_one(&self.db)
            .await
            .ok()
    }

    /// Waits until the salon's WhatsApp is recorded as linked (`true`) or unlinked.
    pub async fn wait_until_whatsapp_connected(
        &self,
        salon_id: SalonId,
        connected: bool,
        timeout: Duration,
    ) {
        eventually(
            timeout,
            "the salon's WhatsApp link to be recorded",
            || async { (self.whatsapp_connected(salon_id).await? == connected).then_some(()) },
        )
        .await;
    }

    /// Waits for the onboarding to report `ready` (activated, synced, welcomed).
    pub async fn wait_until_ready(&self, salon_id: SalonId, timeout: Duration) {
        eventually(timeout, "onboarding to be ready", || async {
            let ready: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM live_events WHERE salon_id = $1 AND event = 'progress'
                   AND data->>'workflow' = 'onboarding' AND data->>'step' = 'ready'",
            )
            .bind(salon_id.get())
            .fetch_one(&self.db)
            .await
            .ok()?;
            (ready > 0).then_some(())
        })
        .await;
    }

    /// The salon's `integration_status`, once it is one of `wanted`.
    pub async fn wait_for_status(
        &self,
        salon_id: SalonId,
        wanted: &[&str],
        timeout: Duration,
    ) -> String {
        eventually(
            timeout,
            &format!("integration_status in {wanted:?}"),
            || async {
                let status: String = sqlx::query_scalar(
                    "SELECT integration_status FROM companies WHERE yclients_id = $1",
                )
                .bind(salon_id.get())
                .fetch_one(&self.db)
                .await
                .ok()?;
                wanted.contains(&status.as_str()).then_some(status)
            },
        )
        .await
    }

    /// The simulator's requests to `path`, in arrival order.
    pub fn requests_to(&self, path: &str) -> Vec<ai_admin_simulators::yclients::RecordedRequest> {
        self.yclients
            .state
            .requests()
            .into_iter()
            .filter(|request| request.path == path)
            .collect()
    }

    /// A salon id YClients does not know.
    pub fn unknown_salon(&self) -> SalonId {
        SalonId::new(rand::rng().random_range(10_000_000..2_000_000_000)).expect("valid id")
    }

    /// `GET /auth/yclients/redirect?<query>`.
    pub async fn redirect(&self, query: &str) -> reqwest::Response {
        self.get(&format!("/auth/yclients/redirect?{query}")).await
    }

    /// The console session of an installed salon's owner arriving with `query`: the
    /// redirect's one-time code traded at `POST /console/api/session`.
    pub async fn console_session(&self, query: &str) -> String {
        let response = self.redirect(query).await;
        assert_eq!(response.status(), 302, "{query}");
        let code = code_from_location(&response).expect("a console redirect");
        let session = self
            .post_json("/console/api/session", serde_json::json!({ "code": code }))
            .await;
        assert_eq!(session.status(), 200, "the code is traded for a session");
        let body: serde_json::Value = session.json().await.expect("session JSON");
        body["token"].as_str().expect("a token").to_owned()
    }

    /// The onboarding token of the page an owner arriving with `query` works on: the
    /// redirect's own for a salon not installed yet, else the one the console's
    /// «Подключить заново» opens the page with.
    pub async fn page_token(&self, query: &str) -> String {
        let response = self.redirect(query).await;
        assert_eq!(response.status(), 302, "{query}");
        if code_from_location(&response).is_err() {
            return token_from_location(&response).expect("an onboarding redirect");
        }
        let token = self.console_session(query).await;
        let link = self
            .http
            .post(format!("{}/console/api/whatsapp/link", self.address))
            .bearer_auth(&token)
            .send()
            .await
            .expect("request the app");
        assert_eq!(link.status(), 200);
        let body: serde_json::Value = link.json().await.expect("link JSON");
        body["url"]
            .as_str()
            .and_then(|url| url.strip_prefix("/marketplace/onboarding?token="))
            .expect("the onboarding page's URL")
            .to_owned()
    }

    /// `POST <path>` with a JSON body and a Bearer token.
    pub async fn post_with_token(
        &self,
        path: &str,
        token: &str,
        body: serde_json::Value,
    ) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.address))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("request the app")
    }

    /// Adds a client named `name` and their visit at `at` (to the second, on the salon's
    /// Moscow clock) to the simulated salon; returns the record id.
    pub fn add_visit(
        &self,
        salon_id: SalonId,
        phone: &str,
        name: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> i64 {
        use ai_admin_simulators::yclients::seed::{Client, Record};
        use chrono::Timelike as _;
        let local = at
            .with_timezone(&chrono_tz::Europe::Moscow)
            .with_nanosecond(0)
            .expect("a whole second");
        self.yclients
            .state
            .write_salon(i64::from(salon_id.get()), |salon| {
                let client_id = salon.clients.iter().map(|c| c.id).max().unwrap_or(0) + 1;
                salon.clients.push(Client {
                    id: client_id,
                    name: name.to_owned(),
                    phone: phone.to_owned(),
                    visits: 0,
                });
                let record_id = salon.records.iter().map(|r| r.id).max().unwrap_or(0) + 1;
                salon.records.push(Record {
                    id: record_id,
                    staff_id: salon.staff[0].id,
                    service_id: salon.services[0].id,
                    client_id,
                    date: local.date_naive(),
                    time: local.time(),
                    api_id: None,
                    attendance: 0,
                    deleted: false,
                });
                record_id
            })
            .expect("the salon is simulated")
    }

    /// `GET <path>` on the app.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request the app")
    }

    /// `GET <path>` with a Bearer token.
    pub async fn get_with_token(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.address))
            .bearer_auth(token)
            .send()
            .await
            .expect("request the app")
    }

    /// `POST <path>` with a JSON body.
    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.address))
            .json(&body)
            .send()
            .await
            .expect("request the app")
    }

    /// `POST /webhook/yclients` (marketplace events) with `body`, signed when the app has
    /// a `WEBHOOK_SECRET`.
    pub async fn webhook(&self, body: &serde_json::Value) -> reqwest::Response {
        self.webhook_raw(body.to_string().into_bytes()).await
    }

    /// `POST /webhook/yclients` with raw bytes, signed when the app has a secret.
    pub async fn webhook_raw(&self, body: Vec<u8>) -> reqwest::Response {
        self.post_webhook(&format!("{}/webhook/yclients", self.address), body)
            .await
    }

    /// The salon's data webhook at its own URL (see [`Self::salon_webhook_url`]).
    pub async fn data_webhook(
        &self,
        salon_id: SalonId,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.data_webhook_raw(salon_id, body.to_string().into_bytes())
            .await
    }

    /// Raw bytes to the salon's own webhook URL.
    pub async fn data_webhook_raw(&self, salon_id: SalonId, body: Vec<u8>) -> reqwest::Response {
        let url = self.salon_webhook_url(salon_id).await;
        self.post_webhook(&url, body).await
    }

    async fn post_webhook(&self, url: &str, body: Vec<u8>) -> reqwest::Response {
        use hmac::Mac as _;
        let mut request = self
            .http
            .post(url)
            .header("content-type", "application/json");
        if let Some(secret) = &self.config.webhook_secret {
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.expose().as_bytes())
                .expect("any key length");
            mac.update(&body);
            request = request.header(
                "x-signature",
                format!("sha256={}", hex::encode(mac.finalize().into_bytes())),
            );
        }
        request.body(body).send().await.expect("post a webhook")
    }

    /// The salon's data-webhook URL on this app: the one its activation callback gave
    /// YClients; for a salon not activated yet, a secret is minted and its hash stored
    /// as activation would (the secret itself is only in the URL).
    pub async fn salon_webhook_url(&self, salon_id: SalonId) -> String {
        let given = self
            .requests_to("/marketplace/partner/callback/redirect")
            .into_iter()
            .rev()
            .filter_map(|request| request.body)
            .filter(|body| body["salon_id"] == salon_id.get())
            .find_map(|body| body["webhook_urls"][0].as_str().map(str::to_owned));
        if let Some(url) = given {
            let path = url
                .find("/webhook/yclients/")
                .map(|at| url[at..].to_owned())
                .expect("the callback's URL is ours");
            return format!("{}{path}", self.address);
        }
        if let Some(url) = self
            .minted_webhook_urls
            .lock()
            .expect("not poisoned")
            .get(&salon_id)
        {
            return url.clone();
        }
        let secret = format!("{:064x}", rand::rng().random::<u128>());
        let hash = {
            use sha2::Digest as _;
            hex::encode(sha2::Sha256::digest(secret.as_bytes()))
        };
        let updated = sqlx::query(
            "UPDATE companies SET webhook_secret_hash = $2 WHERE yclients_id = $1
             RETURNING yclients_id",
        )
        .bind(salon_id.get())
        .bind(&hash)
        .fetch_optional(&self.db)
        .await
        .expect("store a webhook secret");
        assert!(
            updated.is_some(),
            "salon {salon_id} is not registered: it has no webhook URL"
        );
        let url = format!("{}/webhook/yclients/{salon_id}/{secret}", self.address);
        self.minted_webhook_urls
            .lock()
            .expect("not poisoned")
            .insert(salon_id, url.clone());
        url
    }

    /// Adds a visit to the salon in YClients (the simulator) under `record_id`, with the
    /// salon's first master, service and client, tomorrow at noon.
    pub fn add_yclients_record(&self, salon_id: SalonId, record_id: i64) {
        let added = self.yclients.state.update_salon(salon_id.into(), |salon| {
            let record = ai_admin_simulators::yclients::seed::Record {
                id: record_id,
                staff_id: salon.staff[0].id,
                service_id: salon.services[0].id,
                client_id: salon.clients[0].id,
                date: chrono::Utc::now().date_naive() + chrono::Days::new(1),
                time: chrono::NaiveTime::from_hms_opt(12, 0, 0).expect("noon"),
                api_id: None,
                attendance: 0,
                deleted: false,
            };
            salon.records.push(record);
        });
        assert!(added, "salon {salon_id} is in the simulator");
    }

    /// A marketplace event for `salon_id`, with our partner token and app id.
    pub fn marketplace_event(&self, salon_id: SalonId, event: &str) -> serde_json::Value {
        serde_json::json!({
            "salon_id": salon_id.get(),
            "application_id": self.config.yclients.app_id,
            "event": event,
            "partner_token": self.config.yclients.partner_token.expose(),
        })
    }

    /// The salon's owner removes the application in YClients: the install becomes
    /// `uninstalled` there and YClients sends the `uninstall` event; returns once it is
    /// applied.
    pub async fn uninstall(&self, salon_id: SalonId) {
        self.yclients.state.set_install(
            salon_id.into(),
            ai_admin_simulators::yclients::InstallState::Uninstalled,
        );
        let answer = self
            .webhook(&self.marketplace_event(salon_id, "uninstall"))
            .await;
        assert_eq!(answer.status(), 200, "the uninstall event is taken");
        self.wait_until_applied(salon_id, Duration::from_secs(60))
            .await;
    }

    /// The owner connects the application again: YClients has the install pending and
    /// sends them to us; returns the onboarding token.
    pub async fn reinstall(&self, salon_id: SalonId) -> String {
        self.yclients.state.set_install(
            salon_id.into(),
            ai_admin_simulators::yclients::InstallState::Pending,
        );
        self.register(salon_id).await
    }

    /// Onboarding runs that reached `ready` for the salon, over all its installs.
    pub async fn times_ready(&self, salon_id: SalonId) -> i64 {
        self.count_rows(
            "SELECT COUNT(*) FROM live_events WHERE salon_id = $1 AND event = 'progress'
               AND data->>'workflow' = 'onboarding' AND data->>'step' = 'ready'",
            salon_id,
        )
        .await
    }

    /// Waits until every stored webhook of the salon is applied.
    pub async fn wait_until_applied(&self, salon_id: SalonId, timeout: Duration) {
        eventually(timeout, "every webhook to be applied", || async {
            let pending: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM webhook_inbox WHERE salon_id = $1 AND status = 'pending'",
            )
            .bind(salon_id.get())
            .fetch_one(&self.db)
            .await
            .ok()?;
            (pending == 0).then_some(())
        })
        .await;
    }

    /// The phone of the simulator links the salon's session (`/dev/whatsapp/…/link`).
    pub async fn link_phone(&self, salon_id: SalonId, phone: &str) -> reqwest::Response {
        let session = SessionId::for_salon(salon_id);
        self.post_json(
            &format!("/dev/whatsapp/{session}/link"),
            serde_json::json!({ "phone": phone }),
        )
        .await
    }

    /// A client of the salon writes to its WhatsApp (the simulator's control API), with
    /// WhatsApp's message id `id` (a redelivery repeats it).
    pub async fn client_says_with_id(&self, salon_id: SalonId, from: &str, text: &str, id: &str) {
        let session = SessionId::for_salon(salon_id);
        let response = self
            .post_json(
                &format!("/dev/whatsapp/{session}/incoming"),
                serde_json::json!({ "from": from, "text": text, "id": id, "name": "Ольга" }),
            )
            .await;
        assert_eq!(response.status(), 200, "the simulator takes the message");
    }

    /// A client of the salon writes a new message.
    pub async fn client_says(&self, salon_id: SalonId, from: &str, text: &str) {
        let id = format!("msg-{:016x}", rand::rng().random::<u64>());
        self.client_says_with_id(salon_id, from, text, &id).await;
    }

    /// What the bot did in the salon's chats so far (texts, reactions, read receipts…),
    /// in order, as the WhatsApp simulator's outbox lists it.
    pub async fn outbox(&self, salon_id: SalonId) -> Vec<serde_json::Value> {
        let session = SessionId::for_salon(salon_id);
        self.get(&format!("/dev/whatsapp/{session}/outbox"))
            .await
            .json()
            .await
            .expect("the outbox is JSON")
    }

    /// The texts the bot sent to `to` so far, in order.
    pub async fn replies_to(&self, salon_id: SalonId, to: &str) -> Vec<String> {
        self.outbox(salon_id)
            .await
            .iter()
            .filter(|entry| entry["kind"] == "text" && entry["to"] == to)
            .filter_map(|entry| entry["text"].as_str().map(str::to_owned))
            .collect()
    }

    /// Waits until `phone`'s conversation has nothing more to say: no message of theirs
    /// is pending in the ledger (a turn closes its messages only after its send), and
    /// their `conversation-<salon_id>-<phone>`, when one runs, has taken in its last
    /// handled message with nothing waiting. After it a count of replies is final — the
    /// fact a sleep could only guess at.
    pub async fn wait_until_answered(&self, salon_id: SalonId, phone: &str) {
        eventually(
            Duration::from_secs(60),
            &format!("the conversation with {phone} to have answered everything"),
            || async {
                let (pending, last_handled): (i64, Option<i64>) = sqlx::query_as(
                    "SELECT COUNT(*) FILTER (WHERE status = 'pending'),
                            MAX(id) FILTER (WHERE status = 'handled')
                     FROM inbound_messages WHERE salon_id = $1 AND client_phone = $2",
                )
                .bind(salon_id.get())
                .bind(phone)
                .fetch_one(&self.db)
                .await
                .unwrap();
                if pending > 0 {
                    return None;
                }
                let status =
                    ai_admin_temporal::conversation_status::status(&self.temporal, salon_id, phone)
                        .await
                        .ok()?;
                match status {
                    None => Some(()),
                    Some(status) => (status.waiting == 0
                        && status.handled_up_to >= last_handled.unwrap_or(0))
                    .then_some(()),
                }
            },
        )
        .await
    }

    /// Waits until the bot has sent `count` texts to `to`; returns them all.
    pub async fn wait_for_replies(
        &self,
        salon_id: SalonId,
        to: &str,
        count: usize,
        timeout: Duration,
    ) -> Vec<String> {
        eventually(
            timeout,
            &format!("{count} replies to the client"),
            || async {
                let replies = self.replies_to(salon_id, to).await;
                (replies.len() >= count).then_some(replies)
            },
        )
        .await
    }

    /// Opens the onboarding page's WebSocket.
    pub async fn ws(
        &self,
        auth: ws_client::WsAuth,
    ) -> Result<ws_client::WsClient, ws_client::ConnectError> {
        ws_client::WsClient::connect(&self.address, auth).await
    }

    /// The redirect query YClients sends for `salon_id`: `user_data` (base64 JSON of the
    /// installing user 555, with `salon_name` when given) and `user_data_sign`, hex
    /// HMAC-SHA256 of the decoded JSON keyed with the partner token.
    pub fn signed_entry(&self, salon_id: SalonId, salon_name: Option<&str>) -> String {
        self.signed_entry_for(salon_id, salon_name, 555)
    }

    /// [`Self::signed_entry`] for the YClients user `user_id`.
    pub fn signed_entry_for(
        &self,
        salon_id: SalonId,
        salon_name: Option<&str>,
        user_id: u64,
    ) -> String {
        use base64::Engine as _;
        use hmac::Mac as _;
        let mut user = serde_json::json!({
            "user_id": user_id, "name": "Мария Иванова", "phone": "79001112233",
            "email": "owner@salon.ru", "is_approved": true,
        });
        if let Some(name) = salon_name {
            user["salon_name"] = serde_json::json!(name);
        }
        let json = user.to_string();
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(
            self.config.yclients.partner_token.expose().as_bytes(),
        )
        .expect("any key length");
        mac.update(json.as_bytes());
        let sign = hex::encode(mac.finalize().into_bytes());
        let data = base64::engine::general_purpose::STANDARD.encode(json);
        let data: String = url_encode(&data);
        format!("salon_id={salon_id}&user_data={data}&user_data_sign={sign}")
    }

    /// Registers a salon through the redirect and returns its onboarding page's token
    /// (for an installed salon, the one its console opens the page with).
    pub async fn register(&self, salon_id: SalonId) -> String {
        self.page_token(&format!("salon_id={salon_id}")).await
    }

    /// Verifies a token with the app's key.
    pub fn verify_token(&self, token: &str) -> OnboardingClaims {
        TokenKeys::new(&self.config.jwt_secret)
            .verify(token)
            .expect("the token verifies")
    }

    /// Rows in a table for a salon (`yclients_id` or `salon_id` column).
    pub async fn count_rows(&self, sql: &'static str, salon_id: SalonId) -> i64 {
        sqlx::query_scalar::<_, i64>(sql)
            .bind(salon_id.get())
            .fetch_one(&self.db)
            .await
            .expect("count rows")
    }
}

/// `text` percent-encoded for a query string.
pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// A YClients record webhook for `record_id` of the salon, with its data inline.
pub fn record_event(
    salon_id: SalonId,
    record_id: i64,
    status: &str,
    comment: &str,
) -> serde_json::Value {
    serde_json::json!({
        "company_id": salon_id.get(),
        "resource": "record",
        "resource_id": record_id,
        "status": status,
        "data": {
            "id": record_id,
            "staff_id": null,
            "services": [],
            "client": { "id": 4242, "name": "Ольга Новая", "phone": "+79115550011" },
            "datetime": "2026-12-24T12:00:00+03:00",
            "seance_length": 3600,
            "attendance": 0,
            "deleted": false,
            "comment": comment,
        }
    })
}

/// Secrets the test apps hold; `scripts/check-logs` makes sure none was logged.
pub const SECRETS: [&str; 5] = [
    PARTNER_TOKEN,
    JWT_SECRET,
    GEMINI_API_KEY,
    OPS_TOKEN,
    "webhook-secret",
];

/// In-process apps log as the binary does in production — JSON lines through the same
/// redaction — into `$TEST_OUTPUT_DIR/logs/<test binary>-<pid>.jsonl`, which
/// `scripts/check-logs` audits after the run (with the separate processes' logs).
fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let binary = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "tests".to_owned());
        let path = output_dir("logs").join(format!("{binary}-{}.jsonl", std::process::id()));
        let file = std::fs::File::create(&path).expect("create the log file");
        // What the audit looks for (test values only, never real ones).
        std::fs::write(output_dir("logs").join("secrets.txt"), SECRETS.join("\n"))
            .expect("write the secrets list");
        ai_admin_api::telemetry::init_with(
            true,
            ai_admin_api::telemetry::Redactor::new(SECRETS.map(str::to_owned)),
            std::sync::Mutex::new(file),
        );
    });
}

/// A folder for a test's artefacts (screenshots): `$TEST_OUTPUT_DIR/<name>`.
pub fn output_dir(name: &str) -> std::path::PathBuf {
    let root = std::env::var("TEST_OUTPUT_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir().join("ai-admin-test-output"));
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).expect("create the test output folder");
    dir
}

/// The `code` of a `302 Location: /console?code=…` (an installed salon's owner).
pub fn code_from_location(response: &reqwest::Response) -> anyhow::Result<String> {
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .context("no Location header")?
        .to_str()?;
    location
        .strip_prefix("/console?code=")
        .map(str::to_owned)
        .with_context(|| format!("unexpected Location {location}"))
}

/// The `token` of a `302 Location: /marketplace/onboarding?token=…`.
pub fn token_from_location(response: &reqwest::Response) -> anyhow::Result<String> {
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .context("no Location header")?
        .to_str()?;
    anyhow::ensure!(
        location.starts_with("/marketplace/onboarding?token="),
        "unexpected Location {location}"
    );
    Ok(location
        .trim_start_matches("/marketplace/onboarding?token=")
        .to_owned())
}

/// Polls `check` every 100 ms until it returns `Some`, or panics after `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
