//! A salon's first sync while YClients or PostgreSQL misbehave: it must finish with
//! every row once, and the onboarding must still activate once.

use ai_admin_activities::domain::SalonId;
use ai_admin_simulators::yclients::{Fault, SalonSize};
use ai_admin_tests::faults::{Row, record};
use ai_admin_tests::sync_checks::assert_synced;
use ai_admin_tests::{AppOptions, TestApp, eventually, spawn_app, spawn_app_with};
use std::time::{Duration, Instant};

const OWNER_PHONE: &str = "79001234567";
const CALLBACK: &str = "/marketplace/partner/callback/redirect";
const PATIENCE: Duration = Duration::from_secs(120);
const CLIENTS_SQL: &str = "SELECT COUNT(*) FROM clients t JOIN companies c ON c.id = t.company_id WHERE c.yclients_id = $1";

/// A salon with enough clients for several pages (the sync's longest part).
fn salon(app: &TestApp, title: &str) -> SalonId {
    let size = SalonSize {
        clients: 2_000,
        ..SalonSize::DEMO
    };
    app.add_salon_with(title, "Europe/Moscow", size)
}

fn clients_path(salon_id: SalonId) -> String {
    format!("/api/v1/company/{salon_id}/clients/search")
}

/// Onboards the salon and waits for `ready`; then checks every row is there once and
/// that YClients got one activation callback. Returns how long it took.
async fn onboard_and_check(app: &TestApp, salon_id: SalonId) -> Duration {
    let started = Instant::now();
    app.onboard(salon_id, OWNER_PHONE).await;
    app.wait_until_ready(salon_id, PATIENCE).await;
    let took = started.elapsed();
    assert_synced(app, salon_id).await;
    assert_eq!(
        app.requests_to(CALLBACK).len(),
        1,
        "one activation callback"
    );
    took
}

#[tokio::test]
async fn yclients_answering_in_5_s_mid_sync_slows_it_but_loses_nothing() {
    let app = spawn_app().await;
    let salon_id = salon(&app, "Салон «Медленный»");
    app.yclients.state.inject(Fault::delay(
        &clients_path(salon_id),
        Duration::from_secs(5),
        2,
    ));

    let took = onboard_and_check(&app, salon_id).await;

    assert!(took >= Duration::from_secs(5), "the delays were served");
    record(&Row {
        id: "sync-yclients-slow",
        fault: "YClients answers client pages 5 s late (2 pages) during the first sync",
        checked: "ready; every row once; one activation callback",
        observed: format!("ready after {:.1} s", took.as_secs_f64()),
    });
}

#[tokio::test]
async fn yclients_failing_every_other_request_mid_sync_is_retried_to_the_end() {
    let app = spawn_app().await;
    let salon_id = salon(&app, "Салон «Мигает»");
    let prefix = format!("/api/v1/company/{salon_id}/");
    app.yclients
        .state
        .inject(Fault::status(&prefix, 503, 12).every(2));

    let took = onboard_and_check(&app, salon_id).await;

    let failed = app
        .yclients
        .state
        .requests()
        .iter()
        .filter(|r| r.path.starts_with(&prefix) && r.status == 503)
        .count();
    assert_eq!(failed, 12, "every other request failed, 12 times");
    record(&Row {
        id: "sync-yclients-flapping",
        fault: "YClients answers 503 to every other request of the salon (12 failures) during the first sync",
        checked: "ready; every row once; one activation callback",
        observed: format!(
            "{failed} × 503 retried; ready after {:.1} s",
            took.as_secs_f64()
        ),
    });
}

#[tokio::test]
async fn yclients_rate_limiting_mid_sync_is_waited_out() {
    let app = spawn_app().await;
    let salon_id = salon(&app, "Салон «Лимит»");
    let mut limited = Fault::status(&clients_path(salon_id), 429, 3);
    limited.retry_after_secs = Some(2);
    app.yclients.state.inject(limited);

    let took = onboard_and_check(&app, salon_id).await;

    assert!(took >= Duration::from_secs(2), "Retry-After was honoured");
    record(&Row {
        id: "sync-yclients-429",
        fault: "YClients answers 429 with Retry-After: 2 three times during the first sync",
        checked: "ready; every row once; one activation callback; Retry-After honoured",
        observed: format!("ready after {:.1} s", took.as_secs_f64()),
    });
}

#[tokio::test]
async fn postgresql_cut_for_5_s_mid_sync_loses_nothing() {
    let app = spawn_app_with(AppOptions {
        database_through_proxy: true,
        ..AppOptions::default()
    })
    .await;
    let salon_id = salon(&app, "Салон «Без базы»");
    // Slow client pages, so the cut surely lands in the middle of the sync.
    app.yclients.state.inject(Fault::delay(
        &clients_path(salon_id),
        Duration::from_millis(400),
        10,
    ));
    let started = Instant::now();
    app.onboard(salon_id, OWNER_PHONE).await;
    eventually(PATIENCE, "the clients sync to be under way", || async {
        let synced = app.count_rows(CLIENTS_SQL, salon_id).await;
        (synced > 0 && synced < 2_000).then_some(())
    })
    .await;

    let proxy = app.db_proxy.as_ref().unwrap();
    proxy.stop();
    tokio::time::sleep(Duration::from_secs(5)).await;
    proxy.resume().await.unwrap();
    app.wait_until_ready(salon_id, PATIENCE).await;
    let took = started.elapsed();

    assert_synced(&app, salon_id).await;
    assert_eq!(
        app.requests_to(CALLBACK).len(),
        1,
        "one activation callback"
    );
    record(&Row {
        id: "sync-postgresql-cut",
        fault: "the app's PostgreSQL connections cut for 5 s in the middle of the first sync",
        checked: "ready; every row once; one activation callback",
        observed: format!("ready after {:.1} s", took.as_secs_f64()),
    });
}
