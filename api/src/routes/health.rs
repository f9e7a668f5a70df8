//! `GET /marketplace/health`: whether this process can do its job. Reports which
//! settings are present (never their values), whether PostgreSQL and Temporal answer,
//! and the state of each supervised background task (relays, event consumer, lease
//! keeper, listener); `503` with `status: "error"` when a dependency does not answer or
//! a task is down (waiting to be started again). The language-model routes are shown
//! with their last state; one refusing our region is a warning (onboarding still works).

use crate::config::{AppEnv, LlmProviderKind, WhatsAppMode};
use crate::state::AppState;
use ai_admin_activities::supervisor::TaskState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use std::future::Future;
use std::time::{Duration, Instant};
use temporalio_protos::temporal::api::workflowservice::v1::GetSystemInfoRequest;

/// How long one dependency check may take before it counts as down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /marketplace/health`.
pub fn router() -> Router<AppState> {
    Router::new().route("/marketplace/health", get(health))
}

async fn health(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let db = state.db.clone();
    let (database, temporal) = tokio::join!(
        check(async move {
            sqlx::query("SELECT 1").execute(&db).await.map(|_| ())?;
            Ok(())
        }),
        check(async {
            let mut service = state.temporal.connection().workflow_service();
            service
                .get_system_info(temporalio_client::tonic::Request::new(
                    GetSystemInfoRequest::default(),
                ))
                .await?;
            Ok(())
        }),
    );
    let config = &state.config;
    let mut missing = Vec::new();
    if !database.ok {
        missing.push("database");
    }
    if !temporal.ok {
        missing.push("temporal");
    }
    // One reading, so the list of tasks down agrees with the tasks shown.
    let tasks = state.supervisor.report();
    let down: Vec<String> = tasks
        .iter()
        .filter(|(_, task)| task.state == TaskState::Restarting)
        .map(|(name, _)| format!("task:{name}"))
        .collect();
    // A provider refusing our region does not stop onboarding, but nobody gets an
    // answer from it: a warning, not a failed check.
    let warnings = state.llm_health.warnings();
    let healthy = missing.is_empty() && down.is_empty();
    let tasks: serde_json::Map<String, Value> = tasks
        .into_iter()
        .map(|(name, task)| {
            (
                name.to_owned(),
                json!({ "state": task.state.as_str(), "restarts": task.restarts }),
            )
        })
        .collect();
    let body = json!({
        "status": if healthy { "ok" } else { "error" },
        "timestamp": chrono::Utc::now().to_rfc3339(),
        "version": env!("CARGO_PKG_VERSION"),
        "environment": {
            "app_env": match config.app_env { AppEnv::Development => "development", AppEnv::Production => "production" },
            "base_url": config.base_url,
            "partner_token": !config.yclients.partner_token.expose().is_empty(),
            "app_id": !config.yclients.app_id.is_empty(),
            "jwt_secret": !config.jwt_secret.expose().is_empty(),
            "webhook_secret": config.webhook_secret.is_some(),
            "gemini_api_key": config.llm.primary.kind == LlmProviderKind::Gemini
                && config.llm.primary.api_key.is_some(),
            "llm_provider": config.llm.primary.kind.as_str(),
            "llm_api_key": config.llm.primary.api_key.is_some(),
            "llm_proxy": config.llm.primary.proxy.is_some(),
            "llm_fallback": config.llm.fallback.as_ref().map(|f| f.kind.as_str()),
            "whatsapp_mode": match config.whatsapp_mode { WhatsAppMode::Simulator => "simulator", WhatsAppMode::Live => "live" },
        },
        "services": {
            "api_running": true,
            "database": database.to_json(),
            "temporal": temporal.to_json(),
            "tasks": tasks,
            "llm": state.llm_health.report(),
        },
        "warnings": warnings,
        "missing": missing.iter().map(|m| (*m).to_owned()).chain(down).collect::<Vec<_>>(),
    });
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

struct CheckResult {
    ok: bool,
    latency: Duration,
    error: Option<String>,
}

impl CheckResult {
    fn to_json(&self) -> Value {
        json!({
            "ok": self.ok,
            "latency_ms": self.latency.as_millis() as u64,
            "error": self.error,
        })
    }
}

async fn check(probe: impl Future<Output = anyhow::Result<()>>) -> CheckResult {
    let started = Instant::now();
    let outcome = tokio::time::timeout(CHECK_TIMEOUT, probe).await;
    let latency = started.elapsed();
    let error = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(first_line(&format!("{error:#}"))),
        Err(_) => Some(format!("no answer within {CHECK_TIMEOUT:?}")),
    };
    CheckResult {
        ok: error.is_none(),
        latency,
        error,
    }
}

/// Error texts can carry connection strings in later lines; keep the first only.
fn first_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect()
}
