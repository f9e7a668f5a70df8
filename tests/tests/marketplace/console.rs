//! The owner's console API (`/console/api/*`) against the running app: getting in with
//! the redirect's one-time code, the session's bounds, the status page, and stepping into
//! a conversation (the salon answers, the bot stays silent, then takes the client back).

use ai_admin_activities::domain::SalonId;
use ai_admin_tests::{
    AppOptions, TestApp, code_from_location, eventually, spawn_app, spawn_app_with,
};
use ai_admin_workflows::handoff::HandoffWorkflow;
use serde_json::{Value, json};
use std::time::Duration;
use temporalio_client::WorkflowGetResultOptions;

const PATIENCE: Duration = Duration::from_secs(60);
const OWNER_PHONE: &str = "79001112233";
const CLIENT: &str = "79005550177";

async fn ready_salon(app: &TestApp, title: &str) -> SalonId {
    let salon_id = app.add_salon(title);
    app.onboard(salon_id, OWNER_PHONE).await;
    app.wait_until_ready(salon_id, PATIENCE).await;
    salon_id
}

async fn get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let response = app.get_with_token(path, token).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `DELETE /console/api/session`: its status.
async fn logout(app: &TestApp, token: &str) -> u16 {
    app.http
        .delete(format!("{}/console/api/session", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    let response = app.post_with_token(path, token, body).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Waits until every message `from` wrote is closed (answered, or closed unanswered).
async fn wait_until_closed(app: &TestApp, salon_id: SalonId, from: &str, count: i64) {
    eventually(PATIENCE, "the client's messages to close", || async {
        let closed: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM inbound_messages
             WHERE salon_id = $1 AND client_phone = $2 AND status <> 'pending'",
        )
        .bind(salon_id.get())
        .bind(from)
        .fetch_one(&app.db)
        .await
        .unwrap();
        (closed >= count).then_some(())
    })
    .await;
}

/// The one conversation of `from` in the salon's list.
async fn conversation_of(app: &TestApp, token: &str) -> Value {
    let (status, list) = get(app, token, "/console/api/conversations").await;
    assert_eq!(status, 200, "{list}");
    list["conversations"][0].clone()
}

#[tokio::test]
async fn an_installed_salons_owner_enters_the_console_with_a_code_that_works_once() {
    let app = spawn_app().await;
    let salon_id = ready_salon(&app, "Салон «Консоль»").await;

    // Back from YClients: the installed salon lands on its console with a code.
    let response = app.redirect(&format!("salon_id={salon_id}")).await;
    assert_eq!(response.status(), 302);
    let code = code_from_location(&response).expect("a console redirect");
    let page = app.get(&format!("/console?code={code}")).await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert_eq!(page.headers()["cache-control"], "no-store");
    // Framed by YClients' and Altegio's apps (the default FRAME_ANCESTORS), nobody else.
    let policy = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        policy.ends_with(
            "frame-ancestors 'self' https://yclients.com https://*.yclients.com https://alteg.io https://*.alteg.io"
        ),
        "{policy}"
    );

    // The code is traded once.
    let session = app
        .post_json("/console/api/session", json!({ "code": code }))
        .await;
    assert_eq!(session.status(), 200);
    let session: Value = session.json().await.unwrap();
    assert_eq!(session["expires_in"], 12 * 3600);
    assert_eq!(session["salon_id"], salon_id.get());
    let token = session["token"].as_str().unwrap().to_owned();
    let again = app
        .post_json("/console/api/session", json!({ "code": code }))
        .await;
    assert_eq!(again.status(), 401, "a code works once");
    let made_up = app
        .post_json("/console/api/session", json!({ "code": "0".repeat(64) }))
        .await;
    assert_eq!(made_up.status(), 401);

    // The status page.
    let (status, overview) = get(&app, &token, "/console/api/overview").await;
    assert_eq!(status, 200, "{overview}");
    assert_eq!(overview["salon"]["title"], "Салон «Консоль»");
    assert_eq!(overview["salon"]["integration_status"], "active");
    assert_eq!(overview["whatsapp"]["status"], "connected");
    assert_eq!(overview["whatsapp"]["phone"], OWNER_PHONE);
    assert!(overview["sync"]["last_at"].is_string(), "{overview}");
    assert!(
        overview["sync"]["next"]
            .as_array()
            .is_some_and(|next| next.iter().any(|s| s["next_at"].is_string())),
        "the recurring syncs' next runs: {overview}"
    );
    for period in ["today", "week", "month"] {
        assert_eq!(overview["results"][period]["bookings"], 0, "{overview}");
    }

    // Without a session, or with a forged one, nothing.
    for path in ["/console/api/overview", "/console/api/conversations"] {
        assert_eq!(app.get(path).await.status(), 401, "{path}");
        assert_eq!(get(&app, "forged", path).await.0, 401, "{path}");
    }

    // The session slides: each use pushes its end on.
    let ends = || async {
        sqlx::query_scalar::<_, chrono::DateTime<chrono::Utc>>(
            "SELECT expires_at FROM console_sessions WHERE salon_id = $1",
        )
        .bind(salon_id.get())
        .fetch_one(&app.db)
        .await
        .unwrap()
    };
    // (Its use is written down once a minute: make the last one two minutes old.)
    sqlx::query(
        "UPDATE console_sessions SET last_seen_at = NOW() - INTERVAL '2 minutes',
                expires_at = expires_at - INTERVAL '2 minutes' WHERE salon_id = $1",
    )
    .bind(salon_id.get())
    .execute(&app.db)
    .await
    .unwrap();
    let before = ends().await;
    assert_eq!(get(&app, &token, "/console/api/conversations").await.0, 200);
    assert!(ends().await > before, "a used session lives on");

    // Logout ends it.
    assert_eq!(logout(&app, &token).await, 200);
    assert_eq!(get(&app, &token, "/console/api/overview").await.0, 401);

    // A code left for over a minute is refused, and so is a session past its end.
    let late = app.redirect(&format!("salon_id={salon_id}")).await;
    let late = code_from_location(&late).unwrap();
    sqlx::query(
        "UPDATE console_codes SET expires_at = NOW() - INTERVAL '1 second' WHERE used_at IS NULL",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let refused = app
        .post_json("/console/api/session", json!({ "code": late }))
        .await;
    assert_eq!(refused.status(), 401);
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("YClients"),
        "{body}"
    );
    let token = app.console_session(&format!("salon_id={salon_id}")).await;
    sqlx::query("UPDATE console_sessions SET expires_at = NOW() - INTERVAL '1 second' WHERE revoked_at IS NULL")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(get(&app, &token, "/console/api/overview").await.0, 401);
}

#[tokio::test]
async fn the_owner_answers_a_client_the_bot_keeps_silent_then_takes_them_back() {
    let app = spawn_app().await;
    let salon_id = ready_salon(&app, "Салон «Администратор»").await;
    let token = app.console_session(&format!("salon_id={salon_id}")).await;

    app.client_says(salon_id, CLIENT, "Сколько стоит маникюр?")
        .await;
    app.wait_for_replies(salon_id, CLIENT, 1, PATIENCE).await;
    wait_until_closed(&app, salon_id, CLIENT, 1).await;

    // The list and the transcript, the bot's commands beside its reply.
    let conversation = conversation_of(&app, &token).await;
    assert_eq!(
        conversation["phone_masked"], "+7900 ***-**-77",
        "{conversation}"
    );
    assert_eq!(conversation["state"], "asked");
    assert_eq!(conversation["last_from"], "bot");
    let id = conversation["id"].as_i64().unwrap();
    let (status, chat) = get(&app, &token, &format!("/console/api/conversations/{id}")).await;
    assert_eq!(status, 200, "{chat}");
    assert_eq!(chat["phone"], CLIENT, "the owner sees the full number");
    let messages = chat["messages"].as_array().unwrap();
    assert_eq!(messages[0]["from"], "client");
    assert_eq!(messages[0]["text"], "Сколько стоит маникюр?");
    assert_eq!(messages[1]["from"], "bot");
    let commands = messages[1]["commands"]
        .as_array()
        .expect("the turn's commands");
    assert!(
        commands.iter().any(|c| c["command"] == "SHOW_PRICES"),
        "{chat}"
    );

    // The salon answers from the console: the client gets it, once per key.
    let answer = "Здравствуйте! Это Анна, администратор. Подскажу лично.";
    let send = || async {
        app.http
            .post(format!(
                "{}/console/api/conversations/{id}/reply",
                app.address
            ))
            .bearer_auth(&token)
            .header("Idempotency-Key", "first-answer")
            .json(&json!({ "text": answer }))
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(send().await, 200);
    assert_eq!(send().await, 200, "a retried request is answered");
    let other_text = app
        .http
        .post(format!(
            "{}/console/api/conversations/{id}/reply",
            app.address
        ))
        .bearer_auth(&token)
        .header("Idempotency-Key", "first-answer")
        .json(&json!({ "text": "Совсем другой текст" }))
        .send()
        .await
        .unwrap();
    assert_eq!(other_text.status(), 422, "a key names one text");
    let replies = app.wait_for_replies(salon_id, CLIENT, 2, PATIENCE).await;
    assert_eq!(replies[1], answer);
    assert_eq!(
        post(
            &app,
            &token,
            &format!("/console/api/conversations/{id}/reply"),
            json!({"text": "  "})
        )
        .await
        .0,
        400
    );
    // A double click: two requests with one key at once send once.
    let twice = || async {
        app.http
            .post(format!(
                "{}/console/api/conversations/{id}/reply",
                app.address
            ))
            .bearer_auth(&token)
            .header("Idempotency-Key", "double-click")
            .json(&json!({ "text": "Минуту, смотрю расписание." }))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    let (first, second) = tokio::join!(twice(), twice());
    let mut statuses = [first, second];
    statuses.sort_unstable();
    assert!(matches!(statuses, [200, 200] | [200, 409]), "{statuses:?}");
    let replies = app.wait_for_replies(salon_id, CLIENT, 3, PATIENCE).await;
    assert_eq!(replies[2], "Минуту, смотрю расписание.");
    let (_, chat) = get(&app, &token, &format!("/console/api/conversations/{id}")).await;
    assert_eq!(chat["state"], "handoff", "{chat}");
    assert_eq!(
        chat["messages"].as_array().unwrap().last().unwrap()["from"],
        "salon"
    );
    let (_, inbox) = get(&app, &token, "/console/api/handoffs").await;
    assert_eq!(inbox["clients"][0]["id"], id, "{inbox}");

    // The client answers the person: the bot stays silent.
    app.client_says(salon_id, CLIENT, "Спасибо, жду").await;
    wait_until_closed(&app, salon_id, CLIENT, 2).await;
    assert_eq!(
        app.replies_to(salon_id, CLIENT).await.len(),
        3,
        "the bot stayed silent, and nothing went twice"
    );

    // Back to the bot: it answers the next message.
    let (status, released) = post(
        &app,
        &token,
        &format!("/console/api/conversations/{id}/release"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(released["released"], true);
    app.client_says(salon_id, CLIENT, "А сколько стоит стрижка?")
        .await;
    app.wait_for_replies(salon_id, CLIENT, 4, PATIENCE).await;
    let (_, inbox) = get(&app, &token, "/console/api/handoffs").await;
    assert_eq!(inbox["clients"], json!([]));
}

#[tokio::test]
async fn another_salons_session_reads_and_sends_nothing_of_this_salon() {
    let app = spawn_app().await;
    let ours = ready_salon(&app, "Салон «Свой»").await;
    let theirs = ready_salon(&app, "Салон «Чужой»").await;
    app.client_says(ours, CLIENT, "Сколько стоит маникюр?")
        .await;
    app.wait_for_replies(ours, CLIENT, 1, PATIENCE).await;
    let owner = app.console_session(&format!("salon_id={ours}")).await;
    let id = conversation_of(&app, &owner).await["id"].as_i64().unwrap();

    let stranger = app.console_session(&format!("salon_id={theirs}")).await;
    let (_, list) = get(&app, &stranger, "/console/api/conversations").await;
    assert_eq!(
        list["conversations"],
        json!([]),
        "their list has none of ours"
    );
    assert_eq!(
        get(&app, &stranger, &format!("/console/api/conversations/{id}"))
            .await
            .0,
        404
    );
    let (status, _) = post(
        &app,
        &stranger,
        &format!("/console/api/conversations/{id}/reply"),
        json!({"text": "Привет"}),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        post(
            &app,
            &stranger,
            &format!("/console/api/conversations/{id}/release"),
            json!({})
        )
        .await
        .0,
        404
    );
    assert_eq!(
        get(&app, &stranger, "/console/api/conversations/not-a-number")
            .await
            .0,
        404
    );
    assert_eq!(
        app.replies_to(ours, CLIENT).await.len(),
        1,
        "nothing was sent"
    );
    let (_, overview) = get(&app, &stranger, "/console/api/overview").await;
    assert_eq!(overview["salon"]["title"], "Салон «Чужой»");

    // A salon that removes the application closes its console sessions.
    let removed = app
        .webhook(&app.marketplace_event(theirs, "uninstall"))
        .await;
    assert_eq!(removed.status(), 200);
    app.wait_for_status(theirs, &["uninstalled"], PATIENCE)
        .await;
    assert_eq!(get(&app, &stranger, "/console/api/overview").await.0, 401);
    assert_eq!(get(&app, &owner, "/console/api/overview").await.0, 200);
}

async fn put_settings(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    let response = app
        .http
        .put(format!("{}/console/api/settings", app.address))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_owners_settings_apply_at_once_bot_off_and_on_and_reminder_times() {
    let app = spawn_app().await;
    let salon_id = ready_salon(&app, "Салон «Настройки»").await;
    let token = app.console_session(&format!("salon_id={salon_id}")).await;
    let (status, shown) = get(&app, &token, "/console/api/settings").await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["settings"]["bot_enabled"], true);
    // The tests' deployment reminds 1 s before a visit (see `spawn_app_with`).
    assert_eq!(shown["settings"]["reminder_offsets"], json!(["1s"]));
    assert_eq!(shown["settings"]["reminder_offsets_own"], false);

    // Bad values are refused, nothing stored.
    for bad in [
        json!({ "bot_enabled": "нет" }),
        json!({ "reminder_offsets": ["24ч"] }),
        json!({ "answer_hours": { "from": "25:00", "to": "10:00" } }),
        json!({ "synonyms": [{ "said": "два слова", "stands_for": "маникюр" }] }),
        json!({ "colour": "red" }),
    ] {
        let (status, body) = put_settings(&app, &token, bad.clone()).await;
        assert_eq!(status, 400, "{bad} → {body}");
        assert!(body["error"].is_string(), "{body}");
    }
    assert_eq!(get(&app, &token, "/console/api/settings").await.1, shown);

    // Off: the client's message is recorded, answered by the fixed line once a day.
    let resting = "Бот отдыхает, администратор ответит вам утром.";
    let (status, stored) = put_settings(
        &app,
        &token,
        json!({ "bot_enabled": false, "off_reply": resting }),
    )
    .await;
    assert_eq!(status, 200, "{stored}");
    assert_eq!(stored["settings"]["bot_enabled"], false);
    let (_, overview) = get(&app, &token, "/console/api/overview").await;
    assert_eq!(overview["bot_enabled"], false);
    assert_eq!(overview["bot_answering_now"], false);
    app.client_says(salon_id, CLIENT, "Сколько стоит маникюр?")
        .await;
    wait_until_closed(&app, salon_id, CLIENT, 1).await;
    app.client_says(salon_id, CLIENT, "Алло?").await;
    wait_until_closed(&app, salon_id, CLIENT, 2).await;
    assert_eq!(
        app.replies_to(salon_id, CLIENT).await,
        vec![resting.to_owned()]
    );
    let id = conversation_of(&app, &token).await["id"].as_i64().unwrap();
    let (_, chat) = get(&app, &token, &format!("/console/api/conversations/{id}")).await;
    let from_client = chat["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["from"] == "client")
        .count();
    assert_eq!(from_client, 2, "both messages recorded: {chat}");

    // On again: the bot answers the next message.
    assert_eq!(
        put_settings(&app, &token, json!({ "bot_enabled": true }))
            .await
            .0,
        200
    );
    app.client_says(salon_id, CLIENT, "А педикюр сколько стоит?")
        .await;
    let replies = app.wait_for_replies(salon_id, CLIENT, 2, PATIENCE).await;
    assert_ne!(replies[1], resting);

    // The salon's own synonyms are kept as the owner's.
    let mut list = shown["settings"]["synonyms"].as_array().unwrap().clone();
    list.push(json!({ "said": "ноготочки", "stands_for": "маникюр" }));
    let (status, stored) = put_settings(&app, &token, json!({ "synonyms": list })).await;
    assert_eq!(status, 200, "{stored}");
    assert!(
        stored["settings"]["synonyms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["said"] == "ноготочки" && s["origin"] == "owner"),
        "{stored}"
    );

    // Reminders 10 minutes before: a visit 10 minutes and 20 seconds away gets one in
    // about 20 s (the deployment's, 1 s before, would come long after the test).
    let (status, stored) = put_settings(&app, &token, json!({ "reminder_offsets": ["10m"] })).await;
    assert_eq!(status, 200, "{stored}");
    assert_eq!(stored["settings"]["reminder_offsets"], json!(["10m"]));
    assert_eq!(stored["settings"]["reminder_offsets_own"], true);
    let visitor = "79005550199";
    let record = app.add_visit(
        salon_id,
        visitor,
        "Вера Напоминаемая",
        chrono::Utc::now() + chrono::Duration::seconds(620),
    );
    let event = json!({
        "company_id": salon_id.get(),
        "resource": "record",
        "resource_id": record,
        "status": "create",
    });
    assert_eq!(app.data_webhook(salon_id, &event).await.status(), 200);
    let reminder = app.wait_for_replies(salon_id, visitor, 1, PATIENCE).await;
    assert!(reminder[0].contains("подтверждаю"), "{reminder:?}");

    let changes = app
        .count_rows(
            "SELECT COUNT(*) FROM marketplace_events WHERE salon_id = $1 AND event_type = 'settings_changed'",
            salon_id,
        )
        .await;
    assert_eq!(changes, 4, "one event per change");
}

#[tokio::test]
async fn the_owners_greeting_tone_and_facts_reach_the_next_reply() {
    let app = spawn_app().await;
    let salon_id = ready_salon(&app, "Салон «Голос»").await;
    let token = app.console_session(&format!("salon_id={salon_id}")).await;
    let (_, shown) = get(&app, &token, "/console/api/settings").await;
    assert_eq!(
        shown["settings"]["tone"],
        json!({ "address": "вы", "emoji": false })
    );
    assert_eq!(shown["settings"]["welcome_text"], Value::Null);
    assert_eq!(shown["settings"]["facts"], Value::Null);
    for bad in [
        json!({ "tone": { "address": "Вы", "emoji": false } }),
        json!({ "tone": "ты" }),
        json!({ "welcome_text": "п".repeat(301) }),
        json!({ "facts": 12 }),
    ] {
        let (status, body) = put_settings(&app, &token, bad.clone()).await;
        assert_eq!(status, 400, "{bad} → {body}");
    }

    let welcome = "Привет! Это салон «Голос» 🌸";
    let (status, stored) = put_settings(
        &app,
        &token,
        json!({
            "welcome_text": welcome,
            "tone": { "address": "ты", "emoji": false },
            "facts": "Парковка во дворе, бесплатно\n\nОплата картой или наличными",
        }),
    )
    .await;
    assert_eq!(status, 200, "{stored}");
    assert_eq!(stored["settings"]["tone"]["address"], "ты");
    assert_eq!(
        stored["settings"]["facts"],
        "Парковка во дворе, бесплатно\nОплата картой или наличными"
    );

    app.client_says(salon_id, CLIENT, "Здравствуйте, а парковка у вас есть?")
        .await;
    let replies = app.wait_for_replies(salon_id, CLIENT, 1, PATIENCE).await;
    assert!(replies[0].starts_with(welcome), "{replies:?}");
    assert!(replies[0].contains("Парковка во дворе"), "{replies:?}");
    assert_eq!(replies[0].matches("Привет").count(), 1, "{replies:?}");

    app.client_says(salon_id, CLIENT, "Хочу на маникюр завтра")
        .await;
    let replies = app.wait_for_replies(salon_id, CLIENT, 2, PATIENCE).await;
    assert!(
        !replies[1].contains(welcome),
        "the greeting once: {replies:?}"
    );
    assert!(
        !replies[1].contains(" вас")
            && ["тебя", "тебе", "подскажи", "напиши"]
                .iter()
                .any(|w| replies[1].contains(w)),
        "on «ты»: {replies:?}"
    );
    let changes = app
        .count_rows(
            "SELECT COUNT(*) FROM marketplace_events WHERE salon_id = $1
               AND event_type = 'settings_changed'
               AND event_data->'fields' @> '[\"welcome_text\", \"tone\", \"facts\"]'",
            salon_id,
        )
        .await;
    assert_eq!(changes, 1, "one event naming the three fields");
}

/// Waits for the watch on `phone`'s handoff to end.
async fn watch_ended(app: &TestApp, salon_id: SalonId, phone: &str) {
    app.temporal
        .get_workflow_handle::<HandoffWorkflow>(format!("handoff-{salon_id}-{phone}"))
        .get_result(WorkflowGetResultOptions::default())
        .await
        .expect("the handoff watch ends");
}

#[tokio::test]
async fn an_unanswered_handoff_goes_back_to_the_bot_and_an_answered_one_stays_with_the_salon() {
    let app = spawn_app_with(AppOptions {
        env: vec![("HANDOFF_TIMEOUT", "5s".to_owned())],
        ..AppOptions::default()
    })
    .await;
    let salon_id = ready_salon(&app, "Салон «Ожидание»").await;
    let token = app.console_session(&format!("salon_id={salon_id}")).await;

    // Nobody answers: after the timeout the client is told and the bot is back.
    app.client_says(salon_id, CLIENT, "позовите администратора")
        .await;
    let replies = app.wait_for_replies(salon_id, CLIENT, 1, PATIENCE).await;
    assert!(replies[0].contains("администратор"), "{replies:?}");
    watch_ended(&app, salon_id, CLIENT).await;
    let replies = app.replies_to(salon_id, CLIENT).await;
    assert_eq!(replies.len(), 2, "{replies:?}");
    assert!(replies[1].contains("снова на связи"), "{replies:?}");
    let (_, inbox) = get(&app, &token, "/console/api/handoffs").await;
    assert_eq!(inbox["clients"], json!([]), "{inbox}");
    app.client_says(salon_id, CLIENT, "Сколько стоит маникюр?")
        .await;
    let replies = app.wait_for_replies(salon_id, CLIENT, 3, PATIENCE).await;
    assert!(
        replies[2].contains("2200"),
        "the bot answers again: {replies:?}"
    );
    let given_back = app
        .count_rows(
            "SELECT COUNT(*) FROM marketplace_events WHERE salon_id = $1
               AND event_type = 'handoff_released' AND event_data->>'by' = 'timeout'",
            salon_id,
        )
        .await;
    assert_eq!(given_back, 1);
    let notices = app
        .count_rows(
            "SELECT COUNT(*) FROM outbound_messages WHERE salon_id = $1
               AND idempotency_key LIKE 'handoff-notice/%' AND status = 'sent'",
            salon_id,
        )
        .await;
    assert_eq!(notices, 1, "the owner was told of the handoff");
    let (_, list) = get(&app, &token, "/console/api/conversations").await;
    assert_eq!(
        list["conversations"].as_array().map(Vec::len),
        Some(1),
        "the owner's own number is not listed as a client: {list}"
    );

    // The owner answers in time: the client stays with the salon after the timeout.
    let other = "79005550188";
    app.client_says(salon_id, other, "позовите администратора")
        .await;
    app.wait_for_replies(salon_id, other, 1, PATIENCE).await;
    let id = eventually(PATIENCE, "the second client in the inbox", || async {
        let (_, inbox) = get(&app, &token, "/console/api/handoffs").await;
        inbox["clients"]
            .as_array()
            .and_then(|list| list.iter().find(|h| h["phone"] == other))
            .and_then(|h| h["id"].as_i64())
    })
    .await;
    let (status, sent) = post(
        &app,
        &token,
        &format!("/console/api/conversations/{id}/reply"),
        json!({ "text": "Здравствуйте, я администратор, слушаю вас" }),
    )
    .await;
    assert_eq!(status, 200, "{sent}");
    watch_ended(&app, salon_id, other).await;
    let (_, inbox) = get(&app, &token, "/console/api/handoffs").await;
    assert_eq!(
        inbox["clients"].as_array().map(Vec::len),
        Some(1),
        "{inbox}"
    );
    let replies = app.replies_to(salon_id, other).await;
    assert_eq!(
        replies.len(),
        2,
        "the bot's handoff reply and the salon's: {replies:?}"
    );
    assert!(
        !replies.iter().any(|r| r.contains("снова на связи")),
        "{replies:?}"
    );
}

#[tokio::test]
async fn the_console_hears_of_each_conversation_change_over_the_live_channel() {
    use ai_admin_tests::ws_client::{Received, UNAUTHORIZED_CLOSE, WsAuth};
    let app = spawn_app().await;
    let salon_id = ready_salon(&app, "Салон «Живой канал»").await;
    let token = app.console_session(&format!("salon_id={salon_id}")).await;
    let mut console = app.ws(WsAuth::FirstFrame(token.clone())).await.unwrap();
    let first = console
        .expect("conversation", Duration::from_secs(10))
        .await;
    assert_eq!(
        first["resync"], true,
        "a console reads its state when it connects"
    );

    // A client writes: the console is told, without the words or the number.
    app.client_says(salon_id, CLIENT, "Сколько стоит маникюр?")
        .await;
    let told = console.expect("conversation", PATIENCE).await;
    assert!(
        ["message", "reply"].contains(&told["what"].as_str().unwrap()),
        "{told}"
    );
    assert!(!told.to_string().contains(&CLIENT[1..]), "{told}");
    app.wait_for_replies(salon_id, CLIENT, 1, PATIENCE).await;
    let mut saw_reply = told["what"] == "reply";
    while !saw_reply {
        saw_reply = console.expect("conversation", PATIENCE).await["what"] == "reply";
    }

    // The console only listens: asking it for a QR code is refused.
    console.send("request-qr", json!({})).await;
    let refused = console.expect("error", Duration::from_secs(10)).await;
    assert_eq!(refused["code"], "unknown_event", "{refused}");

    // Logout closes the channel at its next check; a forged token is refused at once.
    let mut forged = app.ws(WsAuth::FirstFrame("f".repeat(64))).await.unwrap();
    let (_, code) = forged.expect_rejection().await;
    assert_eq!(code, Some(UNAUTHORIZED_CLOSE));
    assert_eq!(logout(&app, &token).await, 200);
    let mut ended = app.ws(WsAuth::FirstFrame(token)).await.unwrap();
    match ended.receive(Duration::from_secs(10)).await {
        Some(Received::Frame { event, .. }) if event == "error" => {}
        other => panic!("an ended session is refused, got {other:?}"),
    }
}
