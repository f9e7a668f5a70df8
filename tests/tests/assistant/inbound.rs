//! Client messages are recorded in the inbound ledger once per WhatsApp id (a message
//! redelivered after a reconnect adds nothing), before the phone counts them as
//! delivered (a database outage loses none); captions are read as text, edits and
//! deletions change what is not answered yet, and a foreign number keeps its digits;
//! messages that arrive half a day late get an apology, and replies disappear like the
//! chat they are in.

use ai_admin_activities::domain::SalonId;
use ai_admin_tests::{AppOptions, eventually, spawn_app, spawn_app_with};
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

/// A client writes `body` (the simulator's control API); returns whether the app's
/// ledger took it at once.
async fn write(app: &ai_admin_tests::TestApp, salon_id: SalonId, body: serde_json::Value) -> bool {
    let response = app
        .post_json(&format!("/dev/whatsapp/company_{salon_id}/incoming"), body)
        .await;
    let status = response.status();
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(status, 200, "the phone sends it: {answer}");
    answer["delivered"].as_bool().unwrap()
}

#[tokio::test]
async fn a_database_outage_during_a_burst_of_client_messages_loses_none() {
    let app = spawn_app_with(AppOptions {
        database_through_proxy: true,
        ..AppOptions::default()
    })
    .await;
    let salon_id = app.add_salon("Салон «Без базы»");
    app.onboard(salon_id, "79001234567").await;
    app.wait_until_ready(salon_id, Duration::from_secs(90))
        .await;
    let proxy = app.db_proxy.as_ref().unwrap();

    // The database goes away while ten clients write (for less than the node trusts
    // its leases unrenewed: longer, it would stop its sessions, as it must).
    proxy.stop();
    let mut delivered_at_once = 0;
    for n in 0..10 {
        let client = format!("7900555{n:04}");
        let body =
            json!({ "from": client, "text": "Сколько стоит маникюр?", "id": format!("burst-{n}") });
        if write(&app, salon_id, body).await {
            delivered_at_once += 1;
        }
    }
    assert_eq!(
        delivered_at_once, 0,
        "nothing counts as delivered while it cannot be recorded"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    proxy.resume().await.unwrap();

    // Delivered again until recorded: every message is in the ledger once, and answered.
    eventually(Duration::from_secs(60), "all ten messages recorded", || async {
        let rows: i64 = sqlx::query_scalar(
            "SELECT COUNT(DISTINCT message_id) FROM inbound_messages WHERE salon_id = $1 AND message_id LIKE 'burst-%'",
        )
        .bind(salon_id.get())
        .fetch_one(&app.db)
        .await
        .ok()?;
        (rows == 10).then_some(())
    })
    .await;
    for n in 0..10 {
        let client = format!("7900555{n:04}");
        app.wait_for_replies(salon_id, &client, 1, Duration::from_secs(60))
            .await;
    }
}

#[tokio::test]
async fn a_caption_is_answered_as_text_and_a_foreign_number_at_its_own_number() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Подписи»");
    app.onboard(salon_id, "79001234567").await;
    app.wait_until_ready(salon_id, Duration::from_secs(90))
        .await;

    let photo = json!({
        "from": "79005550707", "kind": "image", "text": "Сколько стоит маникюр?",
        "media": { "mimetype": "image/jpeg", "bytes": 42000 },
    });
    assert!(write(&app, salon_id, photo).await);
    let replies = app
        .wait_for_replies(salon_id, "79005550707", 1, Duration::from_secs(60))
        .await;
    assert!(
        replies[0].contains('₽'),
        "the caption was read: {replies:?}"
    );
    let kind: String = sqlx::query_scalar(
        "SELECT kind FROM inbound_messages WHERE salon_id = $1 AND client_phone = '79005550707'",
    )
    .bind(salon_id.get())
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(kind, "image");
    // WhatsApp's server took the reply (the simulator acks each send as the server
    // does), and its answer is kept beside the send.
    ai_admin_tests::eventually(
        Duration::from_secs(30),
        "the reply's server ack",
        || async {
            let acked: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbound_messages o JOIN whatsapp_send_acks a USING (message_id)
             WHERE o.salon_id = $1 AND o.to_phone = '79005550707' AND a.error IS NULL",
        )
        .bind(salon_id.get())
        .fetch_one(&app.db)
        .await
        .ok()?;
            (acked == 1).then_some(())
        },
    )
    .await;

    // A Vietnamese number (84…) is not a Russian one dialled with a trunk 8.
    let vietnam = json!({ "from": "84912345678", "text": "Сколько стоит маникюр?" });
    assert!(write(&app, salon_id, vietnam).await);
    app.wait_for_replies(salon_id, "84912345678", 1, Duration::from_secs(60))
        .await;
    assert!(app.replies_to(salon_id, "74912345678").await.is_empty());
}

