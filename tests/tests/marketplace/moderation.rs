//! The five scenarios YClients' moderators play on a live salon, end to end against the
//! simulators: connecting; a payment reported (once, through a 503); a refund; disabling
//! and reconnecting (personal data deleted after the grace period, payments kept); and a
//! user who already has an account.

use ai_admin_activities::domain::SalonId;
use ai_admin_simulators::yclients::{Fault, InstallState};
use ai_admin_tests::{AppOptions, OPS_TOKEN, TestApp, eventually, spawn_app, spawn_app_with};
use serde_json::{Value, json};
use std::time::Duration;

const PAYMENT: &str = "/marketplace/partner/payment";

const OWNER_PHONE: &str = "79001117700";
const PATIENCE: Duration = Duration::from_secs(90);

async fn ready_salon(app: &TestApp, title: &str) -> SalonId {
    let salon_id = app.add_salon(title);
    app.onboard(salon_id, OWNER_PHONE).await;
    app.wait_until_ready(salon_id, PATIENCE).await;
    salon_id
}

async fn status(app: &TestApp, salon_id: SalonId) -> String {
    sqlx::query_scalar("SELECT integration_status FROM companies WHERE yclients_id = $1")
        .bind(salon_id.get())
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn disabling_and_reconnecting_the_application_works_again() {
    let app = spawn_app().await;
    let salon_id = ready_salon(&app, "Салон «Снова с нами»").await;
    assert_eq!(
        app.yclients.state.install_state(salon_id.into()),
        InstallState::Active
    );

    app.uninstall(salon_id).await;
    assert_eq!(status(&app, salon_id).await, "uninstalled");

    let token = app.reinstall(salon_id).await;
    app.link_from_page(&token, salon_id, OWNER_PHONE).await;
    eventually(PATIENCE, "the second install to be ready", || async {
        (app.times_ready(salon_id).await >= 2).then_some(())
    })
    .await;
    assert_eq!(status(&app, salon_id).await, "active");
    assert_eq!(
        app.yclients.state.install_state(salon_id.into()),
        InstallState::Active
    );
    let callbacks = app.requests_to("/marketplace/partner/callback/redirect");
    assert_eq!(
        callbacks.iter().map(|r| r.status).collect::<Vec<_>>(),
        [200, 200],
        "one callback per install"
    );
    // The new install's webhook URL takes data; the old one does not.
    let url = |n: usize| {
        let sent = callbacks[n].body.as_ref().unwrap()["webhook_urls"][0]
            .as_str()
            .unwrap()
            .to_owned();
        let path = &sent[sent.find("/webhook/").unwrap()..];
        format!("{}{path}", app.address)
    };
    let (old, new) = (url(0), url(1));
    assert_ne!(old, new);
    let hint = serde_json::json!({"company_id": salon_id.get(), "resource": "client",
        "resource_id": 1, "status": "update", "data": {}});
    assert_eq!(
        app.http
            .post(&new)
            .json(&hint)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        app.http
            .post(&old)
            .json(&hint)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

/// `POST` with the ops token (and an `Idempotency-Key` when given): status and body.
async fn ops_post(app: &TestApp, path: &str, body: Value, key: Option<&str>) -> (u16, Value) {
    let mut request = app
        .http
        .post(format!("{}{path}", app.address))
        .bearer_auth(OPS_TOKEN)
        .json(&body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `GET` with the ops token: the body.
async fn ops_get(app: &TestApp, path: &str) -> Value {
    get_json(app, path, OPS_TOKEN).await
}

/// `GET` with a Bearer token: the body.
async fn get_json(app: &TestApp, path: &str, token: &str) -> Value {
    app.get_with_token(path, token)
        .await
        .json()
        .await
        .unwrap_or(Value::Null)
}

fn december() -> Value {
    json!({"amount": "2990.00", "currency": "RUB",
           "period_from": "2026-12-01", "period_to": "2026-12-31"})
}

async fn events_of(app: &TestApp, salon_id: SalonId, event_type: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM marketplace_events WHERE salon_id = $1 AND event_type = $2",
    )
    .bind(salon_id.get())
    .bind(event_type)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

fn payment_posts(app: &TestApp) -> Vec<u16> {
    app.requests_to(PAYMENT)
        .iter()
        .filter(|r| r.method == "POST" && r.path == PAYMENT)
        .map(|r| r.status)
        .collect()
}

#[tokio::test]
async fn a_payment_is_reported_once_through_a_503_and_refunded_once() {
    let app = spawn_app().await;
    let salon_id = ready_salon(&app, "Салон «Касса»").await;
    app.yclients.state.inject(Fault::status(PAYMENT, 503, 1));

    let path = format!("/ops/salons/{salon_id}/payments");
    let (status, body) = ops_post(&app, &path, december(), Some("invoice-17")).await;
    assert_eq!(status, 201, "{body}");
    let reported = app.yclients.state.payments();
    assert_eq!(reported.len(), 1, "one payment in YClients");
    assert_eq!(body["yclients_payment_id"], reported[0].id);
    assert_eq!(payment_posts(&app), [503, 201], "retried after the 503");
    let sent = &reported[0];
    assert_eq!(sent.payment_sum, json!("2990.00"));
    assert_eq!(sent.currency_iso, "RUB");
    assert_eq!(sent.period_from, "2026-12-01 00:00:00");
    assert_eq!(sent.period_to, "2026-12-31 23:59:59");

    // Ops repeat the request: the same payment, not a second one.
    let (again, repeat) = ops_post(&app, &path, december(), Some("invoice-17")).await;
    assert_eq!(again, 201, "{repeat}");
    assert_eq!(repeat["payment_id"], body["payment_id"]);
    assert_eq!(app.yclients.state.payments().len(), 1);
    assert_eq!(payment_posts(&app).len(), 2);
    let mut other = december();
    other["amount"] = json!(100);
    let (conflict, _) = ops_post(&app, &path, other, Some("invoice-17")).await;
    assert_eq!(conflict, 409, "a key reused for another payment");
    assert_eq!(events_of(&app, salon_id, "payment_reported").await, 1);

    let listed = ops_get(&app, &path).await;
    assert_eq!(listed["subscription"]["state"], "paid", "{listed}");
    assert_eq!(listed["payments"][0]["amount"], "2990.00");

    let refund = format!("{path}/{}/refund", body["payment_id"]);
    let (status, refunded) = ops_post(&app, &refund, json!({}), None).await;
    assert_eq!(status, 200, "{refunded}");
    assert_eq!(refunded["status"], "refunded");
    assert!(app.yclients.state.payments()[0].is_refunded);
    let (status, _) = ops_post(&app, &refund, json!({}), None).await;
    assert_eq!(status, 200, "a second refund call changes nothing");
    let refunds = app
        .yclients
        .state
        .requests()
        .iter()
        .filter(|r| r.path.starts_with(&format!("{PAYMENT}/refund/")))
        .count();
    assert_eq!(refunds, 1, "YClients hears of the refund once");
    assert_eq!(events_of(&app, salon_id, "payment_refunded").await, 1);
    let listed = ops_get(&app, &path).await;
    assert_ne!(listed["subscription"]["state"], "paid", "{listed}");

    // Nonsense is refused before anything is recorded.
    for bad in [
        json!({"amount": "-1", "currency": "RUB", "period_from": "2026-12-01", "period_to": "2026-12-31"}),
        json!({"amount": 10, "currency": "рубли", "period_from": "2026-12-01", "period_to": "2026-12-31"}),
        json!({"amount": 10, "currency": "RUB", "period_from": "2026-12-31", "period_to": "2026-12-01"}),
        json!({"amount": 10, "currency": "RUB", "period_from": "1 декабря", "period_to": "2026-12-31"}),
        json!({"amount": 10, "currency": "RUB", "period_from": "2026-12-01", "period_to": "2026-12-31", "tariff": "gold"}),
    ] {
        let (status, _) = ops_post(&app, &path, bad.clone(), None).await;
        assert_eq!(status, 400, "{bad}");
    }
    let unauthorized = app
        .http
        .post(format!("{}{path}", app.address))
        .json(&december())
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), 401);
    let never = app.add_salon("Салон «Не подключён»");
    let (status, _) = ops_post(
        &app,
        &format!("/ops/salons/{never}/payments"),
        december(),
        None,
    )
    .await;
    assert_eq!(status, 404, "an unregistered salon");
    assert_eq!(app.yclients.state.payments().len(), 1);
}

#[tokio::test]
async fn a_report_whose_answer_was_lost_is_found_at_yclients_not_sent_again() {
    let app = spawn_app().await;
    let salon_id = ready_salon(&app, "Салон «Тишина»").await;
    // YClients takes the payment at once but answers 11 s late, past our client's 10 s
    // timeout: the answer is lost.
    app.yclients
        .state
        .inject(Fault::late_answer(PAYMENT, Duration::from_secs(11), 1));
    let path = format!("/ops/salons/{salon_id}/payments");
    let (status, body) = ops_post(&app, &path, december(), None).await;
    assert!(status == 201 || status == 202, "{status} {body}");
    let reported = eventually(PATIENCE, "the payment to be reported", || async {
        ops_get(&app, &path).await["payments"][0]["yclients_payment_id"].as_i64()
    })
    .await;
    let log: Vec<_> = app
        .yclients
        .state
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/marketplace"))
        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
        .collect();
    assert_eq!(
        app.yclients.state.payments().len(),
        1,
        "not doubled: {log:?}"
    );
    assert_eq!(reported, app.yclients.state.payments()[0].id);
    assert_eq!(payment_posts(&app).len(), 1, "sent once: {log:?}");
}

async fn personal_rows(app: &TestApp, salon_id: SalonId) -> Vec<(&'static str, i64)> {
    let mut counts = Vec::new();
    for (name, sql) in [
        (
            "clients",
            "SELECT COUNT(*) FROM clients t JOIN companies c ON c.id = t.company_id WHERE c.yclients_id = $1",
        ),
        (
            "bookings",
            "SELECT COUNT(*) FROM bookings t JOIN companies c ON c.id = t.company_id WHERE c.yclients_id = $1",
        ),
        (
            "staff",
            "SELECT COUNT(*) FROM staff t JOIN companies c ON c.id = t.company_id WHERE c.yclients_id = $1",
        ),
        (
            "conversations",
            "SELECT COUNT(*) FROM conversations WHERE salon_id = $1",
        ),
        (
            "inbound",
            "SELECT COUNT(*) FROM inbound_messages WHERE salon_id = $1",
        ),
        (
            "outbound",
            "SELECT COUNT(*) FROM outbound_messages WHERE salon_id = $1",
        ),
        (
            "turns",
            "SELECT COUNT(*) FROM assistant_turns WHERE salon_id = $1",
        ),
        (
            "handoff events",
            "SELECT COUNT(*) FROM marketplace_events WHERE salon_id = $1 AND event_type = 'whatsapp_connected'",
        ),
        (
            "owner phone",
            "SELECT COUNT(*) FROM companies WHERE yclients_id = $1 AND marketplace_user_phone IS NOT NULL",
        ),
    ] {
        counts.push((name, app.count_rows(sql, salon_id).await));
    }
    counts
}

#[tokio::test]
async fn uninstall_deletes_personal_data_after_the_grace_period_keeps_payments_and_a_reinstall_starts_clean()
 {
    let app = spawn_app_with(AppOptions {
        env: vec![("PERSONAL_DATA_GRACE", "4s".to_owned())],
        ..AppOptions::default()
    })
    .await;
    let salon_id = app.add_salon("Салон «Забвение»");
    let token = app.page_token(&app.signed_entry(salon_id, None)).await;
    app.link_from_page(&token, salon_id, OWNER_PHONE).await;
    app.wait_until_ready(salon_id, PATIENCE).await;
    app.client_says(salon_id, "79005550404", "Сколько стоит маникюр?")
        .await;
    app.wait_for_replies(salon_id, "79005550404", 1, PATIENCE)
        .await;
    let (paid, _) = ops_post(
        &app,
        &format!("/ops/salons/{salon_id}/payments"),
        december(),
        None,
    )
    .await;
    assert_eq!(paid, 201);

    app.uninstall(salon_id).await;
    // Inside the grace period nothing is gone yet.
    let before = personal_rows(&app, salon_id).await;
    assert!(before.iter().all(|(_, n)| *n > 0), "{before:?}");

    eventually(PATIENCE, "the personal data to be erased", || async {
        (events_of(&app, salon_id, "personal_data_erased").await == 1).then_some(())
    })
    .await;
    let after = personal_rows(&app, salon_id).await;
    assert!(after.iter().all(|(_, n)| *n == 0), "{after:?}");
    assert_eq!(
        app.count_rows(
            "SELECT COUNT(*) FROM payments WHERE salon_id = $1",
            salon_id
        )
        .await,
        1,
        "accounting keeps the payment"
    );
    assert_eq!(events_of(&app, salon_id, "payment_reported").await, 1);
    assert_eq!(events_of(&app, salon_id, "uninstalled").await, 1);
    let leftover: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT event_type FROM marketplace_events WHERE salon_id = $1
           AND NOT (event_type = ANY($2))",
    )
    .bind(salon_id.get())
    .bind(&ai_admin_activities::db::erasure::KEPT_EVENTS[..])
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert!(leftover.is_empty(), "{leftover:?}");

    // Installed again, the salon starts clean and works.
    let token = app.reinstall(salon_id).await;
    app.link_from_page(&token, salon_id, OWNER_PHONE).await;
    eventually(PATIENCE, "the second install to be ready", || async {
        (app.times_ready(salon_id).await >= 1 && status(&app, salon_id).await == "active")
            .then_some(())
    })
    .await;
    let clients = app
        .count_rows(
            "SELECT COUNT(*) FROM clients t JOIN companies c ON c.id = t.company_id WHERE c.yclients_id = $1",
            salon_id,
        )
        .await;
    assert!(clients > 0, "the first sync filled the salon again");
    app.client_says(salon_id, "79005550404", "А педикюр?").await;
    app.wait_for_replies(salon_id, "79005550404", 1, PATIENCE)
        .await;
}

#[tokio::test]
async fn a_reinstall_inside_the_grace_period_keeps_the_salons_data() {
    let app = spawn_app_with(AppOptions {
        env: vec![("PERSONAL_DATA_GRACE", "3s".to_owned())],
        ..AppOptions::default()
    })
    .await;
    let salon_id = ready_salon(&app, "Салон «Передумали»").await;
    app.uninstall(salon_id).await;
    app.reinstall(salon_id).await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(events_of(&app, salon_id, "personal_data_erased").await, 0);
    let clients = app
        .count_rows(
            "SELECT COUNT(*) FROM clients t JOIN companies c ON c.id = t.company_id WHERE c.yclients_id = $1",
            salon_id,
        )
        .await;
    assert!(clients > 0);
}

#[tokio::test]
async fn an_owner_with_an_account_connects_a_second_salon_and_still_opens_the_first() {
    let app = spawn_app().await;
    let first = app.add_salon("Салон «Первый»");
    let token = app.page_token(&app.signed_entry(first, None)).await;
    app.link_from_page(&token, first, OWNER_PHONE).await;
    app.wait_until_ready(first, PATIENCE).await;

    let second = app.add_salon("Салон «Второй»");
    let token = app.page_token(&app.signed_entry(second, None)).await;
    app.link_from_page(&token, second, "79001117711").await;
    app.wait_until_ready(second, PATIENCE).await;
    assert_eq!(status(&app, second).await, "active");

    // Back in the first salon's card, the same user lands on its console.
    let session = app.console_session(&app.signed_entry(first, None)).await;
    let overview = get_json(&app, "/console/api/overview", &session).await;
    assert_eq!(
        overview["salon"]["salon_id"],
        i64::from(first),
        "{overview}"
    );
    // Opening an installed salon again sent no second callback.
    assert_eq!(
        app.requests_to("/marketplace/partner/callback/redirect")
            .len(),
        2
    );
    // Both salons are theirs, and they switch to the second one.
    let theirs = get_json(&app, "/console/api/salons", &session).await;
    let ids: Vec<i64> = theirs["salons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["salon_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{theirs}");
    assert!(ids.contains(&i64::from(first)) && ids.contains(&i64::from(second)));
    let switched = app
        .post_with_token(
            &format!("/console/api/salons/{second}/session"),
            &session,
            json!({}),
        )
        .await;
    assert_eq!(switched.status(), 200);
    let switched: Value = switched.json().await.unwrap();
    let overview = get_json(
        &app,
        "/console/api/overview",
        switched["token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(
        overview["salon"]["salon_id"],
        i64::from(second),
        "{overview}"
    );
    assert_eq!(overview["subscription"]["state"], "trial", "{overview}");
    // Another owner's salon is not theirs to switch to.
    let stranger = app.add_salon("Салон «Чужой»");
    let token = app
        .page_token(&app.signed_entry_for(stranger, None, 777))
        .await;
    app.link_from_page(&token, stranger, "79001117722").await;
    app.wait_until_ready(stranger, PATIENCE).await;
    let refused = app
        .post_with_token(
            &format!("/console/api/salons/{stranger}/session"),
            &session,
            json!({}),
        )
        .await;
    assert_eq!(refused.status(), 404);
}

fn accepts(app: &TestApp) -> std::collections::BTreeSet<String> {
    app.yclients
        .state
        .requests()
        .into_iter()
        .filter_map(|r| r.accept)
        .collect()
}

#[tokio::test]
async fn an_altegio_deployment_speaks_altegios_api_and_names_it_to_the_owner() {
    let app = spawn_app_with(AppOptions {
        env: vec![("CRM_BRAND", "altegio".to_owned())],
        ..AppOptions::default()
    })
    .await;
    let salon_id = app.add_salon("Salon Altegio");
    let token = app.onboard(salon_id, OWNER_PHONE).await;
    app.wait_until_ready(salon_id, PATIENCE).await;
    assert_eq!(
        accepts(&app).into_iter().collect::<Vec<_>>(),
        ["application/vnd.api.v2+json"]
    );

    for path in [
        format!("/marketplace/onboarding?token={token}"),
        "/marketplace/static/onboarding.js".to_owned(),
        "/auth/yclients/redirect".to_owned(),
    ] {
        let page = app.get(&path).await.text().await.unwrap();
        assert!(page.contains("Altegio"), "{path}: {page}");
        assert!(!page.contains("YClients"), "{path}: {page}");
    }
    // Data is not rewritten: a successful JSON answer stays as it is.
    let progress = get_json(&app, "/marketplace/api/progress", &token).await;
    assert_eq!(progress["success"], true, "{progress}");
}

#[tokio::test]
async fn a_yclients_deployment_speaks_yclients_api() {
    let app = spawn_app().await;
    let salon_id = ready_salon(&app, "Салон «Родной»").await;
    assert!(salon_id.get() > 0);
    assert_eq!(
        accepts(&app).into_iter().collect::<Vec<_>>(),
        ["application/vnd.yclients.v2+json"]
    );
    let page = app
        .get("/auth/yclients/redirect")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("YClients"), "{page}");
}

/// Runs one `install_reconcile` pass and returns its report.
async fn reconcile(app: &TestApp) -> Value {
    let suffix: u64 = rand::random();
    let handle = app
        .temporal
        .start_workflow(
            ai_admin_workflows::reconcile::InstallReconcileWorkflow::run,
            (),
            temporalio_client::WorkflowStartOptions::new(
                app.config.temporal.task_queue.clone(),
                format!("install-reconcile-test-{suffix:x}"),
            )
            .build(),
        )
        .await
        .expect("start the pass");
    let report = handle
        .get_result(temporalio_client::WorkflowGetResultOptions::default())
        .await
        .expect("the pass succeeds");
    serde_json::to_value(report).unwrap()
}

#[tokio::test]
async fn the_daily_check_applies_lifecycle_events_yclients_never_sent() {
    let app = spawn_app().await;
    let removed = ready_salon(&app, "Салон «Молча ушли»").await;
    let frozen = ready_salon(&app, "Салон «Молча заморозили»").await;
    let fine = ready_salon(&app, "Салон «Всё в порядке»").await;
    // YClients changed two installs and its webhooks never reached us.
    app.yclients
        .state
        .set_install(removed.into(), InstallState::Uninstalled);
    app.yclients
        .state
        .set_install(frozen.into(), InstallState::Freezed);

    let report = reconcile(&app).await;
    assert_eq!(report["checked"], 3, "{report}");
    assert_eq!(report["stored"]["uninstall"], 1, "{report}");
    assert_eq!(report["stored"]["freeze"], 1, "{report}");
    app.wait_for_status(removed, &["uninstalled"], PATIENCE)
        .await;
    app.wait_for_status(frozen, &["frozen"], PATIENCE).await;
    assert_eq!(status(&app, fine).await, "active");
    assert_eq!(events_of(&app, removed, "install_reconciled").await, 1);

    // A second pass the same day stores nothing twice; YClients unfreezing is seen.
    app.yclients
        .state
        .set_install(frozen.into(), InstallState::Active);
    let report = reconcile(&app).await;
    assert_eq!(report["stored"]["payment"], 1, "{report}");
    assert!(report["stored"].get("uninstall").is_none(), "{report}");
    app.wait_for_status(frozen, &["active"], PATIENCE).await;
    assert_eq!(events_of(&app, removed, "uninstalled").await, 1);
}

#[tokio::test]
async fn a_multi_location_grant_connects_each_salon_on_its_own() {
    let app = spawn_app().await;
    let first = app.add_salon("Сеть «Два адреса» — Центр");
    let second = app.add_salon("Сеть «Два адреса» — Север");
    let stranger = app.add_salon("Салон «Не из сети»");
    let grant = |salons: &[SalonId]| {
        let ids: Vec<String> = salons
            .iter()
            .map(|id| format!("salon_ids%5B%5D={id}"))
            .collect();
        app.signed_entry(salons[0], None).replacen(
            &format!("salon_id={}", salons[0]),
            &ids.join("&"),
            1,
        )
    };
    let token = app.page_token(&grant(&[first, second])).await;
    assert_eq!(app.verify_token(&token).locations, [second]);
    let progress = get_json(&app, "/marketplace/api/progress", &token).await;
    let listed = &progress["locations"][0];
    assert_eq!(listed["salon_id"], i64::from(second), "{progress}");
    assert_eq!(
        listed["theirs"], false,
        "nothing is told of a salon not yet theirs"
    );
    assert!(listed["title"].is_null(), "{progress}");
    app.link_from_page(&token, first, OWNER_PHONE).await;
    app.wait_until_ready(first, PATIENCE).await;

    // The grant's list is not signed: the second salon is not entered with it until
    // its own card in YClients sent the owner to us.
    let location = format!("/auth/yclients/location?token={token}&salon_id={second}");
    assert_eq!(app.get(&location).await.status(), 403);
    app.page_token(&grant(&[second, first])).await;
    let entered = app.get(&location).await;
    assert_eq!(
        entered.status(),
        302,
        "back to the second salon's onboarding"
    );
    let second_token = ai_admin_tests::token_from_location(&entered).unwrap();
    let claims = app.verify_token(&second_token);
    assert_eq!(claims.salon_id, second);
    assert_eq!(claims.locations, [first], "the way back to the first");
    app.link_from_page(&second_token, second, "79001117733")
        .await;
    app.wait_until_ready(second, PATIENCE).await;
    assert_eq!(status(&app, second).await, "active");
    // Installed, it is reached from the console, not with an onboarding token.
    assert_eq!(app.get(&location).await.status(), 403);

    // A salon the grant did not list, or a forged token, gets nowhere.
    let refused = app
        .get(&format!(
            "/auth/yclients/location?token={token}&salon_id={stranger}"
        ))
        .await;
    assert_eq!(refused.status(), 403);
    let forged = app
        .get(&format!(
            "/auth/yclients/location?token=x.y.z&salon_id={second}"
        ))
        .await;
    assert_eq!(forged.status(), 401);
}

#[tokio::test]
async fn a_reinstall_whose_uninstall_never_reached_us_starts_a_clean_install() {
    let app = spawn_app().await;
    let salon_id = ready_salon(&app, "Салон «Потерянный вебхук»").await;
    // The owner removed and connected the application again; YClients' uninstall
    // webhook was lost.
    app.yclients
        .state
        .set_install(salon_id.into(), InstallState::Pending);

    let token = app.register(salon_id).await;
    assert_eq!(status(&app, salon_id).await, "pending_whatsapp");
    assert_eq!(events_of(&app, salon_id, "uninstalled").await, 1);
    assert_eq!(events_of(&app, salon_id, "install_reconciled").await, 1);
    app.link_from_page(&token, salon_id, OWNER_PHONE).await;
    eventually(PATIENCE, "the new install to be active", || async {
        (status(&app, salon_id).await == "active" && app.times_ready(salon_id).await >= 2)
            .then_some(())
    })
    .await;
    let callbacks: Vec<u16> = app
        .requests_to("/marketplace/partner/callback/redirect")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(
        callbacks,
        [200, 200],
        "the new install got its own callback"
    );
}
