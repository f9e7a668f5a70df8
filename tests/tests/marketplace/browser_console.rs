//! The owner's console in real headless Chromium: an owner enters through the
//! marketplace redirect, sees status and results, watches a client's conversation come
//! in, answers the client and gives them back to the bot; a session that ended sends
//! them back to YClients. Screenshots go to `$TEST_OUTPUT_DIR/browser_console/`.

use ai_admin_activities::domain::SalonId;
use ai_admin_tests::browser::Browser;
use ai_admin_tests::{TestApp, output_dir, spawn_app};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);
const PATIENCE: Duration = Duration::from_secs(60);
const CLIENT: &str = "79005550188";

async fn ready_salon(app: &TestApp, title: &str) -> SalonId {
    let salon_id = app.add_salon(title);
    app.onboard(salon_id, "79001112244").await;
    app.wait_until_ready(salon_id, PATIENCE).await;
    salon_id
}

fn by_id(id: &str) -> String {
    format!("document.getElementById('{id}')")
}

#[tokio::test]
async fn an_owner_enters_from_yclients_watches_a_client_and_steps_in() {
    let app = spawn_app().await;
    let salon_id = ready_salon(&app, "Салон «Консоль в браузере»").await;
    app.client_says(salon_id, CLIENT, "Сколько стоит маникюр?")
        .await;
    app.wait_for_replies(salon_id, CLIENT, 1, PATIENCE).await;
    let screenshots = output_dir("browser_console");
    let mut browser = Browser::launch().await.expect("start Chromium");

    // In through the marketplace redirect: the console, the code gone from the URL.
    browser
        .open(&format!(
            "{}/auth/yclients/redirect?salon_id={salon_id}",
            app.address
        ))
        .await
        .unwrap();
    browser
        .wait_for(
            &format!("{}.dataset.state === 'ready'", by_id("console")),
            WAIT,
        )
        .await
        .expect("the console is ready");
    assert_eq!(browser.eval("location.pathname").await.unwrap(), "/console");
    assert_eq!(
        browser.eval("location.search").await.unwrap(),
        "",
        "the code left the address bar"
    );
    assert_eq!(
        browser
            .eval(&format!("{}.textContent", by_id("salon-title")))
            .await
            .unwrap(),
        "Салон «Консоль в браузере»"
    );
    assert_eq!(
        browser
            .eval(&format!("{}.textContent", by_id("status-integration")))
            .await
            .unwrap(),
        "Работает"
    );
    assert!(
        browser
            .eval(&format!("{}.textContent", by_id("status-whatsapp")))
            .await
            .unwrap()
            .as_str()
            .unwrap()
            .starts_with("Подключён"),
    );
    browser
        .screenshot(&screenshots.join("01-status.png"))
        .await
        .unwrap();

    // Results, with the 30 days' chart.
    browser
        .eval("document.querySelector('[data-tab=results]').click(); true")
        .await
        .unwrap();
    browser
        .wait_for("document.querySelector('#results tr[data-key=messages_answered] td:nth-child(2)').textContent === '1'", WAIT)
        .await
        .expect("today's answered messages");
    browser
        .wait_for(
            "document.querySelector('#results-chart svg rect') !== null",
            WAIT,
        )
        .await
        .expect("a chart");
    browser
        .screenshot(&screenshots.join("02-results.png"))
        .await
        .unwrap();

    // The conversation, and a new message arriving while the owner watches.
    browser
        .eval("document.querySelector('[data-tab=conversations]').click(); true")
        .await
        .unwrap();
    browser
        .wait_for(
            "document.querySelector('#conversation-list li') !== null",
            WAIT,
        )
        .await
        .expect("the client is listed");
    browser
        .eval("document.querySelector('#conversation-list li').click(); true")
        .await
        .unwrap();
    browser
        .wait_for("document.querySelectorAll('#transcript li.bot').length === 1 && document.querySelector('#transcript li.bot .commands') !== null", WAIT)
        .await
        .expect("the bot's reply with its commands");
    app.client_says(salon_id, CLIENT, "А педикюр сколько?")
        .await;
    app.wait_for_replies(salon_id, CLIENT, 2, PATIENCE).await;
    browser
        .wait_for("document.querySelectorAll('#transcript li.client').length === 2 && document.querySelectorAll('#transcript li.bot').length === 2", WAIT)
        .await
        .expect("the transcript follows the conversation without a reload");
    browser
        .eval(&format!("{}.click(); true", by_id("chat-phone")))
        .await
        .unwrap();
    assert_eq!(
        browser
            .eval(&format!("{}.textContent", by_id("chat-phone")))
            .await
            .unwrap(),
        format!("+{CLIENT}"),
        "the full number on click"
    );
    browser
        .screenshot(&screenshots.join("03-transcript.png"))
        .await
        .unwrap();

    // The owner answers: the client gets it, the bot stays out.
    browser
        .eval(&format!(
            "{}.value = 'Добрый день! Это администратор Мария, запишу вас сама.'; {}.requestSubmit(); true",
            by_id("reply-text"),
            by_id("reply-form")
        ))
        .await
        .unwrap();
    let replies = app.wait_for_replies(salon_id, CLIENT, 3, PATIENCE).await;
    assert_eq!(
        replies[2],
        "Добрый день! Это администратор Мария, запишу вас сама."
    );
    browser
        .wait_for("document.querySelectorAll('#transcript li.salon').length === 1 && !document.getElementById('release').hidden", WAIT)
        .await
        .expect("the salon's message shows, and «Вернуть боту»");
    browser
        .eval("document.querySelector('[data-tab=handoffs]').click(); true")
        .await
        .unwrap();
    browser
        .wait_for(
            "document.querySelectorAll('#handoff-list li').length === 1",
            WAIT,
        )
        .await
        .expect("the client waits in the handoff inbox");
    browser
        .screenshot(&screenshots.join("04-handoffs.png"))
        .await
        .unwrap();
    browser
        .eval("document.querySelector('#handoff-list li').click(); true")
        .await
        .unwrap();
    browser
        .wait_for("!document.getElementById('release').hidden", WAIT)
        .await
        .unwrap();
    browser
        .eval(&format!("{}.click(); true", by_id("release")))
        .await
        .unwrap();
    browser
        .wait_for("document.getElementById('release').hidden && document.getElementById('handoff-count').hidden", WAIT)
        .await
        .expect("back to the bot");
    app.client_says(salon_id, CLIENT, "А стрижка?").await;
    app.wait_for_replies(salon_id, CLIENT, 4, PATIENCE).await;

    // Logout: the page sends the owner back to YClients.
    browser
        .eval(&format!("{}.click(); true", by_id("logout")))
        .await
        .unwrap();
    browser
        .wait_for(
            &format!("{}.dataset.state === 'reenter'", by_id("console")),
            WAIT,
        )
        .await
        .expect("asked to re-enter");
    browser
        .screenshot(&screenshots.join("05-logged-out.png"))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_used_code_or_an_ended_session_sends_the_owner_back_to_yclients() {
    let app = spawn_app().await;
    let salon_id = ready_salon(&app, "Салон «Повторный вход»").await;
    let response = app.redirect(&format!("salon_id={salon_id}")).await;
    let code = ai_admin_tests::code_from_location(&response).unwrap();
    let mut browser = Browser::launch().await.expect("start Chromium");
    browser
        .open(&format!("{}/console?code={code}", app.address))
        .await
        .unwrap();
    browser
        .wait_for(
            &format!("{}.dataset.state === 'ready'", by_id("console")),
            WAIT,
        )
        .await
        .unwrap();

    // The session ends on the server (expired): the next refresh asks to re-enter.
    sqlx::query(
        "UPDATE console_sessions SET expires_at = NOW() - INTERVAL '1 second' WHERE salon_id = $1",
    )
    .bind(salon_id.get())
    .execute(&app.db)
    .await
    .unwrap();
    browser
        .wait_for(
            &format!("{}.dataset.state === 'reenter'", by_id("console")),
            WAIT,
        )
        .await
        .expect("an expired session is sent to YClients");
    assert!(
        browser
            .eval(&format!("{}.textContent", by_id("reenter-detail")))
            .await
            .unwrap()
            .as_str()
            .unwrap()
            .contains("YClients")
    );

    // The same code again, in a fresh tab: refused.
    let mut again = Browser::launch().await.expect("start Chromium");
    again
        .open(&format!("{}/console?code={code}", app.address))
        .await
        .unwrap();
    again
        .wait_for(
            &format!("{}.dataset.state === 'reenter'", by_id("console")),
            WAIT,
        )
        .await
        .expect("a used code does not open the console");
}
