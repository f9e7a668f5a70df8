//! What a client usually books, from their past visits: the service, the master and the
//! time of day they come back for. «Как обычно», «к той же, что в прошлый раз» and a
//! generic «стрижка» in a salon of five haircuts are read with it, and free times are
//! offered around the usual hour.

use chrono::{DateTime, NaiveTime, Timelike as _, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;

/// One of a client's past visits.
#[derive(Debug, Clone, PartialEq)]
pub struct PastVisit {
    /// When it started; read in the salon's zone for the hour they usually come.
    pub datetime: DateTime<Utc>,
    /// The service (YClients id, name).
    pub service: Option<(i64, String)>,
    /// The master (YClients id, name).
    pub staff: Option<(i64, String)>,
}

/// Past visits read at most.
pub const VISITS_READ: i64 = 20;
/// Usual services told at most.
const TOLD: usize = 3;

/// One service the client comes back for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usual {
    /// The service's YClients id.
    pub service_id: i64,
    /// Its name.
    pub service: String,
    /// The master they see most for it (YClients id, name).
    pub staff: Option<(i64, String)>,
    /// The time they come most often (the latest visit's on a tie).
    pub time: NaiveTime,
    /// Visits of this service.
    pub visits: usize,
}

/// The most frequent of `values`; on a tie the one seen first (visits are newest first,
/// so the most recent habit wins).
fn most_common<T: Clone + Ord>(values: impl Iterator<Item = T>) -> Option<T> {
    let mut counts: BTreeMap<T, (usize, usize)> = BTreeMap::new();
    for (order, value) in values.enumerate() {
        let entry = counts.entry(value).or_insert((0, order));
        entry.0 += 1;
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.0.cmp(&b.1.0).then(b.1.1.cmp(&a.1.1)))
        .map(|(value, _)| value)
}

/// The client's usual services from `past` (newest first), most visited first.
pub fn usual(past: &[PastVisit], zone: Tz) -> Vec<Usual> {
    let mut by_service: Vec<(i64, String, Vec<&PastVisit>)> = Vec::new();
    for visit in past {
        let Some((id, name)) = &visit.service else {
            continue;
        };
        match by_service.iter_mut().find(|(sid, _, _)| sid == id) {
            Some((_, _, visits)) => visits.push(visit),
            None => by_service.push((*id, name.clone(), vec![visit])),
        }
    }
    let mut usual: Vec<Usual> = by_service
        .into_iter()
        .filter_map(|(service_id, service, visits)| {
            let time = most_common(visits.iter().map(|v| {
                let local = v.datetime.with_timezone(&zone).time();
                NaiveTime::from_hms_opt(local.hour(), local.minute(), 0).unwrap_or(local)
            }))?;
            Some(Usual {
                service_id,
                service,
                staff: most_common(visits.iter().filter_map(|v| v.staff.clone())),
                time,
                visits: visits.len(),
            })
        })
        .collect();
    // Stable: among equals, the service visited most recently stays first.
    usual.sort_by_key(|u| std::cmp::Reverse(u.visits));
    usual
}

/// For the prompts: «Стрижка мужская» у мастера Дмитрий Волков, обычно в 18:00 (2 визита).
pub fn text(usual: &[Usual]) -> String {
    if usual.is_empty() {
        return "нет".to_owned();
    }
    usual
        .iter()
        .take(TOLD)
        .map(|u| {
            let master = u
                .staff
                .as_ref()
                .map(|(_, name)| format!(" у мастера {name}"))
                .unwrap_or_default();
            format!(
                "«{}»{master}, обычно в {} ({})",
                u.service,
                u.time.format("%H:%M"),
                visits_word(u.visits)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn visits_word(n: usize) -> String {
    let word = match (n % 10, n % 100) {
        (1, 11) | (2..=4, 12..=14) | (0 | 5..=9, _) => "визитов",
        (1, _) => "визит",
        _ => "визита",
    };
    format!("{n} {word}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone as _, Utc};

    fn visit(day: u32, hour: u32, service: (i64, &str), staff: (i64, &str)) -> PastVisit {
        PastVisit {
            // Moscow is UTC+3.
            datetime: Utc.with_ymd_and_hms(2026, 11, day, hour - 3, 0, 0).unwrap(),
            service: Some((service.0, service.1.to_owned())),
            staff: Some((staff.0, staff.1.to_owned())),
        }
    }

    #[test]
    fn the_usual_service_master_and_hour_come_from_the_most_visits() {
        let men = (1, "Стрижка мужская");
        let beard = (2, "Моделирование бороды");
        let dmitry = (10, "Дмитрий Волков");
        let pavel = (11, "Павел Орлов");
        let past = [
            visit(28, 18, men, dmitry),
            visit(20, 12, beard, pavel),
            visit(14, 18, men, dmitry),
            visit(7, 11, men, pavel),
        ];
        let usual = usual(&past, chrono_tz::Europe::Moscow);
        assert_eq!(usual.len(), 2);
        assert_eq!(usual[0].service_id, 1);
        assert_eq!(usual[0].staff, Some((10, "Дмитрий Волков".to_owned())));
        assert_eq!(usual[0].time, NaiveTime::from_hms_opt(18, 0, 0).unwrap());
        assert_eq!(usual[0].visits, 3);
        assert_eq!(
            text(&usual),
            "«Стрижка мужская» у мастера Дмитрий Волков, обычно в 18:00 (3 визита); «Моделирование бороды» у мастера Павел Орлов, обычно в 12:00 (1 визит)"
        );
        assert_eq!(text(&[]), "нет");
        assert_eq!(visits_word(5), "5 визитов");
        assert_eq!(visits_word(21), "21 визит");
        assert_eq!(visits_word(12), "12 визитов");
    }
}
