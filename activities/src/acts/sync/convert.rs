//! YClients' shapes to table rows: ids to the `INTEGER` columns, seconds to minutes,
//! phones to digits, local times to instants in the salon's time zone. Items that cannot
//! be stored (an id beyond `INTEGER`) are skipped with a warning rather than failing
//! the whole sync.

use crate::clients::yclients::{Client, Record, Service, ServiceCategory, Staff, StaffDay};
use crate::db::bookings::{self, BookingRow};
use crate::db::catalog::{CategoryRow, ServiceRow};
use crate::db::clients::ClientRow;
use crate::db::schedules::IntervalRow;
use crate::db::staff::StaffRow;
use crate::domain::PhoneNumber;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

fn id(value: i64, what: &str) -> Option<i32> {
    let converted = i32::try_from(value).ok();
    if converted.is_none() {
        tracing::warn!(value, what, "skipping an item whose id does not fit");
    }
    converted
}

/// A category row.
pub fn category(category: &ServiceCategory) -> Option<CategoryRow> {
    Some(CategoryRow {
        yclients_id: id(category.id, "category")?,
        title: category.title.clone(),
    })
}

/// A service row (YClients counts duration in seconds; the table in minutes).
pub fn service(service: &Service) -> Option<ServiceRow> {
    Some(ServiceRow {
        yclients_id: id(service.id, "service")?,
        title: service.title.clone(),
        category_id: service.category_id.and_then(|c| i32::try_from(c).ok()),
        price_min: service.price_min,
        price_max: service.price_max.or(service.price_min),
        duration_minutes: service
            .duration
            .and_then(|seconds| i32::try_from(seconds / 60).ok()),
        description: service.comment.clone(),
        active: service.active,
    })
}

/// A master row; a fired master is inactive.
pub fn staff(staff: &Staff) -> Option<StaffRow> {
    Some(StaffRow {
        yclients_id: id(staff.id, "staff")?,
        name: staff.name.clone(),
        specialization: staff.specialization.clone(),
        avatar_url: staff.avatar.clone(),
        rating: staff.rating.map(|r| r.clamp(0.0, 9.99)),
        active: !staff.fired,
    })
}

/// Digits of a phone when it is one; the raw text otherwise (kept for the record).
pub fn phone(raw: &str) -> String {
    PhoneNumber::parse(raw).map_or_else(|_| raw.to_owned(), |phone| phone.to_string())
}

/// A local `YYYY-MM-DD HH:MM:SS` (or RFC 3339) time as an instant.
pub fn instant(text: &str, zone: Tz) -> Option<DateTime<Utc>> {
    if let Ok(with_offset) = DateTime::parse_from_rfc3339(text) {
        return Some(with_offset.with_timezone(&Utc));
    }
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map(|day| day.and_time(NaiveTime::MIN))
        })
        .ok()?;
    zone.from_local_datetime(&local)
        .earliest()
        .map(|at| at.with_timezone(&Utc))
}

/// A client row.
pub fn client(client: &Client, zone: Tz) -> Option<ClientRow> {
    Some(ClientRow {
        yclients_id: id(client.id, "client")?,
        name: client.name.clone(),
        phone: client.phone.as_deref().map(phone),
        email: client.email.clone(),
        visit_count: client
            .visits
            .and_then(|v| i32::try_from(v).ok())
            .unwrap_or(0),
        last_visit_date: client
            .last_visit_date
            .as_deref()
            .and_then(|text| instant(text, zone)),
    })
}

/// The working intervals of a master's day.
pub fn intervals(day: &StaffDay) -> Vec<IntervalRow> {
    let (Some(staff), Ok(date)) = (
        id(day.staff_id, "staff"),
        NaiveDate::parse_from_str(&day.date, "%Y-%m-%d"),
    ) else {
        return Vec::new();
    };
    day.slots
        .iter()
        .filter_map(|slot| {
            let start = NaiveTime::parse_from_str(&slot.from, "%H:%M").ok()?;
            let end = NaiveTime::parse_from_str(&slot.to, "%H:%M").ok()?;
            (start < end).then_some(IntervalRow {
                staff_yclients_id: staff,
                date,
                time_start: start,
                time_end: end,
            })
        })
        .collect()
}

/// A booking row.
pub fn booking(record: &Record, zone: Tz) -> Option<BookingRow> {
    Some(BookingRow {
        yclients_id: id(record.id, "record")?,
        client_yclients_id: record
            .client
            .as_ref()
            .and_then(|c| i32::try_from(c.id).ok()),
        staff_yclients_id: record.staff_id.and_then(|s| i32::try_from(s).ok()),
        service_yclients_id: record
            .services
            .first()
            .and_then(|s| i32::try_from(s.id).ok()),
        datetime: instant(&record.datetime, zone)?,
        status: bookings::status_of(record.attendance, record.deleted).to_owned(),
        comment: record.comment.clone(),
        duration_seconds: record.seance_length.and_then(|s| i32::try_from(s).ok()),
        attendance: record.attendance.and_then(|a| i32::try_from(a).ok()),
        api_id: record.api_id.clone(),
    })
}

/// Keeps the last item of each key: YClients pages may repeat an item, and one upsert
/// statement must not touch a row twice.
pub fn dedup_by_key<T, K: std::hash::Hash + Eq>(rows: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut seen = std::collections::HashSet::new();
    let mut kept: Vec<T> = rows
        .into_iter()
        .rev()
        .filter(|row| seen.insert(key(row)))
        .collect();
    kept.reverse();
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_become_instants_in_the_salon_zone() {
        let zone: Tz = "Europe/Moscow".parse().unwrap();
        let at = instant("2026-11-27 10:00:00", zone).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-11-27T07:00:00+00:00");
        let at = instant("2026-11-27T10:00:00+05:00", zone).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-11-27T05:00:00+00:00");
        assert!(instant("yesterday", zone).is_none());
    }

    #[test]
    fn services_convert_seconds_to_minutes() {
        let service = Service {
            id: 7,
            title: "Стрижка".into(),
            category_id: Some(1),
            price_min: Some(1200.0),
            price_max: None,
            duration: Some(3600),
            comment: None,
            active: true,
            staff: vec![],
        };
        let row = super::service(&service).unwrap();
        assert_eq!(row.duration_minutes, Some(60));
        assert_eq!(row.price_max, Some(1200.0));
    }

    #[test]
    fn dedup_keeps_the_last_occurrence_in_order() {
        let rows = vec![(1, "a"), (2, "b"), (1, "c")];
        assert_eq!(dedup_by_key(rows, |r| r.0), vec![(2, "b"), (1, "c")]);
    }
}
