//! Client messages are recorded in the inbound ledger once per WhatsApp id: a message
//! redelivered after a reconnect (same id) adds nothing.

use ai_admin_tests::{eventually, spawn_app};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn a_redelivered_message_is_recorded_once() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Входящие»");
    app.onboard(salon_id, "79001234567").await;
    let url = format!("{}/dev/whatsapp/company_{salon_id}/incoming", app.address);
    let write = |id: &'static str, text: &'static str| {
        let request = app.http.post(&url).json(
            &json!({ "from": "+7 (900) 555-44-33", "text": text, "id": id, "name": "Ольга" }),
        );
        async move { request.send().await.unwrap().status().as_u16() }
    };

    assert_eq!(write("wamid-1", "Здравствуйте!").await, 200);
    assert_eq!(write("wamid-1", "Здравствуйте!").await, 200);
    assert_eq!(write("wamid-2", "Сколько стоит маникюр?").await, 200);

    let rows: Vec<(String, String, String, Option<String>)> = eventually(
        Duration::from_secs(10),
        "both messages to be recorded",
        || async {
            let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
                "SELECT message_id, client_phone, text, push_name FROM inbound_messages
                 WHERE salon_id = $1 ORDER BY id",
            )
            .bind(salon_id.get())
            .fetch_all(&app.db)
            .await
            .unwrap();
            (rows.len() >= 2).then_some(rows)
        },
    )
    .await;
    // The duplicate had its chance to land before the second message did.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM inbound_messages WHERE salon_id = $1")
            .bind(salon_id.get())
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(count, 2);
    assert_eq!(
        rows,
        vec![
            (
                "wamid-1".into(),
                "79005554433".into(),
                "Здравствуйте!".into(),
                Some("Ольга".into())
            ),
            (
                "wamid-2".into(),
                "79005554433".into(),
                "Сколько стоит маникюр?".into(),
                Some("Ольга".into())
            ),
        ]
    );
}
