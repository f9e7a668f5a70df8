//! WhatsApp stopping a salon's session (another device took over, a temporary ban, a
//! refused connection, an unlink), played by the simulator as the live gateway sees it:
//! each is recorded as `whatsapp_suspended` with its reason, and where WhatsApp allows,
//! the gateway node starts the session again — connected without a new QR code.

use ai_admin_activities::domain::{SalonId, SessionId};
use ai_admin_tests::{AppOptions, TestApp, eventually, spawn_app_with};
use serde_json::json;
use std::time::Duration;

const OWNER_PHONE: &str = "79001234567";
const PATIENCE: Duration = Duration::from_secs(60);

async fn suspensions(app: &TestApp, salon_id: SalonId) -> Vec<serde_json::Value> {
    sqlx::query_scalar(
        "SELECT event_data FROM marketplace_events
         WHERE salon_id = $1 AND event_type = 'whatsapp_suspended' ORDER BY id",
    )
    .bind(salon_id.get())
    .fetch_all(&app.db)
    .await
    .unwrap()
}

async fn session_status(app: &TestApp, salon_id: SalonId) -> String {
    let session = SessionId::for_salon(salon_id).to_string();
    let sessions: Vec<serde_json::Value> = app
        .get("/dev/whatsapp/sessions")
        .await
        .json()
        .await
        .unwrap();
    sessions
        .iter()
        .find(|s| s["session_id"] == session)
        .map(|s| s["status"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

async fn fault(app: &TestApp, salon_id: SalonId, body: serde_json::Value) {
    let session = SessionId::for_salon(salon_id);
    let response = app
        .post_json(&format!("/dev/whatsapp/{session}/fault"), body)
        .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn each_way_whatsapp_stops_a_session_is_reported_and_it_comes_back_where_allowed() {
    // Short leases: the keeper's rounds (a third of the lease) are its restart clock.
    let app = spawn_app_with(AppOptions {
        whatsapp_lease_secs: Some(3),
        ..AppOptions::default()
    })
    .await;
    let salon_id = app.add_salon("Салон «Сбои WhatsApp»");
    app.onboard(salon_id, OWNER_PHONE).await;
    app.wait_until_ready(salon_id, PATIENCE).await;
    let links_before = app
        .count_rows(
            "SELECT COUNT(*) FROM marketplace_events WHERE salon_id = $1 AND event_type = 'whatsapp_connected'",
            salon_id,
        )
        .await;

    for (n, body) in [
        json!({ "kind": "replaced" }),
        json!({ "kind": "connect_failure" }),
        json!({ "kind": "banned", "seconds": 3 }),
    ]
    .into_iter()
    .enumerate()
    {
        let kind = body["kind"].as_str().unwrap().to_owned();
        fault(&app, salon_id, body).await;
        let reported = eventually(PATIENCE, &format!("{kind} to be reported"), || async {
            let all = suspensions(&app, salon_id).await;
            (all.len() > n).then(|| all[n].clone())
        })
        .await;
        assert_eq!(reported["reason"], kind.as_str());
        if kind == "banned" {
            assert!(
                reported["until"].as_i64().is_some(),
                "a ban says until when"
            );
        }
        // Back without a new QR code or link.
        eventually(
            PATIENCE,
            &format!("the session back after {kind}"),
            || async { (session_status(&app, salon_id).await == "connected").then_some(()) },
        )
        .await;
    }
    // Coming back is not a new link.
    let links_after = app
        .count_rows(
            "SELECT COUNT(*) FROM marketplace_events WHERE salon_id = $1 AND event_type = 'whatsapp_connected'",
            salon_id,
        )
        .await;
    assert_eq!(links_after, links_before);
    // And the bot answers again.
    app.client_says(salon_id, "79005551111", "Сколько стоит маникюр?")
        .await;
    app.wait_for_replies(salon_id, "79005551111", 1, PATIENCE)
        .await;

    // An unlink needs a new link: reported, and the session stays logged out.
    fault(&app, salon_id, json!({ "kind": "logged_out" })).await;
    let reported = eventually(PATIENCE, "the unlink to be reported", || async {
        let all = suspensions(&app, salon_id).await;
        (all.len() > 3).then(|| all[3].clone())
    })
    .await;
    assert_eq!(reported["reason"], "logged_out");
    app.wait_until_whatsapp_connected(salon_id, false, PATIENCE)
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_ne!(session_status(&app, salon_id).await, "connected");
}
