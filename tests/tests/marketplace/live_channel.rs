//! `GET /marketplace/ws` and its REST fallbacks, with the simulated WhatsApp gateway.

use ai_admin_activities::db::live_events::{self, LiveEventKind};
use ai_admin_activities::secret::Secret;
use ai_admin_activities::whatsapp::simulator::SimulatorSettings;
use ai_admin_api::auth::{TokenKeys, TokenUser};
use ai_admin_tests::ws_client::{ConnectError, Received, UNAUTHORIZED_CLOSE, WsAuth};
use ai_admin_tests::{AppOptions, eventually, spawn_app, spawn_app_with};
use ai_admin_workflows::onboarding::{OnboardingStep, OnboardingWorkflow, StepStatus};
use serde_json::json;
use std::time::{Duration, Instant};
use temporalio_client::WorkflowQueryOptions;

/// Frames come in well under a second; a full parallel suite on two cores once took
/// more than ten.
const WAIT: Duration = Duration::from_secs(30);
const OWNER_PHONE: &str = "79001234567";

/// The next `progress` frame of `workflow` at `step`, skipping other frames.
async fn expect_progress(
    socket: &mut ai_admin_tests::ws_client::WsClient,
    workflow: &str,
    step: &str,
) -> serde_json::Value {
    loop {
        let progress = socket.expect("progress", WAIT).await;
        if progress["workflow"] == workflow && progress["step"] == step {
            return progress;
        }
    }
}

/// Writes a `progress` event of the sync workflow straight to PostgreSQL, as another
/// process would.
async fn publish_sync_progress(
    app: &ai_admin_tests::TestApp,
    salon_id: ai_admin_activities::domain::SalonId,
    step: &str,
    detail: &str,
) {
    live_events::publish(
        &app.db,
        salon_id,
        LiveEventKind::Progress,
        &json!({ "workflow": "sync", "step": step, "percent": 50, "status": "in_progress", "detail": detail }),
        None,
    )
    .await
    .unwrap();
}

fn assert_qr(data: &serde_json::Value) {
    assert!(
        data["qr"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,"),
        "a PNG data URL"
    );
    assert!(data["expiresIn"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn a_page_authenticated_by_header_first_frame_or_query_gets_a_qr_code() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Три способа»");
    let token = app.register(salon_id).await;

    for (n, auth) in [
        WsAuth::Header(token.clone()),
        WsAuth::FirstFrame(token.clone()),
        WsAuth::Query(token.clone()),
    ]
    .into_iter()
    .enumerate()
    {
        let mut socket = app.ws(auth.clone()).await.unwrap();
        let qr = socket.expect("qr-update", WAIT).await;
        assert_qr(&qr);
        if n == 0 {
            assert_eq!(
                qr["expiresIn"], 60,
                "the first code of a session lives 60 s"
            );
        } else {
            assert!(
                qr["expiresIn"].as_u64().unwrap() <= 60,
                "{auth:?}: the time left"
            );
        }
    }
}

#[tokio::test]
async fn missing_forged_or_expired_tokens_close_the_socket_with_an_error() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Закрыто»");
    let token = app.register(salon_id).await;
    let claims = app.verify_token(&token);
    let now = chrono::Utc::now().timestamp();
    let forged = TokenKeys::new(&Secret::new("not-our-secret"))
        .issue(claims.company_id, salon_id, TokenUser::default(), now)
        .unwrap();
    let expired = TokenKeys::new(&app.config.jwt_secret)
        .issue(
            claims.company_id,
            salon_id,
            TokenUser::default(),
            now - 7200,
        )
        .unwrap();

    for (name, auth) in [
        ("no token", WsAuth::None),
        ("forged header", WsAuth::Header(forged.clone())),
        ("forged frame", WsAuth::FirstFrame(forged)),
        ("expired", WsAuth::FirstFrame(expired)),
    ] {
        let mut socket = app.ws(auth).await.unwrap();
        let (error, code) = socket.expect_rejection().await;
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{name}: {error}"
        );
        assert_eq!(code, Some(UNAUTHORIZED_CLOSE), "{name}");
    }
}

#[tokio::test]
async fn the_sixth_connection_in_a_minute_from_one_ip_is_refused() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Лимит»");
    let token = app.register(salon_id).await;

    for attempt in 1..=5 {
        let socket = app.ws(WsAuth::Header(token.clone())).await;
        assert!(socket.is_ok(), "attempt {attempt} is allowed");
    }
    match app.ws(WsAuth::Header(token)).await {
        Err(ConnectError::Refused(status)) => assert_eq!(status, 429),
        Err(other) => panic!("refused the wrong way: {other:?}"),
        Ok(_) => panic!("the sixth connection was accepted"),
    }
}

