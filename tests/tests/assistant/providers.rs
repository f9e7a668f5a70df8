//! The language-model providers through the whole conversation pipeline: an
//! OpenAI-compatible primary (also one that ignores the JSON schema), a Gemini primary
//! that refuses the salon's region with and without a fallback, and the LLM through a
//! SOCKS5 proxy while YClients goes direct.

use crate::support::Fixture;
use ai_admin_activities::acts::conversation::{APOLOGY, LLM_REGION_REASON};
use ai_admin_activities::domain::SalonId;
use ai_admin_simulators::gemini::GeminiFault;
use ai_admin_tests::socks::Socks5Proxy;
use ai_admin_tests::{AppOptions, OPS_TOKEN, TestApp};
use std::time::Duration;

const OLGA: &str = "79005554433";
const PATIENCE: Duration = Duration::from_secs(30);

/// The routes that answered the client's turns, stage 1 and stage 2, oldest first.
async fn providers(app: &TestApp, salon_id: SalonId) -> Vec<(Option<String>, Option<String>)> {
    sqlx::query_as(
        "SELECT stage1_provider, stage2_provider FROM assistant_turns
          WHERE salon_id = $1 AND client_phone = $2 ORDER BY created_at",
    )
    .bind(salon_id.get())
    .bind(OLGA)
    .fetch_all(&app.db)
    .await
    .unwrap()
}

async fn llm_events(app: &TestApp, salon_id: SalonId) -> Vec<serde_json::Value> {
    sqlx::query_scalar(
        "SELECT event_data FROM marketplace_events
          WHERE salon_id = $1 AND event_type = 'llm_unavailable' ORDER BY id",
    )
    .bind(salon_id.get())
    .fetch_all(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn an_openai_compatible_primary_answers_even_when_it_ignores_the_schema() {
    let options = AppOptions {
        llm_provider: Some("openai"),
        ..AppOptions::default()
    };
    let fx = Fixture::active("Салон «Чат»", options).await;
    let (app, salon_id) = (&fx.app, fx.salon_id);

    app.client_says(salon_id, OLGA, "Сколько стоит маникюр?")
        .await;
    let replies = app.wait_for_replies(salon_id, OLGA, 1, PATIENCE).await;
    assert!(replies[0].contains('₽'), "{replies:?}");

    // A server that takes no schema wraps its JSON in reasoning and prose.
    app.gemini.state.set_ignores_schema(true);
    app.client_says(salon_id, OLGA, "А сколько стоит педикюр?")
        .await;
    let replies = app.wait_for_replies(salon_id, OLGA, 2, PATIENCE).await;
    assert!(replies[1].contains('₽'), "{replies:?}");
    assert!(!replies[1].contains("think"), "{replies:?}");

    let calls = app.gemini.state.calls();
    assert!(calls.iter().all(|c| c.api == "openai"), "{calls:?}");
    assert!(calls.iter().all(|c| c.model == "sim-chat"), "{calls:?}");
    let openai = (Some("openai".to_owned()), Some("openai".to_owned()));
    assert_eq!(
        providers(app, salon_id).await,
        [openai.clone(), openai],
        "the turn's record says who answered"
    );
}

#[tokio::test]
async fn a_geo_blocked_gemini_hands_the_client_to_the_fallback_and_tells_the_salon() {
    let options = AppOptions {
        llm_fallback: Some("openai"),
        ..AppOptions::default()
    };
    let fx = Fixture::active("Салон «Граница»", options).await;
    let (app, salon_id) = (&fx.app, fx.salon_id);
    let fallback = app.fallback_llm.as_ref().unwrap();
    app.gemini.state.inject(GeminiFault::region_refused(100));

    app.client_says(salon_id, OLGA, "Сколько стоит маникюр?")
        .await;
    let replies = app.wait_for_replies(salon_id, OLGA, 1, PATIENCE).await;
    assert!(replies[0].contains('₽'), "{replies:?}");
    app.wait_until_answered(salon_id, OLGA).await;
    assert_eq!(app.replies_to(salon_id, OLGA).await.len(), 1, "one reply");
    assert_eq!(app.gemini.state.calls().len(), 1, "the primary asked once");
    assert_eq!(
        fallback.state.calls().len(),
        2,
        "both stages by the fallback"
    );
    let fell_back = Some("openai (fallback)".to_owned());
    assert_eq!(
        providers(app, salon_id).await,
        [(fell_back.clone(), fell_back)]
    );

    let events = llm_events(app, salon_id).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["reason"], LLM_REGION_REASON);
    assert_eq!(events[0]["provider"], "gemini");
    assert_eq!(events[0]["answered_by"], "openai (fallback)");
    assert!(
        events[0]["detail"]
            .as_str()
            .unwrap()
            .contains("User location is not supported"),
        "{events:?}"
    );

    let health: serde_json::Value = app.get("/marketplace/health").await.json().await.unwrap();
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(
        health["services"]["llm"]["primary"]["state"],
        "region_refused"
    );
    assert_eq!(health["services"]["llm"]["fallback"]["state"], "ok");
    assert!(
        health["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("llm:primary:"),
        "{health}"
    );
    let ops: serde_json::Value = app
        .get_with_token("/ops/salons", OPS_TOKEN)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        ops["salons"][0]["llm_unavailable"]["reason"], LLM_REGION_REASON,
        "{ops}"
    );

    // The next client's turn goes straight to the fallback; the salon is told once a day.
    app.client_says(salon_id, OLGA, "А педикюр?").await;
    app.wait_for_replies(salon_id, OLGA, 2, PATIENCE).await;
    assert_eq!(app.gemini.state.calls().len(), 1);
    assert_eq!(llm_events(app, salon_id).await.len(), 1);
}

#[tokio::test]
async fn a_geo_blocked_gemini_without_a_fallback_gets_the_polite_answer_and_the_reason() {
    let fx = Fixture::active("Салон «Без обхода»", AppOptions::default()).await;
    let (app, salon_id) = (&fx.app, fx.salon_id);
    app.gemini.state.inject(GeminiFault::region_refused(100));

    app.client_says(salon_id, OLGA, "Сколько стоит маникюр?")
        .await;
    let replies = app.wait_for_replies(salon_id, OLGA, 1, PATIENCE).await;
    assert_eq!(replies, [APOLOGY.to_owned()]);
    // A refused region is not retried: one call.
    assert_eq!(app.gemini.state.calls().len(), 1);
    let events = llm_events(app, salon_id).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["reason"], LLM_REGION_REASON);
    assert!(events[0]["answered_by"].is_null());
    assert_eq!(
        app.count_rows(
            "SELECT COUNT(*) FROM marketplace_events WHERE salon_id = $1 AND event_type = 'assistant_unavailable'",
            salon_id
        )
        .await,
        1
    );
}

