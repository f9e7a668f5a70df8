//! What the YClients simulator knows and remembers: its salons, every request it got,
//! and the faults a test asked it to inject.

use super::marketplace::{self, InstallState, Marketplace, ReportedPayment};
use super::seed::Salon;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// One request as the simulator received it (tests assert on these).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Raw query string.
    pub query: Option<String>,
    /// `Authorization` header as sent.
    pub authorization: Option<String>,
    /// `Accept` header as sent.
    pub accept: Option<String>,
    /// JSON body, when there was one.
    pub body: Option<serde_json::Value>,
    /// Status the simulator answered with (0 while the answer is still being made).
    pub status: u16,
}

/// "Answer the next `times` requests under `path_prefix` with `status`."
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    /// Only requests with this method (any when absent).
    #[serde(default)]
    pub method: Option<String>,
    /// Requests whose path starts with this.
    pub path_prefix: String,
    /// Status to answer with; 0 answers normally (after the delay).
    pub status: u16,
    /// Body to answer with (a YClients-style error envelope when absent).
    #[serde(default)]
    pub body: Option<String>,
    /// `Retry-After` seconds, for 429s.
    #[serde(default)]
    pub retry_after_secs: Option<u64>,
    /// Delay before answering, to simulate a slow YClients.
    #[serde(default)]
    pub delay_ms: u64,
    /// How many requests it applies to.
    pub times: u32,
    /// Applies to every `every`-th matching request only (a flapping YClients: 2 fails
    /// every other request); 0 or 1 = each one.
    #[serde(default)]
    pub every: u32,
    /// With status 0: the request is carried out at once and only its answer is late
    /// (a caller that gives up first has its effect without knowing).
    #[serde(default)]
    pub answer_late: bool,
    /// Matching requests seen so far (kept by the simulator, for `every`).
    #[serde(skip)]
    pub seen: u32,
}

impl Fault {
    /// The next `times` requests under `path_prefix` get `status`.
    pub fn status(path_prefix: &str, status: u16, times: u32) -> Self {
        Self {
            method: None,
            path_prefix: path_prefix.to_owned(),
            status,
            body: None,
            retry_after_secs: None,
            delay_ms: 0,
            times,
            every: 0,
            answer_late: false,
            seen: 0,
        }
    }

    /// The next `times` requests under `path_prefix` are answered normally, `delay` late.
    pub fn delay(path_prefix: &str, delay: Duration, times: u32) -> Self {
        Self {
            delay_ms: delay.as_millis() as u64,
            ..Self::status(path_prefix, 0, times)
        }
    }

    /// The next `times` requests under `path_prefix` are carried out at once and
    /// answered `delay` late.
    pub fn late_answer(path_prefix: &str, delay: Duration, times: u32) -> Self {
        Self {
            answer_late: true,
            ..Self::delay(path_prefix, delay, times)
        }
    }

    /// Applies to every `n`-th matching request only.
    pub fn every(mut self, n: u32) -> Self {
        self.every = n;
        self
    }

    /// How long to wait before answering.
    pub fn wait(&self) -> Duration {
        Duration::from_millis(self.delay_ms)
    }
}

#[derive(Debug, Default)]
struct Inner {
    salons: BTreeMap<i64, Salon>,
    requests: Vec<RecordedRequest>,
    faults: VecDeque<Fault>,
    /// Each salon's install of our application and the payments reported.
    marketplace: Marketplace,
    /// Requests answered by a fault so far.
    faults_served: u64,
}

/// Shared state of one simulator instance; cheap to clone.
#[derive(Debug, Clone)]
pub struct SimState {
    partner_token: Arc<str>,
    inner: Arc<Mutex<Inner>>,
}

