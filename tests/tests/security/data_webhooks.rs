//! Forged data webhooks: a wrong URL secret stores nothing; with the right secret, a
//! payload YClients contradicts changes nothing, and no row moves between salons.

use super::{PATIENCE, inbox_rows, ready_salon};
use ai_admin_activities::acts::sync::SyncPart;
use ai_admin_activities::domain::SalonId;
use ai_admin_tests::{TestApp, record_event, spawn_app};
use serde_json::json;

/// The first of `records` that the database holds.
async fn first_synced(app: &TestApp, records: &[i64]) -> i64 {
    for record_id in records {
        if booking_of(app, *record_id).await.is_some() {
            return *record_id;
        }
    }
    panic!("none of the salon's visits was synced");
}

async fn client_row(
    app: &TestApp,
    salon_id: SalonId,
    client_id: i64,
) -> (Option<String>, Option<String>) {
    sqlx::query_as(
        "SELECT cl.name, cl.phone FROM clients cl JOIN companies c ON c.id = cl.company_id
         WHERE c.yclients_id = $1 AND cl.yclients_id = $2",
    )
    .bind(salon_id.get())
    .bind(client_id as i32)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

async fn booking_of(app: &TestApp, record_id: i64) -> Option<(i32, String)> {
    sqlx::query_as(
        "SELECT c.yclients_id, COALESCE(b.status, '') FROM bookings b
         JOIN companies c ON c.id = b.company_id WHERE b.yclients_id = $1",
    )
    .bind(record_id as i32)
    .fetch_optional(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_data_webhook_without_the_salons_secret_is_refused_and_stores_nothing() {
    let app = spawn_app().await;
    let salon_id = ready_salon(&app, "Салон «Секрет»").await;
    let other = ready_salon(&app, "Салон «Соседний»").await;
    let url = app.salon_webhook_url(salon_id).await;
    let other_url = app.salon_webhook_url(other).await;
    let (base, secret) = url.rsplit_once('/').unwrap();
    let (_, other_secret) = other_url.rsplit_once('/').unwrap();
    let body = record_event(salon_id, 1_900_000_100, "create", "подделка").to_string();

    for (name, target) in [
        ("a made-up secret", format!("{base}/{}", "0".repeat(64))),
        ("another salon's secret", format!("{base}/{other_secret}")),
        ("half the secret", format!("{base}/{}", &secret[..32])),
        (
            "the secret in capitals",
            format!("{base}/{}", secret.to_uppercase()),
        ),
        (
            "a salon id that is not one",
            format!("{}/webhook/yclients/x{salon_id}/{secret}", app.address),
        ),
    ] {
        let response = app
            .http
            .post(&target)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{name}");
    }
    // The other salon's own URL does not take this salon's events either.
    let response = app
        .http
        .post(&other_url)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400, "a body naming another salon");
    // Nor the shared marketplace URL.
    assert_eq!(app.webhook_raw(body.into_bytes()).await.status(), 401);

    assert_eq!(inbox_rows(&app, salon_id).await, 0, "nothing stored");
    assert_eq!(inbox_rows(&app, other).await, 0, "nothing stored");
}

#[tokio::test]
async fn payloads_yclients_contradicts_change_nothing_and_no_row_moves_between_salons() {
    let app = spawn_app().await;
    let salon_id = ready_salon(&app, "Салон «Жертва»").await;
    let yclients = app.yclients.state.salon(salon_id.into()).unwrap();

    // Another salon, registered and synced, whose visit the attacker names.
    let neighbour = app.add_salon("Салон «Чужой»");
    app.register(neighbour).await;
    app.sync(
        neighbour,
        vec![SyncPart::Staff, SyncPart::Services, SyncPart::Bookings],
    )
    .await;
    let theirs = app.yclients.state.salon(neighbour.into()).unwrap();
    let their_ids: Vec<i64> = theirs.records.iter().map(|r| r.id).collect();
    let their_visit = first_synced(&app, &their_ids).await;
    assert_eq!(
        booking_of(&app, their_visit).await.unwrap().0,
        neighbour.get()
    );

    // 1. A client's phone and name "changed": YClients still has the old ones.
    let client = &yclients.clients[0];
    let before = client_row(&app, salon_id, client.id).await;
    let hijack = json!({
        "company_id": salon_id.get(), "resource": "client", "resource_id": client.id,
        "status": "update",
        "data": { "id": client.id, "name": "Взломщик", "phone": "+79990000000" },
    });
    // 2. The neighbour's visit, created (and then deleted) at this salon's URL.
    let stolen = record_event(salon_id, their_visit, "create", "чужая запись");
    let stolen_delete = record_event(salon_id, their_visit, "delete", "");
    // 3. A visit nobody has, with a made-up client.
    let invented = record_event(salon_id, 1_900_000_200, "create", "выдумка");
    // 4. A deletion of this salon's own visit that YClients still has.
    let own_ids: Vec<i64> = yclients.records.iter().map(|r| r.id).collect();
    let own_visit = first_synced(&app, &own_ids).await;
    let own_delete = record_event(salon_id, own_visit, "delete", "");

    for body in [&hijack, &stolen, &stolen_delete, &invented, &own_delete] {
        assert_eq!(app.data_webhook(salon_id, body).await.status(), 200);
    }
    app.wait_until_applied(salon_id, PATIENCE).await;

    let after = client_row(&app, salon_id, client.id).await;
    assert_eq!(after, before, "the client is as YClients has them");
    assert_ne!(after.0.as_deref(), Some("Взломщик"));
    let (owner, their_status) = booking_of(&app, their_visit).await.unwrap();
    assert_eq!(owner, neighbour.get());
    assert_ne!(their_status, "deleted");
    assert_eq!(
        booking_of(&app, 1_900_000_200).await,
        None,
        "nothing invented"
    );
    let made_up: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM clients WHERE yclients_id = 4242")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(made_up, 0, "the payload's client was not created");
    let (_, own_status) = booking_of(&app, own_visit).await.unwrap();
    assert_ne!(own_status, "deleted", "YClients still has the visit");
}

#[tokio::test]
async fn a_synced_salons_visit_cannot_be_taken_over_by_a_payload_naming_it() {
    // The storage rule under the apply step: an upsert for salon A of a record id that
    // salon B holds leaves B's row alone.
    let app = spawn_app().await;
    let a = app.add_salon("Салон «А»");
    let b = app.add_salon("Салон «Б»");
    app.register(a).await;
    app.register(b).await;
    app.sync(b, vec![SyncPart::Bookings]).await;
    let b_visit = app.yclients.state.salon(b.into()).unwrap().records[0].id;
    let mut copy = app.yclients.state.salon(b.into()).unwrap().records[0].clone();
    let moved = app.yclients.state.update_salon(a.into(), |salon| {
        copy.staff_id = salon.staff[0].id;
        copy.service_id = salon.services[0].id;
        copy.client_id = salon.clients[0].id;
        salon.records.push(copy);
    });
    assert!(moved);
    // YClients (simulated) now lists the same record id under A as well: a sync of A
    // must still not take B's row.
    app.sync(a, vec![SyncPart::Bookings]).await;
    let (owner, _) = booking_of(&app, b_visit).await.unwrap();
    assert_eq!(owner, b.get(), "the row stays with the salon that had it");
}
