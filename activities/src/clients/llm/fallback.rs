//! Two routes, the second asked when the first is away: a refused region at once (and
//! the primary left alone for a while, since asking again only costs the client a
//! round trip), timeouts, transport errors, 429 and 5xx after one more try. A request
//! the primary rejects, or an answer it broke, is not the fallback's business: those
//! are ours to fix, and the workflow's retry policy handles a broken answer.

use super::route::Route;
use super::{Ask, Audio, Generated, LanguageModel, LlmError, Prompt, Trouble};
use crate::metrics::Metrics;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a primary that refused our region is not asked (then tried again: a proxy
/// may have been fixed).
pub const REGION_PAUSE: Duration = Duration::from_secs(600);

/// The longest wait before the primary's second try: beyond it the fallback answers
/// sooner.
const SECOND_TRY_WAIT: Duration = Duration::from_secs(1);

/// The primary, else the fallback.
#[derive(Debug, Clone)]
pub struct WithFallback {
    primary: Route,
    fallback: Route,
    metrics: Metrics,
    /// Until when the primary is skipped, and the refusal it gave.
    paused: Arc<Mutex<Option<(Instant, LlmError)>>>,
}

impl WithFallback {
    /// `primary`, falling back to `fallback`.
    pub fn new(primary: Route, fallback: Route, metrics: Metrics) -> Self {
        Self {
            primary,
            fallback,
            metrics,
            paused: Arc::default(),
        }
    }

    /// The refusal the primary gave, while it is paused.
    fn paused(&self) -> Option<LlmError> {
        let mut paused = self
            .paused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match &*paused {
            Some((until, error)) if Instant::now() < *until => Some(error.clone()),
            Some(_) => {
                *paused = None;
                None
            }
            None => None,
        }
    }

    fn pause(&self, error: &LlmError) {
        *self
            .paused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((Instant::now() + REGION_PAUSE, error.clone()));
    }

    /// The primary's answer, or why the fallback should answer instead.
    async fn primary(&self, ask: Ask<'_>) -> Result<Generated, LlmError> {
        if let Some(refusal) = self.paused() {
            return Err(refusal);
        }
        let error = match ask.on(&self.primary).await {
            Ok(generated) => return Ok(generated),
            Err(error) => error,
        };
        match &error {
            LlmError::RegionRefused(_) => {
                self.pause(&error);
                Err(error)
            }
            LlmError::RateLimited { retry_after, .. } => {
                match retry_after {
                    Some(wait) if *wait > SECOND_TRY_WAIT => return Err(error),
                    Some(wait) => tokio::time::sleep(*wait).await,
                    None => tokio::time::sleep(Duration::from_millis(300)).await,
                }
                ask.on(&self.primary).await
            }
            LlmError::Server { .. } => {
                tokio::time::sleep(Duration::from_millis(300)).await;
                ask.on(&self.primary).await
            }
            // A timeout already took the client's patience; a dead connection
            // (or proxy) rarely mends in a second.
            _ => Err(error),
        }
    }

    /// `ask` on the primary, else on the fallback.
    async fn ask(&self, ask: Ask<'_>) -> Result<Generated, LlmError> {
        let primary_error = match self.primary(ask).await {
            Ok(generated) => return Ok(generated),
            // A primary without speech recognition (no `/audio/transcriptions`) leaves
            // voice notes to the fallback.
            Err(
                error @ LlmError::Rejected {
                    status: 404 | 405 | 501,
                    ..
                },
            ) if matches!(ask, Ask::Transcribe(_)) => error,
            Err(error) if !error.is_unavailable() => return Err(error),
            Err(error) => error,
        };
        self.metrics
            .llm_fallbacks
            .with_label_values(&[primary_error.kind()])
            .inc();
        tracing::info!(
            reason = %primary_error,
            fallback = %self.fallback.describe(),
            "primary LLM unavailable: asking the fallback"
        );
        match ask.on(&self.fallback).await {
            Ok(mut generated) => {
                generated.troubles.push(Trouble {
                    provider: self.primary.provider().to_owned(),
                    error: primary_error,
                });
                Ok(generated)
            }
            // Both away: the fallback's error decides whether to try again, unless it
            // is final and the primary's refusal says more.
            Err(error)
                if !error.is_retryable()
                    && !error.asks_again_at_once()
                    && matches!(primary_error, LlmError::RegionRefused(_)) =>
            {
                Err(primary_error)
            }
            Err(error) => Err(error),
        }
    }
}

#[async_trait::async_trait]
impl LanguageModel for WithFallback {
    async fn generate(&self, prompt: &Prompt) -> Result<Generated, LlmError> {
        self.ask(Ask::Generate(prompt)).await
    }

    async fn transcribe(&self, audio: &Audio) -> Result<Generated, LlmError> {
        self.ask(Ask::Transcribe(audio)).await
    }

    fn describe(&self) -> String {
        format!(
            "{}, else {}",
            self.primary.describe(),
            self.fallback.describe()
        )
    }
}
