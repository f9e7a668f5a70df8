//! A configured provider as the assistant's calls see it: the primary or the fallback
//! route, counted into the metrics, reported to [`LlmHealth`], and naming itself in
//! each answer (which the turn's record keeps).

use super::health::LlmHealth;
use super::{Ask, Audio, Generated, LanguageModel, LlmError, Prompt};
use crate::metrics::{LlmCall, Metrics};
use std::sync::Arc;

/// Primary or fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteName {
    /// `LLM_*` (or `GEMINI_*`).
    Primary,
    /// `LLM_FALLBACK_*`.
    Fallback,
}

impl RouteName {
    /// As in metrics and the health report.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::Fallback => "fallback",
        }
    }
}

/// One provider behind its route's name.
#[derive(Debug, Clone)]
pub struct Route {
    name: RouteName,
    provider: &'static str,
    inner: Arc<dyn LanguageModel>,
    metrics: Metrics,
    health: LlmHealth,
}

impl Route {
    /// `inner` (a `provider` client) as the `name` route.
    pub fn new(
        name: RouteName,
        provider: &'static str,
        inner: Arc<dyn LanguageModel>,
        metrics: Metrics,
        health: LlmHealth,
    ) -> Self {
        Self {
            name,
            provider,
            inner,
            metrics,
            health,
        }
    }

    /// `gemini`, `openai`.
    pub fn provider(&self) -> &'static str {
        self.provider
    }

    /// Makes `ask` on the provider, counting and reporting it.
    async fn ask(&self, ask: Ask<'_>) -> Result<Generated, LlmError> {
        let started = std::time::Instant::now();
        let answer = ask.on(self.inner.as_ref()).await;
        let (outcome, prompt_tokens, output_tokens) = match &answer {
            Ok(generated) => (
                "ok",
                u64::from(generated.usage.prompt),
                u64::from(generated.usage.output),
            ),
            Err(error) => (error.kind(), 0, 0),
        };
        self.metrics.llm_call(LlmCall {
            provider: self.provider,
            route: self.name.as_str(),
            outcome,
            took: started.elapsed(),
            prompt_tokens,
            output_tokens,
        });
        // The route's health is the conversation's: a provider that cannot hear
        // voice notes still answers clients.
        if matches!(ask, Ask::Generate(_)) {
            self.health
                .observe(self.name.as_str(), answer.as_ref().map(|_| ()));
        }
        answer.map(|mut generated| {
            generated.provider = match self.name {
                RouteName::Primary => self.provider.to_owned(),
                RouteName::Fallback => format!("{} (fallback)", self.provider),
            };
            generated
        })
    }
}

#[async_trait::async_trait]
impl LanguageModel for Route {
    async fn generate(&self, prompt: &Prompt) -> Result<Generated, LlmError> {
        self.ask(Ask::Generate(prompt)).await
    }

    async fn transcribe(&self, audio: &Audio) -> Result<Generated, LlmError> {
        self.ask(Ask::Transcribe(audio)).await
    }

    fn describe(&self) -> String {
        format!("{} route: {}", self.name.as_str(), self.inner.describe())
    }
}
