//! Gemini: the trait the assistant calls, its reqwest implementation of
//! `models/{model}:generateContent`, and typed errors that say whether to retry.
//!
//! # Layout
//! - [`Gemini`] — one call: a system instruction, the conversation, optionally a JSON
//!   response schema (stage 1's structured output); the answer's text and token usage.
//! - [`http`] — the reqwest implementation; tests point it at the in-repo simulator.
//! - [`error`] — [`GeminiError`], retryable (timeouts, 429, 5xx) or not (400, 403, 404).
//! - [`types`] — the request and answer as we use them, and the wire format.

pub mod error;
pub mod http;
pub mod types;

pub use error::GeminiError;
pub use http::{GeminiConfig, HttpGemini};
pub use types::{Generated, Prompt, Role, TokenUsage, Turn};

/// The Gemini API as the assistant uses it.
#[async_trait::async_trait]
pub trait Gemini: Send + Sync + std::fmt::Debug {
    /// `POST {base}/v1beta/models/{model}:generateContent`.
    async fn generate(&self, prompt: &Prompt) -> Result<Generated, GeminiError>;
}

/// Stands in when no `GEMINI_API_KEY` is configured: every call is rejected, so clients
/// get the apology and the salon an `assistant_unavailable` event naming the cause,
/// instead of the process refusing to start for a feature it can live without.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoGemini;

#[async_trait::async_trait]
impl Gemini for NoGemini {
    async fn generate(&self, _prompt: &Prompt) -> Result<Generated, GeminiError> {
        Err(GeminiError::Rejected {
            status: 401,
            message: "GEMINI_API_KEY is not set".to_owned(),
        })
    }
}
