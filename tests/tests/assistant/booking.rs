//! `CREATE_BOOKING` against a synced salon and the YClients simulator: a free time is
//! booked once and confirmed with day, time, master and price; a retry with the same
//! api_id books nothing more; a taken time gets the nearest free times instead.

use crate::support::Fixture;
use ai_admin_activities::acts::conversation::booking::{Booker, Wanted, create_booking};
use ai_admin_activities::acts::conversation::changes::{
    cancel_booking, confirm_booking, reschedule_booking,
};
use ai_admin_activities::assistant::dates::day_text;
use chrono::Days;

#[tokio::test]
async fn a_free_time_is_booked_once_and_a_taken_one_offers_alternatives() {
    let fx = Fixture::new("Салон «Запись»").await;
    let (app, salon_id, company_id) = (&fx.app, fx.salon_id, fx.company_id);
    let salon = fx.salon();
    let zone = chrono_tz::Europe::Moscow;
    let tomorrow = fx.today + Days::new(1);
    let (master, free) = fx.free_haircuts_tomorrow().await;
    let time = free[0].time.clone();
    let staff = format!("к {}", master.name);
    let wanted = Wanted {
        service: "мужскую стрижку",
        date: "завтра",
        time: &time,
        staff: Some(&staff),
    };
    let olga = Booker {
        phone: "79005554433".into(),
        name: "Ольга".into(),
        max_upcoming: 3,
    };
    let ours = |api_id: &'static str| {
        let state = app.yclients.state.clone();
        move || {
            state
                .salon(i64::from(salon_id.get()))
                .unwrap()
                .records
                .iter()
                .filter(|r| r.api_id.as_deref() == Some(api_id) && !r.deleted)
                .count()
        }
    };

    let booked = create_booking(salon, zone, &olga, wanted, "conv-test-1")
        .await
        .unwrap();

    assert!(booked.ok, "{booked:?}");
    for part in [
        day_text(tomorrow),
        time.clone(),
        master.name.clone(),
        "1200 ₽".to_owned(),
    ] {
        assert!(
            booked.summary.contains(&part),
            "{part} in {}",
            booked.summary
        );
    }
    assert_eq!(ours("conv-test-1")(), 1);
    let saved: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM bookings WHERE company_id = $1 AND api_id = 'conv-test-1'",
    )
    .bind(company_id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(saved, 1);

    // The activity is retried after its booking went through: nothing more is booked.
    let again = create_booking(salon, zone, &olga, wanted, "conv-test-1")
        .await
        .unwrap();
    assert!(again.ok);
    assert_eq!(again.data["record_id"], booked.data["record_id"]);
    assert_eq!(ours("conv-test-1")(), 1);

    // Someone else wants the same time: alternatives, nothing booked.
    let ivan = Booker {
        phone: "79001112233".into(),
        name: "Иван".into(),
        max_upcoming: 3,
    };
    let taken = create_booking(salon, zone, &ivan, wanted, "conv-test-2")
        .await
        .unwrap();
    assert!(!taken.ok, "{taken:?}");
    assert_eq!(taken.data["taken"], true);
    let offered = taken.data["alternatives"].as_array().unwrap();
    assert!(
        !offered.is_empty() && !offered.iter().any(|t| t == time.as_str()),
        "{offered:?}"
    );
    assert!(taken.summary.contains("занято"), "{}", taken.summary);
    assert_eq!(ours("conv-test-2")(), 0);
}

