//! `GET /ops/salons` (Bearer `OPS_TOKEN`): every salon as an on-call engineer needs it —
//! integration status, the WhatsApp session's state, the last sync and webhook, what
//! is waiting (webhooks not applied, client messages not answered), and links to the
//! salon's runs in the Temporal Web UI.

use crate::auth::OpsAuth;
use crate::error::ApiError;
use crate::state::AppState;
use ai_admin_activities::db::overview;
use ai_admin_activities::domain::{SalonId, SessionId};
use ai_admin_workflows::ids;
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
    let temporal = &state.config.temporal;
    let mut salons = Vec::with_capacity(rows.len());
    for row in rows {
        let session = match SalonId::new(i64::from(row.salon_id)) {
            Ok(salon_id) => Some((
                salon_id,
                state.gateway.status(SessionId::for_salon(salon_id)).await,
            )),
            Err(_) => None,
        };
        salons.push(json!({
            "salon_id": row.salon_id,
            "title": row.title,
            "status": row.status,
            "whatsapp_connected": row.whatsapp_connected,
            "session": session.map(|(_, status)| status),
            "last_sync_at": row.last_sync_at,
            "last_webhook_at": row.last_webhook_at,
            "webhooks_pending": row.webhooks_pending,
            "client_messages_pending": row.client_messages_pending,
            "runs_url": temporal.salon_runs_url(i64::from(row.salon_id)),
            "company_workflow_url": session.map(|(salon_id, _)| temporal.workflow_url(&ids::company(salon_id))),
        }));
    }
    Ok(Json(json!({ "salons": salons })))
}
