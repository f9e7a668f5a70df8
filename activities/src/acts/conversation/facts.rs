//! What stage 2 is told about the salon and the client besides the commands' results:
//! the address, phone, e-mail and working hours (the masters' schedules for the next
//! days), the client's upcoming visits, and the services the conversation is about with
//! their price and duration — so «где вы?», «до скольки работаете?», «сколько длится
//! окрашивание?» and «мои записи» are answered from facts, never invented.

use super::context::SalonContext;
use crate::assistant::catalog::{self, ServiceInfo};
use crate::assistant::dates::day_text;
use crate::assistant::matching::{negates, share_named};
use crate::assistant::usual;
use crate::db::bookings;
use anyhow::Context as _;
use chrono::Days;
use sqlx::PgPool;

/// Upcoming visits told at most.
const VISITS_TOLD: i64 = 5;
/// Services the conversation is about, told at most.
const SERVICES_TOLD: usize = 5;
/// Masters named per service at most.
const MASTERS_TOLD: usize = 5;
/// Days of working hours told.
const HOURS_DAYS: u64 = 7;
/// What stage 2 is told when a fact is not known.
const UNKNOWN: &str = "неизвестно";

/// The facts, as the prompt's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// `DD.MM.YYYY`.
    pub today: String,
    /// Today's weekday.
    pub weekday: String,
    /// The salon's address.
    pub address: String,
    /// Its phone.
    pub phone: String,
    /// Its e-mail.
    pub email: String,
    /// «02.12 (среда) с 09:00 до 21:00; …».
    pub hours: String,
    /// The client's upcoming visits.
    pub bookings: String,
    /// New, or regular and what they usually book.
    pub client: String,
    /// «- Title — price, duration» lines.
    pub services: String,
}

/// The client's upcoming visits as the prompts list them: «№ 123 — «Стрижка» 02.12
/// (среда) в 15:00, мастер Анна Смирнова; …», or «нет».
pub async fn visits_text(db: &PgPool, salon: &SalonContext, phone: &str) -> anyhow::Result<String> {
    let visits = bookings::upcoming_for_phone(db, salon.company_id, phone, VISITS_TOLD).await?;
    if visits.is_empty() {
        return Ok("нет".to_owned());
    }
    Ok(visits
        .iter()
        .map(|v| {
            let local = v.datetime.with_timezone(&salon.zone);
            format!(
                "№ {} — «{}» {} в {}{}",
                v.yclients_id,
                v.service.as_deref().unwrap_or("визит"),
                day_text(local.date_naive()),
                local.format("%H:%M"),
                v.staff
                    .as_deref()
                    .map(|s| format!(", мастер {s}"))
                    .unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("; "))
}

/// «новый клиент», or «постоянный клиент: «Стрижка мужская» у мастера …, обычно в 18:00
/// (3 визита)».
pub async fn client_text(db: &PgPool, salon: &SalonContext, phone: &str) -> anyhow::Result<String> {
    let past = bookings::past_for_phone(db, salon.company_id, phone, usual::VISITS_READ).await?;
    Ok(if past.is_empty() {
        "новый клиент (прошлых визитов нет)".to_owned()
    } else {
        format!(
            "постоянный клиент: {}",
            usual::text(&usual::usual(&past, salon.zone))
        )
    })
}

/// «90 мин (1,5 часа)».
pub fn duration_text(minutes: i32) -> String {
    let hours = |h: i32| match h {
        1 => "1 час".to_owned(),
        2..=4 => format!("{h} часа"),
        _ => format!("{h} часов"),
    };
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} мин"),
        (h, 0) => format!("{minutes} мин ({})", hours(h)),
        (h, 30) => format!("{minutes} мин ({h},5 часа)"),
        (h, m) => format!("{minutes} мин ({h} ч {m} мин)"),
    }
}

fn service_line(service: &ServiceInfo) -> String {
    let duration = service
        .duration
        .filter(|m| *m > 0)
        .map(|m| format!(", {}", duration_text(m)))
        .unwrap_or_default();
    let about = service
        .description
        .as_deref()
        .map(|d| format!(" — {d}"))
        .unwrap_or_default();
    format!(
        "- {} — {}{duration}{about}",
        service.title,
        service.price_text()
    )
}

/// The services the client's `said` words and the conversation's `recent` turns are
/// about, best first (named now and before, then named now): half of a service's name
/// must be there.
pub fn services_named<'c>(
    salon: &'c SalonContext,
    said: &[&str],
    recent: &[&str],
) -> Vec<&'c ServiceInfo> {
    // A service that says «без» what the client asks for is the opposite of it.
    let best = |title: &str, texts: &[&str]| {
        texts
            .iter()
            .map(|text| {
                let share = share_named(title, text, &salon.catalog.words);
                if negates(title, text, &salon.catalog.words) {
                    share * 0.5
                } else {
                    share
                }
            })
            .fold(0.0, f64::max)
    };
    let mut named: Vec<(f64, f64, &ServiceInfo)> = salon
        .catalog
        .services
        .iter()
        .map(|s| (best(&s.title, said), best(&s.title, recent), s))
        .filter(|(now, before, _)| now.max(*before) >= 0.5)
        .collect();
    // What the message names, read with what the conversation was about: «а с покрытием
    // сколько длится?» after manicure is the manicure with coating, not «Снятие покрытия».
    named.sort_by(|a, b| {
        (b.0 + b.1)
            .total_cmp(&(a.0 + a.1))
            .then(b.0.total_cmp(&a.0))
    });
    named
        .into_iter()
        .take(SERVICES_TOLD)
        .map(|(_, _, s)| s)
        .collect()
}

