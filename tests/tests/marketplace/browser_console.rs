//! The owner's console in real headless Chromium: an owner enters through the
//! marketplace redirect, sees status and results, watches a client's conversation come
//! in, answers the client and gives them back to the bot; a session that ended sends
//! them back to YClients. Screenshots go to `$TEST_OUTPUT_DIR/browser_console/`.

use ai_admin_activities::domain::SalonId;
use ai_admin_tests::browser::Browser;
use ai_admin_tests::{TestApp, output_dir, spawn_app};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);
/// The live channel's session recheck (`CONSOLE_RECHECK`, 60 s) and a margin.
const SESSION_RECHECK_WAIT: Duration = Duration::from_secs(75);
const PATIENCE: Duration = Duration::from_secs(60);
const CLIENT: &str = "79005550188";

async fn ready_salon(app: &TestApp, title: &str) -> SalonId {
    let salon_id = app.add_salon(title);
    app.onboard(salon_id, "79001112244").await;
    app.wait_until_ready(salon_id, PATIENCE).await;
    salon_id
}

/// Opens the marketplace redirect of `salon_id` in `browser` and waits for its console.
async fn enter(browser: &mut Browser, app: &TestApp, salon_id: SalonId) {
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
}

/// Clicks the first element matching `selector`.
async fn click(browser: &mut Browser, selector: &str) {
    browser
        .eval(&format!(
            "document.querySelector(\"{selector}\").click(); true"
        ))
        .await
        .unwrap();
}

/// Keeps a screenshot of the page as `name` in `$TEST_OUTPUT_DIR/browser_console/`.
async fn shot(browser: &mut Browser, name: &str) {
    browser
        .screenshot(&output_dir("browser_console").join(name))
        .await
        .unwrap();
}

