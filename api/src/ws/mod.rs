//! `GET /marketplace/ws`: the owner's page's live channel.
//!
//! Before the upgrade: at most `WS_RATE_LIMIT` (5) connections per client address per
//! 60 s (429; the address behind `TRUSTED_PROXIES`), and in production only allowed
//! origins (403). After it: frames of at most [`MAX_FRAME`]; authentication (header,
//! else first frame, else query), then the salon's session is created and the page gets
//! the stored recent events, the current state (QR code or "connected"), and from then
//! on every live event of its salon, until the token expires (close 4401). Frames are `{"event": NAME, "data": {...}}` (see ARCHITECTURE.md).
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

/// The largest frame (and message) a page may send: its frames are small JSON.
pub const MAX_FRAME: usize = 64 * 1024;

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
    let client = state
        .config
        .access
        .trusted_proxies
        .client(peer.ip(), &headers);
    if !state.ws_limiter.allow(client) {
        tracing::warn!(ip = %client, "WebSocket rate limit exceeded");
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
    ws.max_frame_size(MAX_FRAME)
        .max_message_size(MAX_FRAME)
        .on_upgrade(move |socket| connection::run(state, socket, tokens, events))
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