impl SimState {
    /// A simulator accepting `partner_token` and knowing `salons`.
    pub fn new(partner_token: &str, salons: Vec<Salon>) -> Self {
        let inner = Inner {
            salons: salons.into_iter().map(|s| (s.id, s)).collect(),
            ..Inner::default()
        };
        Self {
            partner_token: partner_token.into(),
            inner: Arc::new(Mutex::new(inner)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind; keep serving.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The token requests must carry.
    pub fn partner_token(&self) -> &str {
        &self.partner_token
    }

    /// Adds (or replaces) a salon.
    pub fn add_salon(&self, salon: Salon) {
        self.lock().salons.insert(salon.id, salon);
    }

    /// A copy of one salon.
    pub fn salon(&self, id: i64) -> Option<Salon> {
        self.lock().salons.get(&id).cloned()
    }

    /// Reads one salon in place (no copy), for rendering answers.
    pub fn read_salon<R>(&self, id: i64, read: impl FnOnce(&Salon) -> R) -> Option<R> {
        self.lock().salons.get(&id).map(read)
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Forgets the request log.
    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    /// Logs a request as it arrives; returns its place for [`Self::answered`].
    pub(crate) fn record(&self, request: RecordedRequest) -> usize {
        let mut inner = self.lock();
        inner.requests.push(request);
        inner.requests.len() - 1
    }

    /// Fills in the status a logged request was answered with.
    pub(crate) fn answered(&self, index: usize, status: u16) {
        if let Some(request) = self.lock().requests.get_mut(index) {
            request.status = status;
        }
    }

    /// Changes a salon and returns what `change` returns; `None` when unknown.
    pub fn write_salon<R>(&self, id: i64, change: impl FnOnce(&mut Salon) -> R) -> Option<R> {
        self.lock().salons.get_mut(&id).map(change)
    }

    /// Changes a salon in place (tests: delete a service, add clients); false when unknown.
    pub fn update_salon(&self, id: i64, change: impl FnOnce(&mut Salon)) -> bool {
        match self.lock().salons.get_mut(&id) {
            Some(salon) => {
                change(salon);
                true
            }
            None => false,
        }
    }

    /// Whether the salon has the application installed (or is installing it, or has it
    /// frozen): what `GET /marketplace/salon/{id}/application/{app_id}` says.
    pub fn installed(&self, id: i64) -> bool {
        let inner = self.lock();
        inner.salons.contains_key(&id) && marketplace::has_application(inner.marketplace.state(id))
    }

    /// Connects (pending) or removes (never installed) the application in a salon; a
    /// known salon is connecting it by default.
    pub fn set_installed(&self, id: i64, installed: bool) {
        let to = if installed {
            InstallState::Pending
        } else {
            InstallState::None
        };
        self.set_install(id, to);
    }

    /// Moves the salon's install to `to`, as the salon's owner would (logged as `salon`).
    pub fn set_install(&self, id: i64, to: InstallState) {
        self.lock().marketplace.set(id, to, "salon");
    }

    /// Where the salon's install stands.
    pub fn install_state(&self, id: i64) -> InstallState {
        self.lock().marketplace.state(id)
    }

    /// Every payment reported, oldest first.
    pub fn payments(&self) -> Vec<ReportedPayment> {
        self.lock().marketplace.payments()
    }

    /// Reads or changes the marketplace side under the simulator's lock.
    pub(crate) fn with_marketplace<R>(&self, work: impl FnOnce(&mut Marketplace) -> R) -> R {
        work(&mut self.lock().marketplace)
    }

    /// Requests answered by an injected fault so far.
    pub fn faults_served(&self) -> u64 {
        self.lock().faults_served
    }

    /// Queues a fault; faults apply in the order they were added.
    pub fn inject(&self, fault: Fault) {
        self.lock().faults.push_back(fault);
    }

    /// Takes one use of the first fault matching this request, if any.
    pub(crate) fn take_fault(&self, method: &str, path: &str) -> Option<Fault> {
        let mut inner = self.lock();
        let index = inner.faults.iter().position(|fault| {
            path.starts_with(&fault.path_prefix)
                && fault
                    .method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
        })?;
        let fault = inner.faults.get_mut(index)?;
        fault.seen += 1;
        if fault.every > 1 && !fault.seen.is_multiple_of(fault.every) {
            return None;
        }
        fault.times = fault.times.saturating_sub(1);
        let taken = fault.clone();
        if fault.times == 0 {
            inner.faults.remove(index);
        }
        inner.faults_served += 1;
        Some(taken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_used_up_in_order() {
        let state = SimState::new("t", Vec::new());
        state.inject(Fault::status("/api/v1/company", 500, 2));
        state.inject(Fault::status("/api/v1", 503, 1));
        assert_eq!(
            state.take_fault("GET", "/api/v1/company/1").unwrap().status,
            500
        );
        assert_eq!(
            state.take_fault("GET", "/api/v1/company/1").unwrap().status,
            500
        );
        assert_eq!(
            state.take_fault("GET", "/api/v1/company/1").unwrap().status,
            503
        );
        assert!(state.take_fault("GET", "/api/v1/company/1").is_none());
    }
}
