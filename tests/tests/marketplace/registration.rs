//! `GET /auth/yclients/redirect`.

use ai_admin_activities::domain::SalonId;
use ai_admin_simulators::yclients::Fault;
use ai_admin_tests::{
    PARTNER_TOKEN, TestApp, eventually, spawn_app, token_from_location, url_encode,
};
use ai_admin_workflows::onboarding::{OnboardingStep, OnboardingWorkflow, StepStatus};
use ai_admin_workflows::search_attributes::SALON_ID;
use base64::Engine as _;
use futures::StreamExt as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;
use temporalio_client::{WorkflowExecutionStatus, WorkflowListOptions, WorkflowQueryOptions};

const COMPANIES: &str = "SELECT COUNT(*) FROM companies WHERE yclients_id = $1";
const REGISTRATION_EVENTS: &str = "SELECT COUNT(*) FROM marketplace_events WHERE salon_id = $1 AND event_type = 'registration_started'";
const ANY_EVENTS: &str = "SELECT COUNT(*) FROM marketplace_events WHERE salon_id = $1";

async fn describe_onboarding(
    app: &TestApp,
    salon_id: SalonId,
) -> temporalio_client::WorkflowExecutionDescription {
    app.temporal
        .get_workflow_handle::<OnboardingWorkflow>(format!("onboarding-{salon_id}"))
        .describe(Default::default())
        .await
        .expect("the onboarding workflow exists")
}

#[tokio::test]
async fn redirect_for_a_known_salon_registers_it_and_starts_its_onboarding() {
    // Arrange
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Тест»");

    // Act
    let response = app
        .redirect(&format!(
            "salon_id={salon_id}&user_id=77&user_name=%D0%90%D0%BD%D0%BD%D0%B0&user_email=a%40b.ru"
        ))
        .await;

    // Assert: a 302 to the onboarding page with a valid token for this salon.
    assert_eq!(response.status(), 302);
    let token = token_from_location(&response).unwrap();
    let claims = app.verify_token(&token);
    assert_eq!(claims.salon_id, salon_id);
    assert_eq!(claims.token_type, "marketplace_registration");
    assert_eq!(claims.user_data.user_name.as_deref(), Some("Анна"));
    assert_eq!(claims.exp - claims.iat, 3600);

    // The company row, from YClients' data, and the event.
    let (id, title, status, user_id): (i64, String, String, Option<String>) = sqlx::query_as(
        "SELECT id, title, integration_status, marketplace_user_id FROM companies WHERE yclients_id = $1",
    )
    .bind(salon_id.get())
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(id, claims.company_id);
    assert_eq!(title, "Салон «Тест»");
    assert_eq!(status, "pending_whatsapp");
    assert_eq!(user_id.as_deref(), Some("77"));
    assert_eq!(app.count_rows(REGISTRATION_EVENTS, salon_id).await, 1);

    // The onboarding workflow runs, carries the salon's search attributes and answers
    // its progress query.
    let description = describe_onboarding(&app, salon_id).await;
    assert_eq!(description.status(), WorkflowExecutionStatus::Running);
    assert_eq!(
        description.search_attributes().get(&SALON_ID),
        Some(i64::from(salon_id))
    );
    let progress = app
        .temporal
        .get_workflow_handle::<OnboardingWorkflow>(format!("onboarding-{salon_id}"))
        .query(
            OnboardingWorkflow::progress,
            (),
            WorkflowQueryOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(progress.step, OnboardingStep::WaitingForWhatsapp);
    assert_eq!(progress.status, StepStatus::InProgress);

    // Ops can find the run by SalonId, as in the Temporal UI's filter.
    let query = format!("SalonId = {salon_id}");
    eventually(
        Duration::from_secs(10),
        "the run to be visible by SalonId",
        || {
            let stream = app
                .temporal
                .list_workflows(query.clone(), WorkflowListOptions::default());
            async move {
                let runs: Vec<_> = stream.collect().await;
                (runs.len() == 1
                    && runs[0]
                        .as_ref()
                        .is_ok_and(|run| run.id() == format!("onboarding-{salon_id}")))
                .then_some(())
            }
        },
    )
    .await;

    // The simulator saw our company request with the partner token and v2 Accept header.
    let requests = app.yclients.state.requests();
    let company_request = requests
        .iter()
        .find(|r| r.path == format!("/api/v1/company/{salon_id}"))
        .expect("YClients was asked for the company");
    assert_eq!(company_request.method, "GET");
    assert_eq!(
        company_request.authorization.as_deref(),
        Some(format!("Bearer {PARTNER_TOKEN}").as_str())
    );
    assert_eq!(
        company_request.accept.as_deref(),
        Some("application/vnd.yclients.v2+json")
    );
}

#[tokio::test]
async fn the_same_redirect_twice_keeps_one_company_and_one_onboarding() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Дважды»");

    let first = app.register(salon_id).await;
    let first_run = describe_onboarding(&app, salon_id)
        .await
        .run_id()
        .to_owned();
    let second = app.register(salon_id).await;

    assert_eq!(app.count_rows(COMPANIES, salon_id).await, 1);
    assert_eq!(app.count_rows(REGISTRATION_EVENTS, salon_id).await, 2);
    assert_eq!(
        app.verify_token(&first).company_id,
        app.verify_token(&second).company_id
    );
    assert_eq!(
        describe_onboarding(&app, salon_id).await.run_id(),
        first_run
    );
    let query = format!("WorkflowId = 'onboarding-{salon_id}'");
    let runs: Vec<_> = app
        .temporal
        .list_workflows(query, WorkflowListOptions::default())
        .collect()
        .await;
    assert!(
        runs.len() <= 1,
        "a second onboarding run was started: {}",
        runs.len()
    );
}

