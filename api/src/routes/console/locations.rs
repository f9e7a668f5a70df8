//! An owner with several locations: each is its own salon with its own console, and the
//! owner switches between the ones they installed.
//!
//! - `GET /console/api/salons` (Bearer) → `{success, salons: [{salon_id, title,
//!   integration_status, current}]}`: the installed salons of the session's YClients
//!   user (a session without a user — an unsigned development link — sees its own only).
//! - `POST /console/api/salons/{salon_id}/session` (Bearer) → `{success, token,
//!   expires_in, salon_id}`: a session for that salon, when the same YClients user
//!   installed it; any other salon answers 404, as if it did not exist.

use crate::auth::ConsoleAuth;
use crate::error::ApiError;
use crate::state::AppState;
use ai_admin_activities::db::console_sessions::{self, ConsoleUser, SESSION_TTL};
use ai_admin_activities::domain::SalonId;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

/// `GET /console/api/salons` and `POST /console/api/salons/{salon_id}/session`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/api/salons", get(list))
        .route("/console/api/salons/{salon_id}/session", post(switch))
}

async fn list(State(state): State<AppState>, auth: ConsoleAuth) -> Result<Json<Value>, ApiError> {
    let current = i64::from(auth.user.salon_id);
    let salons = match &auth.user.user_id {
        Some(user_id) => console_sessions::salons_of(&state.db, user_id).await?,
        None => Vec::new(),
    };
    let mut listed: Vec<Value> = salons
        .iter()
        .map(|s| {
            json!({
                "salon_id": s.salon_id,
                "title": s.title,
                "integration_status": s.integration_status,
                "current": s.salon_id == current,
            })
        })
        .collect();
    if !salons.iter().any(|s| s.salon_id == current) {
        listed.insert(0, json!({ "salon_id": current, "current": true }));
    }
    Ok(Json(json!({ "success": true, "salons": listed })))
}

async fn switch(
    State(state): State<AppState>,
    auth: ConsoleAuth,
    Path(salon_id): Path<SalonId>,
) -> Result<Json<Value>, ApiError> {
    let not_yours = || ApiError::NotFound(format!("Салон {salon_id} не найден"));
    let user_id = auth.user.user_id.as_deref().ok_or_else(not_yours)?;
    let target = console_sessions::salons_of(&state.db, user_id)
        .await?
        .into_iter()
        .find(|s| s.salon_id == i64::from(salon_id))
        .ok_or_else(not_yours)?;
    // A code spent at once: the same path a redirect from YClients takes.
    let code = console_sessions::issue_code(
        &state.db,
        &ConsoleUser {
            salon_id,
            company_id: target.company_id,
            user_id: Some(user_id.to_owned()),
        },
    )
    .await?;
    let (token, user) = console_sessions::open_session(&state.db, &code)
        .await?
        .ok_or_else(not_yours)?;
    tracing::info!(from = %auth.user.salon_id, to = %user.salon_id, "console switched to another location");
    Ok(Json(json!({
        "success": true,
        "token": token,
        "expires_in": SESSION_TTL.as_secs(),
        "salon_id": user.salon_id,
    })))
}
