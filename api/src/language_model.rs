//! The assistant's language model as configured: the primary provider's client (or a
//! stand-in that explains why there is none), behind its route, with the fallback
//! provider when one is configured.

use crate::config::{LlmProviderKind, LlmRouteSettings, LlmSettings};
use ai_admin_activities::clients::llm::fallback::WithFallback;
use ai_admin_activities::clients::llm::gemini::{GeminiConfig, HttpGemini};
use ai_admin_activities::clients::llm::health::LlmHealth;
use ai_admin_activities::clients::llm::openai::{OpenAiChat, OpenAiConfig};
use ai_admin_activities::clients::llm::route::{Route, RouteName};
use ai_admin_activities::clients::llm::{LanguageModel, NoLanguageModel};
use ai_admin_activities::metrics::Metrics;
use anyhow::Context as _;
use std::sync::Arc;
use std::time::Duration;

/// Limit for one language-model request (the original system saw ~9 s answers).
pub const LLM_TIMEOUT: Duration = Duration::from_secs(30);

/// The model the assistant calls, its routes registered with `health`.
pub fn build(
    settings: &LlmSettings,
    metrics: &Metrics,
    health: &LlmHealth,
) -> anyhow::Result<Arc<dyn LanguageModel>> {
    let primary = route(&settings.primary, RouteName::Primary, metrics, health)?;
    Ok(match &settings.fallback {
        None => Arc::new(primary),
        Some(fallback) => {
            let fallback = route(fallback, RouteName::Fallback, metrics, health)?;
            tracing::info!(
                primary = %primary.describe(),
                fallback = %fallback.describe(),
                "language model with a fallback"
            );
            Arc::new(WithFallback::new(primary, fallback, metrics.clone()))
        }
    })
}

fn route(
    settings: &LlmRouteSettings,
    name: RouteName,
    metrics: &Metrics,
    health: &LlmHealth,
) -> anyhow::Result<Route> {
    let provider = settings.kind.as_str();
    let client = client(settings, name)
        .with_context(|| format!("Failed to build the {} {provider} client", name.as_str()))?;
    health.register(
        name.as_str(),
        provider,
        &settings.model,
        settings.proxy.as_ref().map(|p| p.shown()),
    );
    if let Some(proxy) = &settings.proxy {
        tracing::info!(route = name.as_str(), provider, %proxy, "language model through a proxy");
    }
    Ok(Route::new(
        name,
        provider,
        client,
        metrics.clone(),
        health.clone(),
    ))
}

fn client(settings: &LlmRouteSettings, name: RouteName) -> anyhow::Result<Arc<dyn LanguageModel>> {
    Ok(match settings.kind {
        LlmProviderKind::Gemini => match &settings.api_key {
            Some(api_key) => Arc::new(HttpGemini::new(GeminiConfig {
                base_url: settings.base_url.clone(),
                api_key: api_key.clone(),
                model: settings.model.clone(),
                compose_model: settings.compose_model.clone(),
                thinking_budget: settings.thinking_budget,
                timeout: LLM_TIMEOUT,
                proxy: settings.proxy.clone(),
            })?),
            None => {
                // Only the primary may lack a key (the configuration refuses a
                // fallback without one).
                let reason = match name {
                    RouteName::Primary => "GEMINI_API_KEY (or LLM_API_KEY) is not set",
                    RouteName::Fallback => "LLM_FALLBACK_API_KEY is not set",
                };
                tracing::warn!("{reason}: clients will get the fixed apology");
                Arc::new(NoLanguageModel {
                    reason: reason.to_owned(),
                })
            }
        },
        LlmProviderKind::OpenAi => Arc::new(OpenAiChat::new(OpenAiConfig {
            base_url: settings.base_url.clone(),
            api_key: settings.api_key.clone(),
            model: settings.model.clone(),
            compose_model: settings.compose_model.clone(),
            transcribe_model: settings.transcribe_model.clone(),
            timeout: LLM_TIMEOUT,
            proxy: settings.proxy.clone(),
        })?),
    })
}
