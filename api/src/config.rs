//! The process configuration: every environment variable of ARCHITECTURE.md, read once
//! at start-up into one typed struct. A missing or invalid value stops start-up with one
//! line naming the variable; secret values are never echoed.

use crate::client_ip::TrustedProxies;
use ai_admin_activities::acts::conversation::AssistantLimits;
use ai_admin_activities::acts::retention::RetentionPolicy;
use ai_admin_activities::secret::Secret;
use ai_admin_activities::whatsapp::simulator::SimulatorSettings;
use ai_admin_temporal::TemporalConfig;
use std::path::PathBuf;

mod llm;
mod marketplace;

pub use llm::{LlmProviderKind, LlmRouteSettings, LlmSettings};
pub use marketplace::MarketplaceSettings;

/// Which kind of deployment this is; production refuses insecure defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    /// A developer machine or the test suite: secrets fall back to fixed dev values.
    Development,
    /// Real salons: every secret must be given.
    Production,
}

/// How WhatsApp is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhatsAppMode {
    /// In-process simulated phones with a control API (dev and tests).
    Simulator,
    /// Real WhatsApp through whatsapp-rust.
    Live,
}

/// What this process does; a deployment scales each part on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roles {
    /// The HTTP API, WebSockets and the webhook relay (stateless).
    pub api: bool,
    /// A Temporal worker on the main task queue.
    pub worker: bool,
    /// A WhatsApp gateway node: holds sessions and polls `wa-<node_id>`.
    pub gateway: bool,
}

impl Roles {
    /// Everything in one process (the default).
    pub const ALL: Roles = Roles {
        api: true,
        worker: true,
        gateway: true,
    };

    /// Parses `api,worker,gateway` (any non-empty subset; `all` for every role).
    pub fn parse(text: &str) -> Result<Roles, String> {
        let mut roles = Roles {
            api: false,
            worker: false,
            gateway: false,
        };
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part {
                "api" => roles.api = true,
                "worker" => roles.worker = true,
                "gateway" => roles.gateway = true,
                "all" => roles = Roles::ALL,
                other => {
                    return Err(format!(
                        "{other:?} is not a role (api, worker, gateway or all)"
                    ));
                }
            }
        }
        if roles
            == (Roles {
                api: false,
                worker: false,
                gateway: false,
            })
        {
            return Err("no role given (api, worker, gateway or all)".to_owned());
        }
        Ok(roles)
    }

    /// `api,worker,gateway` as given.
    pub fn names(self) -> Vec<&'static str> {
        [
            (self.api, "api"),
            (self.worker, "worker"),
            (self.gateway, "gateway"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }
}

/// The name this process goes by among gateway nodes: `NODE_ID`, else the host name
/// (unique per container), kept to what a task queue name may hold.
fn node_id(given: Option<String>) -> Result<String, ConfigError> {
    let raw = given
        .or_else(|| {
            std::env::var("HOSTNAME")
                .ok()
                .filter(|h| !h.trim().is_empty())
        })
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
                .filter(|h| !h.is_empty())
        })
        .unwrap_or_else(|| "node-1".to_owned());
    let valid = raw.len() <= 100
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if valid {
        Ok(raw)
    } else {
        Err(ConfigError::Invalid {
            name: "NODE_ID",
            reason: format!("{raw:?} must be letters, digits, '-', '_' or '.' (at most 100)"),
        })
    }
}

/// YClients access.
#[derive(Debug, Clone)]
pub struct YClientsSettings {
    /// API root.
    pub base_url: String,
    /// Our partner token (`Authorization: Bearer …`, also the `user_data` HMAC key).
    pub partner_token: Secret,
    /// Our marketplace application id, sent in the activation callback.
    pub app_id: String,
    /// Outbound requests per second for the whole process; 0 disables the limit.
    pub rate_limit_rps: f64,
    /// YClients or Altegio (`CRM_BRAND`): the API's host and `Accept`, the name on pages.
    pub brand: ai_admin_activities::clients::yclients::CrmBrand,
}

/// How the assistant behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct AssistantSettings {
    /// Debounce and quiet period of conversations.
    pub conversation: ai_admin_workflows::conversation::ConversationSettings,
    /// How long before a visit reminders go out, e.g. 24 h and 2 h.
    pub reminder_offsets: Vec<std::time::Duration>,
    /// What the assistant may do for one client.
    pub limits: AssistantLimits,
    /// How long the bot keeps quiet for a client the salon wrote to itself
    /// (`OWNER_REPLY_PAUSE`, default 2h).
    pub salon_reply_pause: std::time::Duration,
    /// The prompt set (`ASSISTANT_PROMPT_VERSION`, default the newest).
    pub prompt_version: String,
    /// How long a handoff may go unanswered, counted in the salon's answer hours, before
    /// the bot takes the client back (`HANDOFF_TIMEOUT`, default 30m; `off`: never).
    pub handoff_timeout: Option<std::time::Duration>,
}

