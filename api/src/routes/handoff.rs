//! Clients handed over to a person: the salon lists them and gives each back to the bot
//! when done. Only the token's own salon.
//!
//! - `GET  /marketplace/api/conversations/handoff` → `{success, clients: [{phone,
//!   client_name, reason, since}]}`.
//! - `POST /marketplace/api/conversations/{phone}/release` → `{success, released}`
//!   (`released` false when the client was not handed off); event `handoff_released`.

use crate::auth::OnboardingAuth;
use crate::error::ApiError;
use crate::state::AppState;
use ai_admin_activities::db::conversations;
use ai_admin_activities::db::events::{self, EventType, NewEvent};
use ai_admin_activities::db::live_events;
use ai_admin_activities::domain::{ClientAddress, SalonId};
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

/// The two routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/marketplace/api/conversations/handoff", get(list))
        .route(
            "/marketplace/api/conversations/{phone}/release",
            post(release),
        )
}

async fn list(
    State(state): State<AppState>,
    OnboardingAuth(claims): OnboardingAuth,
) -> Result<Json<Value>, ApiError> {
    // The Temporal UI is for ops (`/ops`): the owner's answer links no runs.
    let clients = conversations::handed_off(&state.db, claims.salon_id).await?;
    Ok(Json(json!({ "success": true, "clients": clients })))
}

async fn release(
    State(state): State<AppState>,
    OnboardingAuth(claims): OnboardingAuth,
    Path(phone): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let phone = ClientAddress::parse(&phone)
        .map_err(|error| ApiError::BadRequest(format!("phone: {error}")))?;
    let released = release_to_bot(&state, claims.salon_id, &phone).await?;
    Ok(Json(json!({ "success": true, "released": released })))
}

/// Gives a handed-off client back to the bot, with a `handoff_released` event; false
/// when they were not handed off. (The console's release goes through here too.)
pub(crate) async fn release_to_bot(
    state: &AppState,
    salon_id: SalonId,
    phone: &ClientAddress,
) -> Result<bool, ApiError> {
    let mut tx = state.db.begin().await.map_err(anyhow::Error::from)?;
    let released = conversations::release(&mut *tx, salon_id, &phone.to_string()).await?;
    if released {
        events::record(
            &mut *tx,
            &NewEvent {
                salon_id,
                event_type: EventType::HandoffReleased,
                data: json!({ "client": phone.masked() }),
                dedup_key: None,
            },
        )
        .await?;
    }
    tx.commit().await.map_err(anyhow::Error::from)?;
    if released {
        live_events::conversation_changed(&state.db, salon_id, "release").await;
    }
    tracing::info!(%salon_id, client = %phone.masked(), released, "handoff released");
    Ok(released)
}
