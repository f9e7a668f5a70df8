//! `GET /marketplace/health`.

use ai_admin_tests::{AppOptions, spawn_app, spawn_app_with};

#[tokio::test]
async fn health_reports_ok_with_settings_present_but_never_their_values() {
    let app = spawn_app().await;

    let response = app.get("/marketplace/health").await;

    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(
        !text.contains(ai_admin_tests::PARTNER_TOKEN),
        "no secret values"
    );
    assert!(
        !text.contains(ai_admin_tests::JWT_SECRET),
        "no secret values"
    );
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["services"]["database"]["ok"], true);
    assert_eq!(body["services"]["temporal"]["ok"], true);
    assert_eq!(body["environment"]["partner_token"], true);
    assert_eq!(body["environment"]["jwt_secret"], true);
    assert_eq!(body["environment"]["webhook_secret"], false);
    assert_eq!(body["missing"], serde_json::json!([]));
}

#[tokio::test]
async fn health_reports_a_stopped_database_as_an_error() {
    let app = spawn_app_with(AppOptions {
        database_through_proxy: true,
        ..AppOptions::default()
    })
    .await;
    assert_eq!(app.get("/marketplace/health").await.status(), 200);

    app.db_proxy.as_ref().unwrap().stop();
    let response = app.get("/marketplace/health").await;

    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "error");
    assert_eq!(body["services"]["database"]["ok"], false);
    assert_eq!(body["services"]["temporal"]["ok"], true);
    assert_eq!(body["missing"], serde_json::json!(["database"]));
}
