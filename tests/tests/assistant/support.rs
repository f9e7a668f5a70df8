//! What the assistant tests share: a YClients client without a rate limit, and a
//! registered, fully synced salon with its catalog.

use ai_admin_activities::assistant::catalog::{self, Catalog};
use ai_admin_activities::domain::SalonId;
use ai_admin_activities::secret::Secret;
use ai_admin_activities::yclients::{HttpYClients, RateLimiter, YClientsConfig};
use ai_admin_tests::TestApp;
use std::sync::Arc;
use std::time::Duration;

/// The real YClients client, pointed at `base_url`, with no rate limit.
pub fn yclients_client(base_url: String, partner_token: Secret) -> HttpYClients {
    HttpYClients::new(
        YClientsConfig {
            base_url,
            partner_token,
            user_token: None,
            timeout: Duration::from_secs(5),
        },
        Arc::new(RateLimiter::per_second(0.0)),
    )
    .unwrap()
}

/// The real YClients client, pointed at the app's simulator.
pub fn app_yclients(app: &TestApp) -> HttpYClients {
    yclients_client(
        app.yclients.base_url(),
        app.config.yclients.partner_token.clone(),
    )
}

/// A new demo salon, registered and fully synced: its id, company row id and catalog.
pub async fn synced_salon(app: &TestApp, title: &str) -> (SalonId, i64, Catalog) {
    let salon_id = app.add_salon(title);
    app.register(salon_id).await;
    app.sync(salon_id, Vec::new()).await;
    let company_id: i64 = sqlx::query_scalar("SELECT id FROM companies WHERE yclients_id = $1")
        .bind(salon_id.get())
        .fetch_one(&app.db)
        .await
        .unwrap();
    let catalog = catalog::load(&app.db, company_id).await.unwrap();
    (salon_id, company_id, catalog)
}
