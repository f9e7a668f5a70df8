//! What of the salon's catalog stage 1 is shown. A salon of a dozen services gets them
//! all; a salon of hundreds gets the services and masters that the turn's words, the
//! conversation and the client's visits touch, and its category list — so the prompt
//! stays the same size whatever the salon's size. Stage 1 writes names in the client's
//! words and the product's own matching finds them in the whole catalog, so a service
//! not listed can still be booked.

use crate::assistant::catalog::{Catalog, ServiceInfo, StaffInfo};
use crate::assistant::matching::share_named;
use crate::assistant::synonyms::Synonyms;
use std::collections::BTreeMap;

/// A catalog up to this many services is listed whole.
pub const SERVICES_LISTED: usize = 40;
/// Services listed at most for a larger salon.
pub const RELEVANT_SERVICES: usize = 20;
/// Masters up to this many are listed whole.
pub const STAFF_LISTED: usize = 15;
/// Masters listed at most for a larger team.
pub const RELEVANT_STAFF: usize = 10;

/// The two lists for stage 1's prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortlist {
    /// «- Title — price» lines, and for a large salon what was left out.
    pub services: String,
    /// «- Name (what they do)» lines, likewise.
    pub staff: String,
}

/// How much `texts` (the turn's and the conversation's words, newest first) touch `name`:
/// the best share of its words any of them has, the newest text winning ties.
fn touched(name: &str, texts: &[&str], words: &Synonyms) -> f64 {
    texts
        .iter()
        .enumerate()
        .map(|(age, text)| share_named(name, text, words) - age as f64 * 0.01)
        .fold(0.0, f64::max)
}

/// The items `texts` touch most, best first, `limit` at most.
fn most_touched<'c, T>(
    items: &'c [T],
    name: impl Fn(&T) -> &str,
    texts: &[&str],
    words: &Synonyms,
    limit: usize,
) -> Vec<&'c T> {
    let mut touched_items: Vec<(f64, &T)> = items
        .iter()
        .map(|item| (touched(name(item), texts, words), item))
        .filter(|(share, _)| *share > 0.0)
        .collect();
    touched_items.sort_by(|a, b| b.0.total_cmp(&a.0));
    touched_items
        .into_iter()
        .take(limit)
        .map(|(_, item)| item)
        .collect()
}

fn service_line(service: &ServiceInfo) -> String {
    format!("- {} — {}", service.title, service.price_text())
}

fn staff_line(master: &StaffInfo) -> String {
    match &master.specialization {
        Some(what) => format!("- {} ({what})", master.name),
        None => format!("- {}", master.name),
    }
}

/// The categories with their number of services: «Стрижки (80), Маникюр (45)».
fn categories(services: &[ServiceInfo]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for service in services {
        *counts
            .entry(service.category.as_deref().unwrap_or("Другое"))
            .or_default() += 1;
    }
    counts
        .iter()
        .map(|(name, count)| format!("{name} ({count})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The lists for a turn whose words and context are `texts`, newest first.
pub fn shortlist(catalog: &Catalog, texts: &[&str]) -> Shortlist {
    let services = if catalog.services.len() <= SERVICES_LISTED {
        catalog
            .services
            .iter()
            .map(service_line)
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        let shown = most_touched(
            &catalog.services,
            |s| s.title.as_str(),
            texts,
            &catalog.words,
            RELEVANT_SERVICES,
        );
        let mut lines: Vec<String> = shown.iter().map(|s| service_line(s)).collect();
        lines.push(format!(
            "(Это услуги, похожие на слова разговора, — {} из {}. Все категории: {}. Другую услугу пиши словами клиента — система найдёт её сама.)",
            shown.len(),
            catalog.services.len(),
            categories(&catalog.services)
        ));
        lines.join("\n")
    };
    let staff = if catalog.staff.len() <= STAFF_LISTED {
        catalog
            .staff
            .iter()
            .map(staff_line)
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        let shown = most_touched(
            &catalog.staff,
            |m| m.name.as_str(),
            texts,
            &Synonyms::default(),
            RELEVANT_STAFF,
        );
        let mut lines: Vec<String> = shown.iter().map(|m| staff_line(m)).collect();
        lines.push(format!(
            "(Мастеров в салоне {}; здесь те, кого называли. Другого мастера пиши как назвал клиент — система найдёт.)",
            catalog.staff.len()
        ));
        lines.join("\n")
    };
    Shortlist { services, staff }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(id: i64, title: &str, category: &str) -> ServiceInfo {
        ServiceInfo {
            yclients_id: id,
            title: title.to_owned(),
            category: Some(category.to_owned()),
            price_min: Some(1000.0),
            price_max: None,
            duration: Some(60),
            description: None,
        }
    }

    fn large() -> Catalog {
        let mut services = Vec::new();
        for n in 0..100 {
            services.push(service(
                n,
                &format!("Окрашивание волос вариант {n}"),
                "Окрашивание",
            ));
            services.push(service(
                100 + n,
                &format!("Педикюр аппаратный {n}"),
                "Ногти",
            ));
            services.push(service(200 + n, &format!("Массаж спины {n}"), "Массаж"));
        }
        services.push(service(900, "Стрижка мужская", "Стрижки"));
        services.push(service(901, "Стрижка женская", "Стрижки"));
        let staff = (0..50)
            .map(|n| StaffInfo {
                yclients_id: n,
                name: format!("Мастер{n} Фамилия{n}"),
                specialization: None,
                services: vec![],
            })
            .chain([StaffInfo {
                yclients_id: 99,
                name: "Анна Смирнова".into(),
                specialization: Some("парикмахер".into()),
                services: vec![],
            }])
            .collect();
        Catalog {
            services,
            staff,
            words: Synonyms::common(),
        }
    }

    #[test]
    fn a_small_salon_is_listed_whole() {
        let catalog = Catalog {
            services: vec![
                service(1, "Стрижка мужская", "Стрижки"),
                service(2, "Маникюр", "Ногти"),
            ],
            staff: vec![],
            words: Synonyms::common(),
        };
        let list = shortlist(&catalog, &["привет"]);
        assert_eq!(
            list.services,
            "- Стрижка мужская — 1000 ₽\n- Маникюр — 1000 ₽"
        );
    }

    #[test]
    fn a_large_salon_shows_what_the_conversation_touches_and_its_categories() {
        let list = shortlist(&large(), &["хочу на стрижку к Анне", "добрый день"]);
        assert!(
            list.services.contains("Стрижка мужская"),
            "{}",
            list.services
        );
        assert!(list.services.contains("Стрижка женская"));
        assert!(!list.services.contains("Массаж спины"), "{}", list.services);
        assert!(list.services.contains("Массаж (100)"), "{}", list.services);
        assert!(list.staff.contains("Анна Смирнова"), "{}", list.staff);
        assert!(list.staff.contains("Мастеров в салоне 51"));
        assert!(!list.staff.contains("Мастер7 "));
        // Bounded whatever the words: a generic word touching a hundred services.
        let many = shortlist(&large(), &["массаж"]);
        assert_eq!(many.services.matches("\n- ").count() + 1, RELEVANT_SERVICES);
        // A service named in passing is found among hundreds.
        let nails = shortlist(&large(), &["сделать педикюр"]);
        assert!(nails.services.contains("Педикюр аппаратный"));
    }
}
