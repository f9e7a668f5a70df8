//! A redirect for a salon that already has the application: anyone may type its id (in
//! development) or replay its settings link, and nothing is activated again.

use super::{OWNER_PHONE, PATIENCE, ready_salon, status};
use ai_admin_activities::domain::{SalonId, SessionId};
use ai_admin_tests::sync_checks::assert_onboarded_once;
use ai_admin_tests::{TestApp, spawn_app};
use futures::StreamExt as _;
use serde_json::Value;
use temporalio_client::WorkflowListOptions;

async fn api_key(app: &TestApp, salon_id: SalonId) -> String {
    sqlx::query_scalar("SELECT api_key FROM companies WHERE yclients_id = $1")
        .bind(salon_id.get())
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// Runs of the workflow `id`, closed ones included.
async fn runs(app: &TestApp, id: &str) -> usize {
    let query = format!("WorkflowId = '{id}'");
    app.temporal
        .list_workflows(query, WorkflowListOptions::default())
        .collect::<Vec<_>>()
        .await
        .len()
}

async fn progress(app: &TestApp, token: &str) -> Value {
    let response = app.get_with_token("/marketplace/api/progress", token).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The onboarding page's token for an owner arriving with `query` (an installed
/// salon's through its console's «Подключить заново»).
async fn redirect_token(app: &TestApp, query: &str) -> String {
    app.page_token(query).await
}

async fn welcomes(app: &TestApp, salon_id: SalonId) -> i64 {
    app.count_rows(
        "SELECT COUNT(*) FROM outbound_messages WHERE salon_id = $1 AND idempotency_key LIKE 'welcome/%'",
        salon_id,
    )
    .await
}

#[tokio::test]
async fn a_redirect_for_an_active_salon_reactivates_nothing_and_opens_its_page_ready() {
    let app = spawn_app().await;
    let title = "Салон «Уже работает»";
    let salon_id = ready_salon(&app, title).await;
    let key = api_key(&app, salon_id).await;
    let onboardings = runs(&app, &format!("onboarding-{salon_id}")).await;

    // An anonymous redirect (development takes a bare id) and YClients' signed one (the
    // settings button).
    for query in [
        format!("salon_id={salon_id}"),
        app.signed_entry(salon_id, Some(title)),
    ] {
        let token = redirect_token(&app, &query).await;
        let page = progress(&app, &token).await;
        assert_eq!(page["integration_status"], "active", "{page}");
        assert_eq!(page["whatsapp_connected"], true);
        assert_eq!(page["progress"]["step"], "ready", "{page}");
        assert_eq!(page["progress"]["status"], "completed");
    }

    assert_eq!(api_key(&app, salon_id).await, key, "the API key is kept");
    assert_eq!(status(&app, salon_id).await, "active");
    assert_eq!(
        runs(&app, &format!("onboarding-{salon_id}")).await,
        onboardings,
        "no new onboarding"
    );
    assert_eq!(runs(&app, &format!("activation-{salon_id}")).await, 1);
    assert_eq!(
        runs(&app, &format!("sync-{salon_id}")).await,
        1,
        "no new sync"
    );
    assert_onboarded_once(&app, salon_id, OWNER_PHONE, "after two more redirects").await;

    // A frozen salon opens its page in its state too, and stays frozen.
    let freeze = app.marketplace_event(salon_id, "freeze");
    assert_eq!(app.webhook(&freeze).await.status(), 200);
    app.wait_until_applied(salon_id, PATIENCE).await;
    let token = redirect_token(&app, &format!("salon_id={salon_id}")).await;
    let page = progress(&app, &token).await;
    assert_eq!(page["integration_status"], "frozen");
    assert_eq!(page["progress"]["step"], "ready");
    assert!(
        page["progress"]["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("приостановлена"),
        "{page}"
    );
    assert_eq!(status(&app, salon_id).await, "frozen");
    assert_eq!(runs(&app, &format!("activation-{salon_id}")).await, 1);
}

#[tokio::test]
async fn a_logged_out_whatsapp_is_linked_again_from_the_page_without_a_new_activation() {
    let app = spawn_app().await;
    let salon_id = ready_salon(&app, "Салон «Переподключение»").await;
    let key = api_key(&app, salon_id).await;
    let onboardings = runs(&app, &format!("onboarding-{salon_id}")).await;
    let session = SessionId::for_salon(salon_id);

    // The owner unlinks the device on the phone.
    let logout = app
        .post_json(
            &format!("/dev/whatsapp/{session}/logout"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(logout.status(), 200);
    app.wait_until_whatsapp_connected(salon_id, false, PATIENCE)
        .await;

    // The owner opens the application from YClients: the page asks for a new link.
    let token = redirect_token(&app, &format!("salon_id={salon_id}")).await;
    let page = progress(&app, &token).await;
    assert_eq!(page["integration_status"], "active");
    assert_eq!(page["whatsapp_connected"], false);
    assert_eq!(
        runs(&app, &format!("onboarding-{salon_id}")).await,
        onboardings,
        "no onboarding starts for an installed salon"
    );
    let qr = app.request_qr(&token).await;
    assert_eq!(qr.status(), 200, "a new QR code for the page");
    assert_eq!(app.link_phone(salon_id, OWNER_PHONE).await.status(), 200);
    app.wait_until_whatsapp_connected(salon_id, true, PATIENCE)
        .await;

    let page = progress(&app, &token).await;
    assert_eq!(page["whatsapp_connected"], true);
    assert_eq!(page["progress"]["step"], "ready");
    assert_eq!(api_key(&app, salon_id).await, key);
    assert_eq!(status(&app, salon_id).await, "active");
    assert_eq!(runs(&app, &format!("activation-{salon_id}")).await, 1);
    let callbacks = app
        .requests_to("/marketplace/partner/callback/redirect")
        .len();
    assert_eq!(callbacks, 1, "YClients got one activation callback");
    assert_eq!(welcomes(&app, salon_id).await, 1, "one welcome");

    // And the bot answers the salon's clients again.
    app.client_says(salon_id, "79005550101", "Сколько стоит маникюр?")
        .await;
    app.wait_for_replies(salon_id, "79005550101", 1, PATIENCE)
        .await;
}

#[tokio::test]
async fn an_installed_salon_is_opened_only_by_the_yclients_user_who_installed_it() {
    let app = spawn_app().await;
    let title = "Салон «Чей он»";
    let salon_id = app.add_salon(title);
    // The owner (YClients user 555) installs it from YClients.
    let token = redirect_token(&app, &app.signed_entry_for(salon_id, Some(title), 555)).await;
    app.link_from_page(&token, salon_id, OWNER_PHONE).await;
    app.wait_until_ready(salon_id, PATIENCE).await;

    // Someone with a signed link of their own (another company with our application,
    // the same salon name) is refused, and the owner's record stays.
    let stranger = app.signed_entry_for(salon_id, Some(title), 777);
    let response = app.redirect(&stranger).await;
    assert_eq!(response.status(), 403);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("другой пользователь")
    );
    let (owner, name): (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT marketplace_user_id, marketplace_user_name FROM companies WHERE yclients_id = $1",
    )
    .bind(salon_id.get())
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(owner.as_deref(), Some("555"));
    assert!(name.is_some());
    // An unsigned link naming a user is refused too; the owner still gets in.
    let named = format!("salon_id={salon_id}&user_id=777");
    assert_eq!(app.redirect(&named).await.status(), 403);
    let own = app.signed_entry_for(salon_id, Some(title), 555);
    assert_eq!(app.redirect(&own).await.status(), 302);
    assert_onboarded_once(&app, salon_id, OWNER_PHONE, "after the stranger's tries").await;
}
