//! `GET /marketplace/ws`: the owner's page's live channel.
//!
//! Before the upgrade: at most 5 connections per IP per 60 s (429), and in production
//! only allowed origins (403). After it: authentication (header, else first frame, else
//! query), then the salon's session is created and the page gets the stored recent
//! events, the current state (QR code or "connected"), and from then on every live event
//! of its salon. Frames are `{"event": NAME, "data": {...}}` (see ARCHITECTURE.md).
//!
//! # Layout
//! - [`auth`] — where the token comes from, in order.
//! - [`connection`] — one socket's loop.
//! - [`frames`] — frame shapes and the mapping of live events to frames.

pub mod auth;
pub mod connection;
pub mod frames;

use crate::config::AppEnv;
use crate::state::AppState;
use axum::Router;
use axum::extract::{ConnectInfo, RawQuery, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use std::net::SocketAddr;

/// `GET /marketplace/ws`.
pub fn router() -> Router<AppState> {
    Router::new().route("/marketplace/ws", get(upgrade))
}

async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    ws: WebSocketUpgrade,
) -> Response {
    if !state.ws_limiter.allow(peer.ip()) {
        tracing::warn!(ip = %peer.ip(), "WebSocket rate limit exceeded");
        return (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(
                json!({"success": false, "error": "Слишком много подключений, подождите минуту"}),
            ),
        )
            .into_response();
    }
    if state.config.app_env == AppEnv::Production {
        let origin = headers
            .get(header::ORIGIN)
            .and_then(|value| value.to_str().ok());
        if let Some(origin) = origin
            && !origin_allowed(origin, &state.config.base_url)
        {
            tracing::warn!(origin, "WebSocket from a foreign origin refused");
            return StatusCode::FORBIDDEN.into_response();
        }
    }
    let tokens = auth::Candidates::from_request(&headers, query.as_deref());
    // Subscribed before the upgrade, so nothing published meanwhile is missed.
    let events = state.live.subscribe();
    ws.on_upgrade(move |socket| connection::run(state, socket, tokens, events))
}

/// Our own origin and YClients' (`https://yclients.com`, `https://*.yclients.com`).
fn origin_allowed(origin: &str, base_url: &str) -> bool {
    let own = base_url.trim_end_matches('/');
    origin == own
        || origin == "https://yclients.com"
        || origin
            .strip_prefix("https://")
            .is_some_and(|host| host.ends_with(".yclients.com") && !host.contains('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_and_yclients_origins_are_allowed() {
        let base = "https://ai-admin.app";
        assert!(origin_allowed("https://ai-admin.app", base));
        assert!(origin_allowed("https://yclients.com", base));
        assert!(origin_allowed("https://n962302.yclients.com", base));
        assert!(!origin_allowed("https://evil.com", base));
        assert!(!origin_allowed("https://yclients.com.evil.com", base));
        assert!(!origin_allowed("http://n962302.yclients.com", base));
        assert!(!origin_allowed("https://evilyclients.com", base));
    }
}
