//! Servers really stopped and started again in the middle of an onboarding's first sync
//! — the Temporal server for 30 s (its state persisted in its file, as a production
//! cluster's is), PostgreSQL restarted — each on a server of the scenario's own. The
//! onboarding must finish with one callback, one activation, every row once, one full
//! sync and one welcome.

use ai_admin_activities::domain::SalonId;
use ai_admin_simulators::yclients::{Fault, SalonSize};
use ai_admin_tests::faults::{Row, record};
use ai_admin_tests::services::{OwnPostgres, OwnTemporal};
use ai_admin_tests::sync_checks::assert_onboarded_once;
use ai_admin_tests::{AppOptions, TestApp, eventually, spawn_app_with};
use std::time::{Duration, Instant};

const OWNER_PHONE: &str = "79001112255";
const PATIENCE: Duration = Duration::from_secs(180);
const CLIENTS: i64 = 2_000;
const CLIENTS_SQL: &str = "SELECT COUNT(*) FROM clients t JOIN companies c ON c.id = t.company_id WHERE c.yclients_id = $1";

/// Onboards a salon whose client pages come slowly, and returns once the first sync is
/// part-way through (with the number of clients written by then).
async fn onboard_until_mid_sync(app: &TestApp, title: &str) -> (SalonId, i64) {
    let size = SalonSize {
        clients: CLIENTS as usize,
        ..SalonSize::DEMO
    };
    let salon_id = app.add_salon_with(title, "Europe/Moscow", size);
    app.yclients.state.inject(Fault::delay(
        &format!("/api/v1/company/{salon_id}/clients/search"),
        Duration::from_millis(400),
        10,
    ));
    app.onboard(salon_id, OWNER_PHONE).await;
    let written = eventually(PATIENCE, "the first sync to be under way", || async {
        let written = app.count_rows(CLIENTS_SQL, salon_id).await;
        (written > 0 && written < CLIENTS).then_some(written)
    })
    .await;
    (salon_id, written)
}

/// Waits for `ready` and checks every effect happened once.
async fn assert_ready_once(app: &TestApp, salon_id: SalonId, what: &str) {
    app.wait_until_ready(salon_id, PATIENCE).await;
    assert_onboarded_once(app, salon_id, OWNER_PHONE, what).await;
    assert_eq!(app.count_rows(CLIENTS_SQL, salon_id).await, CLIENTS);
}

#[tokio::test]
async fn the_temporal_server_stopped_for_30_s_mid_onboarding_loses_and_doubles_nothing() {
    let mut temporal = OwnTemporal::start().await;
    let app = spawn_app_with(AppOptions {
        temporal_address: Some(temporal.address()),
        ..AppOptions::default()
    })
    .await;
    let (salon_id, written) = onboard_until_mid_sync(&app, "Салон «Без Temporal»").await;

    temporal.stop().await;
    tokio::time::sleep(Duration::from_secs(30)).await;
    let during = app.count_rows(CLIENTS_SQL, salon_id).await;
    let back = Instant::now();
    temporal.start_again().await;
    assert_ready_once(&app, salon_id, "Temporal stopped").await;
    let resumed = back.elapsed();

    record(&Row {
        id: "onboarding-temporal-stopped",
        fault: "the Temporal server stopped (SIGTERM) for 30 s in the middle of an \
                onboarding's first sync, then started again on its persisted state",
        checked: "ready; YClients processed one callback; activated once; every row once; \
                  one full sync; one welcome",
        observed: format!(
            "stopped at {written} of {CLIENTS} clients ({during} when it came back); \
             ready {:.1} s after the restart",
            resumed.as_secs_f64()
        ),
    });
}

#[tokio::test]
async fn postgresql_restarted_mid_sync_loses_and_doubles_nothing() {
    let mut postgres = OwnPostgres::start().await;
    let app = spawn_app_with(AppOptions {
        database_server: Some(postgres.url()),
        ..AppOptions::default()
    })
    .await;
    let (salon_id, written) = onboard_until_mid_sync(&app, "Салон «Перезапуск базы»").await;

    let stopped = Instant::now();
    postgres.stop();
    tokio::time::sleep(Duration::from_secs(5)).await;
    postgres.start_again().await;
    assert_ready_once(&app, salon_id, "PostgreSQL restarted").await;
    let resumed = stopped.elapsed();

    record(&Row {
        id: "sync-postgresql-restarted",
        fault: "PostgreSQL stopped (fast shutdown: every connection cut) in the middle of \
                the first sync and started again 5 s later",
        checked: "ready; YClients processed one callback; activated once; every row once; \
                  one full sync; one welcome",
        observed: format!(
            "stopped at {written} of {CLIENTS} clients; ready {:.1} s after the stop",
            resumed.as_secs_f64()
        ),
    });
}
