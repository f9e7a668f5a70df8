//! `GET /marketplace/onboarding` and `GET /marketplace/api/progress`.

use ai_admin_activities::secret::Secret;
use ai_admin_api::auth::{TokenKeys, TokenUser};
use ai_admin_tests::spawn_app;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

#[tokio::test]
async fn the_onboarding_page_opens_with_a_valid_token() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон <«Эскейп»>");
    let token = app.register(salon_id).await;

    let response = app
        .get(&format!("/marketplace/onboarding?token={token}"))
        .await;

    assert_eq!(response.status(), 200);
    assert!(
        response
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("lang=\"ru\""));
    assert!(
        html.contains("Салон &lt;«Эскейп»&gt;"),
        "the title is shown, escaped"
    );
    assert!(html.contains("/marketplace/static/onboarding.js"));

    for asset in ["onboarding.js", "onboarding.css"] {
        let response = app.get(&format!("/marketplace/static/{asset}")).await;
        assert_eq!(response.status(), 200, "{asset}");
    }
}

#[tokio::test]
async fn the_onboarding_page_refuses_missing_expired_forged_and_unsigned_tokens() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Строгий»");
    let token = app.register(salon_id).await;
    let claims = app.verify_token(&token);
    let now = chrono::Utc::now().timestamp();

    let missing = app.get("/marketplace/onboarding").await;
    assert_eq!(missing.status(), 400);

    let expired = TokenKeys::new(&app.config.jwt_secret)
        .issue(
            claims.company_id,
            salon_id,
            TokenUser::default(),
            now - 7200,
        )
        .unwrap();
    let forged = TokenKeys::new(&Secret::new("somebody-else's-secret"))
        .issue(claims.company_id, salon_id, TokenUser::default(), now)
        .unwrap();
    let payload = token.split('.').nth(1).unwrap();
    let alg_none = format!(
        "{}.{payload}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#)
    );
    for (name, bad) in [
        ("expired", expired),
        ("forged", forged),
        ("alg none", alg_none),
        ("garbage", "abc.def.ghi".to_owned()),
    ] {
        let response = app
            .get(&format!("/marketplace/onboarding?token={bad}"))
            .await;
        assert_eq!(response.status(), 401, "{name} token");
        let html = response.text().await.unwrap();
        assert!(html.contains("<html"), "{name}: a readable page");
    }
}

#[tokio::test]
async fn the_progress_api_reports_the_onboarding_step_to_the_token_holder_only() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Прогресс»");
    let token = app.register(salon_id).await;

    let response = app
        .get_with_token("/marketplace/api/progress", &token)
        .await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["salon_id"], i64::from(salon_id));
    assert_eq!(body["integration_status"], "pending_whatsapp");
    assert_eq!(body["progress"]["step"], "waiting_for_whatsapp");
    assert_eq!(body["progress"]["status"], "in_progress");
    assert!(
        !body.to_string().contains("workflow_url") && !body.to_string().contains("/workflows/"),
        "the owner's page links no Temporal run: {body}"
    );

    let anonymous = app.get("/marketplace/api/progress").await;
    assert_eq!(anonymous.status(), 401);
    let body: serde_json::Value = anonymous.json().await.unwrap();
    assert_eq!(body["success"], false);
}
