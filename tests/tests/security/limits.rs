//! Every limit answers with a reason (4xx/429) and stores nothing: floods per client
//! address behind a trusted proxy, YClients' `Retry-After`, oversized and odd inputs,
//! WebSocket frames and expired tokens.

use super::{PATIENCE, inbox_rows};
use ai_admin_activities::domain::SalonId;
use ai_admin_api::auth::{TokenKeys, TokenUser};
use ai_admin_simulators::yclients::Fault;
use ai_admin_tests::ws_client::{Received, UNAUTHORIZED_CLOSE, WsAuth, WsClient};
use ai_admin_tests::{AppOptions, JWT_SECRET, TestApp, spawn_app, spawn_app_with};
use serde_json::json;
use std::time::{Duration, Instant};

async fn redirect_from(app: &TestApp, salon_id: SalonId, forwarded: &str) -> u16 {
    app.http
        .get(format!(
            "{}/auth/yclients/redirect?salon_id={salon_id}",
            app.address
        ))
        .header("x-forwarded-for", forwarded)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn registrations(app: &TestApp, salon_id: SalonId) -> i64 {
    app.count_rows(
        "SELECT COUNT(*) FROM marketplace_events WHERE salon_id = $1 AND event_type = 'registration_started'",
        salon_id,
    )
    .await
}

#[tokio::test]
async fn redirect_floods_are_limited_per_client_behind_a_trusted_proxy() {
    let app = spawn_app_with(AppOptions {
        env: vec![
            ("TRUSTED_PROXIES", "127.0.0.1".to_owned()),
            ("REDIRECT_RATE_LIMIT", "3".to_owned()),
        ],
        ..AppOptions::default()
    })
    .await;
    let salon_id = app.add_salon("Салон «Флуд»");

    for _ in 0..3 {
        assert_eq!(redirect_from(&app, salon_id, "203.0.113.5").await, 302);
    }
    assert_eq!(redirect_from(&app, salon_id, "203.0.113.5").await, 429);
    // The client wrote an address of its own in front: the proxy's is what counts.
    assert_eq!(
        redirect_from(&app, salon_id, "198.51.100.1, 203.0.113.5").await,
        429
    );
    assert_eq!(
        registrations(&app, salon_id).await,
        3,
        "a refused one registers nothing"
    );
    // Another client behind the same proxy is not held back.
    assert_eq!(redirect_from(&app, salon_id, "203.0.113.6").await, 302);
}

#[tokio::test]
async fn without_a_trusted_proxy_a_forwarded_header_is_not_believed() {
    let app = spawn_app_with(AppOptions {
        env: vec![("REDIRECT_RATE_LIMIT", "3".to_owned())],
        ..AppOptions::default()
    })
    .await;
    let salon_id = app.add_salon("Салон «Подмена адреса»");
    for n in 0..3 {
        let spoofed = format!("203.0.113.{n}");
        assert_eq!(redirect_from(&app, salon_id, &spoofed).await, 302);
    }
    // A new "address" every time changes nothing: the connection's is counted.
    assert_eq!(redirect_from(&app, salon_id, "203.0.113.99").await, 429);
}

#[tokio::test]
async fn socket_floods_are_limited_per_client_behind_a_trusted_proxy() {
    let app = spawn_app_with(AppOptions {
        env: vec![("TRUSTED_PROXIES", "127.0.0.1".to_owned())],
        ..AppOptions::default()
    })
    .await;
    let mut open = Vec::new();
    for _ in 0..5 {
        let socket = WsClient::connect_with_headers(
            &app.address,
            WsAuth::None,
            &[("x-forwarded-for", "203.0.113.7")],
        )
        .await
        .map_err(|_| "refused")
        .unwrap();
        open.push(socket);
    }
    let sixth = WsClient::connect_with_headers(
        &app.address,
        WsAuth::None,
        &[("x-forwarded-for", "203.0.113.7")],
    )
    .await;
    assert!(
        matches!(sixth, Err(ai_admin_tests::ws_client::ConnectError::Refused(status)) if status == 429),
        "the sixth socket in a minute is refused"
    );
    let other = WsClient::connect_with_headers(
        &app.address,
        WsAuth::None,
        &[("x-forwarded-for", "203.0.113.8")],
    )
    .await;
    assert!(other.is_ok(), "another client is not");
}

#[tokio::test]
async fn a_huge_retry_after_from_yclients_neither_stalls_nor_panics() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Подождите»");
    let mut fault = Fault::status(&format!("/api/v1/company/{salon_id}"), 429, 1);
    fault.retry_after_secs = Some(99_999_999);
    app.yclients.state.inject(fault);

    let started = Instant::now();
    let status = app.redirect(&format!("salon_id={salon_id}")).await.status();
    let took = started.elapsed();

    assert!(
        took < Duration::from_secs(10),
        "answered in {took:?}, not after the server's wish"
    );
    assert!([302, 502].contains(&status.as_u16()), "{status}");
    assert_eq!(app.get("/marketplace/health").await.status(), 200);
}