#[tokio::test]
async fn an_edit_replaces_a_message_not_yet_answered_and_a_deletion_withdraws_it() {
    let app = spawn_app_with(AppOptions {
        // Long enough for the client to change their mind before the answer, even on a
        // loaded two-core CI machine.
        debounce_ms: Some(5_000),
        ..AppOptions::default()
    })
    .await;
    let salon_id = app.add_salon("Салон «Передумала»");
    app.onboard(salon_id, "79001234567").await;
    app.wait_until_ready(salon_id, Duration::from_secs(90))
        .await;

    let asked = json!({ "from": "79005550808", "text": "Сколько стоит педикюр?", "id": "ask-1" });
    assert!(write(&app, salon_id, asked).await);
    let edit = json!({
        "from": "79005550808", "kind": "edit", "refers_to": "ask-1", "id": "edit-1",
        "text": "Сколько стоит маникюр?",
    });
    assert!(write(&app, salon_id, edit).await);
    let replies = app
        .wait_for_replies(salon_id, "79005550808", 1, Duration::from_secs(60))
        .await;
    assert!(
        replies[0].contains("аникюр"),
        "the edited text was answered: {replies:?}"
    );
    assert!(!replies[0].contains("едикюр"), "{replies:?}");

    let oops = json!({ "from": "79005550909", "text": "Запишите меня на завтра", "id": "oops-1" });
    assert!(write(&app, salon_id, oops).await);
    let revoke =
        json!({ "from": "79005550909", "kind": "revoke", "refers_to": "oops-1", "id": "revoke-1" });
    assert!(write(&app, salon_id, revoke).await);
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert!(
        app.replies_to(salon_id, "79005550909").await.is_empty(),
        "a deleted message is not answered"
    );
    let status: String = sqlx::query_scalar(
        "SELECT status FROM inbound_messages WHERE salon_id = $1 AND message_id = 'oops-1'",
    )
    .bind(salon_id.get())
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(status, "withdrawn");
}

