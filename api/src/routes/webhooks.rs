//! `POST /webhook/yclients`: YClients' webhooks, accepted only once they are durably
//! stored in `webhook_inbox`, and answered without waiting on Temporal (the relay hands
//! them to the salon's workflow).
//!
//! - Body over [`MAX_BODY`] → 413; not a JSON object → 400 with the reason.
//! - With `WEBHOOK_SECRET` set, `X-Signature: sha256=<hex HMAC-SHA256 of the body>` is
//!   required on every webhook; a marketplace event (uninstall, freeze, payment) must
//!   carry our partner token and application id. Failures → 401, nothing stored.
//!   Comparisons are constant-time.
//! - Stored → 200; a repeated delivery → 200 and nothing changes; a salon we do not
//!   know → 202, kept as an orphan; an event we do not act on → 200, kept.
//! - Each outcome is counted in `ai_admin_webhooks_total{outcome}`.

use crate::error::ApiError;
use crate::state::AppState;
use ai_admin_activities::db::webhook_inbox::{self, Stored};
use ai_admin_activities::webhooks::{self, WebhookKind};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Largest webhook body accepted.
pub const MAX_BODY: usize = 256 * 1024;

/// `POST /webhook/yclients`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhook/yclients", post(receive))
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

fn signature_valid(secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    let Some(signature) = headers
        .get("x-signature")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().strip_prefix("sha256="))
        .and_then(|hex_digest| hex::decode(hex_digest).ok())
    else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&signature).is_ok()
}

async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let answer = accept(&state, &headers, body).await;
    let outcome = match &answer {
        Ok((Stored::Queued(_), _)) => "accepted",
        Ok((Stored::Duplicate, _)) => "duplicate",
        Ok((Stored::Orphan, _)) => "orphan",
        Ok((Stored::Ignored, _)) => "ignored",
        Err(ApiError::Internal(_)) => "failed",
        Err(_) => "rejected",
    };
    state.metrics.webhooks.with_label_values(&[outcome]).inc();
    answer.map(|(_, response)| response)
}

#[tracing::instrument(skip_all, fields(salon_id, kind, event))]
async fn accept(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(Stored, Response), ApiError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge(format!("webhook bodies are limited to {MAX_BODY} bytes"))
        } else {
            ApiError::BadRequest(rejection.body_text())
        }
    })?;
    if let Some(secret) = &state.config.webhook_secret
        && !signature_valid(secret.expose(), headers, &body)
    {
        tracing::warn!("webhook with a missing or wrong signature");
        return Err(ApiError::Unauthorized("invalid X-Signature".into()));
    }
    let hook = webhooks::parse(&body).map_err(|error| ApiError::BadRequest(error.to_string()))?;
    let span = tracing::Span::current();
    span.record("kind", hook.kind.as_str());
    if let Some(salon_id) = hook.salon_id {
        span.record("salon_id", salon_id.get());
    }
    if let Some(event) = &hook.event {
        span.record("event", event.as_str());
    }
    if hook.kind == WebhookKind::Marketplace {
        let yclients = &state.config.yclients;
        let token_ok = hook
            .partner_token
            .as_deref()
            .is_some_and(|token| same(token, yclients.partner_token.expose()));
        let app_ok = hook
            .application_id
            .as_deref()
            .is_some_and(|app| same(app, &yclients.app_id));
        if !(token_ok && app_ok) {
            tracing::warn!("marketplace webhook with a wrong partner token or application id");
            return Err(ApiError::Unauthorized(
                "partner_token and application_id must be ours".into(),
            ));
        }
    }
    let stored = webhook_inbox::store(&state.db, &hook).await?;
    tracing::debug!(?stored, "webhook stored");
    if let (Stored::Queued(_), Some(salon_id)) = (stored, hook.salon_id) {
        state.webhook_wakeup.salon(salon_id);
    }
    let response = match stored {
        Stored::Queued(seq) => (
            StatusCode::OK,
            Json(json!({ "success": true, "received": true, "seq": seq })),
        ),
        Stored::Duplicate => (
            StatusCode::OK,
            Json(json!({ "success": true, "received": true, "duplicate": true })),
        ),
        Stored::Orphan => (
            StatusCode::ACCEPTED,
            Json(json!({ "success": true, "received": true, "orphan": true })),
        ),
        Stored::Ignored => (
            StatusCode::OK,
            Json(json!({ "success": true, "received": true, "ignored": true })),
        ),
    }
    .into_response();
    Ok((stored, response))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn signatures_are_checked_over_the_raw_body() {
        let body = br#"{"a":1}"#;
        let mut headers = HeaderMap::new();
        assert!(!signature_valid("s", &headers, body));
        headers.insert("x-signature", sign("s", body).parse().unwrap());
        assert!(signature_valid("s", &headers, body));
        assert!(!signature_valid("other", &headers, body));
        assert!(!signature_valid("s", &headers, br#"{"a": 1}"#));
        headers.insert("x-signature", "sha256=zz".parse().unwrap());
        assert!(!signature_valid("s", &headers, body));
    }
}
