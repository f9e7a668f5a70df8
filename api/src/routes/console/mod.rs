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
//! - [`settings`] — `GET`/`PUT /console/api/settings`: the bot on or off, its hours, the
//!   fixed answers, reminder offsets, service synonyms.
//! - [`locations`] — `GET /console/api/salons`, `POST /console/api/salons/{id}/session`:
//!   an owner's other locations, and switching to one.
//! - [`whatsapp`] — `POST /console/api/whatsapp/link`: the QR / pairing-code flow for a
//!   logged-out WhatsApp, without a new activation.

pub mod conversations;
pub mod locations;
pub mod overview;
pub mod session;
pub mod settings;
pub mod whatsapp;

use super::assets::CONSOLE_HTML;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The page and its API.
pub fn router() -> Router<AppState> {
    let api = Router::new()
        .merge(session::router())
        .merge(overview::router())
        .merge(conversations::router())
        .merge(settings::router())
        .merge(whatsapp::router())
        .merge(locations::router())
        .layer(middleware::map_response(not_stored));
    Router::new().route("/console", get(page)).merge(api)
}

/// The API's answers carry the salon's clients (names, numbers, words): no cache keeps
/// them.
async fn not_stored(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// Only the app's own script, styles and API; images may be inline (the results chart
/// is inline SVG, drawn by the script). The frame ancestors follow (see [`framed_by`]).
const PAGE_POLICY: &str = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'";

/// The `frame-ancestors` directive for the owner's pages: this app and the origins of
/// `FRAME_ANCESTORS` (YClients shows an installed app's settings in a frame of its card),
/// no one else.
pub fn framed_by(state: &AppState) -> String {
    format!(
        "frame-ancestors 'self' {}",
        state.config.access.frame_ancestors
    )
}

/// The page itself holds nothing of the salon's: its script trades the code in the URL
/// for a session and reads the rest from the API. The code must not leak as a referrer,
/// and the page must not be cached with it.
async fn page(State(state): State<AppState>) -> Response {
    let policy = format!("{PAGE_POLICY}; {}", framed_by(&state));
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (header::REFERRER_POLICY, "no-referrer".to_owned()),
            (header::CONTENT_SECURITY_POLICY, policy),
        ],
        CONSOLE_HTML,
    )
        .into_response()
}
