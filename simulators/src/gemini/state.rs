//! The Gemini simulator's state: the API key it accepts, injected faults, an outage
//! switch, a per-call latency (zero unless set), scripted stage 1 answers, and a log of
//! calls.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// "Answer the next `times` calls with `status`."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeminiFault {
    /// HTTP status (429, 500, 503, 400, …).
    pub status: u16,
    /// How many calls it applies to.
    pub times: u32,
    /// `Retry-After` seconds, for 429s.
    #[serde(default)]
    pub retry_after_secs: Option<u64>,
}

/// One call the simulator answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeminiCall {
    /// 1 for structured (JSON schema) calls, 2 for plain text.
    pub stage: u8,
    /// The model in the path.
    pub model: String,
    /// The client's latest words (stage 1) or the stage 2 input.
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
            return Some(GeminiFault {
                status: 503,
                times: 1,
                retry_after_secs: None,
            });
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
