//! Reminders end to end: a visit created in YClients (record webhook) gets a reminder at
//! its offset (20 s here, instead of 24 h and 2 h); moving the visit moves the reminder;
//! deleting it cancels it; the client's «👍» (or «ок», «подтверждаю») to it confirms the
//! visit in YClients.

use crate::support::Fixture;
use ai_admin_simulators::yclients::seed::Record;
use ai_admin_tests::AppOptions;
use chrono::{Duration as Span, Timelike as _, Utc};
use serde_json::json;
use std::time::Duration;

const ANNA: &str = "79112223344";
const BORIS: &str = "79112223355";

/// `at` on the salon's clock, to the second.
fn salon_time(at: chrono::DateTime<Utc>) -> chrono::DateTime<chrono_tz::Tz> {
    at.with_timezone(&chrono_tz::Europe::Moscow)
        .with_nanosecond(0)
        .unwrap()
}

/// Adds a client and their visit at `at` to the simulated salon; returns the record id.
fn add_visit(fx: &Fixture, phone: &str, name: &str, at: chrono::DateTime<Utc>) -> i64 {
    fx.app.add_visit(fx.salon_id, phone, name, at)
}

/// Changes the record `record_id` in the simulated YClients.
fn change_visit(fx: &Fixture, record_id: i64, change: impl FnOnce(&mut Record)) {
    fx.app
        .yclients
        .state
        .write_salon(i64::from(fx.salon_id.get()), |salon| {
            change(
                salon
                    .records
                    .iter_mut()
                    .find(|r| r.id == record_id)
                    .unwrap(),
            );
        });
}

fn move_visit(fx: &Fixture, record_id: i64, at: chrono::DateTime<Utc>) {
    let local = salon_time(at);
    change_visit(fx, record_id, |record| {
        record.date = local.date_naive();
        record.time = local.time();
    });
}

/// The visit is deleted in YClients (as the salon would): a bookings sync running at
/// any moment (every 15 minutes on the clock) must not bring it back.
fn delete_visit(fx: &Fixture, record_id: i64) {
    change_visit(fx, record_id, |record| record.deleted = true);
}

/// YClients' webhook for a record, without the data: the app fetches it.
async fn record_webhook(fx: &Fixture, record_id: i64, status: &str) {
    let event = json!({
        "company_id": fx.salon_id.get(),
        "resource": "record",
        "resource_id": record_id,
        "status": status,
    });
    assert_eq!(fx.app.data_webhook(fx.salon_id, &event).await.status(), 200);
}

