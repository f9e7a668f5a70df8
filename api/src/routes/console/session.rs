//! Getting into the console and out of it.
//!
//! - `POST /console/api/session {code}` → `{success, token, expires_in, salon_id}`; a
//!   code that is unknown, used or older than a minute → 401 (re-enter from YClients).
//! - `DELETE /console/api/session` (Bearer) → `{success}`: the token stops working.

use crate::auth::ConsoleAuth;
use crate::auth::console::REENTER;
use crate::error::ApiError;
use crate::state::AppState;
use ai_admin_activities::db::console_sessions::{self, SESSION_TTL};
use axum::extract::State;
use axum::routing::{delete, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

/// The longest code looked at (ours are 64 hex digits).
const MAX_CODE: usize = 128;

/// `POST` and `DELETE /console/api/session`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/api/session", post(open))
        .route("/console/api/session", delete(close))
}

/// The body of `POST /console/api/session`.
#[derive(Debug, Deserialize)]
struct OpenSession {
    code: String,
}

async fn open(
    State(state): State<AppState>,
    Json(body): Json<OpenSession>,
) -> Result<Json<Value>, ApiError> {
    let code = body.code.trim();
    if code.is_empty() || code.len() > MAX_CODE {
        return Err(ApiError::Unauthorized(REENTER.to_owned()));
    }
    let Some((token, user)) = console_sessions::open_session(&state.db, code).await? else {
        tracing::info!("console code refused (unknown, used or expired)");
        return Err(ApiError::Unauthorized(REENTER.to_owned()));
    };
    tracing::info!(salon_id = %user.salon_id, "console session opened");
    Ok(Json(json!({
        "success": true,
        "token": token,
        "expires_in": SESSION_TTL.as_secs(),
        "salon_id": user.salon_id,
    })))
}

async fn close(State(state): State<AppState>, auth: ConsoleAuth) -> Result<Json<Value>, ApiError> {
    console_sessions::revoke(&state.db, &auth.token).await?;
    tracing::info!(salon_id = %auth.user.salon_id, "console session ended");
    Ok(Json(json!({ "success": true })))
}
