//! The OpenAI-compatible provider: `POST {base}/chat/completions` with a Bearer key —
//! OpenAI itself, DeepSeek, YandexGPT's and GigaChat's compatible endpoints,
//! OpenRouter, vLLM, Ollama, llama.cpp. Stage 1 asks for its JSON Schema; a server that
//! refuses a schema is asked for a JSON object instead (remembered), and an answer
//! that wraps its JSON in prose still gives the JSON.

pub mod wire;

use super::transport::{ProxyUrl, http_client, request_error};
use super::{Audio, Generated, LanguageModel, LlmError, Prompt, Stage};
use crate::clients::http_answer::{retry_after, snippet};
use crate::secret::Secret;
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use wire::JsonMode;

/// What the client needs to know; everything comes from the process configuration.
#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    /// API root including the version, e.g. `https://api.openai.com/v1`,
    /// `https://api.deepseek.com`, `http://localhost:11434/v1`.
    pub base_url: String,
    /// `Authorization: Bearer …`; self-hosted servers may need none.
    pub api_key: Option<Secret>,
    /// e.g. `deepseek-chat`.
    pub model: String,
    /// Stage 2's model when it differs.
    pub compose_model: Option<String>,
    /// The speech-to-text model of `/audio/transcriptions` (unset: [`TRANSCRIBE_MODEL`]).
    pub transcribe_model: Option<String>,
    /// Limit for one request, connection included.
    pub timeout: Duration,
    /// `LLM_PROXY`, when the provider is reached through one.
    pub proxy: Option<ProxyUrl>,
}

/// OpenAI's speech-to-text model, asked for unless `LLM_TRANSCRIBE_MODEL` names
/// another (Groq's `whisper-large-v3`, a local whisper.cpp server's).
pub const TRANSCRIBE_MODEL: &str = "whisper-1";

/// Talks HTTP to an OpenAI-compatible server.
#[derive(Debug, Clone)]
pub struct OpenAiChat {
    http: reqwest::Client,
    config: Arc<OpenAiConfig>,
    /// Set once the server refused a JSON Schema `response_format`.
    schema_refused: Arc<AtomicBool>,
}

/// What one HTTP exchange gave.
struct Answer {
    status: StatusCode,
    retry_after: Option<Duration>,
    body: String,
}

impl OpenAiChat {
    /// Builds a client.
    pub fn new(config: OpenAiConfig) -> anyhow::Result<Self> {
        let http = http_client(config.timeout, config.proxy.as_ref())?;
        let mut config = config;
        config.base_url = config.base_url.trim_end_matches('/').to_owned();
        Ok(Self {
            http,
            config: Arc::new(config),
            schema_refused: Arc::default(),
        })
    }

    fn model(&self, stage: Stage) -> &str {
        match (stage, &self.config.compose_model) {
            (Stage::Compose, Some(model)) => model,
            _ => &self.config.model,
        }
    }

    async fn post(&self, body: &Value) -> Result<Answer, LlmError> {
        let request = self
            .http
            .post(format!("{}/chat/completions", self.config.base_url))
            .json(body);
        self.exchange(request).await
    }

    /// Sends `request` with the key and reads the whole answer.
    async fn exchange(&self, request: reqwest::RequestBuilder) -> Result<Answer, LlmError> {
        let failed = |e| request_error(e, self.config.timeout, self.config.proxy.as_ref());
        let mut request = request;
        if let Some(key) = &self.config.api_key {
            request = request.bearer_auth(key.expose());
        }
        let response = request.send().await.map_err(failed)?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let body = response.text().await.map_err(failed)?;
        Ok(Answer {
            status,
            retry_after,
            body,
        })
    }
}

#[async_trait::async_trait]
impl LanguageModel for OpenAiChat {
    async fn generate(&self, prompt: &Prompt) -> Result<Generated, LlmError> {
        let model = self.model(prompt.stage);
        let mut mode = if self.schema_refused.load(Ordering::Relaxed) {
            JsonMode::Object
        } else {
            JsonMode::Schema
        };
        let mut answer = self.post(&wire::request_body(prompt, model, mode)).await?;
        if prompt.response_schema.is_some()
            && mode == JsonMode::Schema
            && refuses_schema(answer.status, &answer.body)
        {
            tracing::warn!(
                model,
                "the LLM server refuses a JSON Schema response_format: asking for a JSON object from now on"
            );
            self.schema_refused.store(true, Ordering::Relaxed);
            mode = JsonMode::Object;
            answer = self.post(&wire::request_body(prompt, model, mode)).await?;
        }
        tracing::debug!(status = answer.status.as_u16(), model, "chat completion");
        let mut generated = interpret(answer.status, answer.retry_after, &answer.body)?;
        if prompt.response_schema.is_some() {
            // The server may have ignored the format: the JSON inside the prose, or a
            // broken answer (retryable: the next sample may be fine).
            generated.text = wire::json_in(&generated.text).ok_or_else(|| {
                LlmError::InvalidResponse(format!(
                    "no JSON in the answer: {:?}",
                    snippet(&generated.text)
                ))
            })?;
        }
        if generated.model.is_empty() {
            model.clone_into(&mut generated.model);
        }
        Ok(generated)
    }

