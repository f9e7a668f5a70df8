//! The Gemini provider over reqwest: `models/{model}:generateContent` with
//! `x-goog-api-key`, the thinking budget its model needs, and Google's error answers
//! mapped to [`LlmError`] (the region refusal among them); voice notes go to the same
//! call as inline audio.

pub mod wire;

use super::transport::{ProxyUrl, http_client, request_error};
use super::{Audio, Generated, LanguageModel, LlmError, Prompt, Stage};
use crate::clients::http_answer::{retry_after, snippet};
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
    /// Stage 2's model when it differs.
    pub compose_model: Option<String>,
    /// The thinking budget; unset, the model's own (see [`wire::thinking_budget`]).
    pub thinking_budget: Option<u32>,
    /// Limit for one request, connection included.
    pub timeout: Duration,
    /// `LLM_PROXY`, when the provider is reached through one.
    pub proxy: Option<ProxyUrl>,
}

/// Talks HTTP to Gemini (or to the in-repo simulator, which speaks the same API).
#[derive(Debug, Clone)]
pub struct HttpGemini {
    http: reqwest::Client,
    config: Arc<GeminiConfig>,
}

impl HttpGemini {
    /// Builds a client.
    pub fn new(config: GeminiConfig) -> anyhow::Result<Self> {
        let http = http_client(config.timeout, config.proxy.as_ref())?;
        let mut config = config;
        config.base_url = config.base_url.trim_end_matches('/').to_owned();
        Ok(Self {
            http,
            config: Arc::new(config),
        })
    }

    fn model(&self, stage: Stage) -> &str {
        match (stage, &self.config.compose_model) {
            (Stage::Compose, Some(model)) => model,
            _ => &self.config.model,
        }
    }

    /// The model's thinking budget: configured, else its own.
    fn budget(&self, model: &str) -> Option<u32> {
        self.config
            .thinking_budget
            .or_else(|| wire::thinking_budget(model))
    }

    /// One `generateContent` call to `model`.
    async fn post(&self, model: &str, body: &serde_json::Value) -> Result<Generated, LlmError> {
        let url = format!(
            "{}/v1beta/models/{model}:generateContent",
            self.config.base_url
        );
        let failed = |e| request_error(e, self.config.timeout, self.config.proxy.as_ref());
        let response = self
            .http
            .post(url)
            .header("x-goog-api-key", self.config.api_key.expose())
            .json(body)
            .send()
            .await
            .map_err(failed)?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let body = response.text().await.map_err(failed)?;
        tracing::debug!(status = status.as_u16(), model, "Gemini call");
        let mut generated = interpret(status, retry_after, &body)?;
        if generated.model.is_empty() {
            model.clone_into(&mut generated.model);
        }
        Ok(generated)
    }
}

#[async_trait::async_trait]
impl LanguageModel for HttpGemini {
    async fn generate(&self, prompt: &Prompt) -> Result<Generated, LlmError> {
        let model = self.model(prompt.stage);
        let body = wire::request_body(prompt, self.budget(model));
        self.post(model, &body).await
    }

    /// Gemini hears audio itself: the recording goes inline with the instruction to
    /// write it down (stage 1's model: the cheapest that listens well enough).
    async fn transcribe(&self, audio: &Audio) -> Result<Generated, LlmError> {
        let model = self.model(Stage::Understand);
        let body = wire::transcribe_body(audio, self.budget(model));
        let mut generated = self.post(model, &body).await?;
        generated.text = generated.text.trim().to_owned();
        Ok(generated)
    }

    fn describe(&self) -> String {
        format!("gemini {}", self.config.model)
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

/// Whether a refusal is about where we call from, not what we asked: fixed only by
/// another route.
fn refuses_region(status: &str, message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    status == "FAILED_PRECONDITION"
        && ["location", "country", "region"]
            .iter()
            .any(|word| message.contains(word))
}

/// Maps a status and body to the answer or an error.
fn interpret(
    status: StatusCode,
    retry_after: Option<Duration>,
    body: &str,
) -> Result<Generated, LlmError> {
    if status.is_success() {
        return wire::parse_response(body);
    }
    let detail = serde_json::from_str::<ErrorBody>(body)
        .ok()
        .map(|b| b.error);
    if let Some(detail) = &detail
        && refuses_region(&detail.status, &detail.message)
    {
        return Err(LlmError::RegionRefused(format!(
            "Gemini {}: {}",
            status.as_u16(),
            detail.message
        )));
    }
    let message = match detail {
        Some(error) if error.status.is_empty() => error.message,
        Some(error) => format!("{}: {}", error.status, error.message),
        None => snippet(body),
    };
    Err(LlmError::from_status(status.as_u16(), retry_after, message))
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
            Err(LlmError::Server {
                status: 503,
                message: "UNAVAILABLE: The model is overloaded.".into()
            })
        );
        let quota =
            r#"{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}"#;
        assert!(matches!(
            interpret(StatusCode::TOO_MANY_REQUESTS, Some(Duration::from_secs(3)), quota),
            Err(LlmError::RateLimited { retry_after: Some(d), .. }) if d == Duration::from_secs(3)
        ));
        assert!(matches!(
            interpret(StatusCode::BAD_REQUEST, None, "not json"),
            Err(LlmError::Rejected { status: 400, .. })
        ));
    }

    #[test]
    fn the_location_refusal_is_a_region_refusal_not_a_bad_request() {
        let geo = r#"{"error":{"code":400,"message":"User location is not supported for the API use.","status":"FAILED_PRECONDITION"}}"#;
        assert_eq!(
            interpret(StatusCode::BAD_REQUEST, None, geo),
            Err(LlmError::RegionRefused(
                "Gemini 400: User location is not supported for the API use.".into()
            ))
        );
        let bad = r#"{"error":{"code":400,"message":"Invalid JSON payload","status":"INVALID_ARGUMENT"}}"#;
        assert!(matches!(
            interpret(StatusCode::BAD_REQUEST, None, bad),
            Err(LlmError::Rejected { status: 400, .. })
        ));
    }
}
