//! The real YClients client's booking calls against the YClients simulator over HTTP:
//! free times, check, book, a taken time (433), a client's visits, move, cancel.

use crate::support::yclients_client;
use ai_admin_activities::clients::yclients::{
    Appointment, BookingRequest, YClients, YClientsError,
};
use ai_admin_activities::domain::SalonId;
use ai_admin_activities::secret::Secret;
use ai_admin_simulators::yclients::{self, RunningSimulator, Salon, SalonSize, SimState};
use chrono::{Duration as Days, Utc};

const TOKEN: &str = "booking-test-token";
const SALON: i64 = 7_100_001;

async fn simulator() -> RunningSimulator {
    let today = Utc::now().date_naive();
    let mut salon = Salon::generate(
        SALON,
        "Салон «Запись»",
        "Europe/Moscow",
        SalonSize::DEMO,
        today,
    );
    salon.records.clear();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    yclients::spawn(listener, SimState::new(TOKEN, vec![salon])).unwrap()
}

#[tokio::test]
async fn a_free_time_is_booked_once_then_taken_moved_and_cancelled() {
    let sim = simulator().await;
    let yc = yclients_client(sim.base_url(), Secret::new(TOKEN));
    let salon_id = SalonId::new(SALON).unwrap();
    let salon = sim.state.salon(SALON).unwrap();
    let day = salon
        .schedules
        .iter()
        .find(|d| d.date > Utc::now().date_naive())
        .unwrap()
        .clone();
    let service = salon.services[0].id;

    let free = yc
        .free_times(salon_id, day.staff_id, day.date, service)
        .await
        .unwrap();
    assert!(free.len() >= 2, "{free:?}");
    let first = Appointment {
        id: 1,
        services: vec![service],
        staff_id: day.staff_id,
        datetime: free[0].datetime.clone(),
    };
    yc.check_booking(salon_id, std::slice::from_ref(&first))
        .await
        .unwrap();

    let request = BookingRequest {
        phone: "79005554433".into(),
        fullname: "Ольга".into(),
        email: String::new(),
        appointments: vec![first.clone()],
        comment: "Записано ботом".into(),
        api_id: "ai-admin-test-1".into(),
    };
    let booked = yc.book(salon_id, &request).await.unwrap();
    assert_eq!(booked.len(), 1);
    let record_id = booked[0].record_id;

    assert_eq!(
        yc.check_booking(salon_id, std::slice::from_ref(&first))
            .await,
        Err(YClientsError::SlotTaken)
    );
    assert_eq!(
        yc.book(salon_id, &request).await,
        Err(YClientsError::SlotTaken)
    );
    let after = yc
        .free_times(salon_id, day.staff_id, day.date, service)
        .await
        .unwrap();
    assert!(!after.iter().any(|t| t.datetime == first.datetime));

    let client_id = sim
        .state
        .salon(SALON)
        .unwrap()
        .clients
        .iter()
        .find(|c| c.phone == "79005554433")
        .unwrap()
        .id;
    let today = Utc::now().date_naive();
    let visits = yc
        .client_records(salon_id, client_id, today, today + Days::days(30))
        .await
        .unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].api_id.as_deref(), Some("ai-admin-test-1"));

    let later = Appointment {
        datetime: after.last().unwrap().datetime.clone(),
        ..first.clone()
    };
    let moved = yc.move_record(salon_id, record_id, &later).await.unwrap();
    assert_eq!(moved.datetime, later.datetime);

    yc.cancel_record(salon_id, record_id).await.unwrap();
    assert_eq!(
        yc.cancel_record(salon_id, record_id).await,
        Err(YClientsError::NotFound)
    );
    assert!(
        yc.client_records(salon_id, client_id, today, today + Days::days(30))
            .await
            .unwrap()
            .is_empty()
    );
}
