//! The state every handler shares; cheap to clone.

use crate::auth::TokenKeys;
use crate::config::Config;
use crate::live::LiveHub;
use crate::live::rate_limit::ConnectionRateLimiter;
use ai_admin_activities::clients::yclients::YClients;
use ai_admin_activities::metrics::Metrics;
use ai_admin_activities::whatsapp::WhatsAppGateway;
use ai_admin_temporal::Client;
use ai_admin_temporal::sdk_metrics::SdkMetrics;
use sqlx::PgPool;
use std::sync::Arc;
use tokio::sync::watch;

/// Handles to everything the API talks to.
#[derive(Clone)]
pub struct AppState {
    /// The configuration the process started with.
    pub config: Arc<Config>,
    /// The application database.
    pub db: PgPool,
    /// YClients, behind its trait (the HTTP client, pointed at YClients or the simulator).
    pub yclients: Arc<dyn YClients>,
    /// Temporal, to start, signal and query workflows.
    pub temporal: Client,
    /// Issues and verifies onboarding tokens.
    pub tokens: TokenKeys,
    /// The salons' WhatsApp sessions (live or simulated).
    pub gateway: Arc<dyn WhatsAppGateway>,
    /// Live events of every salon, for the WebSockets.
    pub live: LiveHub,
    /// WebSocket connections per client address.
    pub ws_limiter: Arc<ConnectionRateLimiter>,
    /// Marketplace redirects per client address.
    pub redirect_limiter: Arc<ConnectionRateLimiter>,
    /// The process's background tasks, for the health check.
    pub supervisor: ai_admin_activities::supervisor::Supervisor,
    /// Turns true when the server is stopping, so WebSockets close with a reconnect hint.
    pub shutdown: watch::Receiver<bool>,
    /// Wakes the webhook relay after a webhook is stored.
    pub webhook_wakeup: crate::webhook_wakeup::Wakeup,
    /// The app's Prometheus metrics (every part of the process counts into these).
    pub metrics: Metrics,
    /// The Temporal SDK's metrics, served after ours by `GET /metrics`.
    pub sdk_metrics: SdkMetrics,
    /// How this process's language-model routes stand (never called where no worker
    /// runs).
    pub llm_health: ai_admin_activities::clients::llm::health::LlmHealth,
    /// How salons pay us (the ops-recorded manual provider unless another is plugged in).
    pub payments: Arc<dyn ai_admin_activities::acts::billing::provider::PaymentProvider>,
}
