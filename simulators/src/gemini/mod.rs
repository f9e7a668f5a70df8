//! A Gemini stand-in that speaks `models/{model}:generateContent` (API key check,
//! structured output when a response schema is asked for, Google's error bodies) and
//! answers deterministically: stage 1 by a rule-based Russian intent/slot extractor,
//! stage 2 from the command results in the prompt. It can be told to fail, to go down,
//! or to think for a while.
//!
//! # Layout
//! - [`understand`] — message → commands.
//! - [`reply`] — results → reply text.
//! - [`state`] — API key, faults, outage, latency, call log.
//! - [`server`] — the routes and the `/__sim` control API.

pub mod reply;
pub mod server;
pub mod state;
pub mod understand;

pub use state::{GeminiCall, GeminiFault, GeminiSimState};

use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A simulator serving on a local port.
#[derive(Debug)]
pub struct RunningGemini {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state, to inject faults and read the call log.
    pub state: GeminiSimState,
    task: JoinHandle<()>,
}

impl RunningGemini {
    /// Base URL for `GEMINI_BASE_URL`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for RunningGemini {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `state` on `listener` until the handle is dropped.
pub fn spawn(listener: TcpListener, state: GeminiSimState) -> anyhow::Result<RunningGemini> {
    let addr = listener.local_addr()?;
    let app = server::router(state.clone());
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "Gemini simulator stopped");
        }
    });
    Ok(RunningGemini { addr, state, task })
}
