//! `POST /webhook/yclients` and `company-<salon_id>`: accepted durably, authenticated,
//! deduplicated, applied once and in order.

use ai_admin_activities::domain::SalonId;
use ai_admin_activities::recurring_sync::{CRON_TABLE, schedule_id};
use ai_admin_tests::{AppOptions, TestApp, record_event, spawn_app, spawn_app_with};
use ai_admin_workflows::company::CompanyWorkflow;
use serde_json::{Value, json};
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(60);
const OWNER_PHONE: &str = "79001234567";

async fn inbox_rows(app: &TestApp, salon_id: SalonId) -> i64 {
    app.count_rows(
        "SELECT COUNT(*) FROM webhook_inbox WHERE salon_id = $1",
        salon_id,
    )
    .await
}

async fn status(app: &TestApp, salon_id: SalonId) -> String {
    sqlx::query_scalar("SELECT integration_status FROM companies WHERE yclients_id = $1")
        .bind(salon_id.get())
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// A salon that went through onboarding: activated, synced, schedules created.
async fn ready_salon(app: &TestApp, title: &str) -> SalonId {
    let salon_id = app.add_salon(title);
    app.onboard(salon_id, OWNER_PHONE).await;
    app.wait_until_ready(salon_id, PATIENCE).await;
    salon_id
}

async fn booking(app: &TestApp, record_id: i64) -> Option<(String, Option<String>)> {
    sqlx::query_as("SELECT status, comment FROM bookings WHERE yclients_id = $1")
        .bind(record_id as i32)
        .fetch_optional(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn record_webhooks_in_every_shape_are_applied() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Записи»");
    app.register(salon_id).await;

    // A data event with the whole record.
    let created = app
        .webhook(&record_event(salon_id, 1_900_000_001, "create", "первая"))
        .await;
    assert_eq!(created.status(), 200);
    // The original system's shape with only the id: the record is fetched from YClients.
    let known = app.yclients.state.salon(salon_id.into()).unwrap().records[0].id;
    let updated = app
        .webhook(&json!({ "event_type": "record_updated", "salon_id": salon_id.get(), "data": { "id": known } }))
        .await;
    assert_eq!(updated.status(), 200);
    // A deletion.
    let deleted = app
        .webhook(&record_event(salon_id, 1_900_000_001, "delete", ""))
        .await;
    assert_eq!(deleted.status(), 200);

    app.wait_until_applied(salon_id, PATIENCE).await;
    assert_eq!(booking(&app, 1_900_000_001).await.unwrap().0, "deleted");
    assert!(
        booking(&app, known).await.is_some(),
        "the partial event was completed from YClients"
    );
    let client: Option<String> =
        sqlx::query_scalar("SELECT name FROM clients WHERE yclients_id = 4242")
            .fetch_optional(&app.db)
            .await
            .unwrap();
    assert_eq!(
        client.as_deref(),
        Some("Ольга Новая"),
        "the record's client is known"
    );
    let fetched = app
        .requests_to(&format!("/api/v1/record/{salon_id}/{known}"))
        .len();
    assert_eq!(fetched, 1);
}

#[tokio::test]
async fn client_service_and_staff_webhooks_refresh_those_entities() {
    let app = spawn_app().await;
    let salon_id = ready_salon(&app, "Салон «Справочники»").await;
    let salon = app.yclients.state.salon(salon_id.into()).unwrap();
    let client_id = salon.clients[0].id;
    app.yclients.state.update_salon(salon_id.into(), |salon| {
        salon.clients[0].name = "Переименованная Клиентка".into();
        salon.services.pop();
        salon.staff.pop();
    });

    for body in [
        json!({ "company_id": salon_id.get(), "resource": "client", "resource_id": client_id, "status": "update", "data": {} }),
        json!({ "company_id": salon_id.get(), "resource": "service", "resource_id": 1, "status": "delete", "data": {} }),
        json!({ "company_id": salon_id.get(), "resource": "staff", "resource_id": 1, "status": "update", "data": {} }),
    ] {
        assert_eq!(app.webhook(&body).await.status(), 200);
    }
    app.wait_until_applied(salon_id, PATIENCE).await;

    let name: String = sqlx::query_scalar("SELECT name FROM clients WHERE yclients_id = $1")
        .bind(client_id as i32)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(name, "Переименованная Клиентка");
    let active_services = app
        .count_rows("SELECT COUNT(*) FROM services s JOIN companies c ON c.id = s.company_id WHERE c.yclients_id = $1 AND s.active", salon_id)
        .await;
    assert_eq!(active_services as usize, salon.services.len() - 1);
    let active_staff = app
        .count_rows("SELECT COUNT(*) FROM staff s JOIN companies c ON c.id = s.company_id WHERE c.yclients_id = $1 AND s.active", salon_id)
        .await;
    assert_eq!(active_staff as usize, salon.staff.len() - 1);
}

async fn schedules_paused(app: &TestApp, salon_id: SalonId) -> Vec<bool> {
    let mut paused = Vec::new();
    for (part, _) in CRON_TABLE {
        let description = app
            .temporal
            .get_schedule_handle(schedule_id(salon_id, part))
            .describe(Default::default())
            .await
            .unwrap();
        paused.push(description.paused());
    }
    paused
}

#[tokio::test]
async fn freeze_pauses_the_salon_and_payment_resumes_it() {
    let app = spawn_app().await;
    let salon_id = ready_salon(&app, "Салон «Заморозка»").await;

    assert_eq!(
        app.webhook(&app.marketplace_event(salon_id, "freeze"))
            .await
            .status(),
        200
    );
    app.wait_until_applied(salon_id, PATIENCE).await;
    assert_eq!(status(&app, salon_id).await, "frozen");
    assert!(schedules_paused(&app, salon_id).await.iter().all(|p| *p));

    let payment = json!({ "event_type": "payment", "salon_id": salon_id.get(), "data": { "amount": 990 },
        "partner_token": app.config.yclients.partner_token.expose(), "application_id": app.config.yclients.app_id });
    assert_eq!(app.webhook(&payment).await.status(), 200);
    app.wait_until_applied(salon_id, PATIENCE).await;
    assert_eq!(status(&app, salon_id).await, "active");
    assert!(schedules_paused(&app, salon_id).await.iter().all(|p| !*p));
    let paid: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT last_payment_date FROM companies WHERE yclients_id = $1")
            .bind(salon_id.get())
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(paid.is_some());
    for event in ["frozen", "payment_received"] {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM marketplace_events WHERE salon_id = $1 AND event_type = $2",
        )
        .bind(salon_id.get())
        .bind(event)
        .fetch_one(&app.db)
        .await
        .unwrap();
        assert_eq!(count, 1, "{event}");
    }
}

#[tokio::test]
async fn uninstall_logs_out_removes_schedules_and_reinstall_starts_clean() {
    let app = spawn_app().await;
    let salon_id = ready_salon(&app, "Салон «Удаление»").await;

    assert_eq!(
        app.webhook(&app.marketplace_event(salon_id, "uninstall"))
            .await
            .status(),
        200
    );
    app.wait_until_applied(salon_id, PATIENCE).await;

    assert_eq!(status(&app, salon_id).await, "uninstalled");
    let connected: bool =
        sqlx::query_scalar("SELECT whatsapp_connected FROM companies WHERE yclients_id = $1")
            .bind(salon_id.get())
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(!connected);
    let sessions: Value = app
        .get("/dev/whatsapp/sessions")
        .await
        .json()
        .await
        .unwrap();
    let session = sessions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["session_id"] == format!("company_{salon_id}"))
        .unwrap();
    assert_eq!(session["status"], "logged_out", "the phone was unlinked");
    for (part, _) in CRON_TABLE {
        let gone = app
            .temporal
            .get_schedule_handle(schedule_id(salon_id, part))
            .describe(Default::default())
            .await;
        assert!(gone.is_err(), "{part:?} schedule deleted");
    }

    // Reinstalling starts from a fresh onboarding.
    app.register(salon_id).await;
    assert_eq!(status(&app, salon_id).await, "pending_whatsapp");
}

