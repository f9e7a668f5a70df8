//! The onboarding page's static files, embedded from `web/` at compile time so the
//! binary runs from any directory and in a container without a copy of the repo.

use crate::state::AppState;
use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The onboarding page template (placeholders `{{salon_title}}`, `{{salon_id}}`).
pub const ONBOARDING_HTML: &str = include_str!("../../../web/onboarding.html");

/// The owner's console page (no placeholders: its script reads everything from the API).
pub const CONSOLE_HTML: &str = include_str!("../../../web/console.html");

/// The simulator's phone page (served only in simulator mode).
pub const DEV_PHONE_HTML: &str = include_str!("../../../web/dev-phone.html");

const FILES: [(&str, &str, &str); 6] = [
    (
        "base.css",
        "text/css; charset=utf-8",
        include_str!("../../../web/base.css"),
    ),
    (
        "onboarding.css",
        "text/css; charset=utf-8",
        include_str!("../../../web/onboarding.css"),
    ),
    (
        "onboarding.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../web/onboarding.js"),
    ),
    (
        "console.css",
        "text/css; charset=utf-8",
        include_str!("../../../web/console.css"),
    ),
    (
        "console.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../web/console.js"),
    ),
    (
        "dev-phone.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../web/dev-phone.js"),
    ),
];

/// `GET /marketplace/static/{file}`.
pub fn router() -> Router<AppState> {
    Router::new().route("/marketplace/static/{file}", get(asset))
}

async fn asset(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, body)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