#[tokio::test]
async fn only_the_clients_own_visit_is_moved_confirmed_or_cancelled() {
    let fx = Fixture::new("Салон «Перенос»").await;
    let (app, salon_id) = (&fx.app, fx.salon_id);
    let salon = fx.salon();
    let zone = chrono_tz::Europe::Moscow;
    let (master, free) = fx.free_haircuts_tomorrow().await;
    let staff = format!("к {}", master.name);
    let book = |phone: &'static str, time: String, api_id: &'static str| {
        let staff = staff.clone();
        async move {
            let booker = Booker {
                phone: phone.into(),
                name: "Клиент".into(),
                max_upcoming: 3,
            };
            let wanted = Wanted {
                service: "мужскую стрижку",
                date: "завтра",
                time: &time,
                staff: Some(&staff),
            };
            create_booking(salon, zone, &booker, wanted, api_id)
                .await
                .unwrap()
        }
    };
    let olga = book("79005554433", free[0].time.clone(), "move-test-olga").await;
    let ivan = book("79001112233", free[2].time.clone(), "move-test-ivan").await;
    assert!(olga.ok && ivan.ok, "{olga:?} {ivan:?}");
    let olga_record = olga.data["record_id"].as_i64().unwrap();

    // Ivan names Olga's visit: refused, nothing changes.
    let refused = cancel_booking(
        salon,
        zone,
        "79001112233",
        Some(&olga_record.to_string()),
        Some(olga_record),
    )
    .await
    .unwrap();
    assert!(
        !refused.ok && refused.summary.contains("среди ваших нет"),
        "{refused:?}"
    );
    // Someone with no visits.
    let stranger = cancel_booking(salon, zone, "79009999999", None, None)
        .await
        .unwrap();
    assert!(
        !stranger.ok && stranger.summary.contains("нет предстоящих"),
        "{stranger:?}"
    );

    // Olga moves hers to a later free time, then cancels it.
    // Far from both visits booked above (each takes an hour).
    assert!(free.len() >= 6, "{free:?}");
    let later = free.last().unwrap().time.clone();
    let moved = reschedule_booking(salon, zone, "79005554433", None, "завтра", &later, None)
        .await
        .unwrap();
    assert!(moved.ok, "{moved:?}");
    assert!(moved.summary.contains(&later), "{}", moved.summary);
    let record = |id: i64| {
        app.yclients
            .state
            .salon(i64::from(salon_id.get()))
            .unwrap()
            .records
            .into_iter()
            .find(|r| r.id == id)
            .unwrap()
    };
    assert_eq!(record(olga_record).time.format("%H:%M").to_string(), later);

    // She confirms it (as she would answer a reminder).
    let confirmed = confirm_booking(salon, zone, "79005554433", None)
        .await
        .unwrap();
    assert!(confirmed.ok, "{confirmed:?}");
    assert_eq!(record(olga_record).attendance, 2);
    let status: String = sqlx::query_scalar("SELECT status FROM bookings WHERE yclients_id = $1")
        .bind(olga_record as i32)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(status, "confirmed");

    // Asked first: nothing is cancelled until she says yes to this visit.
    let asked = cancel_booking(salon, zone, "79005554433", None, None)
        .await
        .unwrap();
    assert!(
        !asked.ok && asked.data["confirm"] == "cancel" && asked.summary.contains("Отменить"),
        "{asked:?}"
    );
    assert!(!record(olga_record).deleted);
    let another = cancel_booking(salon, zone, "79005554433", None, Some(olga_record + 1000))
        .await
        .unwrap();
    assert!(
        !another.ok,
        "a yes to another visit cancels nothing: {another:?}"
    );
    assert!(!record(olga_record).deleted);
    let cancelled = cancel_booking(salon, zone, "79005554433", None, Some(olga_record))
        .await
        .unwrap();
    assert!(cancelled.ok, "{cancelled:?}");
    assert!(record(olga_record).deleted);
    let status: String = sqlx::query_scalar("SELECT status FROM bookings WHERE yclients_id = $1")
        .bind(olga_record as i32)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(status, "deleted");
    // Ivan's visit is untouched.
    assert!(!record(ivan.data["record_id"].as_i64().unwrap()).deleted);
}