#[tokio::test]
async fn a_reminder_follows_its_visit_and_the_reply_confirms_it() {
    let options = AppOptions {
        reminder_offsets: Some("20s".to_owned()),
        ..AppOptions::default()
    };
    let fx = Fixture::active("Салон «Напоминание»", options).await;
    let (app, salon_id) = (&fx.app, fx.salon_id);
    let start = Utc::now();

    // Anna's visit in 30 s (reminder due at 10 s), moved at once to 60 s (due at 40 s).
    let anna = add_visit(&fx, ANNA, "Анна Новая", start + Span::seconds(30));
    record_webhook(&fx, anna, "create").await;
    // Boris's visit in 50 s (reminder due at 30 s) is cancelled. The margins are wide
    // because the whole suite shares two cores: the delete must land before 30 s.
    let boris = add_visit(&fx, BORIS, "Борис Новый", start + Span::seconds(50));
    record_webhook(&fx, boris, "create").await;
    app.wait_until_applied(salon_id, Duration::from_secs(10))
        .await;
    let moved_to = start + Span::seconds(60);
    move_visit(&fx, anna, moved_to);
    record_webhook(&fx, anna, "update").await;
    delete_visit(&fx, boris);
    record_webhook(&fx, boris, "delete").await;
    app.wait_until_applied(salon_id, Duration::from_secs(10))
        .await;
    let applied_after = (Utc::now() - start).num_milliseconds();

    // Past the old time and Boris's time: nothing was sent.
    let quiet_until = start + Span::seconds(33);
    tokio::time::sleep((quiet_until - Utc::now()).to_std().unwrap_or_default()).await;
    let (to_anna, to_boris) = (
        app.replies_to(salon_id, ANNA).await,
        app.replies_to(salon_id, BORIS).await,
    );
    assert!(
        to_anna.is_empty() && to_boris.is_empty(),
        "webhooks applied {applied_after} ms after start; Anna got {to_anna:?}, Boris {to_boris:?}"
    );

    // The reminder comes at the new time, with the new time in it.
    let reminders = app
        .wait_for_replies(salon_id, ANNA, 1, Duration::from_secs(20))
        .await;
    let sent_at = Utc::now();
    assert!(
        sent_at >= start + Span::seconds(39),
        "sent {}s after start",
        (sent_at - start).num_seconds()
    );
    let local = moved_to.with_timezone(&chrono_tz::Europe::Moscow);
    assert!(
        reminders[0].contains(&local.format("%H:%M").to_string())
            && reminders[0].contains("подтверждаю"),
        "{reminders:?}"
    );

    // Anna answers the reminder with a thumbs-up: the visit is confirmed in YClients.
    app.client_says(salon_id, ANNA, "👍").await;
    let replies = app
        .wait_for_replies(salon_id, ANNA, 2, Duration::from_secs(15))
        .await;
    assert!(replies[1].contains("одтвер"), "{replies:?}");
    let attendance = fx
        .simulated()
        .records
        .iter()
        .find(|r| r.id == anna)
        .unwrap()
        .attendance;
    assert_eq!(attendance, 2);
    assert!(app.replies_to(salon_id, BORIS).await.is_empty());
    assert_eq!(
        app.count_rows(
            "SELECT COUNT(*) FROM marketplace_events WHERE salon_id = $1 AND event_type = 'reminder_sent'",
            salon_id
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_morning_of_reminders_goes_out_at_the_bots_own_pace_and_skips_numbers_without_whatsapp() {
    let options = AppOptions {
        reminder_offsets: Some("20s".to_owned()),
        ..AppOptions::default()
    };
    let fx = Fixture::active("Салон «Утро напоминаний»", options).await;
    let (app, salon_id) = (&fx.app, fx.salon_id);
    let session = format!("company_{salon_id}");
    let start = Utc::now();

    // Seven clients with visits at the same moment, and one whose number has no
    // WhatsApp; none of them ever wrote to the salon. Reminders are due at 25 s.
    let clients: Vec<String> = (0..7).map(|i| format!("7911333440{i}")).collect();
    let without = "79113334499";
    let absent = app
        .post_json(
            &format!("/dev/whatsapp/{session}/not-on-whatsapp"),
            json!({ "phone": without }),
        )
        .await;
    assert_eq!(absent.status(), 200);
    let at = start + Span::seconds(45);
    for (i, phone) in clients.iter().chain([&without.to_owned()]).enumerate() {
        let record = add_visit(&fx, phone, &format!("Клиент {i}"), at);
        record_webhook(&fx, record, "create").await;
    }
    app.wait_until_applied(salon_id, Duration::from_secs(20))
        .await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let sent_at = loop {
        let outbox = app.outbox(salon_id).await;
        let mut sent_at: Vec<i64> = outbox
            .iter()
            .filter(|entry| {
                entry["kind"] == "text"
                    && entry["text"]
                        .as_str()
                        .is_some_and(|text| text.contains("Напоминаем"))
            })
            .filter_map(|entry| entry["at_ms"].as_i64())
            .collect();
        if sent_at.len() >= clients.len() {
            sent_at.sort_unstable();
            break sent_at;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} reminders went out",
            sent_at.len()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    // Five at once, then one every three seconds: the seventh at least ~6 s after the
    // first (unpaced, all seven leave within the same second).
    let spread = sent_at[6] - sent_at[0];
    assert!(
        spread >= 5_500,
        "seven reminders went out within {spread} ms"
    );
    assert!(
        app.replies_to(salon_id, without).await.is_empty(),
        "no reminder to a number without WhatsApp"
    );
    assert_eq!(
        app.count_rows(
            "SELECT COUNT(*) FROM marketplace_events WHERE salon_id = $1 AND event_type = 'reminder_sent'",
            salon_id
        )
        .await,
        7
    );
}
