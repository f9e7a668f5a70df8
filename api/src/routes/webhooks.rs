//! YClients' webhooks, accepted only once they are durably stored in `webhook_inbox`,
//! and answered without waiting on Temporal (the relay hands them to the salon's
//! workflow):
//! - `POST /webhook/yclients` — marketplace events (uninstall, freeze, payment), which
//!   must carry our partner token and application id;
//! - `POST /webhook/yclients/{salon_id}/{secret}` — the salon's data webhooks (records,
//!   clients, services, masters), at the URL given to YClients at activation; the secret
//!   is checked against its stored hash. A data webhook is only a hint: applying it
//!   fetches the resource from YClients.
//!
//! - Body over [`MAX_BODY`] → 413; not a JSON object, or not storable → 400 with the
//!   reason; a body naming another salon than its URL → 400.
//! - With `WEBHOOK_SECRET` set, `X-Signature: sha256=<hex HMAC-SHA256 of the body>` is
//!   also required on every webhook. Failures → 401, nothing stored. Comparisons are
//!   constant-time.
//! - Stored → 200; a repeated delivery → 200 and nothing changes; a salon we do not
//!   know → 202, kept as an orphan; an event we do not act on → 200, kept.
//! - Each outcome is counted in `ai_admin_webhooks_total{outcome}`.

use crate::error::ApiError;
use crate::state::AppState;
use ai_admin_activities::clients::yclients::webhooks::{self, Webhook, WebhookKind};
use ai_admin_activities::db::companies;
use ai_admin_activities::db::webhook_inbox::{self, Stored};
use ai_admin_activities::domain::SalonId;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
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

/// `POST /webhook/yclients` and `POST /webhook/yclients/{salon_id}/{secret}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhook/yclients", post(marketplace))
        .route("/webhook/yclients/{salon_id}/{secret}", post(salon_data))
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

/// Where a webhook came in.
#[derive(Debug, Clone, Copy)]
enum Door {
    /// The shared URL: marketplace events.
    Marketplace,
    /// A salon's own URL, its secret already checked.
    Salon(SalonId),
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

async fn marketplace(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let answer = accept(&state, &headers, body, Door::Marketplace).await;
    counted(&state, answer)
}

async fn salon_data(
    State(state): State<AppState>,
    Path((salon_id, secret)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let answer = async {
        // A malformed id is as wrong as a wrong secret: nothing tells them apart.
        let salon_id = salon_id
            .parse::<SalonId>()
            .map_err(|_| ApiError::Unauthorized("unknown webhook URL".into()))?;
        if !companies::webhook_secret_matches(&state.db, salon_id, &secret).await? {
            tracing::warn!(%salon_id, "data webhook with a wrong URL secret");
            return Err(ApiError::Unauthorized("unknown webhook URL".into()));
        }
        accept(&state, &headers, body, Door::Salon(salon_id)).await
    }
    .await;
    counted(&state, answer)
}

fn counted(
    state: &AppState,
    answer: Result<(Stored, Response), ApiError>,
) -> Result<Response, ApiError> {
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
    door: Door,
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
    let mut hook =
        webhooks::parse(&body).map_err(|error| ApiError::BadRequest(error.to_string()))?;
    let span = tracing::Span::current();
    span.record("kind", hook.kind.as_str());
    if let Some(event) = &hook.event {
        span.record("event", event.as_str());
    }
    admit(state, &mut hook, door)?;
    if let Some(salon_id) = hook.salon_id {
        span.record("salon_id", salon_id.get());
    }
    let stored =
        webhook_inbox::store(&state.db, &hook, state.config.access.webhook_dedup_window).await?;
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

/// Who may send what where: a marketplace event (at either URL) must carry our partner
/// token and application id; the shared URL takes nothing else; a salon's URL takes
/// only that salon's events (a body naming no salon is that salon's).
fn admit(state: &AppState, hook: &mut Webhook, door: Door) -> Result<(), ApiError> {
    let ours = {
        let yclients = &state.config.yclients;
        let token_ok = hook
            .partner_token
            .as_deref()
            .is_some_and(|token| same(token, yclients.partner_token.expose()));
        let app_ok = hook
            .application_id
            .as_deref()
            .is_some_and(|app| same(app, &yclients.app_id));
        token_ok && app_ok
    };
    match door {
        Door::Marketplace if !ours => {
            tracing::warn!("webhook with a wrong partner token or application id");
            Err(ApiError::Unauthorized(
                "partner_token and application_id must be ours".into(),
            ))
        }
        Door::Marketplace
            if !matches!(hook.kind, WebhookKind::Marketplace | WebhookKind::Unknown) =>
        {
            Err(ApiError::BadRequest(
                "data webhooks go to the salon's own webhook URL given at activation".into(),
            ))
        }
        Door::Marketplace => Ok(()),
        Door::Salon(_) if hook.kind == WebhookKind::Marketplace && !ours => {
            tracing::warn!("marketplace event without our partner token at a salon's URL");
            Err(ApiError::Unauthorized(
                "partner_token and application_id must be ours".into(),
            ))
        }
        Door::Salon(salon_id) => match hook.salon_id {
            Some(named) if named != salon_id => Err(ApiError::BadRequest(format!(
                "this URL takes webhooks of salon {salon_id}, not {named}"
            ))),
            _ => {
                hook.salon_id = Some(salon_id);
                Ok(())
            }
        },
    }
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
