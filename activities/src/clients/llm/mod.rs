//! The assistant's language model: one trait, the providers behind it (Gemini,
//! OpenAI-compatible chat completions), each reached directly or through its own
//! proxy, an optional fallback provider, and typed errors that say whether to retry
//! and whether another provider should be asked.
//!
//! # Layout
//! - [`LanguageModel`] — one call: a system instruction, the conversation, optionally
//!   a JSON response schema (stage 1's structured output); the answer's text, token
//!   usage and the route that answered; or a voice note written down.
//! - [`gemini`] — `models/{model}:generateContent`.
//! - [`openai`] — `chat/completions` (DeepSeek, YandexGPT, GigaChat, OpenRouter, vLLM,
//!   Ollama, llama.cpp).
//! - [`transport`] — each provider's HTTP client, with `LLM_PROXY` or direct.
//! - [`route`] — a provider as the primary or fallback route (metrics, health).
//! - [`fallback`] — the second route, asked when the first is away.
//! - [`health`] — each route's last state, for `/marketplace/health`.
//! - [`error`] — [`LlmError`].
//! - [`types`] — the prompt, the audio and the answer.

pub mod error;
pub mod fallback;
pub mod gemini;
pub mod health;
pub mod openai;
pub mod route;
pub mod transport;
pub mod types;

pub use error::LlmError;
pub use types::{Audio, Generated, Prompt, Role, Stage, TokenUsage, Trouble, Turn};

/// A language model as the assistant uses it.
#[async_trait::async_trait]
pub trait LanguageModel: Send + Sync + std::fmt::Debug {
    /// One call.
    async fn generate(&self, prompt: &Prompt) -> Result<Generated, LlmError>;

    /// A voice note written down: the answer's text is what the client said (empty
    /// when nothing could be made out). A provider without speech recognition
    /// rejects it.
    async fn transcribe(&self, _audio: &Audio) -> Result<Generated, LlmError> {
        Err(LlmError::Rejected {
            status: 501,
            message: format!("{} cannot transcribe audio", self.describe()),
        })
    }

    /// Provider and model, for logs (no secrets).
    fn describe(&self) -> String;
}

/// One of the calls a [`LanguageModel`] takes, so the layers that wrap a provider
/// (routes, the fallback) treat them all alike.
#[derive(Debug, Clone, Copy)]
pub enum Ask<'a> {
    /// [`LanguageModel::generate`].
    Generate(&'a Prompt),
    /// [`LanguageModel::transcribe`].
    Transcribe(&'a Audio),
}

impl Ask<'_> {
    /// Makes the call on `model`.
    pub async fn on(self, model: &dyn LanguageModel) -> Result<Generated, LlmError> {
        match self {
            Self::Generate(prompt) => model.generate(prompt).await,
            Self::Transcribe(audio) => model.transcribe(audio).await,
        }
    }
}

/// Stands in when no provider is configured (no API key): every call is rejected, so
/// clients get the apology and the salon an `assistant_unavailable` event naming the
/// cause, instead of the process refusing to start for a feature it can live without.
#[derive(Debug, Clone)]
pub struct NoLanguageModel {
    /// Why (e.g. "GEMINI_API_KEY is not set").
    pub reason: String,
}

#[async_trait::async_trait]
impl LanguageModel for NoLanguageModel {
    async fn generate(&self, _prompt: &Prompt) -> Result<Generated, LlmError> {
        Err(LlmError::Rejected {
            status: 401,
            message: self.reason.clone(),
        })
    }

    fn describe(&self) -> String {
        format!("no language model ({})", self.reason)
    }
}