impl AssistantSettings {
    /// The prompt set named by `prompt_version`.
    pub fn prompts(
        &self,
    ) -> anyhow::Result<&'static ai_admin_activities::assistant::prompts::PromptSet> {
        use ai_admin_activities::assistant::prompts;
        prompts::PromptSet::named(&self.prompt_version).ok_or_else(|| {
            anyhow::anyhow!(
                "ASSISTANT_PROMPT_VERSION={} is not a prompt set of this build (there are: {})",
                self.prompt_version,
                prompts::versions()
            )
        })
    }
}

/// Who gets in, and how often.
#[derive(Debug, Clone)]
pub struct AccessSettings {
    /// Proxies whose `X-Forwarded-For` names the client (`TRUSTED_PROXIES`); per-client
    /// limits count the client, not the proxy.
    pub trusted_proxies: TrustedProxies,
    /// Marketplace redirects per client address per minute (`REDIRECT_RATE_LIMIT`,
    /// 0 = no limit).
    pub redirects_per_minute: u32,
    /// WebSocket connections per client address per minute (`WS_RATE_LIMIT`).
    pub sockets_per_minute: u32,
    /// A webhook body without a delivery id that repeats the salon's latest one within
    /// this window is a repeated delivery (`WEBHOOK_DEDUP_WINDOW`).
    pub webhook_dedup_window: std::time::Duration,
    /// The origins that may show the owner's pages in a frame (`FRAME_ANCESTORS`,
    /// space- or comma-separated; default YClients' and Altegio's), as the
    /// `Content-Security-Policy: frame-ancestors` sources after `'self'`.
    pub frame_ancestors: String,
}

/// YClients' and Altegio's web apps, which open an installed application's settings in a
/// frame inside its card.
pub const DEFAULT_FRAME_ANCESTORS: &str =
    "https://yclients.com https://*.yclients.com https://alteg.io https://*.alteg.io";

/// `FRAME_ANCESTORS` as CSP sources: each `https://host` (or `http://` for a local one),
/// a host may start with `*.` and carry a port; nothing broader (no bare `*`, no
/// scheme alone, no path) and nothing that could end the directive.
fn frame_ancestors(value: &str) -> Result<String, String> {
    let mut sources = Vec::new();
    for source in value
        .split([' ', ',', '\t'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let host = source
            .strip_prefix("https://")
            .or_else(|| source.strip_prefix("http://"))
            .ok_or_else(|| format!("{source:?} is not an origin like https://yclients.com"))?;
        let name = host.strip_prefix("*.").unwrap_or(host);
        let (name, port) = name.split_once(':').unwrap_or((name, ""));
        let name_ok = name.contains('.') || name == "localhost";
        let chars_ok = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        let port_ok = port.is_empty() || port.parse::<u16>().is_ok();
        if !(name_ok && chars_ok && port_ok) || name.starts_with('.') || name.ends_with('.') {
            return Err(format!(
                "{source:?} is not an origin like https://yclients.com or https://*.yclients.com"
            ));
        }
        sources.push(source.to_owned());
    }
    if sources.is_empty() {
        return Err(
            "name at least one origin (or leave it unset for YClients' and Altegio's)".to_owned(),
        );
    }
    Ok(sources.join(" "))
}

/// Everything the process is configured with.
#[derive(Debug, Clone)]
pub struct Config {
    /// Development or production.
    pub app_env: AppEnv,
    /// HTTP port to listen on (0 picks a free one, for tests).
    pub port: u16,
    /// Public URL of this deployment; links and the webhook URL are built from it.
    pub base_url: String,
    /// PostgreSQL URL (may carry a password).
    pub database_url: Secret,
    /// Temporal frontend, namespace, task queue, UI.
    pub temporal: TemporalConfig,
    /// HS256 key of the onboarding tokens.
    pub jwt_secret: Secret,
    /// YClients access.
    pub yclients: YClientsSettings,
    /// When set, webhooks must carry `X-Signature: sha256=<hex HMAC>` of their body.
    pub webhook_secret: Option<Secret>,
    /// Bearer token of the ops endpoints (`/ops/…`); unset, they are off.
    pub ops_token: Option<Secret>,
    /// The assistant's language models (primary, fallback).
    pub llm: LlmSettings,
    /// The assistant's timing and limits.
    pub assistant: AssistantSettings,
    /// Tariffs, the trial, and how long an uninstalled salon's personal data is kept.
    pub marketplace: MarketplaceSettings,
    /// Trusted proxies and per-client limits.
    pub access: AccessSettings,
    /// How long old rows are kept.
    pub retention: RetentionPolicy,
    /// Simulated or live WhatsApp.
    pub whatsapp_mode: WhatsAppMode,
    /// How simulated phones behave (QR lifetimes; tests shorten them). Not read from
    /// the environment.
    pub whatsapp_simulator: SimulatorSettings,
    /// WhatsApp session stores and other local state.
    pub data_dir: PathBuf,
    /// What this process runs (`AI_ADMIN_ROLES`, or `serve --roles`).
    pub roles: Roles,
    /// This process's name among gateway nodes (`NODE_ID`).
    pub node_id: String,
    /// How long a gateway node's hold on a session lasts without renewal
    /// (`WHATSAPP_LEASE_SECS`): the longest a dead node's sessions wait for a takeover.
    pub whatsapp_lease: std::time::Duration,
}

/// Why the configuration cannot be used; the message names the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is absent or empty.
    #[error("missing required environment variable {name}: {meaning}")]
    Missing {
        /// The variable.
        name: &'static str,
        /// What it is for.
        meaning: &'static str,
    },
    /// A variable is set to something unusable.
    #[error("invalid environment variable {name}: {reason}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// What is wrong (never the secret value itself).
        reason: String,
    },
}

