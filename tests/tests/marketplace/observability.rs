//! What ops see: `GET /metrics` (the app's counters and gauges and the Temporal SDK's
//! metrics) and `GET /ops/salons`, after a salon was onboarded and a client answered.

use ai_admin_tests::{OPS_TOKEN, TestApp, spawn_app};
use std::time::Duration;

const OWNER: &str = "79001110000";
const CLIENT: &str = "79005550101";

/// The value of the sample `name{…}` whose labels include every one of `labels`
/// (`key="value"`), summed over the matching samples; `None` when there is none.
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    let matching: Vec<f64> = text
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            (metric == name && labels.iter().all(|label| rest.contains(label)))
                .then(|| value.parse::<f64>().ok())
                .flatten()
        })
        .collect();
    (!matching.is_empty()).then(|| matching.iter().sum())
}

async fn scrape(app: &TestApp) -> String {
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    response.text().await.unwrap()
}

/// A salon onboarded (welcome sent, data synced) whose client got one answer.
async fn salon_with_a_conversation(app: &TestApp) -> ai_admin_activities::domain::SalonId {
    let salon_id = app.add_salon("Салон «Метрики»");
    app.onboard(salon_id, OWNER).await;
    app.wait_until_ready(salon_id, Duration::from_secs(90))
        .await;
    app.client_says(salon_id, CLIENT, "Сколько стоит маникюр?")
        .await;
    app.wait_for_replies(salon_id, CLIENT, 1, Duration::from_secs(30))
        .await;
    // The reply is in the outbox a moment before its turn closes the client's message.
    ai_admin_tests::eventually(
        Duration::from_secs(10),
        "the client's message closed",
        || async {
            let pending = app
                .count_rows(
                    "SELECT COUNT(*) FROM inbound_messages WHERE salon_id = $1 AND status = 'pending'",
                    salon_id,
                )
                .await;
            (pending == 0).then_some(())
        },
    )
    .await;
    salon_id
}