#[tokio::test]
async fn qr_codes_rotate_and_request_qr_forces_a_fresh_one() {
    let app = spawn_app_with(AppOptions {
        whatsapp_simulator: Some(SimulatorSettings {
            first_qr_ttl: Duration::from_secs(1),
            next_qr_ttl: Duration::from_secs(1),
            ..SimulatorSettings::default()
        }),
        ..AppOptions::default()
    })
    .await;
    let salon_id = app.add_salon("Салон «Ротация»");
    let token = app.register(salon_id).await;
    let mut socket = app.ws(WsAuth::Header(token)).await.unwrap();

    let first = socket.expect("qr-update", WAIT).await;
    let second = socket.expect("qr-update", WAIT).await;
    assert_qr(&second);
    assert_ne!(first["qr"], second["qr"], "the code rotated");

    socket.send("request-qr", json!({})).await;
    let forced = socket.expect("qr-update", WAIT).await;
    assert_ne!(forced["qr"], second["qr"]);
}

#[tokio::test]
async fn a_pairing_code_arrives_for_a_valid_number_and_an_error_for_an_invalid_one() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Код»");
    let token = app.register(salon_id).await;
    let mut socket = app.ws(WsAuth::FirstFrame(token)).await.unwrap();
    socket.expect("qr-update", WAIT).await;

    socket
        .send(
            "request-pairing-code",
            json!({ "phoneNumber": "8 (900) 123-45-67" }),
        )
        .await;
    let pairing = socket.expect("pairing-code", WAIT).await;
    let code = pairing["code"].as_str().unwrap();
    assert_eq!(code.len(), 9);
    assert_eq!(&code[4..5], "-");
    assert!(
        code.chars()
            .filter(|c| *c != '-')
            .all(|c| c.is_ascii_alphanumeric())
    );
    assert_eq!(pairing["phoneNumber"], "79001234567", "8 became 7");
    assert!(pairing["expiresIn"].as_u64().unwrap() > 0);

    for invalid in ["12345", "0123456789", "phone", ""] {
        socket
            .send("request-pairing-code", json!({ "phoneNumber": invalid }))
            .await;
        let error = socket.expect("error", WAIT).await;
        assert_eq!(error["code"], "invalid_phone", "{invalid:?}");
    }
}

#[tokio::test]
async fn linking_reaches_the_socket_the_database_and_the_onboarding_workflow() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Связь»");
    let token = app.register(salon_id).await;
    let mut socket = app.ws(WsAuth::Header(token.clone())).await.unwrap();
    socket.expect("qr-update", WAIT).await;

    let linked_at = Instant::now();
    let response = app.link_phone(salon_id, OWNER_PHONE).await;
    assert_eq!(response.status(), 200);
    let connected = socket.expect("whatsapp-connected", WAIT).await;
    let latency = linked_at.elapsed();
    eprintln!("link -> whatsapp-connected on the socket: {latency:?}");

    assert_eq!(connected["success"], true);
    assert_eq!(connected["phone"], OWNER_PHONE);
    assert_eq!(connected["companyId"], app.verify_token(&token).company_id);
    let progress = expect_progress(&mut socket, "onboarding", "whatsapp_connected").await;
    assert_eq!(progress["status"], "completed");
    // The owner's page gets no links into the Temporal UI.
    assert!(progress.get("run_url").is_none(), "{progress}");

    let (connected_flag, phone): (bool, Option<String>) = sqlx::query_as(
        "SELECT whatsapp_connected, whatsapp_phone FROM companies WHERE yclients_id = $1",
    )
    .bind(salon_id.get())
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(connected_flag);
    assert_eq!(phone.as_deref(), Some(OWNER_PHONE));
    let events: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM marketplace_events WHERE salon_id = $1 AND event_type = 'whatsapp_connected'",
    )
    .bind(salon_id.get())
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(events, 1);

    let handle = app
        .temporal
        .get_workflow_handle::<OnboardingWorkflow>(format!("onboarding-{salon_id}"));
    eventually(WAIT, "the onboarding to see the link", || async {
        let progress = handle
            .query(
                OnboardingWorkflow::progress,
                (),
                WorkflowQueryOptions::default(),
            )
            .await
            .ok()?;
        (progress.step != OnboardingStep::WaitingForWhatsapp
            && progress.status != StepStatus::Expired)
            .then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_reconnecting_page_first_gets_the_stored_events() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Память»");
    let token = app.register(salon_id).await;
    let mut first = app.ws(WsAuth::Header(token.clone())).await.unwrap();
    first.expect("qr-update", WAIT).await;
    assert_eq!(app.link_phone(salon_id, OWNER_PHONE).await.status(), 200);
    first.expect("whatsapp-connected", WAIT).await;
    expect_progress(&mut first, "onboarding", "whatsapp_connected").await;

    let mut again = app.ws(WsAuth::Header(token)).await.unwrap();
    let mut seen = Vec::new();
    while let Some(Received::Frame { event, data }) = again.receive(Duration::from_secs(2)).await {
        seen.push((event, data));
    }
    let names: Vec<&str> = seen.iter().map(|(event, _)| event.as_str()).collect();
    assert!(
        names.contains(&"progress"),
        "stored progress replayed: {names:?}"
    );
    assert!(names.contains(&"whatsapp-connected"), "{names:?}");
    assert!(
        !names.contains(&"qr-update"),
        "a linked salon gets no QR code: {names:?}"
    );
}

#[tokio::test]
async fn events_written_by_any_process_reach_the_page_through_postgresql() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Канал»");
    let other_salon = app.add_salon("Салон «Сосед»");
    let token = app.register(salon_id).await;
    let mut socket = app.ws(WsAuth::Header(token)).await.unwrap();
    socket.expect("qr-update", WAIT).await;

    // Another process (here: the test) writes events for two salons.
    for (salon, step) in [(other_salon, "not_mine"), (salon_id, "syncing")] {
        publish_sync_progress(&app, salon, step, "").await;
    }

    loop {
        let progress = socket.expect("progress", WAIT).await;
        assert_ne!(
            progress["step"], "not_mine",
            "only this salon's events arrive"
        );
        if progress["step"] == "syncing" {
            break;
        }
    }
}

