//! What this process knows of its language-model routes: each route's last outcome and
//! since when, for `/marketplace/health`; and one log line per change of cause (a
//! refused region is an error worth one line, not one per client message).

use super::LlmError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// How a route stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteState {
    /// Not called yet.
    Unknown,
    /// Its last call was answered.
    Ok,
    /// The provider refuses this region: nothing but a proxy or another provider helps.
    RegionRefused,
    /// Timeouts, transport errors, 429 or 5xx.
    Unavailable,
    /// It rejected the request (key, model) or answered nothing usable.
    Failing,
}

/// One route as `/marketplace/health` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteHealth {
    /// `gemini`, `openai`.
    pub provider: String,
    /// The model.
    pub model: String,
    /// The proxy it goes through (no credentials), if any.
    pub proxy: Option<String>,
    /// Its state.
    pub state: RouteState,
    /// The last failure's reason, while failing.
    pub reason: Option<String>,
    /// Since when it is in this state.
    pub since: Option<DateTime<Utc>>,
}

/// Shared by the routes and the health endpoint; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct LlmHealth {
    routes: Arc<Mutex<BTreeMap<String, RouteHealth>>>,
}

impl LlmHealth {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, RouteHealth>> {
        self.routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes a route known before its first call.
    pub fn register(&self, route: &str, provider: &str, model: &str, proxy: Option<&str>) {
        self.lock().insert(
            route.to_owned(),
            RouteHealth {
                provider: provider.to_owned(),
                model: model.to_owned(),
                proxy: proxy.map(str::to_owned),
                state: RouteState::Unknown,
                reason: None,
                since: None,
            },
        );
    }

    /// Records a call's outcome; logs when the route's state or cause changes.
    pub fn observe(&self, route: &str, outcome: Result<(), &LlmError>) {
        let (state, reason) = match outcome {
            Ok(()) => (RouteState::Ok, None),
            Err(error @ LlmError::RegionRefused(_)) => {
                (RouteState::RegionRefused, Some(error.to_string()))
            }
            Err(error) if error.is_unavailable() => {
                (RouteState::Unavailable, Some(error.to_string()))
            }
            Err(error) => (RouteState::Failing, Some(error.to_string())),
        };
        let mut routes = self.lock();
        let Some(health) = routes.get_mut(route) else {
            return;
        };
        let changed = health.state != state
            || (state == RouteState::RegionRefused && health.reason != reason);
        if !changed {
            return;
        }
        let was = health.state;
        health.state = state;
        health.since = Some(Utc::now());
        health.reason.clone_from(&reason);
        let (provider, model) = (health.provider.clone(), health.model.clone());
        drop(routes);
        let reason = reason.unwrap_or_default();
        match state {
            RouteState::RegionRefused => {
                tracing::error!(
                    route,
                    provider,
                    model,
                    reason,
                    "LLM route refuses this region"
                );
            }
            RouteState::Unavailable | RouteState::Failing => {
                tracing::warn!(route, provider, model, reason, "LLM route failing");
            }
            RouteState::Ok if was != RouteState::Unknown => {
                tracing::info!(route, provider, model, "LLM route answers again");
            }
            RouteState::Ok | RouteState::Unknown => {}
        }
    }

    /// Every route, by name.
    pub fn report(&self) -> BTreeMap<String, RouteHealth> {
        self.lock().clone()
    }

    /// Problems worth a warning on the health page: a route refusing its region.
    pub fn warnings(&self) -> Vec<String> {
        self.lock()
            .iter()
            .filter(|(_, health)| health.state == RouteState::RegionRefused)
            .map(|(route, health)| {
                format!(
                    "llm:{route}: {}",
                    health.reason.as_deref().unwrap_or("refuses this region")
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_reports_its_last_state_and_a_refused_region_is_a_warning() {
        let health = LlmHealth::default();
        health.register("primary", "gemini", "gemini-2.5-flash", None);
        assert_eq!(health.report()["primary"].state, RouteState::Unknown);
        let refused = LlmError::RegionRefused("User location is not supported".into());
        health.observe("primary", Err(&refused));
        health.observe("primary", Err(&refused));
        let report = health.report();
        assert_eq!(report["primary"].state, RouteState::RegionRefused);
        assert!(
            report["primary"]
                .reason
                .as_deref()
                .unwrap()
                .contains("LLM_PROXY")
        );
        assert_eq!(health.warnings().len(), 1);
        health.observe("primary", Ok(()));
        assert_eq!(health.report()["primary"].state, RouteState::Ok);
        assert!(health.warnings().is_empty());
        // An unknown route is ignored, not added.
        health.observe("elsewhere", Ok(()));
        assert_eq!(health.report().len(), 1);
    }
}