/// Fixed values that make `ai-admin serve` work on a developer machine with no `.env`:
/// the dev command and the tests use the same ones for the YClients simulator.
pub mod dev_defaults {
    /// Partner token the simulator accepts by default.
    pub const PARTNER_TOKEN: &str = "dev-partner-token";
    /// Marketplace application id used in development.
    pub const APP_ID: &str = "ai-admin-dev";
    /// JWT key used in development; production must set its own.
    pub const JWT_SECRET: &str = "dev-only-jwt-secret-do-not-use-in-production";
    /// Gemini API key the dev Gemini simulator accepts.
    pub const GEMINI_API_KEY: &str = "dev-gemini-key";
}

/// Reads variables through `lookup`, so tests need not touch the process environment.
struct Env<F> {
    lookup: F,
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn or(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or_else(|| default.to_owned())
    }

    /// Required in production; in development falls back to `dev_default`.
    fn secret(
        &self,
        name: &'static str,
        meaning: &'static str,
        app_env: AppEnv,
        dev_default: &str,
    ) -> Result<Secret, ConfigError> {
        match (self.get(name), app_env) {
            (Some(value), _) => Ok(Secret::new(value)),
            (None, AppEnv::Development) => Ok(Secret::new(dev_default)),
            (None, AppEnv::Production) => Err(ConfigError::Missing { name, meaning }),
        }
    }

    fn number(&self, name: &'static str, default: u64, meaning: &str) -> Result<u64, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(value) => value.parse().map_err(|_| ConfigError::Invalid {
                name,
                reason: format!("{value:?} is not {meaning}"),
            }),
        }
    }

    /// A list of durations like `24h,2h,30m,90s`.
    fn durations(
        &self,
        name: &'static str,
        default: &str,
    ) -> Result<Vec<std::time::Duration>, ConfigError> {
        let value = self.or(name, default);
        value
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                parse_duration(part).ok_or_else(|| ConfigError::Invalid {
                    name,
                    reason: format!(
                        "{part:?} is not a duration like 24h, 30m or 90s (comma-separated)"
                    ),
                })
            })
            .collect()
    }

    /// One duration like `7d`, `24h`, `30m` or `90s`.
    fn duration(
        &self,
        name: &'static str,
        default: &str,
    ) -> Result<std::time::Duration, ConfigError> {
        let value = self.or(name, default);
        parse_duration(&value).ok_or_else(|| ConfigError::Invalid {
            name,
            reason: format!("{value:?} is not a duration like 7d, 24h, 30m or 90s"),
        })
    }

    fn url(&self, name: &'static str, default: &str) -> Result<String, ConfigError> {
        let value = self.or(name, default);
        let valid = ["http://", "https://"]
            .iter()
            .any(|scheme| value.starts_with(scheme) && value.len() > scheme.len());
        if valid {
            Ok(value.trim_end_matches('/').to_owned())
        } else {
            Err(ConfigError::Invalid {
                name,
                reason: format!("{value:?} is not an http(s) URL"),
            })
        }
    }
}

/// A positive duration written as a whole number and a unit: `d`, `h`, `m` or `s`
/// (`7d`, `24h`, `30m`, `90s`). Anything else, including other scripts' letters
/// (`24ч`), is `None`, never a panic.
pub fn parse_duration(text: &str) -> Option<std::time::Duration> {
    let text = text.trim();
    let unit_at = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(unit_at);
    let seconds_per_unit: u64 = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        "s" => 1,
        _ => return None,
    };
    let count = number.parse::<u64>().ok().filter(|n| *n > 0)?;
    count
        .checked_mul(seconds_per_unit)
        .map(std::time::Duration::from_secs)
}