#[tokio::test]
async fn forged_tokens_wrong_app_ids_and_bad_signatures_are_refused_and_store_nothing() {
    let app = spawn_app_with(AppOptions {
        webhook_secret: Some("webhook-secret".into()),
        ..AppOptions::default()
    })
    .await;
    let salon_id = app.add_salon("Салон «Подделка»");
    app.register(salon_id).await;

    let mut forged = app.marketplace_event(salon_id, "uninstall");
    forged["partner_token"] = json!("not-ours");
    let mut wrong_app = app.marketplace_event(salon_id, "uninstall");
    wrong_app["application_id"] = json!("someone-else");
    let mut no_token = app.marketplace_event(salon_id, "freeze");
    no_token.as_object_mut().unwrap().remove("partner_token");
    for (name, body) in [
        ("forged token", forged),
        ("wrong app", wrong_app),
        ("no token", no_token),
    ] {
        assert_eq!(app.webhook(&body).await.status(), 401, "{name}");
    }

    let body = record_event(salon_id, 1_900_000_002, "create", "x").to_string();
    for signature in [
        None,
        Some("sha256=00"),
        Some("sha256=not-hex"),
        Some("deadbeef"),
    ] {
        let mut request = app
            .http
            .post(format!("{}/webhook/yclients", app.address))
            .body(body.clone());
        if let Some(signature) = signature {
            request = request.header("x-signature", signature);
        }
        assert_eq!(request.send().await.unwrap().status(), 401, "{signature:?}");
    }

    assert_eq!(inbox_rows(&app, salon_id).await, 0);
    assert_eq!(status(&app, salon_id).await, "pending_whatsapp");
    let company = app
        .temporal
        .get_workflow_handle::<CompanyWorkflow>(format!("company-{salon_id}"))
        .describe(Default::default())
        .await;
    assert!(company.is_err(), "no workflow was signalled");

    // Signed correctly, the same record event is taken.
    assert_eq!(app.webhook_raw(body.into_bytes()).await.status(), 200);
}