#[tokio::test]
async fn oversized_and_odd_inputs_get_a_4xx_and_store_nothing() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Странные данные»");
    app.register(salon_id).await;
    let url = app.salon_webhook_url(salon_id).await;

    let mut long_event = app.marketplace_event(salon_id, "freeze");
    long_event["event"] = json!("f".repeat(51));
    let mut long_id = app.marketplace_event(salon_id, "freeze");
    long_id["webhook_id"] = json!("7".repeat(201));
    let nul = br#"{"company_id": 1, "resource": "record", "resource_id": 5, "data": {"comment": "a\u0000b"}}"#;
    for (name, body, expected) in [
        (
            "an over-long event",
            long_event.to_string().into_bytes(),
            400,
        ),
        (
            "an over-long delivery id",
            long_id.to_string().into_bytes(),
            400,
        ),
        ("a NUL in JSON", nul.to_vec(), 400),
        ("a body over 256 KiB", vec![b' '; 300 * 1024], 413),
    ] {
        assert_eq!(
            app.webhook_raw(body.clone()).await.status(),
            expected,
            "{name}"
        );
        let at_salon = app.http.post(&url).body(body).send().await.unwrap();
        assert_eq!(at_salon.status(), expected, "{name} at the salon's URL");
    }
    assert_eq!(inbox_rows(&app, salon_id).await, 0);

    for (name, query) in [
        (
            "a long name",
            format!("salon_id={salon_id}&user_name={}", "я".repeat(300)),
        ),
        ("a NUL", format!("salon_id={salon_id}&user_name=a%00b")),
        (
            "a huge query",
            format!("salon_id={salon_id}&x={}", "a".repeat(10_000)),
        ),
        ("a salon id out of range", "salon_id=99999999999".to_owned()),
        (
            "garbage user data",
            format!("salon_id={salon_id}&user_data=%%%&user_data_sign=00"),
        ),
    ] {
        let status = app.redirect(&query).await.status().as_u16();
        assert!((400..500).contains(&status), "{name}: {status}");
    }
    assert_eq!(
        super::status(&app, salon_id).await,
        "pending_whatsapp",
        "the salon is as it was"
    );
}

#[tokio::test]
async fn an_oversized_socket_frame_closes_the_socket_and_an_expired_token_closes_it_too() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Сокет»");
    let token = app.register(salon_id).await;
    let company_id = app.verify_token(&token).company_id;

    let mut socket = app.ws(WsAuth::FirstFrame(token)).await.ok().unwrap();
    socket.expect("qr-update", PATIENCE).await;
    let _ = socket.send_text("x".repeat(70 * 1024)).await;
    let mut closed = false;
    while let Some(received) = socket.receive(Duration::from_secs(10)).await {
        if let Received::Closed(_) = received {
            closed = true;
            break;
        }
    }
    assert!(closed, "a frame over 64 KiB ends the socket");

    // A token that runs out in two seconds: the socket is closed when it does.
    let now = chrono::Utc::now().timestamp();
    let short = TokenKeys::new(&ai_admin_activities::secret::Secret::new(JWT_SECRET))
        .issue(company_id, salon_id, TokenUser::default(), now - 3600 + 2)
        .unwrap();
    let mut socket = app.ws(WsAuth::FirstFrame(short)).await.ok().unwrap();
    let started = Instant::now();
    let (error, code) = loop {
        match socket.receive(Duration::from_secs(15)).await {
            Some(Received::Frame { event, data }) if event == "error" => {
                let code = match socket.receive(Duration::from_secs(5)).await {
                    Some(Received::Closed(code)) => code,
                    other => panic!("no close after the error: {other:?}"),
                };
                break (data, code);
            }
            Some(Received::Frame { .. }) => continue,
            other => panic!("the socket ended without saying why: {other:?}"),
        }
    };
    assert_eq!(error["code"], "token_expired");
    assert_eq!(code, Some(UNAUTHORIZED_CLOSE));
    assert!(started.elapsed() < Duration::from_secs(10));
}