/// `APP_ENV`. Unset, it means development only while nothing production-like is
/// configured: a deployment that sets a real partner token or JWT key must say which it
/// is, so forgetting `APP_ENV=production` never runs real salons on development rules.
fn app_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<AppEnv, ConfigError> {
    match env.get("APP_ENV").as_deref() {
        Some("development" | "dev" | "test") => Ok(AppEnv::Development),
        Some("production" | "prod") => Ok(AppEnv::Production),
        Some(other) => Err(ConfigError::Invalid {
            name: "APP_ENV",
            reason: format!("{other:?} is neither development nor production"),
        }),
        None => match PRODUCTION_SECRETS
            .iter()
            .find(|name| env.get(name).is_some())
        {
            Some(secret) => Err(ConfigError::Invalid {
                name: "APP_ENV",
                reason: format!(
                    "unset while {secret} is set: say APP_ENV=production for real salons (or APP_ENV=development)"
                ),
            }),
            None => Ok(AppEnv::Development),
        },
    }
}

/// Variables whose presence says "this is a real deployment".
const PRODUCTION_SECRETS: [&str; 2] = ["YCLIENTS_PARTNER_TOKEN", "JWT_SECRET"];

fn port<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<u16, ConfigError> {
    env.or("PORT", "3000")
        .parse::<u16>()
        .map_err(|_| ConfigError::Invalid {
            name: "PORT",
            reason: "must be a port number (0–65535)".to_owned(),
        })
}

fn database_url<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Secret, ConfigError> {
    let url = env.get("DATABASE_URL").ok_or(ConfigError::Missing {
        name: "DATABASE_URL",
        meaning: "PostgreSQL URL, e.g. postgres://user@localhost:5432/ai_admin",
    })?;
    if !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
        return Err(ConfigError::Invalid {
            name: "DATABASE_URL",
            reason: "must start with postgres:// or postgresql://".to_owned(),
        });
    }
    Ok(Secret::new(url))
}

/// The simulator by default in development, live in production (which refuses the
/// simulator: it mounts /dev/*).
fn whatsapp_mode<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
    app_env: AppEnv,
) -> Result<WhatsAppMode, ConfigError> {
    let default = match app_env {
        AppEnv::Development => "simulator",
        AppEnv::Production => "live",
    };
    match env.or("WHATSAPP_MODE", default).as_str() {
        "simulator" if app_env == AppEnv::Production => Err(ConfigError::Invalid {
            name: "WHATSAPP_MODE",
            reason: "simulator is for development only (it mounts /dev/*); production needs live"
                .to_owned(),
        }),
        "simulator" => Ok(WhatsAppMode::Simulator),
        "live" => Ok(WhatsAppMode::Live),
        other => Err(ConfigError::Invalid {
            name: "WHATSAPP_MODE",
            reason: format!("{other:?} is neither simulator nor live"),
        }),
    }
}

fn jwt_secret<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
    app_env: AppEnv,
) -> Result<Secret, ConfigError> {
    let secret = env.secret(
        "JWT_SECRET",
        "HS256 key for onboarding tokens",
        app_env,
        dev_defaults::JWT_SECRET,
    )?;
    if app_env == AppEnv::Production && secret.expose().len() < 32 {
        return Err(ConfigError::Invalid {
            name: "JWT_SECRET",
            reason: "must be at least 32 characters in production".to_owned(),
        });
    }
    Ok(secret)
}

/// The CRM (YClients or Altegio), our partner token and application id, and the rate
/// limit of its API.
fn yclients<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
    app_env: AppEnv,
) -> Result<YClientsSettings, ConfigError> {
    let rate_limit_rps = env
        .or("YCLIENTS_RATE_LIMIT_RPS", "5")
        .parse::<f64>()
        .ok()
        .filter(|rps| rps.is_finite() && *rps >= 0.0)
        .ok_or(ConfigError::Invalid {
            name: "YCLIENTS_RATE_LIMIT_RPS",
            reason: "must be a number of requests per second, 0 or more".to_owned(),
        })?;
    let brand =
        match env.get("CRM_BRAND") {
            None => ai_admin_activities::clients::yclients::CrmBrand::default(),
            Some(text) => ai_admin_activities::clients::yclients::CrmBrand::parse(&text)
                .ok_or_else(|| ConfigError::Invalid {
                    name: "CRM_BRAND",
                    reason: format!("{text:?} is neither yclients nor altegio"),
                })?,
        };
    let app_id = env
        .secret(
            "YCLIENTS_APP_ID",
            "our marketplace application id",
            app_env,
            dev_defaults::APP_ID,
        )?
        .expose()
        .to_owned();
    Ok(YClientsSettings {
        base_url: env.url("YCLIENTS_BASE_URL", brand.default_base_url())?,
        partner_token: env.secret(
            "YCLIENTS_PARTNER_TOKEN",
            "partner token for the YClients API",
            app_env,
            dev_defaults::PARTNER_TOKEN,
        )?,
        app_id,
        rate_limit_rps,
        brand,
    })
}

