//! The CRM's name on what owners read. Pages, scripts and error messages are written
//! for YClients; a deployment for Altegio (`CRM_BRAND=altegio`) answers them with
//! Altegio's name instead, so one text serves both brands. Only pages, scripts and
//! error answers are rewritten — never data (a salon's own words stay as they are).

use ai_admin_activities::clients::yclients::CrmBrand;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The largest answer rewritten (the console's script is the biggest, ~40 KiB).
const MAX_REWRITTEN: usize = 4 * 1024 * 1024;

/// Whether a response with this type and status is text an owner reads.
fn owner_text(content_type: Option<&HeaderValue>, error: bool) -> bool {
    let Some(kind) = content_type.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    kind.starts_with("text/html")
        || kind.starts_with("text/javascript")
        || kind.starts_with("application/javascript")
        || (error && (kind.starts_with("application/json") || kind.starts_with("text/plain")))
}

/// Puts the brand's name where the texts say YClients.
pub fn renamed(text: &str, brand: CrmBrand) -> String {
    text.replace(CrmBrand::Yclients.name(), brand.name())
}

/// Middleware: rewrites owner-facing answers for a brand other than YClients.
pub async fn rename(State(brand): State<CrmBrand>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if brand == CrmBrand::Yclients {
        return response;
    }
    let error = response.status().is_client_error() || response.status().is_server_error();
    if !owner_text(response.headers().get(header::CONTENT_TYPE), error) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_REWRITTEN).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, "could not read an answer to put the brand's name in");
            return Response::from_parts(parts, Body::empty());
        }
    };
    let body = match std::str::from_utf8(&bytes) {
        Ok(text) => Body::from(renamed(text, brand)),
        Err(_) => Body::from(bytes),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_scripts_and_errors_are_rewritten_data_is_not() {
        let html = HeaderValue::from_static("text/html; charset=utf-8");
        let json = HeaderValue::from_static("application/json");
        assert!(owner_text(Some(&html), false));
        assert!(owner_text(Some(&json), true));
        assert!(!owner_text(Some(&json), false), "successful JSON is data");
        assert!(!owner_text(None, true));
        assert_eq!(
            renamed("Откройте маркетплейс YClients", CrmBrand::Altegio),
            "Откройте маркетплейс Altegio"
        );
    }
}
