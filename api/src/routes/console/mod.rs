//! The owner's console: where a salon owner comes back after onboarding to see what the
//! bot does for their clients and to step in.
//!
//! An installed salon's marketplace redirect answers `302 /console?code=<one-time code>`;
//! the page trades the code for a session token it keeps in `sessionStorage` (YClients
//! may open the console in a frame, where third-party cookies do not work) and sends as
//! `Authorization: Bearer` to every `/console/api/*` route. Every route reads the salon
//! from the session only; another salon's ids answer 404.
//!
//! # Layout
//! - [`session`] — `POST /console/api/session {code}` → `{token, expires_in}`; `DELETE`
//!   ends it (logout).
//! - [`overview`] — `GET /console/api/overview`: status, WhatsApp, syncs, LLM, results.
//! - [`conversations`] — the list, a transcript, the salon's reply, back to the bot, and
//!   the handoff inbox.
//! - [`whatsapp`] — `POST /console/api/whatsapp/link`: the QR / pairing-code flow for a
//!   logged-out WhatsApp, without a new activation.

pub mod conversations;
pub mod overview;
pub mod session;
pub mod whatsapp;

use super::assets::CONSOLE_HTML;
use crate::state::AppState;
use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The page and its API.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(page))
        .merge(session::router())
        .merge(overview::router())
        .merge(conversations::router())
        .merge(whatsapp::router())
}

/// The page itself holds nothing of the salon's: its script trades the code in the URL
/// for a session and reads the rest from the API. The code must not leak as a referrer,
/// and the page must not be cached with it.
async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        CONSOLE_HTML,
    )
        .into_response()
}