#[tokio::test]
async fn the_llm_goes_through_llm_proxy_while_yclients_goes_direct() {
    let proxy = Socks5Proxy::start(Some(("tunnel", "s3cret")))
        .await
        .unwrap();
    let options = AppOptions {
        env: vec![("LLM_PROXY", proxy.url())],
        ..AppOptions::default()
    };
    let fx = Fixture::active("Салон «Туннель»", options).await;
    let (app, salon_id) = (&fx.app, fx.salon_id);

    app.client_says(salon_id, OLGA, "Сколько стоит маникюр?")
        .await;
    let replies = app.wait_for_replies(salon_id, OLGA, 1, PATIENCE).await;
    assert!(replies[0].contains('₽'), "{replies:?}");

    let llm = app.gemini.base_url().replace("http://", "");
    let yclients = app.yclients.base_url().replace("http://", "");
    let through = proxy.destinations();
    assert!(!through.is_empty(), "the LLM went through the proxy");
    assert!(
        through.iter().all(|d| *d == llm),
        "{through:?} (LLM at {llm})"
    );
    assert!(!through.contains(&yclients), "YClients went direct");
    let health: serde_json::Value = app.get("/marketplace/health").await.json().await.unwrap();
    assert_eq!(health["environment"]["llm_proxy"], true);
    assert_eq!(
        health["services"]["llm"]["primary"]["proxy"],
        proxy.url().replace("tunnel:s3cret@", "")
    );
    assert!(!health.to_string().contains("s3cret"));
}
