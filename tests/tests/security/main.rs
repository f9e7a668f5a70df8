//! The hostile suite: each test plays an attacker (or a careless deployment) against the
//! real application — real PostgreSQL, real Temporal dev server, the YClients simulator
//! over HTTP, the simulated WhatsApp — and checks that nothing the attacker sends
//! changes a salon, and that every limit answers with a reason instead of a crash.
//!
//! # Layout
//! - [`entry`] — the marketplace redirect: unsigned, forged, replayed for another salon.
//! - [`installed`] — a redirect for an installed salon re-activates nothing.
//! - [`data_webhooks`] — forged data webhooks: wrong secret, payloads YClients contradicts.
//! - [`lifecycle`] — lifecycle events are never lost to dedup.
//! - [`secrets`] — the partner token and URL secrets in no table and no workflow history.
//! - [`limits`] — per-client floods, `Retry-After`, oversized and odd inputs, sockets.
//! - [`bounded`] — retention and supervised background tasks.
//! - [`fuzz`] — random and mutated requests at the redirect and both webhook routes.

mod bounded;
mod data_webhooks;
mod entry;
mod fuzz;
mod installed;
mod lifecycle;
mod limits;
mod secrets;

use ai_admin_activities::domain::SalonId;
use ai_admin_tests::TestApp;
use std::time::Duration;

/// How long an onboarding or an apply may take on the shared two cores.
pub const PATIENCE: Duration = Duration::from_secs(90);
/// The salon owner's WhatsApp number.
pub const OWNER_PHONE: &str = "79001234567";

/// A salon that went through onboarding: linked, activated, synced, welcomed.
pub async fn ready_salon(app: &TestApp, title: &str) -> SalonId {
    let salon_id = app.add_salon(title);
    app.onboard(salon_id, OWNER_PHONE).await;
    app.wait_until_ready(salon_id, PATIENCE).await;
    salon_id
}

/// The salon's `integration_status`.
pub async fn status(app: &TestApp, salon_id: SalonId) -> String {
    sqlx::query_scalar("SELECT integration_status FROM companies WHERE yclients_id = $1")
        .bind(salon_id.get())
        .fetch_one(&app.db)
        .await
        .expect("the salon is registered")
}

/// Rows of the salon's webhook inbox.
pub async fn inbox_rows(app: &TestApp, salon_id: SalonId) -> i64 {
    app.count_rows(
        "SELECT COUNT(*) FROM webhook_inbox WHERE salon_id = $1",
        salon_id,
    )
    .await
}