#[tokio::test]
async fn a_slow_client_does_not_hold_up_another() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Пробка»");
    let token = app.register(salon_id).await;
    // This client never reads.
    let _stalled = app.ws(WsAuth::Header(token.clone())).await.unwrap();
    let mut reader = app.ws(WsAuth::Header(token)).await.unwrap();
    reader.expect("qr-update", WAIT).await;

    let total = 1500;
    for n in 0..total {
        publish_sync_progress(&app, salon_id, "syncing", &n.to_string()).await;
    }

    let last = format!("{}", total - 1);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let data = reader.expect("progress", Duration::from_secs(20)).await;
        if data["workflow"] == "sync" && data["detail"] == last {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the reader did not get the last event"
        );
    }
}

#[tokio::test]
async fn the_rest_fallbacks_give_a_qr_code_and_the_status_of_the_own_session_only() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «REST»");
    let other = app.add_salon("Салон «Чужой»");
    let token = app.register(salon_id).await;

    let response = app.request_qr(&token).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["qr"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    assert_eq!(body["session_id"], format!("company_{salon_id}"));
    assert!(body["expires_in"].as_u64().unwrap() > 0);

    let own = format!("/marketplace/api/status/company_{salon_id}");
    let body: serde_json::Value = app.get_with_token(&own, &token).await.json().await.unwrap();
    assert_eq!(body["status"], "connecting");
    assert_eq!(body["connected"], false);

    let foreign = app
        .get_with_token(&format!("/marketplace/api/status/company_{other}"), &token)
        .await;
    assert_eq!(foreign.status(), 403);
    assert_eq!(app.get(&own).await.status(), 401);

    assert_eq!(app.link_phone(salon_id, OWNER_PHONE).await.status(), 200);
    let body: serde_json::Value = app.get_with_token(&own, &token).await.json().await.unwrap();
    assert_eq!(body["status"], "connected");
    assert_eq!(body["connected"], true);
}

#[tokio::test]
async fn with_live_whatsapp_unreachable_the_page_waits_in_connecting_and_no_control_api_exists() {
    let app = spawn_app_with(AppOptions {
        live_whatsapp: true,
        ..AppOptions::default()
    })
    .await;
    let salon_id = app.add_salon("Салон «Офлайн»");
    let token = app.register(salon_id).await;
    let status_path = format!("/marketplace/api/status/company_{salon_id}");
    let body: serde_json::Value = app
        .get_with_token(&status_path, &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["status"], "disconnected",
        "no session before the page opens"
    );

    let mut socket = app.ws(WsAuth::Header(token.clone())).await.unwrap();
    // The real client keeps retrying WhatsApp: no code to show, and the socket stays open.
    let until = Instant::now() + Duration::from_secs(2);
    while let Some(received) = socket
        .receive(until.saturating_duration_since(Instant::now()))
        .await
    {
        match received {
            Received::Frame { event, .. } => {
                assert_ne!(event, "qr-update", "no code without WhatsApp")
            }
            Received::Closed(code) => panic!("the socket closed ({code:?})"),
        }
    }
    let body: serde_json::Value = app
        .get_with_token(&status_path, &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["status"], "connecting");
    let store = app
        .config
        .data_dir
        .join("whatsapp")
        .join(format!("company_{salon_id}.db"));
    assert!(store.exists(), "the session's key store is created");

    assert_eq!(
        app.link_phone(salon_id, OWNER_PHONE).await.status(),
        404,
        "no simulator routes in live mode"
    );
}
