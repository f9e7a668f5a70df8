//! Lifecycle events carry no id or time, and a real repeat must never be taken for a
//! duplicate delivery: a salon that stopped paying must not keep its bot.

use super::{PATIENCE, ready_salon, status};
use ai_admin_activities::domain::SalonId;
use ai_admin_tests::{AppOptions, TestApp, spawn_app, spawn_app_with};
use serde_json::json;
use std::time::Duration;

async fn marketplace_rows(app: &TestApp, salon_id: SalonId) -> i64 {
    app.count_rows(
        "SELECT COUNT(*) FROM webhook_inbox WHERE salon_id = $1 AND kind = 'marketplace'",
        salon_id,
    )
    .await
}

fn payment(app: &TestApp, salon_id: SalonId) -> serde_json::Value {
    json!({
        "salon_id": salon_id.get(),
        "application_id": app.config.yclients.app_id,
        "event": "payment",
        "partner_token": app.config.yclients.partner_token.expose(),
    })
}

#[tokio::test]
async fn freeze_then_payment_then_freeze_however_quick_ends_frozen() {
    let app = spawn_app().await;
    let salon_id = ready_salon(&app, "Салон «Неплательщик»").await;
    let freeze = app.marketplace_event(salon_id, "freeze");

    for body in [&freeze, &payment(&app, salon_id), &freeze] {
        let response = app.webhook(body).await;
        assert_eq!(response.status(), 200);
        let answer: serde_json::Value = response.json().await.unwrap();
        assert!(
            answer.get("duplicate").is_none(),
            "not a duplicate: {answer}"
        );
    }
    app.wait_until_applied(salon_id, PATIENCE).await;

    assert_eq!(marketplace_rows(&app, salon_id).await, 3);
    assert_eq!(status(&app, salon_id).await, "frozen");
    // The bot is silent for the frozen salon.
    app.client_says(salon_id, "79005550202", "Здравствуйте")
        .await;
    app.wait_until_answered(salon_id, "79005550202").await;
    assert!(app.replies_to(salon_id, "79005550202").await.is_empty());
}

#[tokio::test]
async fn five_concurrent_deliveries_of_one_freeze_store_one_row() {
    let app = spawn_app().await;
    let salon_id = ready_salon(&app, "Салон «Пять раз»").await;
    let freeze = app.marketplace_event(salon_id, "freeze");

    let answers = futures::future::join_all((0..5).map(|_| app.webhook(&freeze))).await;

    assert!(answers.iter().all(|a| a.status() == 200));
    assert_eq!(marketplace_rows(&app, salon_id).await, 1);
    app.wait_until_applied(salon_id, PATIENCE).await;
    assert_eq!(status(&app, salon_id).await, "frozen");
    let frozen_events = app
        .count_rows(
            "SELECT COUNT(*) FROM marketplace_events WHERE salon_id = $1 AND event_type = 'frozen'",
            salon_id,
        )
        .await;
    assert_eq!(frozen_events, 1);
}