#[tokio::test]
async fn redirect_without_a_usable_salon_id_is_a_bad_request() {
    let app = spawn_app().await;
    for query in [
        "",
        "user_id=1",
        "salon_id=",
        "salon_id=abc",
        "salon_id=-4",
        "salon_id=1.5",
        "salon_ids%5B%5D=x",
    ] {
        let response = app.redirect(query).await;
        assert_eq!(response.status(), 400, "query {query:?}");
        let body = response.text().await.unwrap();
        assert!(body.contains("<html"), "a readable page for {query:?}");
    }
    assert!(
        app.yclients.state.requests().is_empty(),
        "YClients was not asked"
    );
}

#[tokio::test]
async fn redirect_accepts_the_salon_ids_array_form() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Массив»");
    let response = app.redirect(&format!("salon_ids%5B%5D={salon_id}")).await;
    assert_eq!(response.status(), 302);
    assert_eq!(app.count_rows(COMPANIES, salon_id).await, 1);
}

#[tokio::test]
async fn redirect_for_a_salon_yclients_does_not_know_is_not_found_and_writes_nothing() {
    let app = spawn_app().await;
    let salon_id = app.unknown_salon();

    let response = app.redirect(&format!("salon_id={salon_id}")).await;

    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("не найден"));
    assert_eq!(app.count_rows(COMPANIES, salon_id).await, 0);
    assert_eq!(app.count_rows(ANY_EVENTS, salon_id).await, 0);
}

fn sign(message: &[u8], key: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

fn encoded_user_data(salon_name: &str) -> String {
    let json = serde_json::json!({
        "id": 555, "name": "Мария Иванова", "phone": "79001112233", "email": "m@salon.ru",
        "salon_name": salon_name, "is_approved": true,
    });
    base64::engine::general_purpose::STANDARD.encode(json.to_string())
}

#[tokio::test]
async fn redirect_with_a_forged_user_data_signature_is_unauthorized_and_writes_nothing() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Подпись»");
    let data = encoded_user_data("Салон «Подпись»");
    let forged = sign(data.as_bytes(), "not-our-partner-token");

    let response = app
        .redirect(&format!(
            "salon_id={salon_id}&user_data={}&user_data_sign={forged}",
            url_encode(&data)
        ))
        .await;

    assert_eq!(response.status(), 401);
    assert_eq!(app.count_rows(COMPANIES, salon_id).await, 0);
    assert_eq!(app.count_rows(ANY_EVENTS, salon_id).await, 0);

    let unsigned = app
        .redirect(&format!(
            "salon_id={salon_id}&user_data={}",
            url_encode(&data)
        ))
        .await;
    assert_eq!(unsigned.status(), 401);
}

#[tokio::test]
async fn redirect_with_correctly_signed_user_data_takes_the_user_from_it() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Подписано»");
    let data = encoded_user_data("Салон «Подписано»");
    let signature = sign(data.as_bytes(), PARTNER_TOKEN);

    let response = app
        .redirect(&format!(
            "salon_id={salon_id}&user_id=1&user_data={}&user_data_sign={signature}",
            url_encode(&data)
        ))
        .await;

    assert_eq!(response.status(), 302);
    let claims = app.verify_token(&token_from_location(&response).unwrap());
    assert_eq!(claims.user_data.user_id.as_deref(), Some("555"));
    assert_eq!(claims.user_data.user_name.as_deref(), Some("Мария Иванова"));
}

#[tokio::test]
async fn redirect_survives_yclients_failing_twice() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Упорство»");
    app.yclients.state.inject(Fault::status(
        &format!("/api/v1/company/{salon_id}"),
        500,
        2,
    ));

    let response = app.redirect(&format!("salon_id={salon_id}")).await;

    assert_eq!(response.status(), 302);
    let statuses: Vec<u16> = app
        .yclients
        .state
        .requests()
        .iter()
        .filter(|r| r.path == format!("/api/v1/company/{salon_id}"))
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [500, 500, 200]);
}

#[tokio::test]
async fn redirect_while_yclients_is_down_is_a_readable_bad_gateway_and_writes_nothing() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Недоступен»");
    app.yclients
        .state
        .inject(Fault::status("/api/v1/company", 503, 100));

    let response = app.redirect(&format!("salon_id={salon_id}")).await;

    assert_eq!(response.status(), 502);
    assert!(response.text().await.unwrap().contains("YClients"));
    assert_eq!(app.count_rows(COMPANIES, salon_id).await, 0);
    let attempts = app.yclients.state.requests().len();
    assert!(attempts > 1, "the call was retried ({attempts} attempts)");
}
