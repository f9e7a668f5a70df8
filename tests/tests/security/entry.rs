//! The marketplace redirect as an attacker who knows a salon id would try it.

use ai_admin_activities::domain::SalonId;
use ai_admin_tests::{AppOptions, TestApp, spawn_app, spawn_app_with, token_from_location};
use ai_admin_workflows::onboarding::OnboardingWorkflow;

/// The redirect left no trace: no company, no event, no workflow, no YClients call.
async fn nothing_happened(app: &TestApp, salon_id: SalonId) {
    let companies = app
        .count_rows(
            "SELECT COUNT(*) FROM companies WHERE yclients_id = $1",
            salon_id,
        )
        .await;
    assert_eq!(companies, 0, "no company row");
    let events = app
        .count_rows(
            "SELECT COUNT(*) FROM marketplace_events WHERE salon_id = $1",
            salon_id,
        )
        .await;
    assert_eq!(events, 0, "no event");
    let onboarding = app
        .temporal
        .get_workflow_handle::<OnboardingWorkflow>(format!("onboarding-{salon_id}"))
        .describe(Default::default())
        .await;
    assert!(onboarding.is_err(), "no onboarding workflow");
    let asked = app
        .yclients
        .state
        .requests()
        .into_iter()
        .filter(|r| r.path.contains(&salon_id.to_string()))
        .count();
    assert_eq!(asked, 0, "YClients was not asked about the salon");
}

#[tokio::test]
async fn in_production_an_unsigned_redirect_is_refused_before_anything_is_done() {
    let app = spawn_app_with(AppOptions {
        production: true,
        ..AppOptions::default()
    })
    .await;
    let title = "Салон «Продакшн»";
    let salon_id = app.add_salon(title);

    for query in [
        format!("salon_id={salon_id}"),
        format!("salon_id={salon_id}&user_id=1&user_name=Owner&user_phone=79001112233"),
        format!("salon_ids%5B%5D={salon_id}"),
    ] {
        let response = app.redirect(&query).await;
        assert_eq!(response.status(), 401, "{query}");
        assert!(response.text().await.unwrap().contains("<html"), "a page");
    }
    nothing_happened(&app, salon_id).await;

    // YClients' own signed redirect gets in.
    let response = app.redirect(&app.signed_entry(salon_id, Some(title))).await;
    assert_eq!(response.status(), 302);
    let claims = app.verify_token(&token_from_location(&response).unwrap());
    assert_eq!(claims.salon_id, salon_id);
    assert_eq!(claims.user_data.user_id.as_deref(), Some("555"));
}

/// `entry` with `user_data_sign` replaced by `sign`.
fn with_signature(entry: &str, sign: &str) -> String {
    let (start, _) = entry.split_once("&user_data_sign=").unwrap();
    format!("{start}&user_data_sign={sign}")
}

#[tokio::test]
async fn forged_tampered_or_half_signed_redirects_are_refused_in_development_too() {
    let app = spawn_app().await;
    let title = "Салон «Подделка входа»";
    let salon_id = app.add_salon(title);
    let entry = app.signed_entry(salon_id, Some(title));
    let (_, real_sign) = entry.split_once("&user_data_sign=").unwrap();

    let forged = with_signature(&entry, &"ab".repeat(32));
    let not_hex = with_signature(&entry, "zz");
    let flipped = {
        let mut sign = real_sign.to_owned();
        let last = if sign.ends_with('0') { "1" } else { "0" };
        sign.replace_range(sign.len() - 1.., last);
        with_signature(&entry, &sign)
    };
    // Another user's data under the real signature.
    let other = app.signed_entry(salon_id, Some("Другой"));
    let (other_start, _) = other.split_once("&user_data_sign=").unwrap();
    let tampered = format!("{other_start}&user_data_sign={real_sign}");
    let (unsigned, _) = entry.split_once("&user_data_sign=").unwrap();
    let sign_only = format!("salon_id={salon_id}&user_data_sign={real_sign}");

    for (name, query) in [
        ("forged", forged),
        ("not hex", not_hex),
        ("one digit changed", flipped),
        ("tampered data", tampered),
        ("data without a signature", unsigned.to_owned()),
        ("a signature without data", sign_only),
    ] {
        let response = app.redirect(&query).await;
        assert_eq!(response.status(), 401, "{name}");
    }
    nothing_happened(&app, salon_id).await;
}

#[tokio::test]
async fn a_signed_entry_replayed_for_another_salon_is_refused() {
    let app = spawn_app().await;
    let (first, second) = ("Салон «Первый»", "Салон «Второй»");
    let salon_a = app.add_salon(first);
    let salon_b = app.add_salon(second);

    // The signed data of salon A's owner, with salon B's id: its salon name is A's.
    let replay = app.signed_entry(salon_a, Some(first)).replace(
        &format!("salon_id={salon_a}"),
        &format!("salon_id={salon_b}"),
    );
    let response = app.redirect(&replay).await;
    assert_eq!(response.status(), 403);
    assert!(response.text().await.unwrap().contains("другого салона"));

    // Signed data that names no salon: YClients' install status binds it. Salon B has
    // not installed the application.
    app.yclients.state.set_installed(salon_b.into(), false);
    let unnamed = app.signed_entry(salon_a, None).replace(
        &format!("salon_id={salon_a}"),
        &format!("salon_id={salon_b}"),
    );
    let response = app.redirect(&unnamed).await;
    assert_eq!(response.status(), 403);
    assert!(response.text().await.unwrap().contains("не подключено"));
    for query in [format!("salon_id={salon_b}")] {
        assert_eq!(app.redirect(&query).await.status(), 403, "unsigned too");
    }
    let companies = app
        .count_rows(
            "SELECT COUNT(*) FROM companies WHERE yclients_id = $1",
            salon_b,
        )
        .await;
    assert_eq!(companies, 0, "salon B was not registered");
    let onboarding = app
        .temporal
        .get_workflow_handle::<OnboardingWorkflow>(format!("onboarding-{salon_b}"))
        .describe(Default::default())
        .await;
    assert!(onboarding.is_err(), "no onboarding for salon B");

    // Once YClients says B is installing the application, its own owner gets in.
    app.yclients.state.set_installed(salon_b.into(), true);
    let own = app.signed_entry(salon_b, Some(second));
    assert_eq!(app.redirect(&own).await.status(), 302);
}
