//! Voice notes and other media through the whole pipeline: the shipped sample voice
//! note books a visit (Gemini hearing it inline, and an OpenAI-compatible provider
//! through `/audio/transcriptions`); a voice note too long, one nobody can make out,
//! a photo without a word, a captioned photo and a sticker alone each get their answer,
//! and each is in the inbound ledger with its kind.

use crate::support::Fixture;
use ai_admin_activities::acts::conversation::listen::{
    ATTACHMENT_ONLY, TOO_LONG, UNHEARD, VOICE_MARK,
};
use ai_admin_activities::domain::{SalonId, SessionId};
use ai_admin_simulators::gemini::hearing::{
    VOICE_NOTE, VOICE_NOTE_MIME, VOICE_NOTE_SECONDS, VOICE_NOTE_TRANSCRIPT,
};
use ai_admin_tests::{AppOptions, TestApp, eventually};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::Days;
use serde_json::{Value, json};
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(30);

/// A client sends `body` (a voice note, a photo, …) through the simulated phone.
async fn client_sends(app: &TestApp, salon_id: SalonId, from: &str, mut body: Value) {
    body["from"] = json!(from);
    let session = SessionId::for_salon(salon_id);
    let response = app
        .post_json(&format!("/dev/whatsapp/{session}/incoming"), body)
        .await;
    let status = response.status();
    assert_eq!(status, 200, "{}", response.text().await.unwrap_or_default());
}

fn voice(data: &[u8], seconds: u32) -> Value {
    json!({ "voice": {
        "mime": VOICE_NOTE_MIME, "data_base64": STANDARD.encode(data), "seconds": seconds } })
}

/// What the ledger holds of the client's messages: (kind, text, status, media).
async fn ledger(app: &TestApp, from: &str) -> Vec<(String, String, String, Option<Value>)> {
    sqlx::query_as(
        "SELECT kind, text, status, media FROM inbound_messages
          WHERE client_phone = $1 ORDER BY id",
    )
    .bind(from)
    .fetch_all(&app.db)
    .await
    .unwrap()
}

/// The sample voice note, «запишите меня на маникюр завтра в 15:00», books it.
async fn the_sample_voice_note_books_the_manicure(options: AppOptions, api: &str) {
    const OLGA: &str = "79005554433";
    let fx = Fixture::active("Салон «Голос»", options).await;
    let (app, salon_id) = (&fx.app, fx.salon_id);
    let tomorrow = fx.today + Days::new(1);
    app.yclients
        .state
        .update_salon(i64::from(salon_id.get()), |salon| {
            salon.records.retain(|r| r.date != tomorrow);
        });
    let manicure = fx
        .simulated()
        .services
        .into_iter()
        .find(|s| s.title == "Маникюр с покрытием гель-лак")
        .unwrap();

    client_sends(app, salon_id, OLGA, voice(VOICE_NOTE, VOICE_NOTE_SECONDS)).await;
    let replies = app.wait_for_replies(salon_id, OLGA, 1, PATIENCE).await;
    assert!(
        replies[0].contains("Записала") && replies[0].contains("15:00"),
        "{replies:?}"
    );
    let booked = fx.bot_records();
    assert_eq!(booked.len(), 1, "{booked:?}");
    assert_eq!(
        (
            booked[0].service_id,
            booked[0].date,
            booked[0].time.format("%H:%M").to_string()
        ),
        (manicure.id, tomorrow, "15:00".to_owned())
    );

    // Heard once, by the configured provider's own way of hearing.
    let calls = app.gemini.state.calls();
    let heard: Vec<_> = calls.iter().filter(|c| c.stage == 3).collect();
    assert_eq!(heard.len(), 1, "{calls:?}");
    assert_eq!(heard[0].api, api);
    assert_eq!(heard[0].input, VOICE_NOTE_TRANSCRIPT);
    let understood = calls.iter().find(|c| c.stage == 1).unwrap();
    assert!(
        understood.input.contains("маникюр"),
        "stage 1 reads the transcript: {understood:?}"
    );

    // The ledger keeps the words, marked as voice, and no way back to the recording
    // (the row closes a moment after the reply goes out).
    let rows = eventually(PATIENCE, "the voice note closed", || async {
        let rows = ledger(app, OLGA).await;
        rows.iter().all(|r| r.2 == "handled").then_some(rows)
    })
    .await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (kind, text, status, media) = &rows[0];
    assert_eq!(kind, "voice");
    assert_eq!(text, &format!("{VOICE_MARK}{VOICE_NOTE_TRANSCRIPT}"));
    assert_eq!(status, "handled");
    let media = media.as_ref().unwrap();
    assert_eq!(media["seconds"], VOICE_NOTE_SECONDS);
    assert!(media.get("download").is_none(), "{media}");
}

