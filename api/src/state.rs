//! The state every handler shares; cheap to clone.

use crate::auth::TokenKeys;
use crate::config::Config;
use ai_admin_activities::yclients::YClients;
use ai_admin_temporal::Client;
use sqlx::PgPool;
use std::sync::Arc;

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
}
