//! The onboarding page in real headless Chromium: QR code, pairing code, and the
//! "connected" state appearing without a reload. Screenshots of each state go to
//! `$TEST_OUTPUT_DIR/browser_onboarding/`.

use ai_admin_tests::browser::Browser;
use ai_admin_tests::{output_dir, spawn_app};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(15);

#[tokio::test]
async fn an_owner_links_whatsapp_on_the_page_and_sees_it_connected_without_a_reload() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Браузер»");
    let token = app.register(salon_id).await;
    let screenshots = output_dir("browser_onboarding");
    let mut browser = Browser::launch().await.expect("start Chromium");

    // The page opens with a QR code.
    browser
        .open(&format!(
            "{}/marketplace/onboarding?token={token}",
            app.address
        ))
        .await
        .unwrap();
    browser
        .wait_for(
            "!document.getElementById('qr-image').hidden && document.getElementById('qr-image').src.startsWith('data:image/png;base64,') && document.getElementById('qr-image').naturalWidth > 0",
            WAIT,
        )
        .await
        .expect("a QR image is shown");
    assert_eq!(
        browser
            .eval("document.getElementById('salon-title').textContent")
            .await
            .unwrap(),
        "Салон «Браузер»"
    );
    assert_eq!(
        browser.eval("window.location.search").await.unwrap(),
        "",
        "the token left the address bar"
    );
    browser
        .screenshot(&screenshots.join("01-qr-code.png"))
        .await
        .unwrap();

    // The pairing-code tab gives a code for the number typed in.
    browser
        .eval("document.getElementById('tab-code').click(); document.getElementById('phone').value = '+7 900 123-45-67'; document.getElementById('pairing-form').requestSubmit(); true")
        .await
        .unwrap();
    browser
        .wait_for(
            "/^[A-Z0-9]{4}-[A-Z0-9]{4}$/.test(document.getElementById('pairing-code').textContent)",
            WAIT,
        )
        .await
        .expect("a pairing code is shown");
    assert_eq!(
        browser
            .eval("document.getElementById('panel-qr').hidden")
            .await
            .unwrap(),
        true
    );
    browser
        .screenshot(&screenshots.join("02-pairing-code.png"))
        .await
        .unwrap();

    // The phone enters the code; the page turns to "connected" by itself.
    let linked_at = Instant::now();
    assert_eq!(app.link_phone(salon_id, "79001234567").await.status(), 200);
    browser
        .wait_for(
            "document.getElementById('onboarding').dataset.state === 'connected' && !document.getElementById('connected-panel').hidden",
            WAIT,
        )
        .await
        .expect("the page shows the connected state");
    let latency = linked_at.elapsed();
    eprintln!("link -> connected state on the page: {latency:?}");
    assert_eq!(
        browser
            .eval("document.getElementById('connected-phone').textContent")
            .await
            .unwrap(),
        "+79001234567"
    );
    assert_eq!(
        browser
            .eval(
                "document.querySelector('#steps li[data-step=linked]').classList.contains('done')"
            )
            .await
            .unwrap(),
        true
    );
    // The owner's page links no Temporal run (that is for ops).
    browser
        .wait_for("!document.querySelector('a[href*=\"/workflows/\"]')", WAIT)
        .await
        .expect("no Temporal links on the page");
    assert_eq!(
        browser
            .eval("performance.getEntriesByType('navigation').length")
            .await
            .unwrap(),
        1,
        "no reload happened"
    );
    browser
        .screenshot(&screenshots.join("03-connected.png"))
        .await
        .unwrap();
}

#[tokio::test]
async fn scanning_on_the_dev_phone_page_connects_the_owners_page() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Демо»");
    let token = app.register(salon_id).await;
    let screenshots = output_dir("dev_phone");
    let mut owner = Browser::launch().await.expect("start Chromium");
    owner
        .open(&format!(
            "{}/marketplace/onboarding?token={token}",
            app.address
        ))
        .await
        .unwrap();
    owner
        .wait_for("document.getElementById('qr-image').naturalWidth > 0", WAIT)
        .await
        .expect("the owner sees a QR code");

    // A person plays the salon's phone on /dev/phone and scans the waiting session.
    let mut phone = Browser::launch().await.expect("start a second Chromium");
    phone
        .open(&format!("{}/dev/phone", app.address))
        .await
        .unwrap();
    let row = format!("tr[data-session='company_{salon_id}'] button.scan");
    phone
        .wait_for(&format!("document.querySelector(\"{row}\") !== null"), WAIT)
        .await
        .expect("the waiting session is listed with a scan button");
    phone
        .screenshot(&screenshots.join("01-phone-sessions.png"))
        .await
        .unwrap();
    phone
        .eval(&format!("document.querySelector(\"{row}\").click(); true"))
        .await
        .unwrap();

    owner
        .wait_for(
            "document.getElementById('onboarding').dataset.state === 'connected'",
            WAIT,
        )
        .await
        .expect("the owner's page turns connected");
    owner
        .screenshot(&screenshots.join("02-owner-connected.png"))
        .await
        .unwrap();
    phone
        .wait_for(
            &format!("document.querySelector(\"tr[data-session='company_{salon_id}']\").textContent.includes('подключена')"),
            WAIT,
        )
        .await
        .expect("the phone page shows the session connected");
}

#[tokio::test]
async fn the_dev_phone_sends_the_sample_voice_note_and_the_bot_books_from_it() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Голосовое»");
    app.onboard(salon_id, "79990001122").await;
    app.wait_until_ready(salon_id, Duration::from_secs(120))
        .await;
    // Tomorrow at 15:00 free, whatever the seed booked.
    let tomorrow = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Moscow)
        .date_naive()
        + chrono::Days::new(1);
    app.yclients
        .state
        .update_salon(i64::from(salon_id.get()), |salon| {
            salon.records.retain(|r| r.date != tomorrow);
        });
    let screenshots = output_dir("dev_phone_voice");
    let mut phone = Browser::launch().await.expect("start Chromium");
    phone
        .open(&format!("{}/dev/phone", app.address))
        .await
        .unwrap();
    phone
        .wait_for(
            &format!("document.getElementById('chat-session').value === 'company_{salon_id}'"),
            WAIT,
        )
        .await
        .expect("the linked session can be chatted in");
    phone
        .eval("document.getElementById('send-voice').click(); true")
        .await
        .unwrap();
    phone
        .wait_for(
            "[...document.querySelectorAll('#chat li.bot')].some((li) => li.textContent.includes('Записала'))",
            Duration::from_secs(40),
        )
        .await
        .expect("the bot heard the voice note and booked");
    let chat: String = phone
        .eval("document.getElementById('chat').textContent")
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        chat.contains("🎤 голосовое сообщение") && chat.contains("15:00"),
        "{chat}"
    );
    phone
        .screenshot(&screenshots.join("01-voice-note-booked.png"))
        .await
        .unwrap();
}