#[tokio::test]
async fn metrics_count_what_the_app_did_and_include_the_temporal_sdks() {
    let app = spawn_app().await;
    let salon_id = salon_with_a_conversation(&app).await;
    assert_eq!(app.get("/marketplace/health").await.status(), 200);
    let accepted = app.marketplace_event(salon_id, "payment");
    assert_eq!(app.webhook(&accepted).await.status(), 200);
    app.wait_until_applied(salon_id, Duration::from_secs(10))
        .await;
    assert_eq!(app.webhook_raw(b"not json".to_vec()).await.status(), 400);

    let text = scrape(&app).await;

    let health = sample(
        &text,
        "ai_admin_http_request_duration_seconds_count",
        &[
            r#"route="/marketplace/health""#,
            r#"method="GET""#,
            r#"status="200""#,
        ],
    );
    assert_eq!(health, Some(1.0), "{text}");
    assert_eq!(
        sample(&text, "ai_admin_webhooks_total", &[r#"outcome="accepted""#]),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "ai_admin_webhooks_total", &[r#"outcome="rejected""#]),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "ai_admin_messages_total", &[r#"direction="in""#]),
        Some(1.0)
    );
    // The welcome to the owner and the client's answer.
    assert_eq!(
        sample(&text, "ai_admin_messages_total", &[r#"direction="out""#]),
        Some(2.0)
    );
    assert_eq!(
        sample(
            &text,
            "ai_admin_llm_request_duration_seconds_count",
            &[
                r#"outcome="ok""#,
                r#"provider="gemini""#,
                r#"route="primary""#
            ]
        ),
        Some(2.0),
        "stage 1 and stage 2"
    );
    assert!(
        sample(
            &text,
            "ai_admin_llm_tokens_total",
            &[r#"kind="prompt""#, r#"provider="gemini""#]
        ) > Some(0.0)
    );
    assert!(
        sample(
            &text,
            "ai_admin_yclients_requests_total",
            &[r#"status="200""#]
        ) > Some(0.0)
    );
    assert_eq!(
        sample(&text, "ai_admin_salons", &[r#"status="active""#]),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "ai_admin_whatsapp_sessions",
            &[r#"state="connected""#]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "ai_admin_conversations_active", &[]),
        Some(1.0)
    );
    assert_eq!(sample(&text, "ai_admin_webhooks_pending", &[]), Some(0.0));
    assert_eq!(
        sample(&text, "ai_admin_websocket_connections", &[]),
        Some(0.0)
    );
    // The SDK's own: workflow tasks this worker completed.
    assert!(
        text.lines()
            .any(|line| line.starts_with("temporal_workflow_task_")
                || line.starts_with("temporal_workflow_completed")),
        "{text}"
    );
    // Counts only: no salon id, phone number or secret in the scrape.
    for secret in [
        salon_id.to_string(),
        OWNER.to_owned(),
        CLIENT.to_owned(),
        ai_admin_tests::PARTNER_TOKEN.to_owned(),
        ai_admin_tests::GEMINI_API_KEY.to_owned(),
    ] {
        assert!(!text.contains(&secret), "{secret} in /metrics");
    }
}

#[tokio::test]
async fn the_ops_overview_lists_each_salon_with_links_for_the_ops_token_only() {
    let app = spawn_app().await;
    let salon_id = salon_with_a_conversation(&app).await;

    assert_eq!(app.get("/ops/salons").await.status(), 401);
    assert_eq!(
        app.get_with_token("/ops/salons", "guess").await.status(),
        401
    );
    let response = app.get_with_token("/ops/salons", OPS_TOKEN).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();

    let salons = body["salons"].as_array().unwrap();
    assert_eq!(salons.len(), 1, "{body}");
    let salon = &salons[0];
    assert_eq!(salon["salon_id"], salon_id.get(), "{salon}");
    assert_eq!(salon["status"], "active");
    assert_eq!(salon["session"], "connected");
    // The app is its own (only) gateway node: it holds the session, never moved.
    assert_eq!(
        salon["gateway_node"],
        app.config.node_id.as_str(),
        "{salon}"
    );
    assert_eq!(salon["gateway_lease_live"], true);
    assert_eq!(salon["session_takeovers"], 0);
    assert_eq!(salon["whatsapp_connected"], true);
    assert!(salon["last_sync_at"].is_string(), "{salon}");
    assert_eq!(salon["client_messages_pending"], 0);
    assert_eq!(salon["webhooks_pending"], 0);
    let runs = salon["runs_url"].as_str().unwrap();
    assert!(
        runs.ends_with(&format!("workflows?query=SalonId%3D{salon_id}")),
        "{runs}"
    );
    let company = salon["company_workflow_url"].as_str().unwrap();
    assert!(
        company.ends_with(&format!("/workflows/company-{salon_id}")),
        "{company}"
    );
}

#[tokio::test]
async fn every_operation_in_the_openapi_document_reaches_a_real_route() {
    let app = spawn_app().await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), 200);
    let document: serde_json::Value = response.json().await.unwrap();

    let mut operations = Vec::new();
    for (path, methods) in document["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{session_id}", "company_1")
            .replace("{phone}", "79000000000")
            .replace("{file}", "onboarding.css");
        for method in methods.as_object().unwrap().keys() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let status = app
                .http
                .request(method.clone(), format!("{}{concrete}", app.address))
                .json(&serde_json::json!({}))
                .send()
                .await
                .unwrap()
                .status();
            assert_ne!(status, 405, "{method} {path}");
            operations.push((method, path.clone()));
        }
    }
    assert!(operations.len() > 15);

    // The router names the route it matched: each documented template, never unmatched.
    let text = scrape(&app).await;
    assert_eq!(
        sample(
            &text,
            "ai_admin_http_request_duration_seconds_count",
            &[r#"route="unmatched""#]
        ),
        None,
        "{text}"
    );
    for (method, path) in operations {
        let seen = sample(
            &text,
            "ai_admin_http_request_duration_seconds_count",
            &[
                &format!(r#"route="{path}""#),
                &format!(r#"method="{method}""#),
            ],
        );
        assert!(seen >= Some(1.0), "{method} {path} matched no route");
    }
}