#[tokio::test]
async fn a_voice_note_books_a_visit_with_gemini_hearing_it() {
    the_sample_voice_note_books_the_manicure(AppOptions::default(), "gemini").await;
}

#[tokio::test]
async fn a_voice_note_books_a_visit_with_an_openai_compatible_provider() {
    let options = AppOptions {
        llm_provider: Some("openai"),
        ..AppOptions::default()
    };
    the_sample_voice_note_books_the_manicure(options, "openai").await;
}

#[tokio::test]
async fn what_cannot_be_heard_or_seen_gets_a_polite_answer_and_a_sticker_none() {
    let fx = Fixture::active("Салон «Вложения»", AppOptions::default()).await;
    let (app, salon_id) = (&fx.app, fx.salon_id);
    let photo = STANDARD.encode(b"\xff\xd8\xff\xe0 not much of a photo");

    // Each client their own chat, so no two of these are answered together.
    let cases: [(&str, Value, Option<&str>); 5] = [
        ("79001110001", voice(VOICE_NOTE, 300), Some(TOO_LONG)),
        ("79001110002", voice(b"\x00\x01 mumbling", 4), Some(UNHEARD)),
        (
            "79001110003",
            json!({ "image": { "mime": "image/jpeg", "data_base64": photo } }),
            Some(ATTACHMENT_ONLY),
        ),
        (
            "79001110004",
            json!({ "image": { "mime": "image/jpeg", "data_base64": photo },
                    "caption": "Сколько стоит маникюр?" }),
            None,
        ),
        (
            "79001110005",
            json!({ "kind": "sticker", "media": { "mimetype": "image/webp" } }),
            None,
        ),
    ];
    for (from, body, _) in &cases {
        client_sends(app, salon_id, from, body.clone()).await;
    }
    for (from, _, answer) in &cases[..4] {
        let replies = app.wait_for_replies(salon_id, from, 1, PATIENCE).await;
        match answer {
            Some(answer) => assert_eq!(replies, [answer.to_string()], "{from}"),
            // A caption is the photo's text.
            None => assert!(replies[0].contains('₽'), "{replies:?}"),
        }
    }
    let sticker = cases[4].0;
    eventually(PATIENCE, "the sticker closed", || async {
        let rows = ledger(app, sticker).await;
        (rows.len() == 1 && rows[0].2 == "handled").then_some(())
    })
    .await;
    app.wait_until_answered(salon_id, sticker).await;
    assert!(
        app.replies_to(salon_id, sticker).await.is_empty(),
        "a sticker alone is not answered"
    );

    let calls = app.gemini.state.calls();
    assert_eq!(
        calls.iter().filter(|c| c.stage == 3).count(),
        1,
        "only the short voice note is listened to: {calls:?}"
    );
    let kinds = [
        (cases[0].0, "voice"),
        (cases[1].0, "voice"),
        (cases[2].0, "image"),
        (cases[3].0, "image"),
        (sticker, "sticker"),
    ];
    for (from, kind) in kinds {
        let rows = eventually(PATIENCE, "the message closed", || async {
            let rows = ledger(app, from).await;
            rows.iter().all(|r| r.2 != "pending").then_some(rows)
        })
        .await;
        assert_eq!(rows.len(), 1, "{from}: {rows:?}");
        assert_eq!(
            (rows[0].0.as_str(), rows[0].2.as_str()),
            (kind, "handled"),
            "{from}"
        );
    }
    assert_eq!(ledger(app, cases[3].0).await[0].1, "Сколько стоит маникюр?");
}

#[tokio::test]
async fn the_control_api_refuses_media_it_cannot_take() {
    let fx = Fixture::active("Салон «Проверка»", AppOptions::default()).await;
    let (app, salon_id) = (&fx.app, fx.salon_id);
    let session = SessionId::for_salon(salon_id);
    let path = format!("/dev/whatsapp/{session}/incoming");
    for (body, says) in [
        (
            json!({ "from": "79001110009", "voice": { "data_base64": "не base64!" } }),
            "base64",
        ),
        (
            json!({ "from": "79001110009", "voice": { "data_base64": "AAAA" },
                    "image": { "data_base64": "AAAA" } }),
            "not both",
        ),
        (
            json!({ "from": "79001110009", "text": "привет", "caption": "подпись" }),
            "caption",
        ),
    ] {
        let response = app.post_json(&path, body).await;
        assert_eq!(response.status(), 400);
        let text = response.text().await.unwrap();
        assert!(text.contains(says), "{text}");
    }
    assert!(
        ledger(app, "79001110009").await.is_empty(),
        "nothing recorded"
    );
    let sample = app.get("/dev/phone/voice-note.ogg").await;
    assert_eq!(sample.status(), 200);
    assert_eq!(sample.bytes().await.unwrap().as_ref(), VOICE_NOTE);
}
