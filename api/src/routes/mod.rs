//! Every HTTP route, grouped by the resource it serves; each module exports `router()`.
//!
//! # Layout
//! - [`registration`] — `GET /auth/yclients/redirect`.
//! - [`onboarding`] — the onboarding page and its progress API.
//! - [`activation`] — `POST /marketplace/activate`.
//! - [`webhooks`] — `POST /webhook/yclients`.
//! - [`health`] — `GET /marketplace/health`.
//! - [`handoff`] — clients handed over to a person: list, release.
//! - [`whatsapp_link`] — QR and status REST fallbacks of the live channel.
//! - [`dev_whatsapp`] — the WhatsApp simulator's control API and `/dev/phone`.
//! - [`assets`] — the pages' CSS and JS, embedded from `web/`.
//!
//! The live channel itself (`/marketplace/ws`) is in [`crate::ws`].

pub mod activation;
pub mod assets;
pub mod dev_whatsapp;
pub mod handoff;
pub mod health;
pub mod onboarding;
pub mod registration;
pub mod webhooks;
pub mod whatsapp_link;

use crate::state::AppState;
use ai_admin_activities::whatsapp::simulator::SimulatedGateway;
use axum::Router;
use axum::http::Request;
use tower_http::trace::TraceLayer;

/// The whole application; the simulator's control routes only when one is given.
pub fn router(state: AppState, simulator: Option<SimulatedGateway>) -> Router {
    let mut router = Router::new()
        .merge(registration::router())
        .merge(onboarding::router())
        .merge(activation::router())
        .merge(webhooks::router())
        .merge(whatsapp_link::router())
        .merge(handoff::router())
        .merge(crate::ws::router())
        .merge(health::router())
        .merge(assets::router());
    if let Some(simulator) = simulator {
        router = router.merge(dev_whatsapp::router(simulator));
    }
    router
        .layer(
            // The span carries the path only: query strings hold onboarding tokens.
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                tracing::info_span!("http", method = %request.method(), path = %request.uri().path())
            }),
        )
        .with_state(state)
}