    /// `POST /audio/transcriptions` (multipart, as OpenAI, Groq and whisper.cpp servers
    /// take it); a server without the endpoint answers 404, a rejection.
    async fn transcribe(&self, audio: &Audio) -> Result<Generated, LlmError> {
        let model = self
            .config
            .transcribe_model
            .as_deref()
            .unwrap_or(TRANSCRIBE_MODEL);
        let file = reqwest::multipart::Part::bytes(audio.data.clone())
            .file_name(audio.file_name())
            .mime_str(audio.media_type())
            .map_err(|e| LlmError::Rejected {
                status: 400,
                message: format!("{:?} is not a media type: {e}", audio.mime),
            })?;
        let form = reqwest::multipart::Form::new()
            .text("model", model.to_owned())
            .text("response_format", "json")
            .part("file", file);
        let request = self
            .http
            .post(format!("{}/audio/transcriptions", self.config.base_url))
            .multipart(form);
        let answer = self.exchange(request).await?;
        tracing::debug!(status = answer.status.as_u16(), model, "transcription");
        if !answer.status.is_success() {
            return Err(failure(answer.status, answer.retry_after, &answer.body));
        }
        wire::parse_transcription(&answer.body, model)
    }

    fn describe(&self) -> String {
        format!("openai {}", self.config.model)
    }
}

/// A 400 about the `response_format` itself (the server takes no JSON Schema).
fn refuses_schema(status: StatusCode, body: &str) -> bool {
    status == StatusCode::BAD_REQUEST && {
        let body = body.to_ascii_lowercase();
        body.contains("response_format") || body.contains("json_schema")
    }
}

/// The error's message from `{"error": {...}}` (or a list of those, as Google's
/// compatible endpoint sends), with its code or type.
fn error_detail(body: &str) -> Option<(String, String)> {
    let value: Value = serde_json::from_str(body).ok()?;
    let error = match &value {
        Value::Array(items) => items.first()?.get("error")?,
        other => other.get("error")?,
    };
    let message = match error {
        Value::String(text) => text.clone(),
        other => other["message"].as_str().unwrap_or_default().to_owned(),
    };
    let code = ["code", "status", "type"]
        .iter()
        .find_map(|key| error.get(*key).and_then(Value::as_str))
        .unwrap_or_default()
        .to_owned();
    Some((message, code))
}

/// Whether a refusal is about where we call from: OpenAI's
/// `unsupported_country_region_territory`, Google's «User location is not supported».
fn refuses_region(status: StatusCode, message: &str, code: &str) -> bool {
    let message = message.to_ascii_lowercase();
    let about_place = ["location", "country", "region", "territory"]
        .iter()
        .any(|word| message.contains(word));
    code == "unsupported_country_region_territory"
        || (matches!(status.as_u16(), 400 | 403)
            && about_place
            && (message.contains("not supported") || code == "FAILED_PRECONDITION"))
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
    Err(failure(status, retry_after, body))
}

/// The error a non-2xx answer means.
fn failure(status: StatusCode, retry_after: Option<Duration>, body: &str) -> LlmError {
    let (message, code) = error_detail(body).unwrap_or_else(|| (snippet(body), String::new()));
    if refuses_region(status, &message, &code) {
        return LlmError::RegionRefused(format!("{} {}", status.as_u16(), message));
    }
    let message = if code.is_empty() {
        message
    } else {
        format!("{code}: {message}")
    };
    LlmError::from_status(status.as_u16(), retry_after, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_answers_say_whether_to_retry_and_a_refused_region_is_recognised() {
        let overloaded = r#"{"error":{"message":"Server busy","type":"server_error"}}"#;
        assert!(matches!(
            interpret(StatusCode::SERVICE_UNAVAILABLE, None, overloaded),
            Err(LlmError::Server { status: 503, .. })
        ));
        let quota = r#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#;
        assert!(matches!(
            interpret(StatusCode::TOO_MANY_REQUESTS, Some(Duration::from_secs(2)), quota),
            Err(LlmError::RateLimited { retry_after: Some(d), .. }) if d == Duration::from_secs(2)
        ));
        let key = r#"{"error":{"message":"Incorrect API key provided","code":"invalid_api_key"}}"#;
        assert!(matches!(
            interpret(StatusCode::UNAUTHORIZED, None, key),
            Err(LlmError::Rejected { status: 401, .. })
        ));
        let openai = r#"{"error":{"code":"unsupported_country_region_territory","message":"Country, region, or territory not supported","type":"request_forbidden"}}"#;
        assert!(matches!(
            interpret(StatusCode::FORBIDDEN, None, openai),
            Err(LlmError::RegionRefused(_))
        ));
        let google = r#"[{"error":{"code":400,"message":"User location is not supported for the API use.","status":"FAILED_PRECONDITION"}}]"#;
        assert!(matches!(
            interpret(StatusCode::BAD_REQUEST, None, google),
            Err(LlmError::RegionRefused(_))
        ));
        assert!(refuses_schema(
            StatusCode::BAD_REQUEST,
            r#"{"error":{"message":"This response_format type is unavailable now"}}"#
        ));
        assert!(!refuses_schema(StatusCode::BAD_REQUEST, key));
    }
}