#[tokio::test]
async fn the_bot_books_no_further_than_its_horizon_nor_more_upcoming_visits_than_allowed() {
    let fx = Fixture::new("Салон «Лимиты»").await;
    let (app, salon_id) = (&fx.app, fx.salon_id);
    let salon = fx.salon();
    let zone = chrono_tz::Europe::Moscow;
    let (master, free) = fx.free_haircuts_tomorrow().await;
    let staff = format!("к {}", master.name);
    let records = || {
        app.yclients
            .state
            .salon(i64::from(salon_id.get()))
            .unwrap()
            .records
            .iter()
            .filter(|r| {
                r.api_id
                    .as_deref()
                    .is_some_and(|id| id.starts_with("conversation-limits"))
            })
            .count()
    };
    let booker = Booker {
        phone: "79005557788".into(),
        name: "Нина".into(),
        max_upcoming: 1,
    };

    // 120 days ahead is past the 90-day horizon: a question, nothing booked.
    let far = (fx.today + Days::new(120)).format("%d.%m.%Y").to_string();
    let time = free[0].time.clone();
    let too_far = create_booking(
        salon,
        zone,
        &booker,
        Wanted {
            service: "мужскую стрижку",
            date: &far,
            time: &time,
            staff: Some(&staff),
        },
        "conversation-limits-0",
    )
    .await
    .unwrap();
    assert!(
        !too_far.ok && too_far.summary.contains("90 дней"),
        "{too_far:?}"
    );
    assert_eq!(records(), 0);

    // The first visit is booked; the second would be one more than allowed.
    let book = |time: String, api_id: &'static str| {
        let staff = staff.clone();
        let booker = booker.clone();
        async move {
            create_booking(
                salon,
                zone,
                &booker,
                Wanted {
                    service: "мужскую стрижку",
                    date: "завтра",
                    time: &time,
                    staff: Some(&staff),
                },
                api_id,
            )
            .await
            .unwrap()
        }
    };
    let first = book(free[0].time.clone(), "conversation-limits-1").await;
    assert!(first.ok, "{first:?}");
    let second = book(free[3].time.clone(), "conversation-limits-2").await;
    assert!(
        !second.ok && second.summary.contains("предстоящих"),
        "{second:?}"
    );
    assert_eq!(records(), 1, "one visit booked");
}

/// YClients lists which masters do each service; the sync keeps it, so a master named
/// for a service they do not do gets the client the names of those who do, and a
/// search for the service with them offers nothing of theirs.
#[tokio::test]
async fn a_master_who_does_not_do_the_service_names_those_who_do() {
    let mut fx = Fixture::new("Салон «Кто что делает»").await;
    let sim = fx.simulated();
    let haircut = sim
        .services
        .iter()
        .find(|s| s.title == "Стрижка мужская")
        .unwrap()
        .clone();
    let (barber, others) = sim.staff.split_first().unwrap();
    let other = sim
        .services
        .iter()
        .find(|s| s.id != haircut.id)
        .unwrap()
        .clone();
    // The first master does men's haircuts only; the others everything but them.
    let everything_else: Vec<i64> = sim
        .services
        .iter()
        .filter(|s| s.id != haircut.id)
        .map(|s| s.id)
        .collect();
    assert!(
        fx.app
            .yclients
            .state
            .update_salon(i64::from(fx.salon_id.get()), |salon| {
                for master in &mut salon.staff {
                    master.services = if master.id == barber.id {
                        vec![haircut.id]
                    } else {
                        everything_else.clone()
                    };
                }
            })
    );
    fx.app
        .sync(
            fx.salon_id,
            vec![ai_admin_activities::acts::sync::SyncPart::Services],
        )
        .await;
    fx.reload_catalog().await;
    let catalog = &fx.catalog;
    let listed = |id: i64| {
        catalog
            .staff
            .iter()
            .find(|m| m.yclients_id == id)
            .unwrap()
            .services
            .clone()
    };
    assert_eq!(listed(barber.id), [haircut.id]);
    assert!(!listed(others[0].id).contains(&haircut.id));

    let service = catalog
        .services
        .iter()
        .find(|s| s.yclients_id == other.id)
        .unwrap();
    let asked = ai_admin_activities::acts::conversation::lookup::find_staff_for(
        catalog,
        Some(&barber.name),
        service,
        "SEARCH_SLOTS",
    )
    .unwrap_err();
    assert!(
        asked.summary.contains("не делает") && asked.summary.contains(&others[0].name),
        "{}",
        asked.summary
    );
    let haircut_info = catalog
        .services
        .iter()
        .find(|s| s.yclients_id == haircut.id)
        .unwrap();
    let found = ai_admin_activities::acts::conversation::lookup::find_staff_for(
        catalog,
        Some(&barber.name),
        haircut_info,
        "SEARCH_SLOTS",
    )
    .unwrap();
    assert_eq!(found.map(|m| m.yclients_id), Some(barber.id));
}
