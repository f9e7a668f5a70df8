//! The read-only commands against a synced salon (real PostgreSQL, Temporal sync, the
//! YClients simulator over HTTP): prices by category, free times for an inflected
//! service name, a master's hours, and the questions asked when a name is unclear.

use crate::support::Fixture;
use ai_admin_activities::assistant::lookup::{self, day_text};
use chrono::Days;

#[tokio::test]
async fn prices_free_times_and_hours_come_from_the_synced_salon() {
    let fx = Fixture::new("Салон «Справка»").await;
    let catalog = &fx.catalog;
    assert_eq!((catalog.services.len(), catalog.staff.len()), (12, 4));
    let salon = fx.salon();

    // Prices of a category, by its inflected name.
    let prices = lookup::show_prices(catalog, Some("парикмахерских услуг"));
    assert!(prices.ok, "{prices:?}");
    assert!(
        prices.summary.contains("Стрижка мужская — "),
        "{}",
        prices.summary
    );
    assert!(!prices.summary.contains("Маникюр"), "{}", prices.summary);
    assert_eq!(
        lookup::show_prices(catalog, None)
            .data
            .as_array()
            .unwrap()
            .len(),
        12
    );

    // Free times tomorrow with a named master, for an inflected service name.
    let tomorrow = fx.today + Days::new(1);
    let (working, master) = fx.tomorrows_master();
    let slots = lookup::search_slots(
        salon,
        Some("мужскую стрижку"),
        Some("завтра"),
        None,
        Some(&format!("к {}", master.name)),
    )
    .await
    .unwrap();
    assert!(slots.ok, "{slots:?}");
    assert!(
        slots.summary.contains("Стрижка мужская"),
        "{}",
        slots.summary
    );
    assert!(
        slots.summary.contains(&day_text(tomorrow)),
        "{}",
        slots.summary
    );
    assert!(slots.summary.contains(&master.name), "{}", slots.summary);
    let first_free = working.from.format("%H:%M").to_string();
    let times = slots.data["times"].as_array().unwrap();
    assert!(!times.is_empty());
    assert!(
        times
            .iter()
            .all(|t| t.as_str().unwrap() >= first_free.as_str()),
        "{times:?}"
    );

    // Evening only.
    let evening = lookup::search_slots(
        salon,
        Some("мужскую стрижку"),
        Some("завтра"),
        Some("вечером"),
        None,
    )
    .await
    .unwrap();
    assert!(
        evening.data["times"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t.as_str().unwrap() >= "17:00"),
        "{evening:?}"
    );

    // Unclear or unknown names are questions, not failures.
    let which = lookup::search_slots(salon, Some("стрижку"), None, None, None)
        .await
        .unwrap();
    assert!(
        !which.ok && which.summary.contains("какую услугу"),
        "{which:?}"
    );
    let unknown = lookup::search_slots(salon, Some("татуировку"), None, None, None)
        .await
        .unwrap();
    assert!(
        !unknown.ok && unknown.summary.contains("нет"),
        "{unknown:?}"
    );
    // Half a name is not a master: a real first name with a surname nobody here has.
    let first_name = catalog.staff[0].name.split_whitespace().next().unwrap();
    let half = format!("к {first_name} Цеткиной");
    let nobody = lookup::search_slots(salon, Some("педикюр"), None, None, Some(&half))
        .await
        .unwrap();
    assert!(
        !nobody.ok && nobody.summary.contains("Наши мастера"),
        "{nobody:?}"
    );

    // A master's hours.
    let hours = lookup::staff_schedule(salon, &master.name, Some("завтра"))
        .await
        .unwrap();
    assert!(hours.ok, "{hours:?}");
    assert!(
        hours.summary.contains(&format!(
            "{} с {} до {}",
            day_text(tomorrow),
            working.from.format("%H:%M"),
            working.to.format("%H:%M")
        )),
        "{}",
        hours.summary
    );
}
