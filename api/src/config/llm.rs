//! The language-model settings: the primary provider (`LLM_*`, or `GEMINI_*` as before
//! when `LLM_PROVIDER` is unset or `gemini`) and an optional fallback
//! (`LLM_FALLBACK_*`), each with its own proxy.

use super::{ConfigError, Env};
use ai_admin_activities::clients::llm::transport::ProxyUrl;
use ai_admin_activities::secret::Secret;

/// Which API a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LlmProviderKind {
    /// Google's `generateContent`.
    Gemini,
    /// OpenAI-compatible `chat/completions`.
    OpenAi,
}

impl LlmProviderKind {
    /// As written in `LLM_PROVIDER`, metrics and the turn's record.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gemini => "gemini",
            Self::OpenAi => "openai",
        }
    }
}

/// One provider as configured.
#[derive(Debug, Clone)]
pub struct LlmRouteSettings {
    /// Its API.
    pub kind: LlmProviderKind,
    /// API root (for `openai`, including the version: `https://api.openai.com/v1`).
    pub base_url: String,
    /// Its key; Gemini cannot answer without one, a self-hosted server may need none.
    pub api_key: Option<Secret>,
    /// Stage 1's model (and stage 2's unless `compose_model`).
    pub model: String,
    /// Stage 2's model when it differs (`…_STAGE2_MODEL`).
    pub compose_model: Option<String>,
    /// The OpenAI-compatible API's speech-to-text model for voice notes
    /// (`…_TRANSCRIBE_MODEL`, default `whisper-1`); Gemini hears audio with stage 1's.
    pub transcribe_model: Option<String>,
    /// Gemini's thinking budget (`…_THINKING_BUDGET`); unset, the model's own.
    pub thinking_budget: Option<u32>,
    /// The proxy its traffic goes through (`LLM_PROXY`, `LLM_FALLBACK_PROXY`).
    pub proxy: Option<ProxyUrl>,
}

/// The assistant's language models.
#[derive(Debug, Clone)]
pub struct LlmSettings {
    /// Asked first.
    pub primary: LlmRouteSettings,
    /// Asked when the primary is away (`LLM_FALLBACK_PROVIDER` set).
    pub fallback: Option<LlmRouteSettings>,
}

impl LlmSettings {
    /// The primary pointed at a local simulator (`base` speaks both APIs), in the API
    /// the configuration names; no proxy, no fallback. For the eval and benchmarks.
    pub fn simulated(&mut self, base: &str, api_key: &str) {
        let primary = &mut self.primary;
        primary.base_url = match primary.kind {
            LlmProviderKind::Gemini => base.to_owned(),
            LlmProviderKind::OpenAi => format!("{base}/v1"),
        };
        primary.api_key = Some(Secret::new(api_key));
        primary.proxy = None;
        self.fallback = None;
    }
}

/// The variable names of one route.
struct Names {
    provider: &'static str,
    base_url: &'static str,
    api_key: &'static str,
    model: &'static str,
    stage1_model: &'static str,
    stage2_model: &'static str,
    transcribe_model: &'static str,
    thinking_budget: &'static str,
    proxy: &'static str,
}

const PRIMARY: Names = Names {
    provider: "LLM_PROVIDER",
    base_url: "LLM_BASE_URL",
    api_key: "LLM_API_KEY",
    model: "LLM_MODEL",
    stage1_model: "LLM_STAGE1_MODEL",
    stage2_model: "LLM_STAGE2_MODEL",
    transcribe_model: "LLM_TRANSCRIBE_MODEL",
    thinking_budget: "LLM_THINKING_BUDGET",
    proxy: "LLM_PROXY",
};

const FALLBACK: Names = Names {
    provider: "LLM_FALLBACK_PROVIDER",
    base_url: "LLM_FALLBACK_BASE_URL",
    api_key: "LLM_FALLBACK_API_KEY",
    model: "LLM_FALLBACK_MODEL",
    stage1_model: "LLM_FALLBACK_STAGE1_MODEL",
    stage2_model: "LLM_FALLBACK_STAGE2_MODEL",
    transcribe_model: "LLM_FALLBACK_TRANSCRIBE_MODEL",
    thinking_budget: "LLM_FALLBACK_THINKING_BUDGET",
    proxy: "LLM_FALLBACK_PROXY",
};

