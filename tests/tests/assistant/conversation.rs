//! Conversations end to end, written as what the client says and what the bot must say
//! and do: the WhatsApp simulator delivers the client's messages to the real app, which
//! runs `conversation-<salon_id>-<phone>` on the Temporal dev server, asks the Gemini
//! simulator over HTTP, books in the YClients simulator and answers through the gateway.

use crate::support::Fixture;
use ai_admin_activities::assistant::dates::day_text;
use ai_admin_tests::{AppOptions, eventually};
use chrono::Days;
use std::time::Duration;

const OLGA: &str = "79005554433";
const IVAN: &str = "79001112233";
/// A reply takes well under a second here; a slow CI machine gets room.
const PATIENCE: Duration = Duration::from_secs(30);

/// The master's first name, in the dative after «к» (the simulator copies what the
/// client wrote; the product's matching must find the master from it).
fn to_master(name: &str) -> String {
    let first = name.split_whitespace().next().unwrap_or(name);
    let dative = if first == "Павел" {
        "Павлу".to_owned()
    } else if let Some(stem) = first.strip_suffix("ия") {
        format!("{stem}ии")
    } else if let Some(stem) = first.strip_suffix(['а', 'я']) {
        format!("{stem}е")
    } else if let Some(stem) = first.strip_suffix(['й', 'ь']) {
        format!("{stem}ю")
    } else {
        format!("{first}у")
    };
    format!("к {dative}")
}

/// The client asks to book «мужская стрижка» tomorrow at `time` with the master `to`.
fn haircut_tomorrow(time: &str, to: &str) -> String {
    format!("Запишите меня на мужскую стрижку завтра в {time} {to}")
}

/// Records the bot made in the simulator (not deleted).
fn bot_records(fx: &Fixture) -> Vec<ai_admin_simulators::yclients::seed::Record> {
    fx.bot_records()
}

/// What the bot sent to `phone`, as recorded in `outbound_messages` (the simulated
/// outbox lives in the app's process and goes with it).
async fn sent_to(app: &ai_admin_tests::TestApp, phone: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT text FROM outbound_messages WHERE to_phone = $1 AND status = 'sent'")
        .bind(phone)
        .fetch_all(&app.db)
        .await
        .unwrap()
}

/// Client messages not (yet) answered.
async fn unhandled(db: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM inbound_messages WHERE status <> 'handled'")
        .fetch_one(db)
        .await
        .unwrap()
}

/// Waits until `count` client messages are closed with `status` (handled, ignored).
async fn messages_closed_as(app: &ai_admin_tests::TestApp, status: &str, count: i64) {
    eventually(PATIENCE, &format!("{count} messages {status}"), || async {
        let closed: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM inbound_messages WHERE status = $1")
                .bind(status)
                .fetch_one(&app.db)
                .await
                .ok()?;
        (closed == count).then_some(())
    })
    .await;
}

