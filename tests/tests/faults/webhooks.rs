//! A burst of YClients webhooks while the Temporal server is stopped for 30 s (a server
//! of the scenario's own, its state in a file): every webhook is acknowledged at once
//! (stored first), and applied exactly once when Temporal is back.

use ai_admin_tests::faults::{Row, record};
use ai_admin_tests::services::OwnTemporal;
use ai_admin_tests::{AppOptions, record_event, spawn_app_with};
use std::time::{Duration, Instant};

const BURST: i64 = 60;

#[tokio::test]
async fn a_webhook_burst_while_temporal_is_away_for_30_s_is_applied_once_when_it_is_back() {
    let mut temporal = OwnTemporal::start().await;
    let app = spawn_app_with(AppOptions {
        temporal_address: Some(temporal.address()),
        ..AppOptions::default()
    })
    .await;
    let salon_id = app.add_salon("Салон «Без Temporal»");
    app.register(salon_id).await;
    app.salon_webhook_url(salon_id).await;
    for n in 0..BURST {
        app.add_yclients_record(salon_id, 1_900_000_000 + n);
    }

    // A third of the burst before the outage, the rest during it.
    let mut slowest_ack = Duration::ZERO;
    for n in 0..BURST {
        if n == BURST / 3 {
            temporal.stop().await;
        }
        let sent = Instant::now();
        let response = app
            .data_webhook(
                salon_id,
                &record_event(salon_id, 1_900_000_000 + n, "create", "во время сбоя"),
            )
            .await;
        slowest_ack = slowest_ack.max(sent.elapsed());
        assert_eq!(
            response.status(),
            200,
            "acknowledged while Temporal is away"
        );
    }
    tokio::time::sleep(Duration::from_secs(30)).await;
    let pending = app
        .count_rows(
            "SELECT COUNT(*) FROM webhook_inbox WHERE salon_id = $1 AND status = 'pending'",
            salon_id,
        )
        .await;
    assert!(pending > 0, "the ones after the cut wait for Temporal");
    let resumed = Instant::now();
    temporal.start_again().await;
    app.wait_until_applied(salon_id, Duration::from_secs(120))
        .await;
    let drained = resumed.elapsed();

    let stored = app
        .count_rows(
            "SELECT COUNT(*) FROM webhook_inbox WHERE salon_id = $1",
            salon_id,
        )
        .await;
    let bookings = app.count_rows("SELECT COUNT(*) FROM bookings b JOIN companies c ON c.id = b.company_id WHERE c.yclients_id = $1",
        salon_id,
    )
    .await;
    // An apply whose completion Temporal never heard of (it was away) runs again when
    // it is back; applying is an upsert, so the effect stays single. Counted, not hidden.
    let repeated = app
        .count_rows(
            "SELECT COUNT(*) FROM webhook_inbox WHERE salon_id = $1 AND apply_count > 1",
            salon_id,
        )
        .await;
    let unapplied = app
        .count_rows(
            "SELECT COUNT(*) FROM webhook_inbox WHERE salon_id = $1 AND apply_count = 0",
            salon_id,
        )
        .await;
    assert_eq!(stored, BURST, "every webhook stored once");
    assert_eq!(bookings, BURST, "none lost, none doubled");
    assert_eq!(unapplied, 0, "every webhook applied");
    record(&Row {
        id: "webhooks-temporal-away",
        fault: "the Temporal server stopped (SIGTERM) for 30 s in the middle of a burst of 60 record webhooks, then started again on its persisted state",
        checked: "every webhook acknowledged (200) and stored once; the ones after the cut wait; all applied after, each booking once (an apply repeated after a lost completion is counted)",
        observed: format!(
            "slowest ack {} ms; {pending} waiting during the outage; {BURST} stored, {bookings} bookings, {repeated} applies repeated (idempotent); drained {:.1} s after Temporal came back",
            slowest_ack.as_millis(),
            drained.as_secs_f64()
        ),
    });
}
