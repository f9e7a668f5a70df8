//! `GET /ops/salons` (Bearer `OPS_TOKEN`): every salon as an on-call engineer needs it —
//! integration status, the WhatsApp session's state and the gateway node holding it
//! (from the lease table), the last sync and webhook, what
//! is waiting (webhooks not applied, client messages not answered), a language-model
//! provider refusing the salon's region, and links to the salon's runs in the Temporal
//! Web UI.

use crate::auth::OpsAuth;
use crate::error::ApiError;
use crate::state::AppState;
use ai_admin_activities::db::{leases, overview};
use ai_admin_activities::domain::{SalonId, SessionId};
use ai_admin_activities::workflow_ids as ids;
use anyhow::Context as _;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

/// `GET /ops/salons`.
pub fn router() -> Router<AppState> {
    Router::new().route("/ops/salons", get(salons))
}

async fn salons(_: OpsAuth, State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let rows = overview::salons(&state.db)
        .await
        .context("Failed to read the salons overview")?;
    // The session's state as its gateway node last reported it: no call per salon.
    let leases = leases::all(&state.db)
        .await
        .context("Failed to read the WhatsApp leases")?;
    let temporal = &state.config.temporal;
    let mut salons = Vec::with_capacity(rows.len());
    for row in rows {
        let salon_id = SalonId::new(i64::from(row.salon_id)).ok();
        let lease =
            salon_id.and_then(|salon_id| leases.get(&SessionId::for_salon(salon_id).to_string()));
        salons.push(json!({
            "salon_id": row.salon_id,
            "title": row.title,
            "status": row.status,
            "whatsapp_connected": row.whatsapp_connected,
            // Null while no node holds the session (never linked, or awaiting takeover).
            "session": lease.filter(|lease| lease.live).and_then(|lease| lease.state.clone()),
            "gateway_node": lease.map(|lease| lease.node_id.clone()),
            "gateway_lease_live": lease.map(|lease| lease.live),
            "session_takeovers": lease.map_or(0, |lease| lease.takeovers),
            "last_sync_at": row.last_sync_at,
            "last_webhook_at": row.last_webhook_at,
            "webhooks_pending": row.webhooks_pending,
            "client_messages_pending": row.client_messages_pending,
            // A language-model provider refusing the salon's region in the last day.
            "llm_unavailable": row.llm_unavailable,
            "runs_url": temporal.salon_runs_url(i64::from(row.salon_id)),
            "company_workflow_url": salon_id.map(|salon_id| temporal.workflow_url(&ids::company(salon_id))),
        }));
    }
    Ok(Json(json!({ "salons": salons })))
}
