//! A bounded fuzz run over the three doors an attacker can knock on without a token:
//! the marketplace redirect, the marketplace webhook URL and a salon's data-webhook URL.
//! Random bytes, broken JSON and real requests with one part mutated: never a 5xx, and
//! the app stays healthy. The seed is printed (`FUZZ_SEED` replays a run).

use ai_admin_activities::domain::SalonId;
use ai_admin_tests::{AppOptions, record_event, spawn_app_with, url_encode};
use rand::{Rng, SeedableRng as _};
use serde_json::{Value, json};
use std::time::Duration;

/// Requests per door.
const CASES: usize = 1_500;

fn seeded_rng() -> rand::rngs::StdRng {
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    eprintln!("fuzz seed {seed} (FUZZ_SEED={seed} replays it)");
    rand::rngs::StdRng::seed_from_u64(seed)
}

/// A value the database or a parser might choke on.
fn odd_value(rng: &mut impl Rng, salon_id: SalonId) -> Value {
    match rng.random_range(0..12) {
        0 => Value::Null,
        1 => json!(rng.random::<i64>()),
        2 => json!(-1),
        3 => json!("🙂".repeat(rng.random_range(0..50))),
        4 => json!([1, {"x": []}]),
        5 => json!({ "nested": { "deeper": [salon_id.get()] } }),
        6 => json!(rng.random::<f64>()),
        7 => json!("a\u{0}b"),
        8 => json!("x".repeat(rng.random_range(40..400))),
        9 => json!(u64::MAX),
        10 => json!("1e400"),
        _ => json!(""),
    }
}

/// A body of one of the fuzzer's families: noise, broken JSON, or a real webhook with
/// a part mutated.
fn fuzz_body(rng: &mut impl Rng, salon_id: SalonId, templates: &[Value]) -> Vec<u8> {
    match rng.random_range(0..7) {
        0 => (0..rng.random_range(0..512))
            .map(|_| rng.random::<u8>())
            .collect(),
        1 => {
            let text = templates[rng.random_range(0..templates.len())].to_string();
            let cut = rng.random_range(0..text.len());
            text.as_bytes()[..cut].to_vec()
        }
        2 => "[".repeat(rng.random_range(1..200)).into_bytes(),
        3 => br#"{"event": "freeze", "salon_id": "\u0000"}"#.to_vec(),
        _ => {
            let mut body = templates[rng.random_range(0..templates.len())].clone();
            let object = body.as_object_mut().expect("templates are objects");
            let keys: Vec<String> = object.keys().cloned().collect();
            let key = keys[rng.random_range(0..keys.len())].clone();
            if rng.random_bool(0.15) {
                object.remove(&key);
            } else {
                object.insert(key, odd_value(rng, salon_id));
            }
            body.to_string().into_bytes()
        }
    }
}

/// A redirect query: real parameters, mutated, shuffled, or noise.
fn fuzz_query(rng: &mut impl Rng, salon_id: SalonId, signed: &str) -> String {
    let keys = [
        "salon_id",
        "salon_ids[]",
        "salon_ids[0]",
        "user_id",
        "user_name",
        "user_phone",
        "user_email",
        "user_data",
        "user_data_sign",
        "is_iframe",
        "x",
    ];
    match rng.random_range(0..5) {
        0 => (0..rng.random_range(0..300))
            .map(|_| char::from(rng.random_range(32u8..127)))
            .collect(),
        1 => {
            // The signed entry with one byte changed.
            let mut bytes = signed.as_bytes().to_vec();
            let at = rng.random_range(0..bytes.len());
            bytes[at] = rng.random_range(b'0'..=b'z');
            String::from_utf8_lossy(&bytes).into_owned()
        }
        _ => (0..rng.random_range(1..6))
            .map(|_| {
                let key = keys[rng.random_range(0..keys.len())];
                let value = match rng.random_range(0..8) {
                    0 => salon_id.to_string(),
                    1 => rng.random::<i64>().to_string(),
                    2 => "%00".to_owned(),
                    3 => "я".repeat(rng.random_range(1..400)),
                    4 => "%%%".to_owned(),
                    5 => "0".repeat(rng.random_range(1..80)),
                    6 => String::new(),
                    _ => "🙂 <script>".to_owned(),
                };
                format!(
                    "{}={}",
                    url_encode(key),
                    url_encode(&value).replace("%2500", "%00")
                )
            })
            .collect::<Vec<_>>()
            .join("&"),
    }
}

#[tokio::test]
async fn random_and_mutated_requests_at_the_redirect_and_both_webhook_urls_never_cause_a_server_error()
 {
    let app = spawn_app_with(AppOptions {
        env: vec![("REDIRECT_RATE_LIMIT", "0".to_owned())],
        ..AppOptions::default()
    })
    .await;
    let title = "Салон «Фаззинг»";
    let salon_id = app.add_salon(title);
    app.register(salon_id).await;
    app.salon_webhook_url(salon_id).await;
    let signed = app.signed_entry(salon_id, Some(title));
    let templates = vec![
        record_event(salon_id, 1_900_000_006, "update", "f"),
        app.marketplace_event(salon_id, "payment"),
        json!({ "event_type": "record_deleted", "salon_id": salon_id.get(), "data": { "id": 7 } }),
        json!({ "company_id": salon_id.get(), "resource": "client", "resource_id": 9, "status": "update", "data": { "id": 9, "phone": "+7" } }),
        json!({ "company_id": salon_id.get(), "resource": "record", "resource_id": 5, "webhook_id": "d-1" }),
    ];
    let mut rng = seeded_rng();
    let bodies: Vec<Vec<u8>> = (0..2 * CASES)
        .map(|_| fuzz_body(&mut rng, salon_id, &templates))
        .collect();
    let queries: Vec<String> = (0..CASES)
        .map(|_| fuzz_query(&mut rng, salon_id, &signed))
        .collect();

    let app = &app;
    let webhook_statuses: Vec<u16> =
        futures::StreamExt::collect(futures::StreamExt::buffer_unordered(
            futures::stream::iter(bodies.into_iter().enumerate().map(|(n, body)| async move {
                let response = if n % 2 == 0 {
                    app.webhook_raw(body).await
                } else {
                    app.data_webhook_raw(salon_id, body).await
                };
                response.status().as_u16()
            })),
            16,
        ))
        .await;
    let redirect_statuses: Vec<(String, u16)> =
        futures::StreamExt::collect(futures::StreamExt::buffer_unordered(
            futures::stream::iter(queries.into_iter().map(|query| async move {
                let status = app.redirect(&query).await.status().as_u16();
                (query, status)
            })),
            8,
        ))
        .await;

    let allowed = [200, 202, 400, 401, 413];
    let unexpected: Vec<_> = webhook_statuses
        .iter()
        .filter(|s| !allowed.contains(s))
        .collect();
    assert!(
        unexpected.is_empty(),
        "webhooks: unexpected statuses {unexpected:?}"
    );
    let allowed = [302, 400, 401, 403, 404];
    let unexpected: Vec<_> = redirect_statuses
        .iter()
        .filter(|(_, s)| !allowed.contains(s))
        .collect();
    assert!(
        unexpected.is_empty(),
        "redirects: unexpected {unexpected:?}"
    );
    // The app is still healthy, and whatever was stored gets applied.
    assert_eq!(app.get("/marketplace/health").await.status(), 200);
    app.wait_until_applied(salon_id, Duration::from_secs(120))
        .await;
}
