//! The command line: `serve` (API, worker and WhatsApp gateway, or some of them),
//! `migrate`, `simulate yclients|gemini` and `eval` (the benchmarks are `ai-admin-bench`).

use crate::config::{Config, dev_defaults};
use crate::startup::Application;
use crate::telemetry;
use ai_admin_activities::db;
use ai_admin_simulators::gemini::{self, GeminiSimState};
use ai_admin_simulators::yclients::{self, Salon, SimState};
use anyhow::Context as _;
use clap::{Parser, Subcommand};

/// AI Admin: the WhatsApp assistant for YClients salons.
#[derive(Debug, Parser)]
#[command(name = "ai-admin", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP API, the Temporal worker and the WhatsApp gateway (configured by
    /// environment variables).
    Serve {
        /// The parts to run, comma-separated: api, worker, gateway (default: all, or
        /// AI_ADMIN_ROLES).
        #[arg(long)]
        roles: Option<String>,
    },
    /// Apply the database migrations and exit.
    Migrate,
    /// Run a simulator of an external API on its own.
    Simulate {
        #[command(subcommand)]
        service: Simulated,
    },
    /// Measure the assistant on the conversation corpus (eval/) through the whole
    /// pipeline, against the services in DATABASE_URL and TEMPORAL_ADDRESS.
    Eval {
        /// The brain: the simulator (in the configured provider's API), the configured
        /// Gemini or OpenAI-compatible model, or stage 1 scripted with each turn's
        /// expected commands.
        #[arg(long, value_enum, default_value = "simulator")]
        llm: crate::eval::Llm,
        /// The corpus directory.
        #[arg(long, default_value = "eval")]
        corpus: std::path::PathBuf,
        /// Also write the report as JSON here.
        #[arg(long)]
        json: Option<std::path::PathBuf>,
        /// Run the corpus with this prompt version too and print the two side by side.
        #[arg(long, value_name = "PROMPT_VERSION")]
        compare: Option<String>,
        /// Only the conversations whose id contains this.
        #[arg(long)]
        only: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum Simulated {
    /// The YClients API with the seeded demo salons.
    Yclients {
        /// Port to listen on.
        #[arg(long, default_value_t = 3001)]
        port: u16,
        /// Address to bind.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Partner token to accept (default: YCLIENTS_PARTNER_TOKEN, else the dev token).
        #[arg(long, env = "YCLIENTS_PARTNER_TOKEN", default_value = dev_defaults::PARTNER_TOKEN, hide_env_values = true)]
        partner_token: String,
    },
    /// Gemini's generateContent, answering Russian deterministically (offline stand-in).
    Gemini {
        /// Port to listen on.
        #[arg(long, default_value_t = 3002)]
        port: u16,
        /// Address to bind.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// API key to accept (default: GEMINI_API_KEY, else the dev key).
        #[arg(long, env = "GEMINI_API_KEY", default_value = dev_defaults::GEMINI_API_KEY, hide_env_values = true)]
        api_key: String,
    },
}

/// Parses the command line and runs the command.
pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { roles } => serve(roles.as_deref()).await,
        Command::Migrate => migrate().await,
        Command::Simulate {
            service:
                Simulated::Yclients {
                    port,
                    host,
                    partner_token,
                },
        } => simulate_yclients(&host, port, &partner_token).await,
        Command::Simulate {
            service:
                Simulated::Gemini {
                    port,
                    host,
                    api_key,
                },
        } => simulate_gemini(&host, port, &api_key).await,
        Command::Eval {
            llm,
            corpus,
            json,
            compare,
            only,
        } => {
            let config = Config::from_env()?;
            telemetry::init_for_reports(&config);
            let options = crate::eval::Options {
                llm,
                corpus,
                json,
                compare,
                only,
            };
            crate::eval::run(config, options).await
        }
    }
}

async fn serve(roles: Option<&str>) -> anyhow::Result<()> {
    let mut config = Config::from_env()?;
    if let Some(roles) = roles {
        config.roles = crate::config::Roles::parse(roles)
            .map_err(|reason| anyhow::anyhow!("invalid --roles: {reason}"))?;
    }
    telemetry::init_for(&config);
    let application = Application::build(config).await?;
    application.run_until_stopped(shutdown_signal()).await
}

/// Connections `migrate` opens: the migrator runs one statement at a time.
const MIGRATE_CONNECTIONS: u32 = 2;

async fn migrate() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    telemetry::init_for(&config);
    let pool = db::connect_lazy(config.database_url.expose(), MIGRATE_CONNECTIONS)?;
    db::migrate(&pool).await?;
    tracing::info!("migrations applied");
    Ok(())
}

async fn simulate_yclients(host: &str, port: u16, partner_token: &str) -> anyhow::Result<()> {
    telemetry::init(crate::config::AppEnv::Development);
    let listener = tokio::net::TcpListener::bind((host, port))
        .await
        .with_context(|| format!("Failed to listen on {host}:{port}"))?;
    let salons = Salon::demo_salons(chrono::Utc::now().date_naive());
    let ids: Vec<i64> = salons.iter().map(|s| s.id).collect();
    let simulator = yclients::spawn(listener, SimState::new(partner_token, salons))?;
    tracing::info!(url = %simulator.base_url(), salons = ?ids, "YClients simulator listening");
    shutdown_signal().await;
    Ok(())
}

async fn simulate_gemini(host: &str, port: u16, api_key: &str) -> anyhow::Result<()> {
    telemetry::init(crate::config::AppEnv::Development);
    let listener = tokio::net::TcpListener::bind((host, port))
        .await
        .with_context(|| format!("Failed to listen on {host}:{port}"))?;
    let simulator = gemini::spawn(listener, GeminiSimState::new(api_key))?;
    tracing::info!(url = %simulator.base_url(), "Gemini simulator listening");
    shutdown_signal().await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