fn assistant<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<AssistantSettings, ConfigError> {
    Ok(AssistantSettings {
        conversation: ai_admin_workflows::conversation::ConversationSettings {
            debounce_ms: env.number(
                "CONVERSATION_DEBOUNCE_MS",
                ai_admin_workflows::conversation::DEBOUNCE_MS,
                "a number of milliseconds",
            )?,
            debounce_max_ms: env.number(
                "CONVERSATION_DEBOUNCE_MAX_MS",
                ai_admin_workflows::conversation::DEBOUNCE_MAX_MS,
                "a number of milliseconds",
            )?,
            quiet_secs: env
                .number("CONVERSATION_QUIET_SECS", 6 * 3600, "a number of seconds")?
                .max(1),
        },
        reminder_offsets: env.durations("REMINDER_OFFSETS", "24h,2h")?,
        limits: assistant_limits(env)?,
        salon_reply_pause: env.duration("OWNER_REPLY_PAUSE", "2h")?,
        handoff_timeout: handoff_timeout(env)?,
        prompt_version: env.or(
            "ASSISTANT_PROMPT_VERSION",
            ai_admin_activities::assistant::prompts::VERSION,
        ),
    })
}

/// How long a gateway node's lease on a session lasts: 2 s to 10 min.
fn whatsapp_lease<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<std::time::Duration, ConfigError> {
    let secs = env.number("WHATSAPP_LEASE_SECS", 15, "a number of seconds")?;
    if !(2..=600).contains(&secs) {
        return Err(ConfigError::Invalid {
            name: "WHATSAPP_LEASE_SECS",
            reason: format!("{secs} is not between 2 and 600 seconds"),
        });
    }
    Ok(std::time::Duration::from_secs(secs))
}

fn access<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<AccessSettings, ConfigError> {
    let per_minute = |name: &'static str, default: u64| -> Result<u32, ConfigError> {
        let value = env.number(name, default, "a number per minute")?;
        u32::try_from(value).map_err(|_| ConfigError::Invalid {
            name,
            reason: format!("{value} is too large"),
        })
    };
    Ok(AccessSettings {
        trusted_proxies: TrustedProxies::parse(&env.or("TRUSTED_PROXIES", "")).map_err(
            |reason| ConfigError::Invalid {
                name: "TRUSTED_PROXIES",
                reason,
            },
        )?,
        redirects_per_minute: per_minute("REDIRECT_RATE_LIMIT", 30)?,
        sockets_per_minute: per_minute("WS_RATE_LIMIT", 5)?,
        webhook_dedup_window: env.duration("WEBHOOK_DEDUP_WINDOW", "5m")?,
        frame_ancestors: frame_ancestors(&env.or("FRAME_ANCESTORS", DEFAULT_FRAME_ANCESTORS))
            .map_err(|reason| ConfigError::Invalid {
                name: "FRAME_ANCESTORS",
                reason,
            })?,
    })
}

fn retention<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<RetentionPolicy, ConfigError> {
    Ok(RetentionPolicy {
        live_events: env.duration("RETENTION_LIVE_EVENTS", "7d")?,
        webhooks: env.duration("RETENTION_WEBHOOKS", "30d")?,
        messages: env.duration("RETENTION_MESSAGES", "90d")?,
        marketplace_events: env.duration("RETENTION_MARKETPLACE_EVENTS", "365d")?,
    })
}

fn assistant_limits<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<AssistantLimits, ConfigError> {
    let defaults = AssistantLimits::default();
    let upcoming = env.number(
        "ASSISTANT_MAX_UPCOMING_BOOKINGS",
        u64::from(defaults.upcoming_bookings_per_client),
        "a number of visits",
    )?;
    let upcoming = u32::try_from(upcoming)
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ConfigError::Invalid {
            name: "ASSISTANT_MAX_UPCOMING_BOOKINGS",
            reason: format!("{upcoming} must be between 1 and {}", u32::MAX),
        })?;
    Ok(AssistantLimits {
        upcoming_bookings_per_client: upcoming,
        late_after: env.duration("LATE_MESSAGE_AFTER", "12h")?,
        ..defaults
    })
}

impl Config {
    /// Reads the process environment (after loading `.env` if there is one).
    pub fn from_env() -> Result<Config, ConfigError> {
        // A missing .env is normal; a malformed one is worth a warning, not a stop.
        if let Err(error) = dotenvy::dotenv()
            && !error.not_found()
        {
            tracing::warn!(%error, "ignoring unreadable .env file");
        }
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let env = Env { lookup };
        let app_env = app_env(&env)?;
        let data_dir = PathBuf::from(env.or("DATA_DIR", "./.data"));
        Ok(Config {
            app_env,
            port: port(&env)?,
            base_url: env.url("BASE_URL", "http://localhost:3000")?,
            database_url: database_url(&env)?,
            temporal: TemporalConfig {
                address: env.url("TEMPORAL_ADDRESS", "http://localhost:7233")?,
                namespace: env.or("TEMPORAL_NAMESPACE", "default"),
                task_queue: env.or("TEMPORAL_TASK_QUEUE", "ai-admin"),
                ui_url: env.url("TEMPORAL_UI_URL", "http://localhost:8233")?,
            },
            jwt_secret: jwt_secret(&env, app_env)?,
            yclients: yclients(&env, app_env)?,
            webhook_secret: env.get("WEBHOOK_SECRET").map(Secret::new),
            ops_token: env.get("OPS_TOKEN").map(Secret::new),
            llm: llm::llm(&env)?,
            assistant: assistant(&env)?,
            marketplace: marketplace::marketplace(&env)?,
            access: access(&env)?,
            retention: retention(&env)?,
            whatsapp_mode: whatsapp_mode(&env, app_env)?,
            whatsapp_simulator: SimulatorSettings {
                store_dir: Some(data_dir.join("whatsapp-simulator")),
                ..SimulatorSettings::default()
            },
            data_dir,
            roles: Roles::parse(&env.or("AI_ADMIN_ROLES", "all")).map_err(|reason| {
                ConfigError::Invalid {
                    name: "AI_ADMIN_ROLES",
                    reason,
                }
            })?,
            node_id: node_id(env.get("NODE_ID"))?,
            whatsapp_lease: whatsapp_lease(&env)?,
        })
    }