const GEMINI_BASE_URL: &str = "https://generativelanguage.googleapis.com";
const GEMINI_MODEL: &str = "gemini-2.5-flash";
const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
const OPENAI_MODEL: &str = "gpt-4o-mini";

/// Reads the primary and the fallback.
pub(super) fn llm<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<LlmSettings, ConfigError> {
    let primary_kind = kind(env, &PRIMARY)?.unwrap_or(LlmProviderKind::Gemini);
    let primary = route(env, &PRIMARY, primary_kind, true)?;
    let fallback = match kind(env, &FALLBACK)? {
        Some(kind) => Some(route(env, &FALLBACK, kind, false)?),
        None => {
            let stray = [
                FALLBACK.base_url,
                FALLBACK.api_key,
                FALLBACK.model,
                FALLBACK.proxy,
            ]
            .into_iter()
            .find(|name| env.get(name).is_some());
            if let Some(stray) = stray {
                return Err(ConfigError::Invalid {
                    name: FALLBACK.provider,
                    reason: format!(
                        "is not set but {stray} is: name the fallback's API (gemini or openai)"
                    ),
                });
            }
            None
        }
    };
    if let Some(fallback) = &fallback
        && fallback.kind == LlmProviderKind::Gemini
        && fallback.api_key.is_none()
    {
        return Err(ConfigError::Missing {
            name: FALLBACK.api_key,
            meaning: "the fallback Gemini provider's API key",
        });
    }
    Ok(LlmSettings { primary, fallback })
}

/// The route's API, when named.
fn kind<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
    names: &Names,
) -> Result<Option<LlmProviderKind>, ConfigError> {
    match env.get(names.provider).map(|v| v.to_ascii_lowercase()) {
        None => Ok(None),
        Some(kind) if kind == "gemini" => Ok(Some(LlmProviderKind::Gemini)),
        Some(kind) if kind == "openai" => Ok(Some(LlmProviderKind::OpenAi)),
        Some(other) => Err(ConfigError::Invalid {
            name: names.provider,
            reason: format!("{other:?} is not gemini or openai"),
        }),
    }
}