/// The text of the element with `id`.
async fn text_of(browser: &mut Browser, id: &str) -> String {
    let text = browser
        .eval(&format!("{}.textContent", by_id(id)))
        .await
        .unwrap();
    text.as_str().unwrap_or_default().to_owned()
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
    let mut browser = Browser::launch().await.expect("start Chromium");

    // In through the marketplace redirect: the console, the code gone from the URL.
    enter(&mut browser, &app, salon_id).await;
    assert_eq!(browser.eval("location.pathname").await.unwrap(), "/console");
    assert_eq!(
        browser.eval("location.search").await.unwrap(),
        "",
        "the code left the address bar"
    );
    assert_eq!(
        text_of(&mut browser, "salon-title").await,
        "Салон «Консоль в браузере»"
    );
    assert_eq!(
        text_of(&mut browser, "status-integration").await,
        "Работает"
    );
    assert!(
        text_of(&mut browser, "status-whatsapp")
            .await
            .starts_with("Подключён"),
    );
    shot(&mut browser, "01-status.png").await;

    // Results, with the 30 days' chart.
    click(&mut browser, "[data-tab=results]").await;
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
    shot(&mut browser, "02-results.png").await;

    // The conversation, and a new message arriving while the owner watches.
    click(&mut browser, "[data-tab=conversations]").await;
    browser
        .wait_for(
            "document.querySelector('#conversation-list li') !== null",
            WAIT,
        )
        .await
        .expect("the client is listed");
    click(&mut browser, "#conversation-list li").await;
    browser
        .wait_for("document.querySelectorAll('#transcript li.bot').length === 1 && document.querySelector('#transcript li.bot .commands') !== null", WAIT)
        .await
        .expect("the bot's reply with its commands");
    // Live: the channel is open, and the page reads again when the client writes (its
    // own refresh is 30 s away).
    browser
        .wait_for(&format!("{}.dataset.live === 'on'", by_id("console")), WAIT)
        .await
        .expect("the live channel is open");
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
        text_of(&mut browser, "chat-phone").await,
        format!("+{CLIENT}"),
        "the full number on click"
    );
    shot(&mut browser, "03-transcript.png").await;

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
    click(&mut browser, "[data-tab=handoffs]").await;
    browser
        .wait_for(
            "document.querySelectorAll('#handoff-list li').length === 1",
            WAIT,
        )
        .await
        .expect("the client waits in the handoff inbox");
    shot(&mut browser, "04-handoffs.png").await;
    click(&mut browser, "#handoff-list li").await;
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
    shot(&mut browser, "05-logged-out.png").await;
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
    // With the live channel on, the page reads again only when told, and the channel
    // checks the session every CONSOLE_RECHECK (60 s): the end shows within that.
    browser
        .wait_for(
            &format!("{}.dataset.state === 'reenter'", by_id("console")),
            SESSION_RECHECK_WAIT,
        )
        .await
        .expect("an expired session is sent to YClients");
    assert!(
        text_of(&mut browser, "reenter-detail")
            .await
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

#[tokio::test]
async fn the_owner_turns_the_bot_off_and_on_and_sets_reminders_on_the_settings_page() {
    let app = spawn_app().await;
    let salon_id = ready_salon(&app, "Салон «Переключатель»").await;
    let mut browser = Browser::launch().await.expect("start Chromium");
    enter(&mut browser, &app, salon_id).await;
    click(&mut browser, "[data-tab=settings]").await;
    browser
        .wait_for(
            "document.getElementById('set-reminders').value === '1s'",
            WAIT,
        )
        .await
        .expect("the settings are shown");

    // Off, with reminders 3 hours before; on «ты», with a fact about parking.
    browser
        .eval("document.getElementById('set-bot-enabled').checked = false; document.getElementById('set-reminders').value = '3h'; document.getElementById('set-address-ty').checked = true; document.getElementById('set-facts').value = 'Парковка во дворе'; document.getElementById('settings-form').requestSubmit(); true")
        .await
        .unwrap();
    browser
        .wait_for("!document.getElementById('settings-saved').hidden", WAIT)
        .await
        .expect("saved");
    shot(&mut browser, "06-settings.png").await;
    let token = app.console_session(&format!("salon_id={salon_id}")).await;
    let settings: serde_json::Value = app
        .get_with_token("/console/api/settings", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(settings["settings"]["bot_enabled"], false, "{settings}");
    assert_eq!(
        settings["settings"]["reminder_offsets"],
        serde_json::json!(["3h"])
    );
    assert_eq!(
        settings["settings"]["tone"],
        serde_json::json!({ "address": "ты", "emoji": false })
    );
    assert_eq!(settings["settings"]["facts"], "Парковка во дворе");
    assert_eq!(
        settings["settings"]["welcome_text"],
        serde_json::Value::Null
    );
    app.client_says(salon_id, CLIENT, "Сколько стоит маникюр?")
        .await;
    ai_admin_tests::eventually(PATIENCE, "the message to close", || async {
        let closed: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM inbound_messages WHERE salon_id = $1 AND status <> 'pending'",
        )
        .bind(salon_id.get())
        .fetch_one(&app.db)
        .await
        .unwrap();
        (closed == 1).then_some(())
    })
    .await;
    assert!(
        app.replies_to(salon_id, CLIENT).await.is_empty(),
        "no answer while off"
    );
    click(&mut browser, "[data-tab=status]").await;
    browser
        .wait_for(
            "document.getElementById('status-bot').textContent === 'Выключен'",
            WAIT,
        )
        .await
        .expect("the status says the bot is off");

    // On again: the next message is answered.
    click(&mut browser, "[data-tab=settings]").await;
    browser
        .wait_for(
            "document.getElementById('set-reminders').value === '3h'",
            WAIT,
        )
        .await
        .unwrap();
    browser
        .eval("document.getElementById('set-bot-enabled').checked = true; document.getElementById('settings-form').requestSubmit(); true")
        .await
        .unwrap();
    browser
        .wait_for("!document.getElementById('settings-saved').hidden", WAIT)
        .await
        .unwrap();
    app.client_says(salon_id, CLIENT, "А педикюр?").await;
    app.wait_for_replies(salon_id, CLIENT, 1, PATIENCE).await;
}

/// Serves `page` (HTML) to every request on a port of its own: another origin than the
/// app's, as YClients' card is. Returns that origin.
async fn serve_page(page: String) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let page = page.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                    page.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    origin
}

