//! `POST /console/api/whatsapp/link` → `{success, url}`: the onboarding page's QR and
//! pairing-code flow for a salon whose WhatsApp was logged out. The page it opens is the
//! onboarding page with a fresh onboarding token; for an installed salon it links the
//! number again and starts nothing else (no activation, no first sync).

use crate::auth::{ConsoleAuth, TokenUser};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

/// The route.
pub fn router() -> Router<AppState> {
    Router::new().route("/console/api/whatsapp/link", post(link))
}

async fn link(
    State(state): State<AppState>,
    ConsoleAuth { user, .. }: ConsoleAuth,
) -> Result<Json<Value>, ApiError> {
    let token = state.tokens.issue(
        user.company_id,
        user.salon_id,
        TokenUser {
            user_id: user.user_id.clone(),
            ..TokenUser::default()
        },
        chrono::Utc::now().timestamp(),
    )?;
    tracing::info!(salon_id = %user.salon_id, "console opened the WhatsApp link page");
    Ok(Json(json!({
        "success": true,
        "url": format!("/marketplace/onboarding?token={token}"),
    })))
}
