//! Activation in YClients, the first full sync, the welcome message and the recurring
//! sync schedules, end to end.

use ai_admin_activities::acts::recurring_sync::{CRON_TABLE, schedule_id};
use ai_admin_activities::acts::sync::SyncPart;
use ai_admin_activities::domain::SalonId;
use ai_admin_activities::whatsapp::simulator::OutboxEntry;
use ai_admin_simulators::yclients::{Fault, SalonSize};
use ai_admin_tests::sync_checks::{assert_synced, expected_counts};
use ai_admin_tests::ws_client::WsAuth;
use ai_admin_tests::{AppOptions, TestApp, eventually, spawn_app, spawn_app_with};
use ai_admin_workflows::onboarding::OnboardingWorkflow;
use serde_json::json;
use std::time::{Duration, Instant};
use temporalio_client::WorkflowGetResultOptions;

const CALLBACK: &str = "/marketplace/partner/callback/redirect";
const OWNER_PHONE: &str = "79001234567";
const PATIENCE: Duration = Duration::from_secs(90);

/// `sync_completed` events of full syncs: the recurring schedules (on the clock, every
/// quarter hour for bookings) add partial ones whenever a test spans such a moment.
async fn full_syncs_completed(app: &TestApp, salon_id: SalonId) -> Vec<serde_json::Value> {
    events(app, salon_id, "sync_completed")
        .await
        .into_iter()
        .filter(|event| event["counts"].get("clients").is_some())
        .collect()
}