/// The salon (of `token`) gives the client back to the bot; the answer's JSON.
async fn release(app: &ai_admin_tests::TestApp, token: &str, phone: &str) -> serde_json::Value {
    app.http
        .post(format!(
            "{}/marketplace/api/conversations/{phone}/release",
            app.address
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn prices_free_times_and_a_booking_in_one_conversation() {
    let fx = Fixture::active("Салон «Беседа»", AppOptions::default()).await;
    let (app, salon_id) = (&fx.app, fx.salon_id);

    app.client_says(salon_id, OLGA, "Здравствуйте! Сколько стоит маникюр?")
        .await;
    let replies = app.wait_for_replies(salon_id, OLGA, 1, PATIENCE).await;
    assert!(
        replies[0].contains("Маникюр") && replies[0].contains('₽'),
        "{replies:?}"
    );

    let (master, free) = fx.free_haircuts_tomorrow().await;
    let time = free[0].time.clone();
    let to = to_master(&master.name);
    app.client_says(
        salon_id,
        OLGA,
        &format!("Есть свободное время на мужскую стрижку завтра {to}?"),
    )
    .await;
    let replies = app.wait_for_replies(salon_id, OLGA, 2, PATIENCE).await;
    assert!(
        replies[1].contains(&time) && replies[1].contains(&master.name),
        "{time} with {} in {replies:?}",
        master.name
    );

    app.client_says(salon_id, OLGA, &haircut_tomorrow(&time, &to))
        .await;
    let replies = app.wait_for_replies(salon_id, OLGA, 3, PATIENCE).await;
    let tomorrow = fx.today + Days::new(1);
    for part in [
        day_text(tomorrow),
        time.clone(),
        master.name.clone(),
        "1200 ₽".to_owned(),
    ] {
        assert!(replies[2].contains(&part), "{part} in {}", replies[2]);
    }
    let booked = bot_records(&fx);
    assert_eq!(booked.len(), 1, "{booked:?} after {replies:?}");
    assert_eq!(booked[0].staff_id, master.id);
    // Every message was answered once, and nothing else was sent.
    app.wait_until_answered(salon_id, OLGA).await;
    assert_eq!(app.replies_to(salon_id, OLGA).await.len(), 3);
    assert_eq!(unhandled(&app.db).await, 0, "every message handled");
}

#[tokio::test]
async fn a_taken_time_gets_alternatives_and_nothing_is_booked() {
    let fx = Fixture::active("Салон «Занято»", AppOptions::default()).await;
    let (app, salon_id) = (&fx.app, fx.salon_id);
    let (master, free) = fx.free_haircuts_tomorrow().await;
    let to = to_master(&master.name);
    let time = free[0].time.clone();
    // Ivan takes the time first.
    app.client_says(salon_id, IVAN, &haircut_tomorrow(&time, &to))
        .await;
    let to_ivan = app.wait_for_replies(salon_id, IVAN, 1, PATIENCE).await;
    assert_eq!(bot_records(&fx).len(), 1, "Ivan is booked: {to_ivan:?}");

    app.client_says(salon_id, OLGA, &haircut_tomorrow(&time, &to))
        .await;
    let replies = app.wait_for_replies(salon_id, OLGA, 1, PATIENCE).await;
    assert!(
        replies[0].contains("занято") || replies[0].contains("Занято"),
        "{replies:?}"
    );
    // The nearest time still free after Ivan's hour is offered.
    let (_, free_now) = fx.free_haircuts_tomorrow().await;
    assert!(replies[0].contains(&free_now[0].time), "{replies:?}");
    assert_eq!(bot_records(&fx).len(), 1, "Olga's request booked nothing");
}

/// YClients books the visit but cannot be read back at once: the client is told the
/// visit is booked (it is), never «не получилось».
#[tokio::test]
async fn a_booking_that_went_through_is_confirmed_when_the_record_cannot_be_read_back() {
    let fx = Fixture::active("Салон «Записано»", AppOptions::default()).await;
    let (app, salon_id) = (&fx.app, fx.salon_id);
    let (master, free) = fx.free_haircuts_tomorrow().await;
    let time = free[0].time.clone();
    app.yclients
        .state
        .inject(ai_admin_simulators::yclients::state::Fault {
            method: Some("GET".into()),
            ..ai_admin_simulators::yclients::state::Fault::status("/api/v1/record/", 503, 8)
        });

    app.client_says(
        salon_id,
        OLGA,
        &haircut_tomorrow(&time, &to_master(&master.name)),
    )
    .await;
    let replies = app.wait_for_replies(salon_id, OLGA, 1, PATIENCE).await;
    let booked = bot_records(&fx);
    assert_eq!(booked.len(), 1, "{booked:?} after {replies:?}");
    assert!(!replies[0].contains("Не получилось"), "{replies:?}");
    let tomorrow = fx.today + Days::new(1);
    for part in [day_text(tomorrow), time.clone(), "Записала".to_owned()] {
        assert!(replies[0].contains(&part), "{part} in {replies:?}");
    }
}

#[tokio::test]
async fn the_client_is_remembered_by_name_and_a_redelivery_is_not_answered_twice() {
    let fx = Fixture::active("Салон «Имя»", AppOptions::default()).await;
    let (app, salon_id) = (&fx.app, fx.salon_id);

    app.client_says_with_id(salon_id, OLGA, "Меня зовут Ольга", "wa-1")
        .await;
    let replies = app.wait_for_replies(salon_id, OLGA, 1, PATIENCE).await;
    assert!(replies[0].contains("Ольга"), "{replies:?}");
    // WhatsApp delivers the same message again after a reconnect.
    app.client_says_with_id(salon_id, OLGA, "Меня зовут Ольга", "wa-1")
        .await;
    app.wait_until_answered(salon_id, OLGA).await;
    assert_eq!(app.replies_to(salon_id, OLGA).await.len(), 1);
    // Nor did it reach the conversation again: still the one turn.
    let status = ai_admin_temporal::conversation_status::status(&app.temporal, salon_id, OLGA)
        .await
        .unwrap()
        .expect("the conversation runs");
    assert_eq!(status.turns, 1, "{status:?}");

    let name: Option<String> = sqlx::query_scalar(
        "SELECT client_name FROM conversations WHERE salon_id = $1 AND client_phone = $2",
    )
    .bind(salon_id.get())
    .bind(OLGA)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(name.as_deref(), Some("Ольга"));
}

#[tokio::test]
async fn three_quick_messages_get_one_answer() {
    let fx = Fixture::active("Салон «Быстро»", AppOptions::default()).await;
    let (app, salon_id) = (&fx.app, fx.salon_id);

    for text in ["Добрый день", "Подскажите цены", "на маникюр"] {
        app.client_says(salon_id, OLGA, text).await;
    }
    let replies = app.wait_for_replies(salon_id, OLGA, 1, PATIENCE).await;
    assert!(
        replies[0].contains("Маникюр") && replies[0].contains('₽'),
        "{replies:?}"
    );
    app.wait_until_answered(salon_id, OLGA).await;
    assert_eq!(app.replies_to(salon_id, OLGA).await.len(), 1);
    messages_closed_as(app, "handled", 3).await;
}

/// Fragments typed one after another, each sooner than the debounce after the last but
/// together longer than it, are one request; a client who never stops is answered once
/// the longest wait is over, not when they stop.
#[tokio::test]
async fn the_wait_starts_again_with_each_fragment_up_to_the_longest_wait() {
    let fx = Fixture::active(
        "Салон «Фрагменты»",
        AppOptions {
            debounce_ms: Some(1_500),
            env: vec![("CONVERSATION_DEBOUNCE_MAX_MS", "4000".to_owned())],
            ..AppOptions::default()
        },
    )
    .await;
    let (app, salon_id) = (&fx.app, fx.salon_id);

    for text in ["Добрый день", "Подскажите", "сколько стоит", "маникюр?"]
    {
        app.client_says(salon_id, OLGA, text).await;
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
    let replies = app.wait_for_replies(salon_id, OLGA, 1, PATIENCE).await;
    assert!(
        replies[0].contains("Маникюр") && replies[0].contains('₽'),
        "{replies:?}"
    );
    app.wait_until_answered(salon_id, OLGA).await;
    assert_eq!(app.replies_to(salon_id, OLGA).await.len(), 1);
    messages_closed_as(app, "handled", 4).await;

    // Twelve messages over about 7 s: answered after about 4 s, before the last is
    // written, so there are two replies at least.
    for n in 0..12 {
        app.client_says(salon_id, IVAN, &format!("Вопрос {n}"))
            .await;
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
    let to_ivan = app.wait_for_replies(salon_id, IVAN, 2, PATIENCE).await;
    assert!(to_ivan.len() >= 2, "{to_ivan:?}");
}

/// Thanks get a reaction on the client's message and no text, without asking the model;
/// a question after it is answered as usual.
#[tokio::test]
async fn thanks_get_a_reaction_and_no_text() {
    let fx = Fixture::active("Салон «Спасибо»", AppOptions::default()).await;
    let (app, salon_id) = (&fx.app, fx.salon_id);

    app.client_says(salon_id, OLGA, "Сколько стоит маникюр?")
        .await;
    app.wait_for_replies(salon_id, OLGA, 1, PATIENCE).await;
    let model_calls = app.gemini.state.calls().len();
    app.client_says_with_id(salon_id, OLGA, "Спасибо большое!", "thanks-1")
        .await;
    let reaction = eventually(PATIENCE, "a reaction on the thanks", || async {
        app.outbox(salon_id)
            .await
            .into_iter()
            .find(|e| e["kind"] == "reaction" && e["message"] == "thanks-1")
    })
    .await;
    assert_eq!(reaction["emoji"], "❤️");
    assert_eq!(reaction["to"], OLGA);
    messages_closed_as(app, "handled", 2).await;
    app.wait_until_answered(salon_id, OLGA).await;
    assert_eq!(
        app.replies_to(salon_id, OLGA).await.len(),
        1,
        "no text for thanks"
    );
    assert_eq!(app.gemini.state.calls().len(), model_calls, "no model call");

    app.client_says(salon_id, OLGA, "А педикюр сколько?").await;
    let replies = app.wait_for_replies(salon_id, OLGA, 2, PATIENCE).await;
    assert!(replies[1].contains('₽'), "{replies:?}");
}

#[tokio::test]
async fn gemini_failing_four_times_is_retried_and_the_client_still_answered() {
    let fx = Fixture::active("Салон «Терпение»", AppOptions::default()).await;
    let (app, salon_id) = (&fx.app, fx.salon_id);
    app.gemini
        .state
        .inject(ai_admin_simulators::gemini::GeminiFault::status(503, 4));

    app.client_says(salon_id, OLGA, "Сколько стоит маникюр?")
        .await;

    let replies = app.wait_for_replies(salon_id, OLGA, 1, PATIENCE).await;
    assert!(
        replies[0].contains("Маникюр") && replies[0].contains('₽'),
        "{replies:?}"
    );
    let failed = app
        .gemini
        .state
        .calls()
        .iter()
        .filter(|c| c.status == 503)
        .count();
    assert_eq!(failed, 4);
    assert_eq!(
        app.count_rows(
            "SELECT COUNT(*) FROM marketplace_events WHERE salon_id = $1 AND event_type = 'assistant_unavailable'",
            salon_id
        )
        .await,
        0
    );
    ai_admin_tests::faults::record(&ai_admin_tests::faults::Row {
        id: "conversation-gemini-503",
        fault: "Gemini answers 503 four times in a row",
        checked: "retried with backoff; the client answered once; no assistant_unavailable",
        observed: format!("{failed} × 503, then answered"),
    });
}

#[tokio::test]
async fn gemini_down_for_good_gets_the_apology_and_alerts_the_salon() {
    let fx = Fixture::active("Салон «Тишина»", AppOptions::default()).await;
    let (app, salon_id) = (&fx.app, fx.salon_id);
    app.gemini.state.set_down(true);

    app.client_says(salon_id, OLGA, "Сколько стоит маникюр?")
        .await;

    let replies = app.wait_for_replies(salon_id, OLGA, 1, PATIENCE).await;
    assert_eq!(
        replies,
        [ai_admin_activities::acts::conversation::APOLOGY.to_owned()]
    );
    assert_eq!(
        app.count_rows(
            "SELECT COUNT(*) FROM marketplace_events WHERE salon_id = $1 AND event_type = 'assistant_unavailable'",
            salon_id
        )
        .await,
        1
    );

    // Gemini is back: the next message gets a real answer.
    app.gemini.state.set_down(false);
    app.client_says(salon_id, OLGA, "Сколько стоит маникюр?")
        .await;
    let replies = app.wait_for_replies(salon_id, OLGA, 2, PATIENCE).await;
    assert!(replies[1].contains('₽'), "{replies:?}");
}

#[tokio::test]
async fn a_frozen_salon_does_not_answer() {
    let fx = Fixture::active("Салон «Заморожен»", AppOptions::default()).await;
    let (app, salon_id) = (&fx.app, fx.salon_id);
    let freeze = app.marketplace_event(salon_id, "freeze");
    assert_eq!(app.webhook(&freeze).await.status(), 200);
    app.wait_until_applied(salon_id, PATIENCE).await;

    app.client_says(salon_id, OLGA, "Сколько стоит маникюр?")
        .await;

    messages_closed_as(app, "ignored", 1).await;
    app.wait_until_answered(salon_id, OLGA).await;
    assert!(app.replies_to(salon_id, OLGA).await.is_empty());
    assert!(app.gemini.state.calls().is_empty(), "Gemini was not asked");
}

#[tokio::test]
async fn handoff_stops_the_bot_until_the_salon_releases_the_client() {
    let fx = Fixture::active("Салон «Человек»", AppOptions::default()).await;
    let (app, salon_id) = (&fx.app, fx.salon_id);
    let token = app.register(salon_id).await;

    app.client_says(salon_id, OLGA, "Позовите администратора, пожалуйста")
        .await;
    let replies = app.wait_for_replies(salon_id, OLGA, 1, PATIENCE).await;
    assert!(replies[0].contains("администратор"), "{replies:?}");
    assert_eq!(
        app.count_rows(
            "SELECT COUNT(*) FROM marketplace_events WHERE salon_id = $1 AND event_type = 'handoff_requested'",
            salon_id
        )
        .await,
        1
    );
    let waiting: serde_json::Value = app
        .get_with_token("/marketplace/api/conversations/handoff", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(waiting["clients"][0]["phone"], OLGA, "{waiting}");
    // The owner is told (no YClients phone on this install: in the salon's own chat).
    let own: String =
        sqlx::query_scalar("SELECT whatsapp_phone FROM companies WHERE yclients_id = $1")
            .bind(salon_id.get())
            .fetch_one(&app.db)
            .await
            .unwrap();
    // (The welcome went there first.)
    let notice = app.wait_for_replies(salon_id, &own, 2, PATIENCE).await;
    assert!(
        notice.last().unwrap().contains("ждёт администратора")
            && notice.last().unwrap().contains(OLGA),
        "{notice:?}"
    );
    // The Temporal UI is for ops, not linked to the owner.
    assert!(waiting["clients"][0].get("run_url").is_none(), "{waiting}");

    // The bot stays silent while a person answers.
    app.client_says(salon_id, OLGA, "Сколько стоит маникюр?")
        .await;
    messages_closed_as(app, "ignored", 1).await;
    assert_eq!(app.replies_to(salon_id, OLGA).await.len(), 1);

    // The salon gives the client back; the bot answers again.
    let released = release(app, &token, OLGA).await;
    assert_eq!(released["released"], true, "{released}");
    app.client_says(salon_id, OLGA, "Сколько стоит маникюр?")
        .await;
    let replies = app.wait_for_replies(salon_id, OLGA, 2, PATIENCE).await;
    assert!(replies[1].contains('₽'), "{replies:?}");
    // Another salon's token cannot release anyone here.
    let other = app.add_salon("Чужой салон");
    let other_token = app.register(other).await;
    let foreign = release(app, &other_token, OLGA).await;
    assert_eq!(foreign["released"], false);
}

#[tokio::test]
async fn a_client_cancels_their_own_visit_and_cannot_touch_another() {
    let fx = Fixture::active("Салон «Отмена»", AppOptions::default()).await;
    let (app, salon_id) = (&fx.app, fx.salon_id);
    let (master, free) = fx.free_haircuts_tomorrow().await;
    let to = to_master(&master.name);
    app.client_says(salon_id, OLGA, &haircut_tomorrow(&free[0].time, &to))
        .await;
    app.wait_for_replies(salon_id, OLGA, 1, PATIENCE).await;
    let olga_record = bot_records(&fx)[0].id;

    // Ivan names Olga's record: refused.
    app.client_says(salon_id, IVAN, &format!("Отмените запись {olga_record}"))
        .await;
    let replies = app.wait_for_replies(salon_id, IVAN, 1, PATIENCE).await;
    assert!(replies[0].contains("нет"), "{replies:?}");
    assert_eq!(bot_records(&fx).len(), 1);

    // Olga moves hers, then cancels it.
    let later = free.last().unwrap().time.clone();
    app.client_says(
        salon_id,
        OLGA,
        &format!("Перенесите мою запись на завтра в {later}"),
    )
    .await;
    let replies = app.wait_for_replies(salon_id, OLGA, 2, PATIENCE).await;
    assert!(replies[1].contains(&later), "{replies:?}");
    // A cancellation is asked about first; a no keeps the visit, a yes cancels it.
    app.client_says(salon_id, OLGA, "Отмените мою запись").await;
    let replies = app.wait_for_replies(salon_id, OLGA, 3, PATIENCE).await;
    assert!(
        replies[2].contains("Отменить") && replies[2].contains(&later),
        "{replies:?}"
    );
    assert_eq!(bot_records(&fx).len(), 1, "nothing cancelled before a yes");
    app.client_says(salon_id, OLGA, "нет, не надо").await;
    let replies = app.wait_for_replies(salon_id, OLGA, 4, PATIENCE).await;
    assert_eq!(
        bot_records(&fx).len(),
        1,
        "a no keeps the visit: {replies:?}"
    );
    app.client_says(salon_id, OLGA, "Отмените мою запись").await;
    app.wait_for_replies(salon_id, OLGA, 5, PATIENCE).await;
    app.client_says(salon_id, OLGA, "да").await;
    let replies = app.wait_for_replies(salon_id, OLGA, 6, PATIENCE).await;
    assert!(replies[5].contains("Отменила"), "{replies:?}");
    assert!(bot_records(&fx).is_empty());
}

#[tokio::test]
async fn a_worker_killed_mid_turn_books_once_and_answers_once_after_restart() {
    let options = AppOptions {
        separate_process: true,
        ..AppOptions::default()
    };
    let mut fx = Fixture::active("Салон «Сбой»", options).await;
    let salon_id = fx.salon_id;
    let (master, free) = fx.free_haircuts_tomorrow().await;
    let to = to_master(&master.name);
    // Gemini thinks for a while, so the turn is caught between its two calls.
    fx.app.gemini.state.set_latency(Duration::from_secs(2));

    fx.app
        .client_says(salon_id, OLGA, &haircut_tomorrow(&free[0].time, &to))
        .await;
    // Stage 1 answered and the booking is made: stage 2 is thinking. Kill the worker.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while bot_records(&fx).is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no booking; the bot said {:?}",
            fx.app.replies_to(salon_id, OLGA).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(fx.app.replies_to(salon_id, OLGA).await.is_empty());
    fx.app.kill();
    fx.app.gemini.state.set_latency(Duration::ZERO);
    fx.app.restart().await;

    eventually(
        Duration::from_secs(60),
        "the reply after the restart",
        || async { (sent_to(&fx.app, OLGA).await.len() == 1).then_some(()) },
    )
    .await;
    let replies = fx.app.wait_for_replies(salon_id, OLGA, 1, PATIENCE).await;
    assert!(replies[0].contains(&free[0].time), "{replies:?}");
    fx.app.wait_until_answered(salon_id, OLGA).await;
    assert_eq!(sent_to(&fx.app, OLGA).await.len(), 1, "one reply");
    assert_eq!(bot_records(&fx).len(), 1, "one booking");
    ai_admin_tests::faults::record(&ai_admin_tests::faults::Row {
        id: "conversation-worker-killed",
        fault: "the app process SIGKILLed mid-turn (booking made, stage 2 thinking), then restarted",
        checked: "one booking in YClients; one reply",
        observed: "1 booking, 1 reply after the restart".to_owned(),
    });
}

#[tokio::test]
async fn sigterm_lets_the_turn_in_flight_finish_hints_pages_to_reconnect_and_exits_cleanly() {
    let mut app = ai_admin_tests::spawn_app_with(AppOptions {
        separate_process: true,
        ..AppOptions::default()
    })
    .await;
    let salon_id = app.add_salon("Салон «Смена»");
    let token = app.onboard(salon_id, "79001110000").await;
    app.wait_until_ready(salon_id, Duration::from_secs(90))
        .await;
    let mut page = app
        .ws(ai_admin_tests::ws_client::WsAuth::Header(token))
        .await
        .unwrap();
    // Gemini thinks, so SIGTERM lands in the middle of the turn.
    app.gemini.state.set_latency(Duration::from_secs(2));
    app.client_says(salon_id, OLGA, "Сколько стоит маникюр?")
        .await;
    eventually(PATIENCE, "stage 1 under way", || async {
        (!app.gemini.state.calls().is_empty()).then_some(())
    })
    .await;

    let status = app.terminate(Duration::from_secs(30)).await;

    assert!(status.success(), "a clean exit on SIGTERM: {status:?}");
    let closed = loop {
        match page.receive(Duration::from_secs(5)).await {
            Some(ai_admin_tests::ws_client::Received::Closed(code)) => break code,
            Some(_) => continue,
            None => panic!("the page's socket was not closed"),
        }
    };
    assert_eq!(
        closed,
        Some(1012),
        "close code: server restarting, reconnect"
    );
    // The turn in flight was finished before the process exited: the answer is out.
    let answers = sent_to(&app, OLGA).await;
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert!(answers[0].contains("Маникюр"), "{answers:?}");
    // A restart does not answer it again.
    app.gemini.state.set_latency(Duration::ZERO);
    app.restart().await;
    app.wait_until_answered(salon_id, OLGA).await;
    assert_eq!(sent_to(&app, OLGA).await.len(), 1, "one answer");
    assert_eq!(unhandled(&app.db).await, 0, "every message handled");
    ai_admin_tests::faults::record(&ai_admin_tests::faults::Row {
        id: "conversation-sigterm",
        fault: "SIGTERM to the app mid-turn (Gemini thinking 2 s), then a restart",
        checked: "exit 0; the page's socket closed with 1012; the answer sent before exit, once",
        observed: "exit 0, 1012, 1 answer".to_owned(),
    });
}

#[tokio::test]
async fn a_client_whose_number_whatsapp_hides_is_answered_at_their_lid() {
    let fx = Fixture::active("Салон «Скрытый номер»", AppOptions::default()).await;
    let (app, salon_id) = (&fx.app, fx.salon_id);
    let lid = "100200300400500";
    let address = format!("{lid}@lid");
    let says = |text: String| async move {
        let session = ai_admin_activities::domain::SessionId::for_salon(salon_id);
        let response = app
            .post_json(
                &format!("/dev/whatsapp/{session}/incoming"),
                serde_json::json!({ "lid": lid, "text": text }),
            )
            .await;
        assert_eq!(response.status(), 200);
    };

    says("Сколько стоит маникюр?".to_owned()).await;
    let replies = app.wait_for_replies(salon_id, &address, 1, PATIENCE).await;
    assert!(replies[0].contains('₽'), "{replies:?}");
    let (client, chat): (String, Option<String>) =
        sqlx::query_as("SELECT client_phone, chat_jid FROM inbound_messages WHERE salon_id = $1")
            .bind(salon_id.get())
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(
        (client.as_str(), chat.as_deref()),
        (address.as_str(), Some(address.as_str()))
    );

    // YClients keeps visits by phone: the bot asks for a number instead of booking
    // one it cannot tie to the client.
    let (master, free) = fx.free_haircuts_tomorrow().await;
    says(haircut_tomorrow(&free[0].time, &to_master(&master.name))).await;
    let replies = app.wait_for_replies(salon_id, &address, 2, PATIENCE).await;
    assert!(replies[1].contains("номер"), "{replies:?}");
    assert!(bot_records(&fx).is_empty(), "nothing booked");
}

/// The demo conversation, as a new user plays it with `scripts/dev` and `/dev/phone`:
/// prices, a follow-up «А маникюр?», free times, a bare «В 15:00» that books with the
/// service and day being discussed, «Да» that books nothing more, and a move «на то же
/// время» that keeps the service and master. The demo brain (the Gemini simulator)
/// follows the conversation; nothing meant for the model reaches the client.
#[tokio::test]
async fn the_demo_conversation_books_the_manicure_tomorrow_at_three_and_moves_it() {
    let fx = Fixture::active("Салон «Демо»", AppOptions::default()).await;
    let (app, salon_id) = (&fx.app, fx.salon_id);
    let (tomorrow, after) = (fx.today + Days::new(1), fx.today + Days::new(2));
    // Other clients' visits would make 15:00 depend on the seed: the two days are free.
    app.yclients
        .state
        .update_salon(i64::from(salon_id.get()), |salon| {
            salon
                .records
                .retain(|r| r.date != tomorrow && r.date != after);
        });
    let manicure = fx
        .simulated()
        .services
        .into_iter()
        .find(|s| s.title == "Маникюр с покрытием гель-лак")
        .unwrap();
    let mut said = 0;
    let mut say = async |text: &str| {
        app.client_says(salon_id, OLGA, text).await;
        said += 1;
        let replies = app.wait_for_replies(salon_id, OLGA, said, PATIENCE).await;
        let reply = replies[said - 1].clone();
        for internal in [
            "не хватает",
            "клиент",
            "```",
            "SEARCH_SLOTS",
            "Уточните, пожалуйста, у",
        ] {
            assert!(!reply.contains(internal), "{text:?} → {reply:?}");
        }
        reply
    };

    let reply = say("Здравствуйте! Сколько стоит стрижка?").await;
    assert!(
        reply.starts_with("Здравствуйте") && reply.contains("Стрижка") && reply.contains('₽'),
        "{reply}"
    );
    let reply = say("А маникюр?").await;
    assert!(
        reply.contains("Маникюр") && reply.contains('₽') && !reply.contains("Здравствуйте"),
        "{reply}"
    );
    let reply = say("Хочу записаться на маникюр завтра").await;
    assert!(
        reply.contains(&day_text(tomorrow)) && reply.contains("На какое время"),
        "{reply}"
    );
    let reply = say("В 15:00").await;
    assert!(
        reply.contains("Записала") && reply.contains("15:00"),
        "{reply}"
    );
    let booked = bot_records(&fx);
    assert_eq!(booked.len(), 1, "{booked:?}");
    let visit = booked[0].clone();
    assert_eq!(
        (
            visit.service_id,
            visit.date,
            visit.time.format("%H:%M").to_string()
        ),
        (manicure.id, tomorrow, "15:00".to_owned())
    );
    let reply = say("Да").await;
    assert_eq!(
        bot_records(&fx).len(),
        1,
        "«да» after a booking books nothing: {reply}"
    );
    assert!(!reply.contains("Здравствуйте"), "{reply}");

    // The master keeps the visit: they work the day after tomorrow too.
    app.yclients
        .state
        .update_salon(i64::from(salon_id.get()), |salon| {
            let works = |d: &ai_admin_simulators::yclients::seed::WorkingDay| {
                d.staff_id == visit.staff_id && d.date == after
            };
            if !salon.schedules.iter().any(works) {
                salon
                    .schedules
                    .push(ai_admin_simulators::yclients::seed::WorkingDay {
                        staff_id: visit.staff_id,
                        date: after,
                        from: chrono::NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
                        to: chrono::NaiveTime::from_hms_opt(20, 0, 0).unwrap(),
                    });
            }
        });
    let reply = say("перенесите на послезавтра на то же время").await;
    assert!(
        reply.contains("Перенесла") && reply.contains("15:00"),
        "{reply}"
    );
    let moved = bot_records(&fx);
    assert_eq!(moved.len(), 1, "a move is not a new booking: {moved:?}");
    assert_eq!(
        (
            moved[0].id,
            moved[0].service_id,
            moved[0].staff_id,
            moved[0].date
        ),
        (visit.id, visit.service_id, visit.staff_id, after)
    );
}