fn route<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
    names: &Names,
    kind: LlmProviderKind,
    primary: bool,
) -> Result<LlmRouteSettings, ConfigError> {
    // `GEMINI_*` keep meaning the primary Gemini provider.
    let legacy = primary && kind == LlmProviderKind::Gemini;
    let pick = |name: &'static str, legacy_name: &'static str| {
        env.get(name)
            .map(|v| (name, v))
            .or_else(|| legacy.then(|| env.get(legacy_name).map(|v| (legacy_name, v)))?)
    };
    let (default_url, default_model) = match kind {
        LlmProviderKind::Gemini => (GEMINI_BASE_URL, GEMINI_MODEL),
        LlmProviderKind::OpenAi => (OPENAI_BASE_URL, OPENAI_MODEL),
    };
    let base_url = match pick(names.base_url, "GEMINI_BASE_URL") {
        Some((name, _)) => env.url(name, default_url)?,
        None => default_url.to_owned(),
    };
    let api_key = pick(names.api_key, "GEMINI_API_KEY").map(|(_, key)| Secret::new(key));
    let model =
        pick(names.model, "GEMINI_MODEL").map_or_else(|| default_model.to_owned(), |(_, m)| m);
    let stage1 = env.get(names.stage1_model).unwrap_or_else(|| model.clone());
    let stage2 = env.get(names.stage2_model).unwrap_or(model);
    let thinking_budget = match env.get(names.thinking_budget) {
        None => None,
        Some(_) => Some(
            u32::try_from(env.number(names.thinking_budget, 0, "a number of tokens")?).map_err(
                |_| ConfigError::Invalid {
                    name: names.thinking_budget,
                    reason: "is too large".to_owned(),
                },
            )?,
        ),
    };
    let proxy = match env.get(names.proxy) {
        None => None,
        Some(raw) => Some(
            ProxyUrl::parse(&raw).map_err(|reason| ConfigError::Invalid {
                name: names.proxy,
                reason,
            })?,
        ),
    };
    Ok(LlmRouteSettings {
        kind,
        base_url,
        api_key,
        compose_model: (stage2 != stage1).then_some(stage2),
        model: stage1,
        transcribe_model: env.get(names.transcribe_model),
        thinking_budget,
        proxy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(vars: &[(&str, &str)]) -> Result<LlmSettings, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        llm(&Env {
            lookup: move |name: &str| vars.get(name).cloned(),
        })
    }

    #[test]
    fn gemini_variables_keep_meaning_the_primary() {
        let settings = read(&[
            ("GEMINI_API_KEY", "k"),
            ("GEMINI_MODEL", "gemini-2.5-pro"),
            ("GEMINI_BASE_URL", "http://127.0.0.1:9/"),
        ])
        .unwrap();
        assert_eq!(settings.primary.kind, LlmProviderKind::Gemini);
        assert_eq!(settings.primary.model, "gemini-2.5-pro");
        assert_eq!(settings.primary.base_url, "http://127.0.0.1:9");
        assert_eq!(settings.primary.api_key.unwrap().expose(), "k");
        assert!(settings.fallback.is_none());
        let defaults = read(&[]).unwrap();
        assert_eq!(defaults.primary.model, GEMINI_MODEL);
        assert!(defaults.primary.api_key.is_none());
    }

    #[test]
    fn an_openai_primary_with_a_cheaper_reply_model_and_a_gemini_fallback_through_a_proxy() {
        let settings = read(&[
            ("LLM_PROVIDER", "openai"),
            ("LLM_BASE_URL", "https://api.deepseek.com"),
            ("LLM_API_KEY", "sk-1"),
            ("LLM_MODEL", "deepseek-chat"),
            ("LLM_STAGE2_MODEL", "deepseek-lite"),
            ("LLM_TRANSCRIBE_MODEL", "whisper-large-v3"),
            ("GEMINI_API_KEY", "not-for-openai"),
            ("LLM_FALLBACK_PROVIDER", "gemini"),
            ("LLM_FALLBACK_API_KEY", "g-1"),
            ("LLM_FALLBACK_PROXY", "socks5h://u:p@10.0.0.1:1080"),
        ])
        .unwrap();
        let primary = settings.primary;
        assert_eq!(primary.kind, LlmProviderKind::OpenAi);
        assert_eq!(primary.model, "deepseek-chat");
        assert_eq!(primary.compose_model.as_deref(), Some("deepseek-lite"));
        assert_eq!(
            primary.transcribe_model.as_deref(),
            Some("whisper-large-v3")
        );
        assert_eq!(primary.api_key.unwrap().expose(), "sk-1");
        assert!(primary.proxy.is_none());
        let fallback = settings.fallback.unwrap();
        assert_eq!(fallback.kind, LlmProviderKind::Gemini);
        assert_eq!(fallback.base_url, GEMINI_BASE_URL);
        assert_eq!(fallback.transcribe_model, None);
        assert_eq!(fallback.proxy.unwrap().shown(), "socks5h://10.0.0.1:1080");
    }

    #[test]
    fn unusable_llm_settings_name_their_variable() {
        let cases: [(&[(&str, &str)], &str); 4] = [
            (&[("LLM_PROVIDER", "claude")], "LLM_PROVIDER"),
            (&[("LLM_PROXY", "ftp://x:1")], "LLM_PROXY"),
            (&[("LLM_FALLBACK_MODEL", "m")], "LLM_FALLBACK_PROVIDER"),
            (
                &[("LLM_FALLBACK_PROVIDER", "gemini")],
                "LLM_FALLBACK_API_KEY",
            ),
        ];
        for (vars, name) in cases {
            let error = read(vars).unwrap_err().to_string();
            assert!(error.contains(name), "{vars:?}: {error}");
        }
    }
}