async fn events(app: &TestApp, salon_id: SalonId, event_type: &str) -> Vec<serde_json::Value> {
    sqlx::query_scalar(
        "SELECT event_data FROM marketplace_events WHERE salon_id = $1 AND event_type = $2 ORDER BY id",
    )
    .bind(salon_id.get())
    .bind(event_type)
    .fetch_all(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_linked_salon_is_activated_once_synced_welcomed_and_ready() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Полный путь»");
    let token = app.register(salon_id).await;
    let mut page = app.ws(WsAuth::Header(token.clone())).await.unwrap();
    page.expect("qr-update", Duration::from_secs(10)).await;

    assert_eq!(app.link_phone(salon_id, OWNER_PHONE).await.status(), 200);

    // The page sees every step up to ready.
    let mut steps = Vec::new();
    loop {
        let progress = page.expect("progress", PATIENCE).await;
        if progress["workflow"] == "onboarding" {
            steps.push(progress["step"].as_str().unwrap().to_owned());
            if progress["step"] == "ready" {
                assert_eq!(progress["status"], "completed");
                break;
            }
        }
    }
    for step in [
        "whatsapp_connected",
        "activating",
        "syncing",
        "welcome",
        "ready",
    ] {
        assert!(
            steps.iter().any(|s| s == step),
            "the page saw {step}: {steps:?}"
        );
    }

    // Exactly one callback, with our app id, the saved key, our webhook URL, the partner token.
    let callbacks = app.requests_to(CALLBACK);
    assert_eq!(callbacks.len(), 1, "{callbacks:?}");
    let callback = &callbacks[0];
    assert_eq!(callback.method, "POST");
    assert_eq!(callback.status, 200);
    assert_eq!(
        callback.authorization.as_deref(),
        Some("Bearer test-partner-token")
    );
    assert_eq!(
        callback.accept.as_deref(),
        Some("application/vnd.yclients.v2+json")
    );
    let body = callback.body.clone().unwrap();
    assert_eq!(body["salon_id"], i64::from(salon_id));
    assert_eq!(body["application_id"], "test-app");
    // Data webhooks go to the salon's own URL, whose secret only YClients has.
    let urls = body["webhook_urls"].as_array().unwrap();
    assert_eq!(urls.len(), 1);
    let prefix = format!("{}/{salon_id}/", app.config.webhook_url());
    let url = urls[0].as_str().unwrap();
    let secret = url.strip_prefix(&prefix).expect("the salon's webhook URL");
    assert!(secret.len() == 64 && secret.chars().all(|c| c.is_ascii_hexdigit()));
    let stored: String =
        sqlx::query_scalar("SELECT webhook_secret_hash FROM companies WHERE yclients_id = $1")
            .bind(salon_id.get())
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_ne!(stored, secret, "only its hash is kept");
    let sent_key = body["api_key"].as_str().unwrap().to_owned();
    assert_eq!(sent_key.len(), 64);
    assert!(sent_key.chars().all(|c| c.is_ascii_hexdigit()));
    let (saved_key, status): (Option<String>, String) =
        sqlx::query_as("SELECT api_key, integration_status FROM companies WHERE yclients_id = $1")
            .bind(salon_id.get())
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(saved_key.as_deref(), Some(sent_key.as_str()));
    assert_eq!(status, "active");
    assert_eq!(
        events(&app, salon_id, "integration_activated").await.len(),
        1
    );

    // Every entity synced, with the simulator's counts, and the report says so.
    assert_synced(&app, salon_id).await;
    let completed = full_syncs_completed(&app, salon_id).await;
    assert_eq!(completed.len(), 1);
    let (_, services, _, clients, _, _) = expected_counts(&app, salon_id);
    assert_eq!(completed[0]["counts"]["clients"], clients as i64);
    assert!(completed[0]["counts"]["services"].as_i64().unwrap() >= services as i64);
    assert!(completed[0]["duration_ms"].as_u64().is_some());

    // The welcome message went to the salon's own number, once.
    let outbox: Vec<OutboxEntry> = app
        .get(&format!("/dev/whatsapp/company_{salon_id}/outbox"))
        .await
        .json()
        .await
        .unwrap();
    let welcomes: Vec<_> = outbox
        .iter()
        .filter_map(|entry| match entry {
            OutboxEntry::Text { to, text, .. } => Some((to.to_string(), text.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(welcomes.len(), 1, "{welcomes:?}");
    assert_eq!(welcomes[0].0, OWNER_PHONE);
    assert!(welcomes[0].1.contains("Полный путь"));
}

#[tokio::test]
async fn the_api_key_is_in_the_database_before_the_callback_arrives() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Порядок»");
    // The callback is held for two seconds, so the test can look while it is in flight.
    app.yclients.state.inject(Fault {
        body: Some(r#"{"success":true}"#.to_owned()),
        delay_ms: 2000,
        ..Fault::status(CALLBACK, 200, 1)
    });
    app.onboard(salon_id, OWNER_PHONE).await;

    let in_flight = eventually(PATIENCE, "the callback to arrive", || async {
        app.requests_to(CALLBACK)
            .into_iter()
            .find(|r| r.status == 0)
    })
    .await;
    let saved: Option<String> =
        sqlx::query_scalar("SELECT api_key FROM companies WHERE yclients_id = $1")
            .bind(salon_id.get())
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(
        saved.as_deref(),
        in_flight.body.unwrap()["api_key"].as_str(),
        "the key the callback carries was saved before it was sent"
    );
    app.wait_for_status(salon_id, &["active"], PATIENCE).await;
}

#[tokio::test]
async fn a_callback_failing_with_503_three_times_then_accepted_activates_once() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Терпение»");
    app.yclients.state.inject(Fault::status(CALLBACK, 503, 3));

    app.onboard(salon_id, OWNER_PHONE).await;
    app.wait_for_status(salon_id, &["active"], PATIENCE).await;

    let statuses: Vec<u16> = app.requests_to(CALLBACK).iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 503, 503, 200]);
    let keys: Vec<_> = app
        .requests_to(CALLBACK)
        .iter()
        .map(|r| r.body.clone().unwrap()["api_key"].clone())
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] == w[1]),
        "retries send the same key"
    );
    assert_eq!(
        events(&app, salon_id, "integration_activated").await.len(),
        1
    );
    ai_admin_tests::faults::record(&ai_admin_tests::faults::Row {
        id: "activation-callback-503",
        fault: "YClients answers the activation callback with 503 three times",
        checked: "retried to success; one integration_activated event",
        observed: "4 callback attempts, activated once".to_owned(),
    });
}

#[tokio::test]
async fn a_refused_callback_fails_activation_and_a_retry_after_fixing_activates() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Отказ»");
    app.yclients.state.inject(Fault::status(CALLBACK, 403, 1));

    let token = app.onboard(salon_id, OWNER_PHONE).await;
    app.wait_for_status(salon_id, &["activation_failed"], PATIENCE)
        .await;
    let failures = events(&app, salon_id, "integration_failed").await;
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0]["reason"].as_str().unwrap().contains("403"),
        "{failures:?}"
    );
    assert_eq!(app.requests_to(CALLBACK).len(), 1, "a 403 is not retried");

    // The page offers "retry" once onboarding reports the failure.
    eventually(PATIENCE, "the failure on the page", || async {
        let shown: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM live_events WHERE salon_id = $1 AND event = 'progress'
               AND data->>'step' = 'activating' AND data->>'status' = 'failed'",
        )
        .bind(salon_id.get())
        .fetch_one(&app.db)
        .await
        .ok()?;
        (shown > 0).then_some(())
    })
    .await;
    // YClients is fixed (the fault is used up); the owner presses "retry".
    let response = app
        .post_json("/marketplace/activate", json!({ "token": token }))
        .await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["success"], true);
    assert_eq!(body["salon_id"], i64::from(salon_id));
    app.wait_for_status(salon_id, &["active"], PATIENCE).await;
    let statuses: Vec<u16> = app.requests_to(CALLBACK).iter().map(|r| r.status).collect();
    assert_eq!(statuses, [403, 200]);
    app.wait_until_ready(salon_id, PATIENCE).await;
}

