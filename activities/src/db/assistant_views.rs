//! The synced tables as the assistant reads them each turn: the catalog (active
//! services, masters, synonyms) and the masters' working hours.

use crate::assistant::catalog::{Catalog, ServiceInfo, StaffInfo, WorkingHours};
use sqlx::{PgPool, Row};

/// Loads the catalog of `company_id` (our id).
pub async fn load(db: &PgPool, company_id: i64) -> anyhow::Result<Catalog> {
    let services = sqlx::query(
        "SELECT s.yclients_id::int8 AS id, s.title, c.title AS category,
                s.price_min::float8 AS price_min, s.price_max::float8 AS price_max, s.duration,
                NULLIF(BTRIM(s.description), '') AS description
         FROM services s
         LEFT JOIN service_categories c
                ON c.company_id = s.company_id AND c.yclients_id = s.category_id AND c.active
         WHERE s.company_id = $1 AND s.active
         ORDER BY s.title",
    )
    .bind(company_id)
    .fetch_all(db)
    .await?
    .iter()
    .map(|row| {
        Ok(ServiceInfo {
            yclients_id: row.try_get("id")?,
            title: row.try_get("title")?,
            category: row.try_get("category")?,
            price_min: row.try_get("price_min")?,
            price_max: row.try_get("price_max")?,
            duration: row.try_get("duration")?,
            description: row.try_get("description")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let staff = sqlx::query(
        "SELECT st.yclients_id::int8 AS id, st.name, st.specialization,
                COALESCE(ARRAY_AGG(ss.service_yclients_id)
                         FILTER (WHERE ss.service_yclients_id IS NOT NULL), '{}') AS services
         FROM staff st
         LEFT JOIN staff_services ss
                ON ss.company_id = st.company_id AND ss.staff_yclients_id = st.yclients_id
         WHERE st.company_id = $1 AND st.active
         GROUP BY st.id
         ORDER BY st.name",
    )
    .bind(company_id)
    .fetch_all(db)
    .await?
    .iter()
    .map(|row| {
        Ok(StaffInfo {
            yclients_id: row.try_get("id")?,
            name: row.try_get("name")?,
            specialization: row.try_get("specialization")?,
            services: row.try_get("services")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let words = super::synonyms::load(db, company_id).await?;
    Ok(Catalog {
        services,
        staff,
        words,
    })
}

/// The salon's working hours on the days `from..=to` (the earliest start and latest end
/// of its masters' schedules each day), in order; a day nobody works is left out.
pub async fn salon_hours(
    db: &PgPool,
    company_id: i64,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> anyhow::Result<Vec<WorkingHours>> {
    let rows: Vec<(chrono::NaiveDate, chrono::NaiveTime, chrono::NaiveTime)> = sqlx::query_as(
        "SELECT date, MIN(time_start), MAX(time_end) FROM schedules
         WHERE company_id = $1 AND available AND date BETWEEN $2 AND $3
         GROUP BY date ORDER BY date",
    )
    .bind(company_id)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(date, from, to)| WorkingHours { date, from, to })
        .collect())
}

/// The masters (YClients ids) working on `day`, by the synced schedules.
pub async fn working_on(
    db: &PgPool,
    company_id: i64,
    day: chrono::NaiveDate,
) -> anyhow::Result<Vec<i64>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT st.yclients_id::int8 FROM schedules sc
         JOIN staff st ON st.id = sc.staff_id
         WHERE sc.company_id = $1 AND sc.date = $2 AND sc.available AND st.active",
    )
    .bind(company_id)
    .bind(day)
    .fetch_all(db)
    .await?;
    Ok(ids)
}

/// The master's working hours on the days `from..=to`, in order.
pub async fn working_hours(
    db: &PgPool,
    company_id: i64,
    staff_yclients_id: i64,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> anyhow::Result<Vec<WorkingHours>> {
    let rows = sqlx::query(
        "SELECT sc.date, sc.time_start, sc.time_end FROM schedules sc
         JOIN staff st ON st.id = sc.staff_id
         WHERE sc.company_id = $1 AND st.yclients_id = $2 AND sc.available
           AND sc.date BETWEEN $3 AND $4
         ORDER BY sc.date, sc.time_start",
    )
    .bind(company_id)
    .bind(staff_yclients_id)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(WorkingHours {
                date: row.try_get("date")?,
                from: row.try_get("time_start")?,
                to: row.try_get("time_end")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}
