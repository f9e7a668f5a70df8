//! One error type for the HTTP layer. API routes answer `{success: false, error}` JSON;
//! pages the owner's browser opens ([`PageError`]) answer a readable Russian HTML page
//! with the same status. Internal errors are logged in full and shown opaquely.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed (400).
    #[error("{0}")]
    BadRequest(String),
    /// No valid credentials (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Valid credentials, wrong salon (403).
    #[error("{0}")]
    Forbidden(String),
    /// The thing asked for does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// The request does not fit the current state (409).
    #[error("{0}")]
    Conflict(String),
    /// A well-formed request that contradicts what was asked before (422).
    #[error("{0}")]
    Unprocessable(String),
    /// The body is larger than the route accepts (413).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// This client asked too often; try again later (429).
    #[error("{0}")]
    TooManyRequests(String),
    /// A service we depend on (YClients) failed (502).
    #[error("{0}")]
    Upstream(String),
    /// We cannot serve this right now, try again (503).
    #[error("{0}")]
    Unavailable(String),
    /// A bug or an unexpected failure (500); details only in the log.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Upstream(_) => StatusCode::BAD_GATEWAY,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the caller may see.
    fn public_message(&self) -> String {
        match self {
            Self::Internal(error) => {
                tracing::error!(error = %format!("{error:#}"), "request failed");
                "Internal error".to_owned()
            }
            other => other.to_string(),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        Self::Internal(error.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = json!({ "success": false, "error": self.public_message() });
        (status, Json(body)).into_response()
    }
}

/// An [`ApiError`] on a route a person opens in the browser.
#[derive(Debug)]
pub struct PageError(pub ApiError);

impl<E: Into<ApiError>> From<E> for PageError {
    fn from(error: E) -> Self {
        PageError(error.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let title = match status {
            StatusCode::BAD_REQUEST => "Некорректная ссылка",
            StatusCode::UNAUTHORIZED => "Ссылка недействительна",
            StatusCode::FORBIDDEN => "Доступ запрещён",
            StatusCode::NOT_FOUND => "Салон не найден",
            StatusCode::TOO_MANY_REQUESTS => "Слишком много попыток",
            StatusCode::BAD_GATEWAY => "YClients временно недоступен",
            StatusCode::SERVICE_UNAVAILABLE => "Сервис временно недоступен",
            _ => "Что-то пошло не так",
        };
        let hint = match status {
            StatusCode::UNAUTHORIZED => {
                "Откройте приложение AI Admin в маркетплейсе YClients ещё раз, чтобы получить новую ссылку."
            }
            StatusCode::TOO_MANY_REQUESTS => "Подождите минуту и откройте приложение ещё раз.",
            StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE => {
                "Попробуйте ещё раз через минуту — повторное подключение безопасно."
            }
            _ => "Вернитесь в маркетплейс YClients и нажмите «Подключить» ещё раз.",
        };
        let message = self.0.public_message();
        (status, Html(error_page(status, title, &message, hint))).into_response()
    }
}

fn error_page(status: StatusCode, title: &str, message: &str, hint: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="ru"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — AI Admin</title>
<link rel="stylesheet" href="/marketplace/static/base.css">
<link rel="stylesheet" href="/marketplace/static/onboarding.css">
</head><body><main class="card error-page" data-status="{code}">
<h1>{title}</h1><p class="detail">{message}</p><p>{hint}</p>
<p class="muted">Код ошибки: {code}</p></main></body></html>"#,
        title = escape_html(title),
        message = escape_html(message),
        hint = escape_html(hint),
        code = status.as_u16(),
    )
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn internal_errors_are_opaque() {
        let error = ApiError::Internal(anyhow::anyhow!("password=secret"));
        assert_eq!(error.public_message(), "Internal error");
    }
}
