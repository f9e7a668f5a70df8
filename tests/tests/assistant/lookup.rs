//! The read-only commands against a synced salon (real PostgreSQL, Temporal sync, the
//! YClients simulator over HTTP): prices by category, free times for an inflected
//! service name, a master's hours, the questions asked when a name is unclear, who is
//! free when for any master, and the salon's own synonyms.

use crate::support::Fixture;
use ai_admin_activities::acts::conversation::lookup;
use ai_admin_activities::assistant::dates::day_text;
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

#[tokio::test]
async fn any_master_is_answered_with_who_is_free_when() {
    let fx = Fixture::new("Салон «Любой мастер»").await;
    let tomorrow = fx.today + Days::new(1);
    let working: Vec<i64> = fx
        .simulated()
        .schedules
        .iter()
        .filter(|d| d.date == tomorrow)
        .map(|d| d.staff_id)
        .collect();
    let working_doing = |service_id| {
        fx.catalog
            .masters_for(service_id)
            .into_iter()
            .filter(|m| working.contains(&m.yclients_id))
            .collect::<Vec<_>>()
    };
    let service = fx
        .catalog
        .services
        .iter()
        .find(|s| working_doing(s.yclients_id).len() >= 2)
        .expect("the demo salon has a service two of tomorrow's masters do");
    let names: Vec<&str> = working_doing(service.yclients_id)
        .iter()
        .map(|m| m.name.as_str())
        .collect();

    let slots = lookup::search_slots(fx.salon(), Some(&service.title), Some("завтра"), None, None)
        .await
        .unwrap();

    assert!(slots.ok, "{slots:?}");
    // Everyone, or examples when more masters work than are asked.
    let partial = slots.data["by_master_partial"].as_bool().unwrap();
    let lead = if partial {
        "Например: "
    } else {
        "Кто свободен: "
    };
    assert!(slots.summary.contains(lead), "{}", slots.summary);
    assert_eq!(partial, names.len() > 3, "{}", slots.summary);
    let any: Vec<&str> = slots.data["times"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    let by_master = slots.data["by_master"].as_array().unwrap();
    assert!(by_master.len() >= 2, "{by_master:?}");
    for entry in by_master {
        let name = entry["staff"].as_str().unwrap();
        assert!(names.contains(&name), "{name} does not work tomorrow");
        assert!(slots.summary.contains(name), "{}", slots.summary);
        let times = entry["times"].as_array().unwrap();
        assert!((1..=4).contains(&times.len()), "{times:?}");
        // A master's free time is a free time for any master.
        assert!(
            times.iter().all(|t| any.contains(&t.as_str().unwrap())),
            "{times:?} not in {any:?}"
        );
    }

    // A master named: their times only, no list of others.
    let named = lookup::search_slots(
        fx.salon(),
        Some(&service.title),
        Some("завтра"),
        None,
        Some(&format!("к {}", names[0])),
    )
    .await
    .unwrap();
    assert!(named.ok, "{named:?}");
    assert!(
        named.data["by_master"].as_array().unwrap().is_empty(),
        "{named:?}"
    );
    assert!(!named.summary.contains("Кто свободен"), "{}", named.summary);
    assert!(!named.summary.contains("Например"), "{}", named.summary);
}

#[tokio::test]
async fn a_salons_synonyms_are_seeded_once_kept_as_the_owner_left_them_and_used() {
    use ai_admin_activities::assistant::synonyms::COMMON;
    let mut fx = Fixture::new("Салон «Свои слова»").await;
    let (db, company_id) = (fx.app.db.clone(), fx.company_id);
    let rows = move |origin: &'static str| {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM service_synonyms
                 WHERE company_id = $1 AND origin = $2 AND NOT removed",
            )
            .bind(company_id)
            .bind(origin)
            .fetch_one(&db)
            .await
            .unwrap()
        }
    };
    // The sync seeded the common words.
    assert_eq!(rows("common").await as usize, COMMON.len());

    // The owner adds a word of their own and removes a common one.
    sqlx::query(
        "INSERT INTO service_synonyms (company_id, said, stands_for, origin)
         VALUES ($1, 'ботокс', 'стрижка мужская', 'owner')",
    )
    .bind(company_id)
    .execute(&fx.app.db)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE service_synonyms SET removed = TRUE WHERE company_id = $1 AND said = 'шеллак'",
    )
    .bind(company_id)
    .execute(&fx.app.db)
    .await
    .unwrap();

    // The owner rewords a common one; another common one is stale (an older release's
    // wording, untouched by the owner).
    sqlx::query(
        "UPDATE service_synonyms SET stands_for = 'педикюр', origin = 'owner'
         WHERE company_id = $1 AND said = 'маник'",
    )
    .bind(company_id)
    .execute(&fx.app.db)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE service_synonyms SET stands_for = 'что-то старое'
         WHERE company_id = $1 AND said = 'покрас'",
    )
    .bind(company_id)
    .execute(&fx.app.db)
    .await
    .unwrap();

    // The next sync's seeding brings nothing back, keeps the owner's wording and
    // refreshes the stale common row.
    fx.app.sync(fx.salon_id, Vec::new()).await;
    assert_eq!(rows("common").await as usize, COMMON.len() - 2);
    assert_eq!(rows("owner").await, 2);
    let stands_for = |said: &'static str| {
        let db = fx.app.db.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT stands_for FROM service_synonyms WHERE company_id = $1 AND said = $2",
            )
            .bind(company_id)
            .bind(said)
            .fetch_one(&db)
            .await
            .unwrap()
        }
    };
    assert_eq!(stands_for("маник").await, "педикюр");
    assert_eq!(stands_for("покрас").await, "окрашивание");

    fx.reload_catalog().await;
    assert_eq!(fx.catalog.words.listed("шеллаком"), None);
    assert_eq!(fx.catalog.words.listed("ботоксом"), Some("стрижка мужская"));
    let slots = lookup::search_slots(fx.salon(), Some("на ботокс"), Some("завтра"), None, None)
        .await
        .unwrap();
    assert!(slots.ok, "{slots:?}");
    assert!(
        slots.summary.contains("«Стрижка мужская»"),
        "{}",
        slots.summary
    );
}
