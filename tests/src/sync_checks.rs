//! What a finished sync must have written: the simulator's rows of the salon within the
//! sync's windows, each once; and what a finished onboarding must have done once.

use crate::TestApp;
use ai_admin_activities::domain::SalonId;
use chrono::{Days, Utc};

/// The simulator's rows of the salon that the sync should have written.
pub fn expected_counts(
    app: &TestApp,
    salon_id: SalonId,
) -> (usize, usize, usize, usize, usize, usize) {
    let salon = app.yclients.state.salon(salon_id.into()).unwrap();
    // The sync's windows start on the salon's day (Moscow), which after 21:00 UTC is
    // already tomorrow.
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Moscow)
        .date_naive();
    let schedule_window = today..today + Days::new(30);
    let records_window = today - Days::new(30)..=today + Days::new(30);
    (
        salon.categories.len(),
        salon.services.len(),
        salon.staff.len(),
        salon.clients.len(),
        salon
            .schedules
            .iter()
            .filter(|day| schedule_window.contains(&day.date))
            .count(),
        salon
            .records
            .iter()
            .filter(|record| records_window.contains(&record.date))
            .count(),
    )
}

/// Every row the salon has in the simulator is in the database once: nothing lost,
/// nothing doubled.
pub async fn assert_synced(app: &TestApp, salon_id: SalonId) {
    let (categories, services, staff, clients, schedules, records) = expected_counts(app, salon_id);
    let checks: [(&str, &'static str, usize); 6] = [
        (
            "categories",
            "SELECT COUNT(*) FROM service_categories t JOIN companies c ON c.id = t.company_id WHERE c.yclients_id = $1 AND t.active",
            categories,
        ),
        (
            "services",
            "SELECT COUNT(*) FROM services t JOIN companies c ON c.id = t.company_id WHERE c.yclients_id = $1 AND t.active",
            services,
        ),
        (
            "staff",
            "SELECT COUNT(*) FROM staff t JOIN companies c ON c.id = t.company_id WHERE c.yclients_id = $1 AND t.active",
            staff,
        ),
        (
            "clients",
            "SELECT COUNT(*) FROM clients t JOIN companies c ON c.id = t.company_id WHERE c.yclients_id = $1 AND t.active",
            clients,
        ),
        (
            "schedules",
            "SELECT COUNT(*) FROM schedules t JOIN companies c ON c.id = t.company_id WHERE c.yclients_id = $1 AND t.available",
            schedules,
        ),
        (
            "records",
            "SELECT COUNT(*) FROM bookings t JOIN companies c ON c.id = t.company_id WHERE c.yclients_id = $1 AND t.status <> 'deleted'",
            records,
        ),
    ];
    for (what, sql, expected) in checks {
        assert_eq!(
            app.count_rows(sql, salon_id).await,
            expected as i64,
            "{what}"
        );
    }
}

/// The activation callback's path on YClients.
const CALLBACK: &str = "/marketplace/partner/callback/redirect";

/// A finished onboarding did each of its effects once, however it was interrupted:
/// YClients processed one callback for the salon, one activation event, every row once,
/// one full sync, one welcome to `owner_phone`. `what` names the case in failures.
pub async fn assert_onboarded_once(
    app: &TestApp,
    salon_id: SalonId,
    owner_phone: &str,
    what: &str,
) {
    let processed: Vec<u16> = app
        .requests_to(CALLBACK)
        .iter()
        .filter(|request| {
            request
                .body
                .as_ref()
                .is_some_and(|body| body["salon_id"] == salon_id.get())
        })
        .map(|request| request.status)
        .filter(|status| *status != 0)
        .collect();
    assert_eq!(processed, [200], "{what}: YClients processed one callback");
    let activated = app
        .count_rows(
            "SELECT COUNT(*) FROM marketplace_events WHERE salon_id = $1 AND event_type = 'integration_activated'",
            salon_id,
        )
        .await;
    assert_eq!(activated, 1, "{what}: activated once");
    assert_synced(app, salon_id).await;
    let full_syncs = app
        .count_rows(
            "SELECT COUNT(*) FROM marketplace_events WHERE salon_id = $1 AND event_type = 'sync_completed' AND event_data->'counts' ? 'clients'",
            salon_id,
        )
        .await;
    assert_eq!(full_syncs, 1, "{what}: one full sync");
    let welcomes = app.replies_to(salon_id, owner_phone).await;
    assert_eq!(welcomes.len(), 1, "{what}: one welcome: {welcomes:?}");
}
