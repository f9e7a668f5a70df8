//! `ai-admin eval`: measures the assistant on the conversation corpus in `eval/`,
//! through the real pipeline (PostgreSQL and Temporal from the configuration, the
//! YClients and WhatsApp simulators, the app in this process), with one of four brains:
//!
//! - `simulator` — the project's simulator (offline, what CI runs), spoken to in the
//!   configured provider's API (`LLM_PROVIDER=openai` for chat completions);
//! - `gemini` — the Gemini model configured by `LLM_*` / `GEMINI_*` (a real key);
//! - `openai` — the OpenAI-compatible model configured by `LLM_PROVIDER=openai` and
//!   `LLM_*`;
//! - `oracle` — stage 1 answers each turn's expected commands, so the deterministic
//!   layer (matching, dates, YClients, what stage 2 is handed) is measured alone.
//!
//! It prints a table per intent, every failed turn with its reasons, tokens, cost and
//! latency, and last the line scripts read: `eval: <right>/<turns> turns right (<p> %)`.
//!
//! # Layout
//! - [`corpus`] — the corpus files, read and checked.
//! - [`salon`] — the corpus salon in the YClients simulator, and its reset.
//! - [`play`] — one run: onboarding, then every conversation turn by turn.
//! - [`judge`] — one turn's verdict.
//! - [`report`] — the figures, as text and JSON.

pub mod corpus;
pub mod judge;
pub mod play;
pub mod report;
pub mod salon;

use crate::config::Config;
use anyhow::Context as _;
use std::path::PathBuf;
use std::time::Duration;

/// Which brain answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Llm {
    /// The simulator, in the configured provider's API.
    Simulator,
    /// The configured Gemini model.
    Gemini,
    /// The configured OpenAI-compatible model.
    Openai,
    /// Stage 1 scripted with the expected commands; stage 2 by the simulator.
    Oracle,
}

impl Llm {
    /// As written on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Simulator => "simulator",
            Self::Gemini => "gemini",
            Self::Openai => "openai",
            Self::Oracle => "oracle",
        }
    }
}

/// `ai-admin eval`'s options.
#[derive(Debug, Clone)]
pub struct Options {
    /// The brain.
    pub llm: Llm,
    /// The corpus directory.
    pub corpus: PathBuf,
    /// Where to write the report as JSON.
    pub json: Option<PathBuf>,
    /// A prompt version to run the corpus with too, for comparison.
    pub compare: Option<String>,
    /// Only conversations whose id contains this.
    pub only: Option<String>,
}

/// Runs the evaluation and prints the report.
#[allow(clippy::print_stdout)]
pub async fn run(config: Config, options: Options) -> anyhow::Result<()> {
    let mut corpus = corpus::Corpus::load(&options.corpus)?;
    if let Some(only) = &options.only {
        corpus
            .conversations
            .retain(|c| c.id.contains(only.as_str()));
        anyhow::ensure!(
            !corpus.conversations.is_empty(),
            "no conversation id contains {only:?}"
        );
    }
    let patience = match options.llm {
        Llm::Gemini | Llm::Openai => Duration::from_secs(180),
        Llm::Simulator | Llm::Oracle => Duration::from_secs(60),
    };
    let version = config.assistant.prompt_version.clone();
    let run = |prompt_version: String| {
        let config = config.clone();
        let corpus = &corpus;
        async move {
            play::play(
                config,
                play::Run {
                    corpus,
                    llm: options.llm,
                    prompt_version: &prompt_version,
                    patience,
                },
            )
            .await
        }
    };
    let other = match &options.compare {
        Some(other) => Some(run(other.clone()).await?),
        None => None,
    };
    let report = run(version).await?;
    if let Some(path) = &options.json {
        let mut reports = vec![&report];
        reports.extend(other.as_ref());
        let json = if reports.len() == 1 {
            serde_json::to_string_pretty(&report)?
        } else {
            serde_json::to_string_pretty(&reports)?
        };
        std::fs::write(path, json)
            .with_context(|| format!("Failed to write {}", path.display()))?;
    }
    if let Some(other) = &other {
        println!("{}", report.compared(other));
    }
    print!("{}", report.text());
    Ok(())
}
