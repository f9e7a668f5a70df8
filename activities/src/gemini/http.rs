//! The real Gemini client over reqwest: base URL, model, `x-goog-api-key`, timeout, and
//! mapping of HTTP answers to [`GeminiError`].

use super::types::{Generated, Prompt, parse_response};
use super::{Gemini, GeminiError};
use crate::http_answer::{retry_after, snippet};
use crate::metrics::Metrics;
use crate::secret::Secret;
use reqwest::StatusCode;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// What the client needs to know; everything comes from the process configuration.
#[derive(Debug, Clone)]
pub struct GeminiConfig {
    /// API root, e.g. `https://generativelanguage.googleapis.com`.
    pub base_url: String,
    /// Sent as `x-goog-api-key`.
    pub api_key: Secret,
    /// e.g. `gemini-2.5-flash`.
    pub model: String,
    /// Limit for one request, connection included.
    pub timeout: Duration,
}

/// Talks HTTP to Gemini (or to the in-repo simulator, which speaks the same API).
#[derive(Debug, Clone)]
pub struct HttpGemini {
    http: reqwest::Client,
    config: Arc<GeminiConfig>,
    metrics: Metrics,
}

impl HttpGemini {
    /// Builds a client.
    pub fn new(config: GeminiConfig) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("ai-admin/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let mut config = config;
        config.base_url = config.base_url.trim_end_matches('/').to_owned();
        Ok(Self {
            http,
            config: Arc::new(config),
            metrics: Metrics::new(),
        })
    }

    /// Counts this client's calls, their latency and tokens into `metrics`.
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    fn url(&self) -> String {
        format!(
            "{}/v1beta/models/{}:generateContent",
            self.config.base_url, self.config.model
        )
    }

    fn transport_error(&self, error: reqwest::Error) -> GeminiError {
        if error.is_timeout() {
            GeminiError::Timeout(self.config.timeout)
        } else {
            GeminiError::Transport(error.without_url().to_string())
        }
    }
}

#[async_trait::async_trait]
impl Gemini for HttpGemini {
    async fn generate(&self, prompt: &Prompt) -> Result<Generated, GeminiError> {
        let started = std::time::Instant::now();
        let answer = self.call(prompt).await;
        let (outcome, prompt_tokens, output_tokens) = match &answer {
            Ok(generated) => (
                "ok",
                u64::from(generated.usage.prompt),
                u64::from(generated.usage.output),
            ),
            Err(error) => (error.kind(), 0, 0),
        };
        self.metrics
            .gemini_call(outcome, started.elapsed(), prompt_tokens, output_tokens);
        answer
    }
}

impl HttpGemini {
    async fn call(&self, prompt: &Prompt) -> Result<Generated, GeminiError> {
        let response = self
            .http
            .post(self.url())
            .header("x-goog-api-key", self.config.api_key.expose())
            .json(&prompt.request_body())
            .send()
            .await
            .map_err(|e| self.transport_error(e))?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let body = response.text().await.map_err(|e| self.transport_error(e))?;
        tracing::debug!(status = status.as_u16(), model = %self.config.model, "Gemini call");
        interpret(status, retry_after, &body)
    }
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
}

/// Maps a status and body to the answer or an error.
fn interpret(
    status: StatusCode,
    retry_after: Option<Duration>,
    body: &str,
) -> Result<Generated, GeminiError> {
    if status.is_success() {
        return parse_response(body);
    }
    let message = match serde_json::from_str::<ErrorBody>(body) {
        Ok(ErrorBody { error }) if error.status.is_empty() => error.message,
        Ok(ErrorBody { error }) => format!("{}: {}", error.status, error.message),
        Err(_) => snippet(body),
    };
    Err(match status.as_u16() {
        429 => GeminiError::RateLimited {
            retry_after,
            message,
        },
        code @ 500..=599 => GeminiError::Server {
            status: code,
            message,
        },
        code => GeminiError::Rejected {
            status: code,
            message,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_answers_keep_googles_status_and_message() {
        let body =
            r#"{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}"#;
        assert_eq!(
            interpret(StatusCode::SERVICE_UNAVAILABLE, None, body),
            Err(GeminiError::Server {
                status: 503,
                message: "UNAVAILABLE: The model is overloaded.".into()
            })
        );
        let quota =
            r#"{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}"#;
        assert!(matches!(
            interpret(StatusCode::TOO_MANY_REQUESTS, Some(Duration::from_secs(3)), quota),
            Err(GeminiError::RateLimited { retry_after: Some(d), .. }) if d == Duration::from_secs(3)
        ));
        assert!(matches!(
            interpret(StatusCode::BAD_REQUEST, None, "not json"),
            Err(GeminiError::Rejected { status: 400, .. })
        ));
    }
}
