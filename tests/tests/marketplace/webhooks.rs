//! `POST /webhook/yclients` (marketplace events), a salon's own data-webhook URL, and
//! `company-<salon_id>`: accepted durably, authenticated, deduplicated, applied once and
//! in order, from what YClients says.

use ai_admin_activities::acts::recurring_sync::{CRON_TABLE, schedule_id};
use ai_admin_activities::domain::SalonId;
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
async fn record_webhooks_in_every_shape_are_applied_as_yclients_has_them() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Записи»");
    app.register(salon_id).await;
    let record_id = 1_900_000_001;
    app.add_yclients_record(salon_id, record_id);

    // A data event with a whole record in it: the record is taken from YClients, not
    // from the payload (whose client is made up).
    let created = app
        .data_webhook(
            salon_id,
            &record_event(salon_id, record_id, "create", "первая"),
        )
        .await;
    assert_eq!(created.status(), 200);
    // The original system's shape with only the id.
    let known = app.yclients.state.salon(salon_id.into()).unwrap().records[0].id;
    let updated = app
        .data_webhook(salon_id, &json!({ "event_type": "record_updated", "salon_id": salon_id.get(), "data": { "id": known } }))
        .await;
    assert_eq!(updated.status(), 200);
    app.wait_until_applied(salon_id, PATIENCE).await;
    assert!(booking(&app, record_id).await.is_some(), "created");
    assert!(
        booking(&app, known).await.is_some(),
        "completed from YClients"
    );
    let made_up: Option<String> =
        sqlx::query_scalar("SELECT name FROM clients WHERE yclients_id = 4242")
            .fetch_optional(&app.db)
            .await
            .unwrap();
    assert_eq!(made_up, None, "the payload's client was not believed");

    // A deletion YClients does not confirm changes nothing; one it confirms is applied.
    let early_delete = app
        .data_webhook(salon_id, &record_event(salon_id, record_id, "delete", ""))
        .await;
    assert_eq!(early_delete.status(), 200);
    app.wait_until_applied(salon_id, PATIENCE).await;
    assert_ne!(booking(&app, record_id).await.unwrap().0, "deleted");
    app.yclients.state.update_salon(salon_id.into(), |salon| {
        salon.records.retain(|r| r.id != record_id);
    });
    let deleted = app
        .data_webhook(
            salon_id,
            &json!({ "company_id": salon_id.get(), "resource": "record", "resource_id": record_id, "status": "delete" }),
        )
        .await;
    assert_eq!(deleted.status(), 200);
    app.wait_until_applied(salon_id, PATIENCE).await;
    assert_eq!(booking(&app, record_id).await.unwrap().0, "deleted");
    let fetched = app
        .requests_to(&format!("/api/v1/record/{salon_id}/{record_id}"))
        .len();
    assert_eq!(fetched, 3, "every record webhook asked YClients");
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
        assert_eq!(app.data_webhook(salon_id, &body).await.status(), 200);
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
    assert_eq!(app.whatsapp_connected(salon_id).await, Some(false));
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
    let url = app.salon_webhook_url(salon_id).await;
    for signature in [
        None,
        Some("sha256=00"),
        Some("sha256=not-hex"),
        Some("deadbeef"),
    ] {
        let mut request = app.http.post(&url).body(body.clone());
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

    // Signed correctly, the same record event is taken at the salon's URL, and refused
    // at the marketplace one (it carries no partner token).
    assert_eq!(
        app.webhook_raw(body.clone().into_bytes()).await.status(),
        401
    );
    assert_eq!(
        app.data_webhook_raw(salon_id, body.into_bytes())
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn the_same_webhook_delivered_five_times_at_once_is_stored_and_applied_once() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Повтор»");
    app.register(salon_id).await;
    let body = record_event(salon_id, 1_900_000_003, "create", "однажды");

    app.salon_webhook_url(salon_id).await;
    let responses =
        futures::future::join_all((0..5).map(|_| app.data_webhook(salon_id, &body))).await;

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
    app.add_yclients_record(salon_id, record_id);
    app.salon_webhook_url(salon_id).await;

    let bodies: Vec<Value> = (0..100)
        .map(|n| record_event(salon_id, record_id, "update", &format!("версия {n}")))
        .collect();
    let responses =
        futures::future::join_all(bodies.iter().map(|body| app.data_webhook(salon_id, body))).await;
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
    assert!(booking(&app, record_id).await.is_some());
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

    // A marketplace event (ours: our token) for a salon we never saw is kept.
    let response = app
        .webhook(&app.marketplace_event(stranger, "freeze"))
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

    // A data webhook for it has no URL to come to.
    let body = record_event(stranger, 1_900_000_005, "create", "?").to_string();
    let response = app
        .http
        .post(format!(
            "{}/webhook/yclients/{stranger}/{}",
            app.address,
            "0".repeat(64)
        ))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(inbox_rows(&app, stranger).await, 1);
}

#[tokio::test]
async fn unknown_events_are_kept_and_acknowledged() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Неизвестное»");
    app.register(salon_id).await;
    let body = json!({ "company_id": salon_id.get(), "resource": "goods_transaction", "status": "create", "data": {} });

    let response = app.data_webhook(salon_id, &body).await;

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
