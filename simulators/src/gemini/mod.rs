//! A language-model stand-in that speaks Gemini's `models/{model}:generateContent` and
//! OpenAI's `chat/completions` (API key check,
//! structured output when a response schema is asked for, Google's error bodies) and
//! answers deterministically: stage 1 by a rule-based Russian intent/slot extractor,
//! stage 2 from the command results in the prompt, voice notes (inline audio, or
//! `POST /v1/audio/transcriptions`) by the recordings it knows. It can be told to fail, to go down,
//! or to think for a while.
//!
//! # Layout
//! - [`understand`] — message and conversation → commands (the demo brain's stage 1).
//! - [`words`] — how clients write days, times, services and masters.
//! - [`reply`] — results → reply text (its stage 2).
//! - [`hearing`] — voice notes → transcripts (the sample, scripted speech).
//! - [`state`] — API key, faults, outage, latency, call log.
//! - [`server`] — the routes and the `/__sim` control API.

pub mod hearing;
pub mod reply;
pub mod server;
pub mod state;
pub mod understand;
pub mod words;

pub use state::{GeminiCall, GeminiFault, GeminiSimState};

use crate::serving::{Running, serve};
use tokio::net::TcpListener;

/// The Gemini simulator serving on a local port (its base URL is `GEMINI_BASE_URL`).
pub type RunningGemini = Running<GeminiSimState>;

/// Serves `state` on `listener` until the handle is dropped.
pub fn spawn(listener: TcpListener, state: GeminiSimState) -> anyhow::Result<RunningGemini> {
    let app = server::router(state.clone());
    serve(listener, state, app, "Gemini")
}