/// The child frame of the page open in `browser`: its URL, and the URL it could not show.
async fn child_frame(browser: &mut Browser) -> (String, String) {
    let tree = browser
        .call("Page.getFrameTree", serde_json::json!({}))
        .await
        .unwrap();
    let frame = &tree["frameTree"]["childFrames"][0]["frame"];
    (
        frame["url"].as_str().unwrap_or_default().to_owned(),
        frame["unreachableUrl"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

#[tokio::test]
async fn the_console_opens_in_a_frame_of_an_allowed_origin_and_is_refused_by_any_other() {
    // YClients' card, on its own origin, frames the app's entry as the marketplace does.
    let frame_page = |app: &str| {
        format!(
            "<!doctype html><title>card</title><iframe id=app width=900 height=600 \
             src=\"{app}\" onload=\"document.title='framed'\"></iframe>"
        )
    };
    // The app's address is known once it runs; the card pages need it, the app needs
    // the allowed card's origin: the allowed card serves a page that reads the app's
    // address from its own query.
    let allowed = serve_page(
        "<!doctype html><title>card</title><body><script>\
         const src = decodeURIComponent(location.search.slice(1));\
         const f = document.createElement('iframe'); f.width = 900; f.height = 600;\
         f.onload = () => { document.title = 'framed'; }; f.src = src;\
         document.body.appendChild(f);</script>"
            .to_owned(),
    )
    .await;
    let app = ai_admin_tests::spawn_app_with(ai_admin_tests::AppOptions {
        env: vec![("FRAME_ANCESTORS", allowed.clone())],
        ..Default::default()
    })
    .await;
    let salon_id = ready_salon(&app, "Салон «Рамка»").await;
    let entry = format!("{}/auth/yclients/redirect?salon_id={salon_id}", app.address);
    let sessions = || {
        app.count_rows(
            "SELECT COUNT(*) FROM console_sessions WHERE salon_id = $1",
            salon_id,
        )
    };
    let before = sessions().await;

    // Allowed: the console runs in the frame and trades its code for a session.
    let mut browser = Browser::launch().await.expect("start Chromium");
    browser
        .open(&format!(
            "{allowed}/?{}",
            ai_admin_tests::url_encode(&entry)
        ))
        .await
        .unwrap();
    browser
        .wait_for("document.title === 'framed'", WAIT)
        .await
        .expect("the frame loads");
    ai_admin_tests::eventually(WAIT, "the framed console's session", || async {
        (sessions().await == before + 1).then_some(())
    })
    .await;
    let (url, unreachable) = child_frame(&mut browser).await;
    assert!(
        url.starts_with(&app.address) && unreachable.is_empty(),
        "{url} / {unreachable}"
    );
    shot(&mut browser, "08-in-a-frame.png").await;

    // Another origin: Chromium refuses to show the page, so no code is traded.
    let refused = serve_page(frame_page(&entry)).await;
    browser.open(&format!("{refused}/")).await.unwrap();
    browser
        .wait_for("document.title === 'framed'", WAIT)
        .await
        .expect("the frame settles");
    let (url, unreachable) = child_frame(&mut browser).await;
    assert!(
        url.starts_with("chrome-error:")
            && unreachable.starts_with(&format!("{}/console?code=", app.address)),
        "the console was shown in a frame of {refused}: {url} / {unreachable}"
    );
    assert_eq!(
        sessions().await,
        before + 1,
        "no session from the refused frame"
    );
}

#[tokio::test]
async fn an_owner_with_two_salons_switches_between_their_consoles() {
    let app = spawn_app().await;
    let mut salons = Vec::new();
    for (title, phone) in [
        ("Сеть «Лето» — Юг", "79001112251"),
        ("Сеть «Лето» — Запад", "79001112252"),
    ] {
        let salon_id = app.add_salon(title);
        let token = app.page_token(&app.signed_entry(salon_id, None)).await;
        app.link_from_page(&token, salon_id, phone).await;
        app.wait_until_ready(salon_id, PATIENCE).await;
        salons.push(salon_id);
    }
    let response = app.redirect(&app.signed_entry(salons[0], None)).await;
    let code = ai_admin_tests::code_from_location(&response).unwrap();
    let mut browser = Browser::launch().await.expect("start Chromium");
    browser
        .open(&format!("{}/console?code={code}", app.address))
        .await
        .unwrap();
    browser
        .wait_for(
            &format!(
                "{}.dataset.state === 'ready' && !{}.hidden",
                by_id("console"),
                by_id("locations-box")
            ),
            WAIT,
        )
        .await
        .expect("the console offers the owner's other salon");
    assert_eq!(
        text_of(&mut browser, "salon-title").await,
        "Сеть «Лето» — Юг"
    );
    assert!(
        text_of(&mut browser, "status-subscription")
            .await
            .starts_with("Пробный период"),
        "the trial shows"
    );
    shot(&mut browser, "locations.png").await;

    browser
        .eval(&format!(
            "const s = {}; s.value = '{}'; s.dispatchEvent(new Event('change')); true",
            by_id("locations"),
            salons[1]
        ))
        .await
        .unwrap();
    browser
        .wait_for(
            // The page reloads: null-safe while the new document loads.
            &format!(
                "{}?.dataset.state === 'ready' && {}?.textContent === 'Сеть «Лето» — Запад'",
                by_id("console"),
                by_id("salon-title")
            ),
            WAIT,
        )
        .await
        .expect("the second salon's console opens");
}