impl Facts {
    /// The facts for a turn of `phone`: the client `said` that, after `recent` turns.
    pub async fn load(
        db: &PgPool,
        salon: &SalonContext,
        phone: &str,
        said: &[&str],
        recent: &[&str],
    ) -> anyhow::Result<Facts> {
        let (address, salon_phone, email): (Option<String>, Option<String>, Option<String>) =
            sqlx::query_as("SELECT address, phone, email FROM companies WHERE id = $1")
                .bind(salon.company_id)
                .fetch_one(db)
                .await
                .context("Failed to read the salon's contacts")?;
        let last = salon.today + Days::new(HOURS_DAYS - 1);
        let hours =
            crate::db::assistant_views::salon_hours(db, salon.company_id, salon.today, last)
                .await?;
        let hours = if hours.is_empty() {
            UNKNOWN.to_owned()
        } else {
            hours
                .iter()
                .map(catalog::WorkingHours::text)
                .collect::<Vec<_>>()
                .join("; ")
        };
        let named = services_named(salon, said, recent);
        let services = if named.is_empty() {
            "нет".to_owned()
        } else {
            named
                .iter()
                .map(|s| {
                    let masters: Vec<&str> = salon
                        .catalog
                        .masters_for(s.yclients_id)
                        .iter()
                        .take(MASTERS_TOLD)
                        .map(|m| m.name.as_str())
                        .collect();
                    if masters.is_empty() || masters.len() == salon.catalog.staff.len() {
                        service_line(s)
                    } else {
                        format!("{}; мастера: {}", service_line(s), masters.join(", "))
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let known = |value: Option<String>| {
            value
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| UNKNOWN.to_owned())
        };
        Ok(Facts {
            today: salon.today.format("%d.%m.%Y").to_string(),
            weekday: crate::assistant::dates::weekday_name(chrono::Datelike::weekday(&salon.today))
                .to_owned(),
            address: known(address),
            phone: known(salon_phone),
            email: known(email),
            hours,
            bookings: visits_text(db, salon, phone).await?,
            client: client_text(db, salon, phone).await?,
            services,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration_text(30), "30 мин");
        assert_eq!(duration_text(60), "60 мин (1 час)");
        assert_eq!(duration_text(90), "90 мин (1,5 часа)");
        assert_eq!(duration_text(120), "120 мин (2 часа)");
        assert_eq!(duration_text(75), "75 мин (1 ч 15 мин)");
        assert_eq!(duration_text(150), "150 мин (2,5 часа)");
    }

    fn salon(titles: &[&str]) -> SalonContext {
        SalonContext {
            company_id: 1,
            title: "Салон".into(),
            zone: chrono_tz::Europe::Moscow,
            today: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            now: chrono::NaiveTime::MIN,
            catalog: catalog::Catalog {
                services: titles
                    .iter()
                    .enumerate()
                    .map(|(i, title)| ServiceInfo {
                        yclients_id: i as i64,
                        title: (*title).to_owned(),
                        category: None,
                        price_min: Some(1000.0),
                        price_max: None,
                        duration: Some(60),
                        description: Some("что это".into()),
                    })
                    .collect(),
                staff: Vec::new(),
                words: crate::assistant::synonyms::Synonyms::common(),
            },
        }
    }

    #[test]
    fn a_follow_up_question_is_about_the_service_of_the_conversation() {
        let salon = salon(&[
            "Снятие покрытия",
            "Маникюр с покрытием гель-лак",
            "Маникюр без покрытия",
            "Педикюр",
        ]);
        let titles = |said: &str, recent: &[&str]| -> Vec<String> {
            services_named(&salon, &[said], recent)
                .iter()
                .map(|s| s.title.clone())
                .collect()
        };
        let named = titles(
            "а с покрытием сколько делается",
            &[
                "Цены: Маникюр с покрытием гель-лак — 2200 ₽.",
                "почем маник",
            ],
        );
        assert_eq!(
            named.first().map(String::as_str),
            Some("Маникюр с покрытием гель-лак")
        );
        assert_eq!(
            titles("а педикюр?", &["маникюр с покрытием гель-лак"])[0],
            "Педикюр"
        );
        assert!(service_line(&salon.catalog.services[3]).ends_with("— что это"));
    }
}