#[tokio::test]
async fn the_salon_answering_a_client_itself_pauses_the_bot_for_that_client() {
    let app = spawn_app_with(AppOptions {
        env: vec![("OWNER_REPLY_PAUSE", "6s".to_owned())],
        ..AppOptions::default()
    })
    .await;
    let salon_id = app.add_salon("Салон «Сама отвечу»");
    app.onboard(salon_id, "79001234567").await;
    app.wait_until_ready(salon_id, Duration::from_secs(90))
        .await;
    let (anna, boris) = ("79005551212", "79005551313");

    // The owner writes to Anna from the salon's phone.
    let owner =
        json!({ "from_me": true, "to": anna, "text": "Анна, добрый день! Я сама вас запишу." });
    assert!(write(&app, salon_id, owner).await);
    let question = json!({ "from": anna, "text": "Сколько стоит маникюр?" });
    assert!(write(&app, salon_id, question).await);
    let other = json!({ "from": boris, "text": "Сколько стоит маникюр?" });
    assert!(write(&app, salon_id, other).await);

    // Boris is answered; Anna is the salon's for now.
    app.wait_for_replies(salon_id, boris, 1, Duration::from_secs(60))
        .await;
    assert!(
        app.replies_to(salon_id, anna).await.is_empty(),
        "the bot keeps out"
    );
    let (from_salon, status): (bool, String) = sqlx::query_as(
        "SELECT from_salon, status FROM inbound_messages WHERE salon_id = $1 AND client_phone = $2 ORDER BY id LIMIT 1",
    )
    .bind(salon_id.get())
    .bind(anna)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(from_salon, "kept as the salon's message");
    assert_eq!(status, "ignored");

    // Once the pause is over, the bot answers Anna again, knowing what the salon said.
    tokio::time::sleep(Duration::from_secs(6)).await;
    app.gemini.state.clear_calls();
    let again = json!({ "from": anna, "text": "А педикюр?" });
    assert!(write(&app, salon_id, again).await);
    app.wait_for_replies(salon_id, anna, 1, Duration::from_secs(60))
        .await;
    let understood = app
        .gemini
        .state
        .calls()
        .into_iter()
        .find(|call| call.stage == 1 && call.input.contains("педикюр"))
        .expect("the turn went to the model");
    let said: Vec<(&str, &str)> = understood
        .history
        .iter()
        .map(|(role, text)| (role.as_str(), text.as_str()))
        .collect();
    assert_eq!(
        said,
        [
            ("model", "Анна, добрый день! Я сама вас запишу."),
            ("user", "Сколько стоит маникюр?"),
        ],
        "the salon's words are its turn, then what Anna asked while it answered her itself (input {:?})",
        understood.input
    );
}

#[tokio::test]
async fn a_message_that_arrives_half_a_day_late_gets_an_apology_instead_of_an_answer() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Поздняя почта»");
    app.onboard(salon_id, "79001234567").await;
    app.wait_until_ready(salon_id, Duration::from_secs(90))
        .await;
    let client = "79005558080";

    // Written 13 hours ago, delivered only now (the phone was offline, or we were).
    let written = chrono::Utc::now().timestamp() - 13 * 3600;
    let late = json!({ "from": client, "text": "Сколько стоит маникюр?", "sent_at": written });
    assert!(write(&app, salon_id, late).await);
    let replies = app
        .wait_for_replies(salon_id, client, 1, Duration::from_secs(60))
        .await;
    assert_eq!(
        replies[0],
        ai_admin_activities::acts::conversation::LATE_APOLOGY,
        "not answered as if new"
    );

    // Written now: answered as usual.
    let fresh = json!({ "from": client, "text": "Сколько стоит маникюр?" });
    assert!(write(&app, salon_id, fresh).await);
    let replies = app
        .wait_for_replies(salon_id, client, 2, Duration::from_secs(60))
        .await;
    assert!(replies[1].contains('₽'), "{replies:?}");
}

#[tokio::test]
async fn replies_disappear_after_the_chats_own_timer() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Исчезающие»");
    app.onboard(salon_id, "79001234567").await;
    app.wait_until_ready(salon_id, Duration::from_secs(90))
        .await;
    let client = "79005559090";
    let timers = || async {
        app.outbox(salon_id)
            .await
            .into_iter()
            .filter(|entry| entry["kind"] == "text" && entry["to"] == client)
            .map(|entry| entry["expiration"].as_u64())
            .collect::<Vec<_>>()
    };

    // The client's chat has a 7-day disappearing timer.
    let week = json!({ "from": client, "text": "Сколько стоит маникюр?", "expiration": 604_800 });
    assert!(write(&app, salon_id, week).await);
    app.wait_for_replies(salon_id, client, 1, Duration::from_secs(60))
        .await;
    assert_eq!(timers().await, [Some(604_800)]);

    // They turned it off: the next reply stays.
    let off = json!({ "from": client, "text": "Сколько стоит маникюр?" });
    assert!(write(&app, salon_id, off).await);
    app.wait_for_replies(salon_id, client, 2, Duration::from_secs(60))
        .await;
    assert_eq!(timers().await, [Some(604_800), None]);
}