#[tokio::test]
async fn two_activate_clicks_racing_the_automatic_activation_make_one_callback() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Двойной клик»");
    app.yclients.state.inject(Fault {
        body: Some(r#"{"success":true}"#.to_owned()),
        delay_ms: 1500,
        ..Fault::status(CALLBACK, 200, 1)
    });
    let token = app.onboard(salon_id, OWNER_PHONE).await;
    eventually(
        PATIENCE,
        "the automatic callback to be in flight",
        || async { (!app.requests_to(CALLBACK).is_empty()).then_some(()) },
    )
    .await;

    let click = || app.post_json("/marketplace/activate", json!({ "token": token }));
    let (first, second) = tokio::join!(click(), click());

    assert_eq!(first.status(), 200);
    assert_eq!(second.status(), 200);
    assert_eq!(
        app.requests_to(CALLBACK).len(),
        1,
        "one callback for all three"
    );
    assert_eq!(
        events(&app, salon_id, "integration_activated").await.len(),
        1
    );
}

#[tokio::test]
async fn activate_refuses_bad_requests() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Проверка»");
    let token = app.register(salon_id).await;

    let not_json = app
        .http
        .post(format!("{}/marketplace/activate", app.address))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
    let forged = app
        .post_json("/marketplace/activate", json!({ "token": "a.b.c" }))
        .await;
    assert_eq!(forged.status(), 401);
    let too_early = app
        .post_json("/marketplace/activate", json!({ "token": token }))
        .await;
    assert_eq!(too_early.status(), 409, "WhatsApp is not linked yet");
    assert!(app.requests_to(CALLBACK).is_empty());
}

#[tokio::test]
async fn an_activated_salon_gets_the_spec_cron_table_in_its_own_time_zone() {
    let app = spawn_app().await;
    let salon_id = app.add_salon_with("Салон «Урал»", "Asia/Yekaterinburg", SalonSize::DEMO);
    app.onboard(salon_id, OWNER_PHONE).await;
    app.wait_until_ready(salon_id, PATIENCE).await;

    let zone: chrono_tz::Tz = "Asia/Yekaterinburg".parse().unwrap();
    for (part, cron) in CRON_TABLE {
        let handle = app
            .temporal
            .get_schedule_handle(schedule_id(salon_id, part));
        let description = handle.describe(Default::default()).await.unwrap();
        let raw = description.raw();
        let spec = raw.schedule.as_ref().and_then(|s| s.spec.as_ref()).unwrap();
        assert_eq!(spec.timezone_name, "Asia/Yekaterinburg", "{part:?}");
        let policies = raw
            .schedule
            .as_ref()
            .and_then(|s| s.policies.as_ref())
            .unwrap();
        assert_eq!(
            policies.overlap_policy, 1,
            "{part:?}: skip while a run is going"
        );
        // The next runs fall where the cron line says, in the salon's local time.
        let next: Vec<chrono::DateTime<chrono_tz::Tz>> = raw
            .info
            .as_ref()
            .unwrap()
            .future_action_times
            .iter()
            .map(|t| {
                chrono::DateTime::from_timestamp(t.seconds, 0)
                    .unwrap()
                    .with_timezone(&zone)
            })
            .collect();
        assert!(!next.is_empty(), "{part:?} has future runs");
        for at in &next {
            use chrono::{Datelike, Timelike};
            let (minute, hour) = (at.minute(), at.hour());
            let fits = match cron {
                "*/15 * * * *" => minute % 15 == 0,
                "0 8-23 * * *" => minute == 0 && (8..=23).contains(&hour),
                "0 0 * * 0" => minute == 0 && hour == 0 && at.weekday() == chrono::Weekday::Sun,
                other => {
                    let expected_hour: u32 = other.split(' ').nth(1).unwrap().parse().unwrap();
                    minute == 0 && hour == expected_hour
                }
            };
            assert!(fits, "{part:?} ({cron}) runs at {at}");
        }
    }
}

