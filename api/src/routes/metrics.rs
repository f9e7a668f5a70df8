//! `GET /metrics`: Prometheus text — the app's own metrics (HTTP latency by route,
//! WebSockets, webhooks, messages, Gemini, YClients), gauges read at scrape time
//! (pending webhooks and client messages, active conversations, salons by status,
//! this process's WhatsApp sessions by state), then the Temporal SDK's metrics.
//!
//! Open like any scrape target: it holds counts, never ids, numbers or secrets; keep it
//! off the public internet at the proxy.

use crate::error::ApiError;
use crate::state::AppState;
use ai_admin_activities::db::overview;
use anyhow::Context as _;
use axum::Router;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;

/// Prometheus' text exposition format.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET /metrics`.
pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

async fn metrics(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let quiet_secs =
        i64::try_from(state.config.assistant.conversation.quiet_secs).unwrap_or(i64::MAX);
    let totals = overview::totals(&state.db, quiet_secs)
        .await
        .context("Failed to read the totals for /metrics")?;
    let gauges = &state.metrics.scraped;
    gauges.webhooks_pending.set(totals.webhooks_pending);
    gauges
        .client_messages_pending
        .set(totals.client_messages_pending);
    gauges.conversations_active.set(totals.conversations_active);
    gauges.salons.reset();
    for (status, count) in &totals.salons_by_status {
        gauges.salons.with_label_values(&[status]).set(*count);
    }
    gauges.whatsapp_sessions.reset();
    for session in state.gateway.sessions() {
        let status = state.gateway.status(session).await;
        gauges
            .whatsapp_sessions
            .with_label_values(&[status.as_str()])
            .inc();
    }

    let mut text = state.metrics.render();
    match state.sdk_metrics.render().await {
        Ok(sdk) => text.push_str(&sdk),
        // Our own figures are still worth serving; the gap shows in the scrape.
        Err(error) => {
            tracing::warn!(error = %format!("{error:#}"), "Temporal SDK metrics unavailable")
        }
    }
    Ok(([(CONTENT_TYPE, TEXT_FORMAT)], text))
}