#[tokio::test]
async fn an_uninstall_after_a_reinstall_is_applied() {
    let app = spawn_app().await;
    let salon_id = ready_salon(&app, "Салон «Вернулись»").await;
    let uninstall = app.marketplace_event(salon_id, "uninstall");

    // A client's conversation is running when the salon uninstalls.
    app.client_says(salon_id, "79005550303", "Сколько стоит маникюр?")
        .await;
    app.wait_for_replies(salon_id, "79005550303", 1, PATIENCE)
        .await;
    assert_eq!(app.webhook(&uninstall).await.status(), 200);
    app.wait_until_applied(salon_id, PATIENCE).await;
    assert_eq!(status(&app, salon_id).await, "uninstalled");
    // Every workflow of the salon but its lifecycle one and its erasure ends (cancelled,
    // not spinning).
    let query = format!("SalonId = {salon_id} AND ExecutionStatus = 'Running'");
    ai_admin_tests::eventually(
        Duration::from_secs(30),
        "the salon's workflows to end",
        || {
            let runs = app.temporal.list_workflows(
                query.clone(),
                temporalio_client::WorkflowListOptions::default(),
            );
            async move {
                let running: Vec<String> = futures::StreamExt::collect::<Vec<_>>(runs)
                    .await
                    .into_iter()
                    .filter_map(Result::ok)
                    .map(|run| run.id().to_owned())
                    // The lifecycle and the personal-data deletion (24 h on) go on.
                    .filter(|id| !id.starts_with("company-") && !id.starts_with("erasure-"))
                    .collect();
                running.is_empty().then_some(())
            }
        },
    )
    .await;

    // The owner installs again at once, then removes the application again: the same
    // body, seconds later.
    app.register(salon_id).await;
    assert_eq!(status(&app, salon_id).await, "pending_whatsapp");
    let again = app.webhook(&uninstall).await;
    assert_eq!(again.status(), 200);
    let answer: serde_json::Value = again.json().await.unwrap();
    assert!(answer.get("duplicate").is_none(), "{answer}");
    app.wait_until_applied(salon_id, PATIENCE).await;

    assert_eq!(marketplace_rows(&app, salon_id).await, 2);
    assert_eq!(status(&app, salon_id).await, "uninstalled");
    // Its old webhook URL no longer takes data.
    let url = app.salon_webhook_url(salon_id).await;
    let response = app.http.post(&url).body("{}").send().await.unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn a_repeat_after_the_dedup_window_is_a_new_event() {
    let app = spawn_app_with(AppOptions {
        env: vec![("WEBHOOK_DEDUP_WINDOW", "2s".to_owned())],
        ..AppOptions::default()
    })
    .await;
    let salon_id = app.add_salon("Салон «Окно»");
    app.register(salon_id).await;
    let freeze = app.marketplace_event(salon_id, "freeze");

    assert_eq!(app.webhook(&freeze).await.status(), 200);
    assert_eq!(app.webhook(&freeze).await.status(), 200);
    assert_eq!(
        marketplace_rows(&app, salon_id).await,
        1,
        "within the window"
    );
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(app.webhook(&freeze).await.status(), 200);
    assert_eq!(
        marketplace_rows(&app, salon_id).await,
        2,
        "after the window"
    );

    // A delivery id, when YClients sends one, is the whole story.
    let mut keyed = freeze.clone();
    keyed["webhook_id"] = json!("delivery-1");
    for _ in 0..3 {
        assert_eq!(app.webhook(&keyed).await.status(), 200);
    }
    assert_eq!(marketplace_rows(&app, salon_id).await, 3);
}

#[tokio::test]
async fn lifecycle_events_for_a_salon_still_onboarding_do_not_make_it_look_installed() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Ещё не подключён»");
    app.register(salon_id).await;

    for event in ["payment", "freeze", "payment"] {
        let body = if event == "payment" {
            payment(&app, salon_id)
        } else {
            app.marketplace_event(salon_id, event)
        };
        assert_eq!(app.webhook(&body).await.status(), 200);
    }
    app.wait_until_applied(salon_id, PATIENCE).await;
    assert_eq!(status(&app, salon_id).await, "pending_whatsapp");

    // So the owner's next redirect still goes through onboarding, to a working bot.
    app.onboard(salon_id, super::OWNER_PHONE).await;
    app.wait_until_ready(salon_id, PATIENCE).await;
    assert_eq!(status(&app, salon_id).await, "active");
}

#[tokio::test]
async fn the_same_delivery_id_at_two_salons_is_two_events() {
    let app = spawn_app().await;
    let (a, b) = (app.add_salon("Салон «Один»"), app.add_salon("Салон «Два»"));
    for salon_id in [a, b] {
        app.register(salon_id).await;
        let mut freeze = app.marketplace_event(salon_id, "freeze");
        freeze["webhook_id"] = json!("same-delivery-id");
        assert_eq!(app.webhook(&freeze).await.status(), 200);
        assert_eq!(marketplace_rows(&app, salon_id).await, 1);
    }
}