#[tokio::test]
async fn the_same_webhook_delivered_five_times_at_once_is_stored_and_applied_once() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Повтор»");
    app.register(salon_id).await;
    let body = record_event(salon_id, 1_900_000_003, "create", "однажды");

    let responses = futures::future::join_all((0..5).map(|_| app.webhook(&body))).await;

    assert!(responses.iter().all(|r| r.status() == 200));
    assert_eq!(inbox_rows(&app, salon_id).await, 1);
    app.wait_until_applied(salon_id, PATIENCE).await;
    let applied: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM webhook_inbox WHERE salon_id = $1 AND status = 'applied'",
    )
    .bind(salon_id.get())
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(applied, 1);
}

#[tokio::test]
async fn a_hundred_record_events_fired_at_once_are_applied_in_arrival_order() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Очередь»");
    app.register(salon_id).await;
    let record_id = 1_900_000_004;

    let bodies: Vec<Value> = (0..100)
        .map(|n| record_event(salon_id, record_id, "update", &format!("версия {n}")))
        .collect();
    let responses = futures::future::join_all(bodies.iter().map(|body| app.webhook(body))).await;
    assert!(responses.iter().all(|r| r.status() == 200));
    app.wait_until_applied(salon_id, PATIENCE).await;

    let seqs: Vec<i64> =
        sqlx::query_scalar("SELECT seq FROM webhook_inbox WHERE salon_id = $1 ORDER BY seq")
            .bind(salon_id.get())
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(
        seqs,
        (1..=100).collect::<Vec<i64>>(),
        "one gap-free sequence"
    );
    let last: String = sqlx::query_scalar(
        "SELECT payload->'data'->>'comment' FROM webhook_inbox WHERE salon_id = $1 ORDER BY seq DESC LIMIT 1",
    )
    .bind(salon_id.get())
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(
        booking(&app, record_id).await.unwrap().1.as_deref(),
        Some(last.as_str())
    );
    let order: Vec<i64> = sqlx::query_scalar(
        "SELECT seq FROM webhook_inbox WHERE salon_id = $1 ORDER BY applied_at, seq",
    )
    .bind(salon_id.get())
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(order, seqs, "applied in sequence order");
}

#[tokio::test]
async fn webhooks_for_unknown_salons_are_kept_as_orphans_without_a_workflow() {
    let app = spawn_app().await;
    let stranger = app.unknown_salon();

    let response = app
        .webhook(&record_event(stranger, 1_900_000_005, "create", "?"))
        .await;

    assert_eq!(response.status(), 202);
    let status: String = sqlx::query_scalar("SELECT status FROM webhook_inbox WHERE salon_id = $1")
        .bind(stranger.get())
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(status, "orphan");
    let company = app
        .temporal
        .get_workflow_handle::<CompanyWorkflow>(format!("company-{stranger}"))
        .describe(Default::default())
        .await;
    assert!(company.is_err());
}

