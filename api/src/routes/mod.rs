//! Every HTTP route, grouped by the resource it serves; each module exports `router()`.
//!
//! # Layout
//! - [`registration`] — `GET /auth/yclients/redirect`.
//! - [`onboarding`] — the onboarding page and its progress API.
//! - [`health`] — `GET /marketplace/health`.
//! - [`assets`] — the page's CSS and JS, embedded from `web/`.

pub mod assets;
pub mod health;
pub mod onboarding;
pub mod registration;

use crate::state::AppState;
use axum::Router;
use axum::http::Request;
use tower_http::trace::TraceLayer;

/// The whole application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(registration::router())
        .merge(onboarding::router())
        .merge(health::router())
        .merge(assets::router())
        .layer(
            // The span carries the path only: query strings hold onboarding tokens.
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                tracing::info_span!("http", method = %request.method(), path = %request.uri().path())
            }),
        )
        .with_state(state)
}
