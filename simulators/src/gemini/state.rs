//! The simulator's state: the API key it accepts, injected faults, an outage switch, a
//! per-call latency (zero unless set), scripted stage 1 answers, whether chat
//! completions ignore the JSON schema, and a log of calls.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// "Answer the next `times` calls with `status`" (and, when given, this error message
/// and Google status; or, with a 2xx status, this text as the model's answer).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeminiFault {
    /// HTTP status (429, 500, 503, 400, …; 200 with `text`).
    pub status: u16,
    /// How many calls it applies to.
    pub times: u32,
    /// `Retry-After` seconds, for 429s.
    #[serde(default)]
    pub retry_after_secs: Option<u64>,
    /// The error's message (default "simulated failure").
    #[serde(default)]
    pub message: Option<String>,
    /// Google's status word (default by HTTP status: `INVALID_ARGUMENT`, …).
    #[serde(default)]
    pub google_status: Option<String>,
    /// With a 2xx status: the model's answer text instead of the simulator's own.
    #[serde(default)]
    pub text: Option<String>,
}

impl GeminiFault {
    /// The next `times` calls answer `status`.
    pub fn status(status: u16, times: u32) -> Self {
        Self {
            status,
            times,
            ..Self::default()
        }
    }

    /// What Gemini answers from a region it does not serve: `400 FAILED_PRECONDITION`
    /// «User location is not supported for the API use.».
    pub fn region_refused(times: u32) -> Self {
        Self {
            message: Some("User location is not supported for the API use.".to_owned()),
            google_status: Some("FAILED_PRECONDITION".to_owned()),
            ..Self::status(400, times)
        }
    }
}

/// One call the simulator answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeminiCall {
    /// `gemini` (generateContent) or `openai` (chat completions).
    pub api: String,
    /// 1 for structured (JSON schema) calls, 2 for plain text, 3 for a recording
    /// written down.
    pub stage: u8,
    /// The model in the path.
    pub model: String,
    /// The client's latest words (stage 1), the stage 2 input, or what a recording
    /// said (stage 3).
    pub input: String,
    /// The turns before the last one, oldest first, as (role, text).
    pub history: Vec<(String, String)>,
    /// What the simulator answered with.
    pub status: u16,
}

#[derive(Debug, Default)]
struct Inner {
    faults: VecDeque<GeminiFault>,
    scripted: VecDeque<String>,
    calls: Vec<GeminiCall>,
    latency: Duration,
    down: bool,
    ignores_schema: bool,
}

/// Shared simulator state.
#[derive(Debug, Clone)]
pub struct GeminiSimState {
    api_key: Arc<str>,
    inner: Arc<Mutex<Inner>>,
}

impl GeminiSimState {
    /// A simulator accepting `api_key`.
    pub fn new(api_key: &str) -> Self {
        Self {
            api_key: api_key.into(),
            inner: Arc::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn accepts(&self, key: &str) -> bool {
        *self.api_key == *key
    }

    /// Queues a fault for the next calls.
    pub fn inject(&self, fault: GeminiFault) {
        self.lock().faults.push_back(fault);
    }

    /// While down, every call gets 503.
    pub fn set_down(&self, down: bool) {
        self.lock().down = down;
    }

    /// Like a chat-completions server that takes no JSON Schema: a structured call's
    /// JSON comes wrapped in reasoning, prose and a code fence (chat completions only).
    pub fn set_ignores_schema(&self, ignores: bool) {
        self.lock().ignores_schema = ignores;
    }

    pub(crate) fn ignores_schema(&self) -> bool {
        self.lock().ignores_schema
    }

    /// Every call waits this long before answering (a model's think time).
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    pub(crate) fn latency(&self) -> Duration {
        self.lock().latency
    }

    /// The status to fail this call with, if any.
    pub(crate) fn take_fault(&self) -> Option<GeminiFault> {
        let mut inner = self.lock();
        if inner.down {
            return Some(GeminiFault::status(503, 1));
        }
        let fault = inner.faults.front_mut()?;
        fault.times = fault.times.saturating_sub(1);
        let taken = fault.clone();
        if fault.times == 0 {
            inner.faults.pop_front();
        }
        Some(taken)
    }

    /// Stage 1 answers its next call with `answer` (a command JSON) instead of
    /// understanding the message itself: `ai-admin eval --llm oracle` scripts the
    /// commands each turn should produce, to measure everything after stage 1 alone.
    pub fn script_stage1(&self, answer: String) {
        self.lock().scripted.push_back(answer);
    }

    /// Forgets scripted stage 1 answers not used yet.
    pub fn clear_script(&self) {
        self.lock().scripted.clear();
    }

    pub(crate) fn take_script(&self) -> Option<String> {
        self.lock().scripted.pop_front()
    }

    pub(crate) fn record(&self, call: GeminiCall) {
        self.lock().calls.push(call);
    }

    /// Calls answered so far, in order.
    pub fn calls(&self) -> Vec<GeminiCall> {
        self.lock().calls.clone()
    }

    /// Forgets the call log.
    pub fn clear_calls(&self) {
        self.lock().calls.clear();
    }
}
