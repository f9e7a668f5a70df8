//! The WhatsApp simulator's control API and the `/dev/phone` page, mounted only when
//! `WHATSAPP_MODE=simulator`: a test or a person plays the salon's phone (link, logout)
//! and its clients (write, read the bot's answers).
//!
//! - `GET  /dev/whatsapp/sessions` — every session, with its QR or pairing code.
//! - `POST /dev/whatsapp/{session_id}/link {"phone"}` — the phone scans / enters the code.
//! - `POST /dev/whatsapp/{session_id}/incoming {"from","text","id"?}` — a client writes.
//! - `GET  /dev/whatsapp/{session_id}/outbox` — what the bot sent, in order.
//! - `POST /dev/whatsapp/{session_id}/logout` — the phone unlinks the device.

use super::assets::DEV_PHONE_HTML;
use crate::error::ApiError;
use crate::state::AppState;
use ai_admin_activities::domain::{PhoneNumber, SessionId};
use ai_admin_activities::whatsapp::WhatsAppGateway;
use ai_admin_activities::whatsapp::simulator::{
    ControlError, OutboxEntry, SessionView, SimulatedGateway,
};
use axum::extract::{Path, State};
use axum::response::Html;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

/// The control routes around `simulator`.
pub fn router(simulator: SimulatedGateway) -> Router<AppState> {
    Router::new()
        .route("/dev/phone", get(|| async { Html(DEV_PHONE_HTML) }))
        .route("/dev/whatsapp/sessions", get(sessions))
        .route("/dev/whatsapp/{session_id}/link", post(link))
        .route("/dev/whatsapp/{session_id}/incoming", post(incoming))
        .route("/dev/whatsapp/{session_id}/outbox", get(outbox))
        .route("/dev/whatsapp/{session_id}/logout", post(logout))
        .with_state(simulator)
}

fn session(raw: &str) -> Result<SessionId, ApiError> {
    raw.parse()
        .map_err(|error: ai_admin_activities::domain::InvalidSessionId| {
            ApiError::BadRequest(error.to_string())
        })
}

fn phone(raw: &str) -> Result<PhoneNumber, ApiError> {
    PhoneNumber::parse(raw).map_err(|error| ApiError::BadRequest(error.to_string()))
}

fn control_error(error: ControlError) -> ApiError {
    match error {
        ControlError::NoSession(_) => ApiError::NotFound(error.to_string()),
        other => ApiError::BadRequest(other.to_string()),
    }
}

async fn sessions(State(simulator): State<SimulatedGateway>) -> Json<Vec<SessionView>> {
    Json(simulator.sessions())
}

#[derive(Debug, Deserialize)]
struct LinkBody {
    phone: String,
}

async fn link(
    State(simulator): State<SimulatedGateway>,
    Path(session_id): Path<String>,
    Json(body): Json<LinkBody>,
) -> Result<Json<Value>, ApiError> {
    simulator
        .link(session(&session_id)?, phone(&body.phone)?)
        .map_err(control_error)?;
    Ok(Json(json!({ "success": true })))
}

#[derive(Debug, Deserialize)]
struct IncomingBody {
    from: String,
    text: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

async fn incoming(
    State(simulator): State<SimulatedGateway>,
    Path(session_id): Path<String>,
    Json(body): Json<IncomingBody>,
) -> Result<Json<Value>, ApiError> {
    if body.text.trim().is_empty() {
        return Err(ApiError::BadRequest("text is empty".into()));
    }
    let id = simulator
        .incoming(
            session(&session_id)?,
            phone(&body.from)?,
            body.text,
            body.id,
            body.name,
        )
        .map_err(control_error)?;
    Ok(Json(json!({ "success": true, "id": id })))
}

async fn outbox(
    State(simulator): State<SimulatedGateway>,
    Path(session_id): Path<String>,
) -> Result<Json<Vec<OutboxEntry>>, ApiError> {
    simulator
        .outbox(session(&session_id)?)
        .map(Json)
        .map_err(control_error)
}

async fn logout(
    State(simulator): State<SimulatedGateway>,
    Path(session_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    simulator
        .logout(session(&session_id)?)
        .await
        .map_err(|error| ApiError::Unavailable(error.to_string()))?;
    Ok(Json(json!({ "success": true })))
}