#[tokio::test]
async fn unknown_events_are_kept_and_acknowledged() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Неизвестное»");
    app.register(salon_id).await;
    let body = json!({ "company_id": salon_id.get(), "resource": "goods_transaction", "status": "create", "data": {} });

    let response = app.webhook(&body).await;

    assert_eq!(response.status(), 200);
    let status: String = sqlx::query_scalar("SELECT status FROM webhook_inbox WHERE salon_id = $1")
        .bind(salon_id.get())
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(status, "ignored");
}

#[tokio::test]
async fn malformed_and_oversized_bodies_are_refused_and_store_nothing() {
    let app = spawn_app().await;
    for (body, expected) in [
        (b"{".to_vec(), 400),
        (b"[1, 2, 3]".to_vec(), 400),
        (b"".to_vec(), 400),
        (vec![b' '; 300 * 1024], 413),
    ] {
        let response = app.webhook_raw(body).await;
        assert_eq!(response.status(), expected);
        let reply: Value = response.json().await.unwrap();
        assert_eq!(reply["success"], false);
    }
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_inbox")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, 0);
}

/// A body of one of the fuzzer's families: noise, broken JSON, or a real webhook with
/// a part mutated.
fn fuzz_body(rng: &mut impl rand::Rng, salon_id: SalonId, templates: &[Value]) -> Vec<u8> {
    match rng.random_range(0..6) {
        0 => (0..rng.random_range(0..512))
            .map(|_| rng.random::<u8>())
            .collect(),
        1 => {
            let text = templates[rng.random_range(0..templates.len())].to_string();
            let cut = rng.random_range(0..text.len());
            text.as_bytes()[..cut].to_vec()
        }
        2 => "[".repeat(rng.random_range(1..200)).into_bytes(),
        _ => {
            let mut body = templates[rng.random_range(0..templates.len())].clone();
            let object = body.as_object_mut().unwrap();
            let keys: Vec<String> = object.keys().cloned().collect();
            let key = &keys[rng.random_range(0..keys.len())];
            let replacement = match rng.random_range(0..8) {
                0 => Value::Null,
                1 => json!(rng.random::<i64>()),
                2 => json!(-1),
                3 => json!("🙂".repeat(rng.random_range(0..50))),
                4 => json!([1, {"x": []}]),
                5 => json!({ "nested": { "deeper": [salon_id.get()] } }),
                6 => json!(rng.random::<f64>()),
                _ => {
                    object.remove(key);
                    return body.to_string().into_bytes();
                }
            };
            object.insert(key.clone(), replacement);
            body.to_string().into_bytes()
        }
    }
}

#[tokio::test]
async fn thousands_of_random_and_mutated_bodies_never_cause_a_server_error() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Фаззинг»");
    app.register(salon_id).await;
    let templates = vec![
        record_event(salon_id, 1_900_000_006, "update", "f"),
        app.marketplace_event(salon_id, "payment"),
        json!({ "event_type": "record_deleted", "salon_id": salon_id.get(), "data": { "id": 7 } }),
        json!({ "company_id": salon_id.get(), "resource": "client", "resource_id": 9, "status": "update", "data": { "id": 9, "phone": "+7" } }),
    ];
    let mut rng = rand::rng();
    let bodies: Vec<Vec<u8>> = (0..3_000)
        .map(|_| fuzz_body(&mut rng, salon_id, &templates))
        .collect();

    let statuses: Vec<u16> = futures::StreamExt::collect(futures::StreamExt::buffer_unordered(
        futures::stream::iter(
            bodies
                .into_iter()
                .map(|body| async { app.webhook_raw(body).await.status().as_u16() }),
        ),
        16,
    ))
    .await;

    assert_eq!(statuses.len(), 3_000);
    let allowed = [200, 202, 400, 401, 413];
    let unexpected: Vec<_> = statuses.iter().filter(|s| !allowed.contains(s)).collect();
    assert!(unexpected.is_empty(), "unexpected statuses: {unexpected:?}");
    // The app is still healthy, and whatever was stored gets applied.
    assert_eq!(app.get("/marketplace/health").await.status(), 200);
    app.wait_until_applied(salon_id, Duration::from_secs(120))
        .await;
}
