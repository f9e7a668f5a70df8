//! Logging: structured `tracing` output, JSON in production (one object per line for
//! the log pipeline), human-readable in development. `RUST_LOG` overrides the filter.

use crate::config::AppEnv;
use tracing_subscriber::EnvFilter;

/// Default filter: our crates at info, the chatty SDK internals at warn.
const DEFAULT_FILTER: &str =
    "info,temporalio_sdk_core=warn,temporalio_client=warn,h2=warn,tower=warn,hyper=warn,sqlx=warn";

/// Installs the global subscriber; a second call (tests) is a no-op.
pub fn init(app_env: AppEnv) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let json = app_env == AppEnv::Production
        || std::env::var("LOG_FORMAT").is_ok_and(|format| format == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true);
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}
