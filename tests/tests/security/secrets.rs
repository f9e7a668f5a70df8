//! Secrets stay out of storage and workflow history: the partner token (which marketplace
//! events carry), the data-webhook URL's secret (kept only as a hash) and the API key
//! (kept in its column, never in history).

use super::{PATIENCE, ready_salon};
use ai_admin_activities::domain::SalonId;
use ai_admin_tests::{PARTNER_TOKEN, TestApp, record_event, spawn_app};
use base64::Engine as _;
use futures::StreamExt as _;
use serde_json::Value;
use temporalio_client::{WorkflowFetchHistoryOptions, WorkflowListOptions};

/// Every row of every table of the app's database, as text.
async fn database_text(app: &TestApp) -> Vec<(String, String)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let mut dumps = Vec::new();
    for table in tables {
        let sql = format!(
            "SELECT COALESCE(string_agg(row_to_json(t)::text, '\n'), '') FROM \"{table}\" t"
        );
        let text: String = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&app.db)
            .await
            .unwrap();
        dumps.push((table, text));
    }
    dumps
}

/// Every string in a history's JSON, and what base64 payloads among them decode to.
fn strings_of(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) => {
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(text) {
                out.push(String::from_utf8_lossy(&bytes).into_owned());
            }
            out.push(text.clone());
        }
        Value::Array(items) => items.iter().for_each(|v| strings_of(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings_of(v, out)),
        _ => {}
    }
}

/// The text of the history of every workflow of the salon (by its search attribute,
/// and its lifecycle workflow by id).
async fn history_text(app: &TestApp, salon_id: SalonId) -> Vec<(String, String)> {
    let mut ids: Vec<String> = app
        .temporal
        .list_workflows(
            format!("SalonId = {salon_id}"),
            WorkflowListOptions::default(),
        )
        .filter_map(|run| async move { run.ok().map(|run| run.id().to_owned()) })
        .collect()
        .await;
    ids.push(format!("company-{salon_id}"));
    ids.sort();
    ids.dedup();
    let mut texts = Vec::new();
    for id in ids {
        let handle = app
            .temporal
            .get_workflow_handle::<temporalio_common::UntypedWorkflow>(id.clone());
        let Ok(json) = handle
            .fetch_history(WorkflowFetchHistoryOptions::default())
            .to_json()
            .await
        else {
            continue;
        };
        let value: Value = serde_json::from_slice(&json).unwrap();
        let mut strings = Vec::new();
        strings_of(&value, &mut strings);
        texts.push((id, strings.join("\n")));
    }
    texts
}

#[tokio::test]
async fn the_partner_token_and_the_url_secret_are_in_no_table_and_no_workflow_history() {
    let app = spawn_app().await;
    let salon_id = ready_salon(&app, "Салон «Тайна»").await;
    // Marketplace events carry the partner token; a data webhook comes to the URL with
    // the secret.
    for event in ["freeze", "payment"] {
        let body = app.marketplace_event(salon_id, event);
        assert_eq!(app.webhook(&body).await.status(), 200);
    }
    let visit = app.yclients.state.salon(salon_id.into()).unwrap().records[0].id;
    let record = record_event(salon_id, visit, "update", "");
    assert_eq!(app.data_webhook(salon_id, &record).await.status(), 200);
    app.wait_until_applied(salon_id, PATIENCE).await;
    let url = app.salon_webhook_url(salon_id).await;
    let (_, url_secret) = url.rsplit_once('/').unwrap();
    let api_key: String =
        sqlx::query_scalar("SELECT api_key FROM companies WHERE yclients_id = $1")
            .bind(salon_id.get())
            .fetch_one(&app.db)
            .await
            .unwrap();

    let tables = database_text(&app).await;
    assert!(tables.iter().any(|(table, _)| table == "webhook_inbox"));
    for (table, text) in &tables {
        assert!(
            !text.contains(PARTNER_TOKEN),
            "the partner token is in {table}"
        );
        assert!(!text.contains(url_secret), "the URL secret is in {table}");
    }
    let histories = history_text(&app, salon_id).await;
    assert!(
        histories.iter().any(|(id, _)| id.starts_with("company-")),
        "the lifecycle workflow's history was read: {:?}",
        histories.iter().map(|(id, _)| id).collect::<Vec<_>>()
    );
    assert!(
        histories
            .iter()
            .any(|(id, _)| id.starts_with("activation-"))
    );
    for (id, text) in &histories {
        assert!(
            !text.contains(PARTNER_TOKEN),
            "the partner token is in {id}"
        );
        assert!(!text.contains(url_secret), "the URL secret is in {id}");
        assert!(!text.contains(&api_key), "the API key is in {id}");
    }
    // What is kept of the secret is its hash, and the callback-time copy is gone.
    let (hash, pending): (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT webhook_secret_hash, webhook_secret_pending FROM companies WHERE yclients_id = $1",
    )
    .bind(salon_id.get())
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(hash.map(|h| h.len()), Some(64));
    assert_eq!(pending, None);
}

#[tokio::test]
async fn the_owners_page_links_no_temporal_run() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Без ссылок»");
    let token = app.register(salon_id).await;
    let page = app
        .get(&format!("/marketplace/onboarding?token={token}"))
        .await
        .text()
        .await
        .unwrap();
    let progress = app
        .get_with_token("/marketplace/api/progress", &token)
        .await
        .text()
        .await
        .unwrap();
    let handoff = app
        .get_with_token("/marketplace/api/conversations/handoff", &token)
        .await
        .text()
        .await
        .unwrap();
    for (name, text) in [("page", page), ("progress", progress), ("handoff", handoff)] {
        assert!(
            !text.contains("/workflows/"),
            "{name} links Temporal: {text}"
        );
        assert!(!text.contains(&app.config.temporal.ui_url), "{name}");
    }
}