#[tokio::test]
async fn a_resync_marks_what_yclients_deleted_as_inactive() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Перемены»");
    app.onboard(salon_id, OWNER_PHONE).await;
    app.wait_until_ready(salon_id, PATIENCE).await;
    let removed = app.yclients.state.salon(salon_id.into()).unwrap().services[0].id;
    app.yclients.state.update_salon(salon_id.into(), |salon| {
        salon.services.retain(|s| s.id != removed)
    });

    let report = app.sync(salon_id, vec![SyncPart::Services]).await;

    assert_eq!(report.parts[0].deactivated, 1);
    let active: bool = sqlx::query_scalar(
        "SELECT s.active FROM services s JOIN companies c ON c.id = s.company_id
         WHERE c.yclients_id = $1 AND s.yclients_id = $2",
    )
    .bind(salon_id.get())
    .bind(removed as i32)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(!active);
}

#[tokio::test]
async fn a_salon_with_ten_thousand_clients_syncs() {
    let app = spawn_app().await;
    let size = SalonSize {
        services: 300,
        staff: 50,
        clients: 10_000,
        schedule_days: 30,
        records: 5_000,
    };
    let salon_id = app.add_salon_with("Салон «Большой»", "Europe/Moscow", size);
    app.register(salon_id).await;

    let started = Instant::now();
    let report = app.sync(salon_id, Vec::new()).await;
    let elapsed = started.elapsed();

    eprintln!(
        "10 000-client salon: {} rows, {} requests, {elapsed:?} ({:.0} rows/s)",
        report.rows(),
        report.requests(),
        report.rows() as f64 / elapsed.as_secs_f64()
    );
    assert_synced(&app, salon_id).await;
}

#[tokio::test]
async fn a_worker_killed_mid_sync_resumes_and_writes_every_row_once() {
    let mut app = spawn_app_with(AppOptions {
        separate_process: true,
        ..AppOptions::default()
    })
    .await;
    let size = SalonSize {
        clients: 3_000,
        ..SalonSize::DEMO
    };
    let salon_id = app.add_salon_with("Салон «Перезапуск»", "Europe/Moscow", size);
    // Slow client pages, so the sync is surely in the middle when the worker dies.
    app.yclients.state.inject(Fault::delay(
        &format!("/api/v1/company/{salon_id}/clients/search"),
        Duration::from_millis(400),
        15,
    ));
    app.onboard(salon_id, OWNER_PHONE).await;
    let clients_sql = "SELECT COUNT(*) FROM clients t JOIN companies c ON c.id = t.company_id WHERE c.yclients_id = $1";
    eventually(PATIENCE, "the clients sync to be under way", || async {
        let synced = app.count_rows(clients_sql, salon_id).await;
        (synced > 0 && synced < 3_000).then_some(())
    })
    .await;

    app.kill();
    let at_kill = app.count_rows(clients_sql, salon_id).await;
    app.restart().await;
    app.wait_until_ready(salon_id, PATIENCE).await;

    assert!(at_kill < 3_000, "killed in the middle ({at_kill} clients)");
    assert_synced(&app, salon_id).await;
    assert_eq!(
        app.count_rows(clients_sql, salon_id).await,
        3_000,
        "no duplicates"
    );
    assert_eq!(full_syncs_completed(&app, salon_id).await.len(), 1);
    assert_eq!(
        app.requests_to(CALLBACK).len(),
        1,
        "activation was not repeated"
    );
    ai_admin_tests::faults::record(&ai_admin_tests::faults::Row {
        id: "sync-worker-killed",
        fault: "the app process SIGKILLed in the middle of the first sync, then restarted",
        checked: "ready; every row once; one sync_completed; one activation callback",
        observed: format!("killed at {at_kill} of 3000 clients; resumed to 3000"),
    });
}

#[tokio::test]
async fn an_owner_coming_back_to_an_active_salon_finds_it_linked_and_nothing_is_activated_again() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Снова»");
    app.onboard(salon_id, OWNER_PHONE).await;
    app.wait_until_ready(salon_id, PATIENCE).await;
    let first = app
        .temporal
        .get_workflow_handle::<OnboardingWorkflow>(format!("onboarding-{salon_id}"));
    first
        .get_result(WorkflowGetResultOptions::default())
        .await
        .unwrap();

    // The owner clicks "Connect" (or "settings") in YClients again: their console,
    // with the phone still linked.
    let token = app.console_session(&format!("salon_id={salon_id}")).await;
    let overview: serde_json::Value = app
        .get_with_token("/console/api/overview", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(overview["whatsapp"]["status"], "connected", "{overview}");
    assert_eq!(overview["salon"]["integration_status"], "active");

    assert_eq!(
        events(&app, salon_id, "integration_activated").await.len(),
        1
    );
    assert_eq!(
        app.requests_to(CALLBACK).len(),
        1,
        "one activation callback"
    );
}