    /// The URL YClients posts marketplace events to; each salon's data webhooks go to
    /// this plus `/<salon_id>/<secret>` (given at activation).
    pub fn webhook_url(&self) -> String {
        format!("{}/webhook/yclients", self.base_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    const DB: (&str, &str) = ("DATABASE_URL", "postgres://postgres@localhost/ai_admin");

    #[test]
    fn development_runs_on_defaults() {
        let config = config(&[DB]).unwrap();
        assert_eq!(config.app_env, AppEnv::Development);
        assert_eq!(config.port, 3000);
        assert_eq!(config.temporal.task_queue, "ai-admin");
        assert_eq!(config.whatsapp_mode, WhatsAppMode::Simulator);
        assert_eq!(
            config.yclients.partner_token.expose(),
            dev_defaults::PARTNER_TOKEN
        );
        assert_eq!(
            config.webhook_url(),
            "http://localhost:3000/webhook/yclients"
        );
    }

    #[test]
    fn production_names_the_missing_secret() {
        let error = config(&[DB, ("APP_ENV", "production")]).unwrap_err();
        assert!(error.to_string().contains("JWT_SECRET"), "{error}");

        let error = config(&[
            DB,
            ("APP_ENV", "production"),
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ])
        .unwrap_err();
        assert!(error.to_string().contains("YCLIENTS_APP_ID"), "{error}");
    }

    #[test]
    fn production_defaults_to_live_whatsapp() {
        let config = config(&[
            DB,
            ("APP_ENV", "production"),
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            ("YCLIENTS_APP_ID", "42"),
            ("YCLIENTS_PARTNER_TOKEN", "p"),
        ])
        .unwrap();
        assert_eq!(config.whatsapp_mode, WhatsAppMode::Live);
    }

    #[test]
    fn invalid_values_are_named_without_echoing_secrets() {
        let error = config(&[DB, ("PORT", "http")]).unwrap_err();
        assert!(error.to_string().contains("PORT"));
        let error = config(&[("DATABASE_URL", "mysql://secret-pass@db")]).unwrap_err();
        assert!(error.to_string().contains("DATABASE_URL"));
        assert!(!error.to_string().contains("secret-pass"));
        let error = config(&[DB, ("YCLIENTS_RATE_LIMIT_RPS", "-1")]).unwrap_err();
        assert!(error.to_string().contains("YCLIENTS_RATE_LIMIT_RPS"));
        let error = config(&[DB, ("BASE_URL", "localhost:3000")]).unwrap_err();
        assert!(error.to_string().contains("BASE_URL"));
        assert!(matches!(
            config(&[]),
            Err(ConfigError::Missing {
                name: "DATABASE_URL",
                ..
            })
        ));
    }
}

/// A configuration from `vars` and a database URL, for the tests of this file.
/// `HANDOFF_TIMEOUT`: a duration of at least a second, or `off`.
fn handoff_timeout<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<Option<std::time::Duration>, ConfigError> {
    if env
        .or("HANDOFF_TIMEOUT", "30m")
        .trim()
        .eq_ignore_ascii_case("off")
    {
        return Ok(None);
    }
    let timeout = env.duration("HANDOFF_TIMEOUT", "30m")?;
    if timeout.is_zero() {
        return Err(ConfigError::Invalid {
            name: "HANDOFF_TIMEOUT",
            reason: "0 would give every handoff back at once; write `off` to keep handoffs until released".to_owned(),
        });
    }
    Ok(Some(timeout))
}

#[cfg(test)]
fn config_with(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let mut vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    vars.push(("DATABASE_URL".into(), "postgres://localhost/x".into()));
    Config::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
}

#[cfg(test)]
mod brand_tests {
    use super::config_with as config;
    use ai_admin_activities::clients::yclients::CrmBrand;

    #[test]
    fn altegio_is_a_brand_with_its_own_host_unless_one_is_given() {
        let yclients = config(&[]).unwrap().yclients;
        assert_eq!(yclients.brand, CrmBrand::Yclients);
        assert_eq!(yclients.base_url, "https://api.yclients.com");
        let altegio = config(&[("CRM_BRAND", "altegio")]).unwrap().yclients;
        assert_eq!(altegio.brand, CrmBrand::Altegio);
        assert_eq!(altegio.base_url, "https://api.alteg.io");
        let pointed = config(&[
            ("CRM_BRAND", "altegio"),
            ("YCLIENTS_BASE_URL", "http://sim:9"),
        ])
        .unwrap()
        .yclients;
        assert_eq!(pointed.base_url, "http://sim:9");
        let error = config(&[("CRM_BRAND", "bitrix")]).unwrap_err().to_string();
        assert!(error.contains("CRM_BRAND"), "{error}");
    }
}

#[cfg(test)]
mod assistant_tests {
    use super::config_with as config;
    use std::time::Duration;

    #[test]
    fn an_unanswered_handoff_goes_back_after_half_an_hour_unless_set_otherwise() {
        let minutes = |m: u64| Some(Duration::from_secs(m * 60));
        assert_eq!(config(&[]).unwrap().assistant.handoff_timeout, minutes(30));
        let set = |value: &str| {
            config(&[("HANDOFF_TIMEOUT", value)]).map(|c| c.assistant.handoff_timeout)
        };
        assert_eq!(set("2h").unwrap(), minutes(120));
        assert_eq!(set("3s").unwrap(), Some(Duration::from_secs(3)));
        assert_eq!(set("off").unwrap(), None);
        assert_eq!(set("OFF").unwrap(), None);
        assert!(
            set("0s")
                .unwrap_err()
                .to_string()
                .contains("HANDOFF_TIMEOUT")
        );
        let error = set("полчаса").unwrap_err().to_string();
        assert!(error.contains("HANDOFF_TIMEOUT"), "{error}");
    }

    #[test]
    fn reminders_and_debounce_are_configurable_and_checked() {
        let defaults = config(&[]).unwrap().assistant;
        assert_eq!(
            defaults.reminder_offsets,
            [
                Duration::from_secs(24 * 3600),
                Duration::from_secs(2 * 3600)
            ]
        );
        assert_eq!(defaults.conversation.debounce_ms, 2_000);
        assert_eq!(defaults.conversation.debounce_max_ms, 6_000);

        let set = config(&[
            ("REMINDER_OFFSETS", "90s, 30m"),
            ("CONVERSATION_DEBOUNCE_MS", "0"),
            ("CONVERSATION_DEBOUNCE_MAX_MS", "9000"),
        ])
        .unwrap()
        .assistant;
        assert_eq!(
            set.reminder_offsets,
            [Duration::from_secs(90), Duration::from_secs(1800)]
        );
        assert_eq!(set.conversation.debounce_ms, 0);
        assert_eq!(set.conversation.debounce_max_ms, 9_000);

        let error = config(&[("REMINDER_OFFSETS", "tomorrow")]).unwrap_err();
        assert!(error.to_string().contains("REMINDER_OFFSETS"), "{error}");
        let error = config(&[("CONVERSATION_DEBOUNCE_MS", "soon")]).unwrap_err();
        assert!(
            error.to_string().contains("CONVERSATION_DEBOUNCE_MS"),
            "{error}"
        );
    }
}

#[cfg(test)]
mod scale_out_tests {
    use super::config_with as config;
    use super::*;
    use std::time::Duration;

    #[test]
    fn roles_default_to_all_and_take_any_subset() {
        assert_eq!(config(&[]).unwrap().roles, Roles::ALL);
        let gateway = config(&[("AI_ADMIN_ROLES", "gateway")]).unwrap().roles;
        assert_eq!(gateway.names(), ["gateway"]);
        let two = Roles::parse(" api , worker ").unwrap();
        assert_eq!(two.names(), ["api", "worker"]);
        for bad in ["", "api,cron", "  ,  "] {
            let error = config(&[("AI_ADMIN_ROLES", bad)]);
            // An empty variable counts as unset (all roles); the others are refused.
            if bad.trim().is_empty() {
                assert_eq!(error.unwrap().roles, Roles::ALL);
            } else {
                let error = error.unwrap_err().to_string();
                assert!(error.contains("AI_ADMIN_ROLES"), "{error}");
            }
        }
        assert!(Roles::parse(" , ").is_err());
    }

    #[test]
    fn the_node_id_must_fit_a_task_queue_name_and_the_lease_a_sane_range() {
        let node = config(&[("NODE_ID", "gw-2.eu")]).unwrap();
        assert_eq!(node.node_id, "gw-2.eu");
        assert_eq!(node.whatsapp_lease, Duration::from_secs(15));
        let error = config(&[("NODE_ID", "gw 2/eu")]).unwrap_err().to_string();
        assert!(error.contains("NODE_ID"), "{error}");
        assert_eq!(
            config(&[("WHATSAPP_LEASE_SECS", "3")])
                .unwrap()
                .whatsapp_lease,
            Duration::from_secs(3)
        );
        let error = config(&[("WHATSAPP_LEASE_SECS", "1")])
            .unwrap_err()
            .to_string();
        assert!(error.contains("WHATSAPP_LEASE_SECS"), "{error}");
    }
}

#[cfg(test)]
mod trust_tests {
    use super::config_with as config;
    use super::*;
    use std::time::Duration;

    const PRODUCTION: [(&str, &str); 4] = [
        ("APP_ENV", "production"),
        ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ("YCLIENTS_APP_ID", "42"),
        ("YCLIENTS_PARTNER_TOKEN", "p"),
    ];

    #[test]
    fn production_refuses_the_simulated_whatsapp() {
        let mut vars = PRODUCTION.to_vec();
        vars.push(("WHATSAPP_MODE", "simulator"));
        let error = config(&vars).unwrap_err().to_string();
        assert!(error.contains("WHATSAPP_MODE"), "{error}");
        assert!(error.contains("development only"), "{error}");
        assert!(!error.contains('\n'));
    }

    #[test]
    fn an_unset_app_env_is_development_only_without_production_secrets() {
        assert_eq!(config(&[]).unwrap().app_env, AppEnv::Development);
        for secret in ["YCLIENTS_PARTNER_TOKEN", "JWT_SECRET"] {
            let error = config(&[(secret, "real-value")]).unwrap_err().to_string();
            assert!(
                error.contains("APP_ENV") && error.contains(secret),
                "{error}"
            );
            assert!(!error.contains("real-value"), "{error}");
        }
        let explicit = config(&[("APP_ENV", "development"), ("JWT_SECRET", "x")]).unwrap();
        assert_eq!(explicit.app_env, AppEnv::Development);
    }

    #[test]
    fn durations_in_other_scripts_or_out_of_range_are_one_line_errors_not_panics() {
        for bad in [
            "24ч",
            "ч",
            "2",
            "h",
            "0h",
            "-1h",
            "1.5h",
            "99999999999999999999d",
            "1hh",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
            let error = config(&[("REMINDER_OFFSETS", bad)])
                .unwrap_err()
                .to_string();
            assert!(error.contains("REMINDER_OFFSETS"), "{bad}: {error}");
        }
        assert_eq!(parse_duration("7d"), Some(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration(" 90s "), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("18446744073709551615d"), None);
    }

    #[test]
    fn frame_ancestors_are_origins_and_nothing_broader() {
        use super::frame_ancestors;
        assert_eq!(
            frame_ancestors(super::DEFAULT_FRAME_ANCESTORS).unwrap(),
            super::DEFAULT_FRAME_ANCESTORS
        );
        assert_eq!(
            frame_ancestors("https://app.example.com, http://127.0.0.1:8080").unwrap(),
            "https://app.example.com http://127.0.0.1:8080"
        );
        for bad in [
            "*",
            "https:",
            "https://*",
            "https://yclients.com/path",
            "https://yclients.com; script-src *",
            "yclients.com",
            "'self'",
            "",
        ] {
            assert!(frame_ancestors(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn access_retention_and_assistant_limits_have_defaults_and_are_checked() {
        let defaults = config(&[]).unwrap();
        assert_eq!(defaults.access.redirects_per_minute, 30);
        assert_eq!(defaults.access.sockets_per_minute, 5);
        assert_eq!(
            defaults.access.webhook_dedup_window,
            Duration::from_secs(300)
        );
        assert_eq!(defaults.retention, RetentionPolicy::default());
        assert_eq!(defaults.assistant.limits, AssistantLimits::default());

        let set = config(&[
            ("TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1"),
            ("RETENTION_LIVE_EVENTS", "2d"),
            ("ASSISTANT_MAX_UPCOMING_BOOKINGS", "5"),
            ("WEBHOOK_DEDUP_WINDOW", "90s"),
        ])
        .unwrap();
        assert!(
            set.access
                .trusted_proxies
                .trusts("10.3.2.1".parse().unwrap())
        );
        assert_eq!(set.retention.live_events, Duration::from_secs(2 * 86_400));
        assert_eq!(set.assistant.limits.upcoming_bookings_per_client, 5);
        assert_eq!(set.access.webhook_dedup_window, Duration::from_secs(90));

        for (name, bad) in [
            ("TRUSTED_PROXIES", "10.0.0.0/40"),
            ("RETENTION_WEBHOOKS", "месяц"),
            ("ASSISTANT_MAX_UPCOMING_BOOKINGS", "0"),
            ("REDIRECT_RATE_LIMIT", "many"),
            ("WEBHOOK_DEDUP_WINDOW", "5"),
        ] {
            let error = config(&[(name, bad)]).unwrap_err().to_string();
            assert!(error.contains(name), "{name}={bad}: {error}");
        }
    }
}
