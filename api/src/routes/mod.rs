//! Every HTTP route, grouped by the resource it serves; each module exports `router()`.
//!
//! # Layout
//! - [`registration`] — `GET /auth/yclients/redirect`.
//! - [`onboarding`] — the onboarding page and its progress API.
//! - [`activation`] — `POST /marketplace/activate`.
//! - [`webhooks`] — `POST /webhook/yclients`.
//! - [`health`] — `GET /marketplace/health`.
//! - [`handoff`] — clients handed over to a person: list, release.
//! - [`console`] — the owner's console (`/console`) and its API (`/console/api/*`).
//! - [`metrics`] — `GET /metrics` (Prometheus); every request's latency is recorded by
//!   [`record_latency`].
//! - [`openapi`] — `GET /openapi.json`, the API's OpenAPI document, kept true by tests.
//! - [`ops`] — `GET /ops/salons`, the on-call overview (Bearer `OPS_TOKEN`).
//! - [`payments`] — `/ops/salons/{id}/payments`: payments recorded, reported to YClients,
//!   refunded (Bearer `OPS_TOKEN`).
//! - [`whatsapp_link`] — QR and status REST fallbacks of the live channel.
//! - [`dev_whatsapp`] — the WhatsApp simulator's control API and `/dev/phone`.
//! - [`assets`] — the pages' CSS and JS, embedded from `web/`.
//!
//! The live channel itself (`/marketplace/ws`) is in [`crate::ws`].

pub mod activation;
pub mod assets;
pub mod console;
pub mod dev_whatsapp;
pub mod handoff;
pub mod health;
pub mod metrics;
pub mod onboarding;
pub mod openapi;
pub mod ops;
pub mod payments;
pub mod registration;
pub mod webhooks;
pub mod whatsapp_link;

use crate::state::AppState;
use ai_admin_activities::whatsapp::routed::RoutedGateway;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderName;
use axum::middleware::{self, Next};
use axum::response::Response;
use std::time::Instant;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// The header carrying each request's id.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application; the simulated phones' control routes only when given the
/// gateway to reach them through.
pub fn router(state: AppState, phones: Option<RoutedGateway>) -> Router {
    let mut router = Router::new()
        .merge(registration::router())
        .merge(onboarding::router())
        .merge(activation::router())
        .merge(webhooks::router())
        .merge(whatsapp_link::router())
        .merge(handoff::router())
        .merge(console::router())
        .merge(crate::ws::router())
        .merge(health::router())
        .merge(metrics::router())
        .merge(ops::router())
        .merge(payments::router())
        .merge(openapi::router())
        .merge(assets::router());
    if let Some(phones) = phones {
        router = router.merge(dev_whatsapp::router(phones, state.db.clone()));
    }
    layered(router, state)
}

/// What a process without the API role serves: health and metrics, for its orchestrator
/// and Prometheus.
pub fn probes(state: AppState) -> Router {
    layered(
        Router::new()
            .merge(health::router())
            .merge(metrics::router()),
        state,
    )
}

fn layered(router: Router<AppState>, state: AppState) -> Router {
    router
        .layer(middleware::from_fn_with_state(
            state.config.yclients.brand,
            crate::brand::rename,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            record_latency,
        ))
        .layer(
            // The span carries the path only (query strings hold onboarding tokens), with
            // a salon's webhook secret masked.
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let request_id = request
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|id| id.to_str().ok())
                    .unwrap_or("-");
                let path = loggable_path(request.uri().path());
                tracing::info_span!("http", method = %request.method(), path = %path, request_id)
            }),
        )
        // Every request gets an `x-request-id` (the caller's, or a new UUID), logged on
        // each of its lines and returned, so a user's report finds its log lines.
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// A request path as it may be logged: the secret of a salon's webhook URL
/// (`/webhook/yclients/<salon_id>/<secret>`) is masked.
fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    const SALON_WEBHOOKS: &str = "/webhook/yclients/";
    match path.strip_prefix(SALON_WEBHOOKS) {
        Some(rest) if rest.contains('/') => {
            let salon = rest.split('/').next().unwrap_or_default();
            std::borrow::Cow::Owned(format!("{SALON_WEBHOOKS}{salon}/***"))
        }
        _ => std::borrow::Cow::Borrowed(path),
    }
}

/// Records each request in `ai_admin_http_request_duration_seconds` under its route
/// template (`/marketplace/api/status/{session_id}`, never the concrete path, so ids do
/// not become labels); requests no route matched count as `unmatched`.
async fn record_latency(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    state
        .metrics
        .http_requests
        .with_label_values(&[&route, &method, response.status().as_str()])
        .observe(started.elapsed().as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_urls_secret_never_reaches_the_log() {
        assert_eq!(
            loggable_path("/webhook/yclients/962302/0123abcd"),
            "/webhook/yclients/962302/***"
        );
        assert_eq!(
            loggable_path("/webhook/yclients/962302/a/b"),
            "/webhook/yclients/962302/***"
        );
        assert_eq!(loggable_path("/webhook/yclients"), "/webhook/yclients");
        assert_eq!(loggable_path("/marketplace/health"), "/marketplace/health");
    }
}
