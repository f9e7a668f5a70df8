//! REST fallbacks of the live channel for the onboarding page:
//! `POST /marketplace/api/qr` and `GET /marketplace/api/status/{session_id}`.

use crate::auth::OnboardingAuth;
use crate::error::ApiError;
use crate::qr_image;
use crate::state::AppState;
use ai_admin_activities::domain::SessionId;
use ai_admin_activities::whatsapp::{GatewayError, SessionStatus};
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

/// The two routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/marketplace/api/qr", post(qr))
        .route("/marketplace/api/status/{session_id}", get(status))
}

fn gateway_error(error: GatewayError) -> ApiError {
    match error {
        GatewayError::AlreadyLinked(_) => ApiError::BadRequest("WhatsApp уже подключён".into()),
        GatewayError::Throttled => {
            ApiError::Unavailable("WhatsApp просит подождать, попробуйте через минуту".into())
        }
        other => {
            tracing::warn!(error = %other, "WhatsApp gateway call failed");
            ApiError::Unavailable("WhatsApp временно недоступен".into())
        }
    }
}

/// Creates the salon's session if needed and returns its current QR code.
async fn qr(
    State(state): State<AppState>,
    OnboardingAuth(claims): OnboardingAuth,
) -> Result<Json<Value>, ApiError> {
    let session = SessionId::for_salon(claims.salon_id);
    let status = state
        .gateway
        .create_session(session)
        .await
        .map_err(gateway_error)?;
    if status == SessionStatus::Connected {
        return Err(ApiError::BadRequest("WhatsApp уже подключён".into()));
    }
    let qr = match state
        .gateway
        .current_qr(session)
        .await
        .map_err(gateway_error)?
    {
        Some(qr) => qr,
        None => state
            .gateway
            .refresh_qr(session)
            .await
            .map_err(gateway_error)?,
    };
    Ok(Json(json!({
        "success": true,
        "qr": qr_image::data_url(&qr.code)?,
        "session_id": session.to_string(),
        "expires_in": qr.expires_in_secs(),
    })))
}

/// The session's state, for the page's polling fallback. Only the token's own salon.
async fn status(
    State(state): State<AppState>,
    OnboardingAuth(claims): OnboardingAuth,
    Path(session_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let session: SessionId =
        session_id
            .parse()
            .map_err(|error: ai_admin_activities::domain::InvalidSessionId| {
                ApiError::BadRequest(error.to_string())
            })?;
    if session.salon_id() != claims.salon_id {
        tracing::warn!(asked = %session, "token of another salon asked for a session's status");
        return Err(ApiError::Forbidden("Это сессия другого салона".into()));
    }
    let status = state.gateway.status(session).await;
    let (name, connected) = match status {
        SessionStatus::Connected => ("connected", true),
        SessionStatus::Connecting | SessionStatus::AwaitingLink => ("connecting", false),
        SessionStatus::LoggedOut | SessionStatus::Suspended => ("disconnected", false),
    };
    Ok(Json(json!({
        "success": true,
        "status": name,
        "connected": connected,
        "session_id": session.to_string(),
    })))
}
