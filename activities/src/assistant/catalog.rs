//! What the assistant knows of a salon from the synced tables: its active services (with
//! category, prices, length), masters and synonyms, and the masters' working hours.
//! Read per turn, so a price changed in YClients is what the next answer says.

use sqlx::{PgPool, Row};

/// A bookable service.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceInfo {
    /// YClients id.
    pub yclients_id: i64,
    /// Name.
    pub title: String,
    /// Category name, when known.
    pub category: Option<String>,
    /// Lowest price, ₽.
    pub price_min: Option<f64>,
    /// Highest price, ₽.
    pub price_max: Option<f64>,
    /// Minutes.
    pub duration: Option<i32>,
    /// What it is, as the salon describes it.
    pub description: Option<String>,
}

impl ServiceInfo {
    /// «2000 ₽», «от 1500 до 2500 ₽», or «цена по запросу».
    pub fn price_text(&self) -> String {
        let rub = |v: f64| format!("{v:.0}");
        match (self.price_min, self.price_max) {
            (Some(min), Some(max)) if max > min => format!("от {} до {} ₽", rub(min), rub(max)),
            (Some(min), _) if min > 0.0 => format!("{} ₽", rub(min)),
            (_, Some(max)) if max > 0.0 => format!("{} ₽", rub(max)),
            _ => "цена по запросу".to_owned(),
        }
    }
}

/// A master.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffInfo {
    /// YClients id.
    pub yclients_id: i64,
    /// Full name.
    pub name: String,
    /// What they do.
    pub specialization: Option<String>,
    /// The services YClients lists them for (YClients ids).
    pub services: Vec<i64>,
}

/// A salon's services and masters.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Catalog {
    /// Active services by name.
    pub services: Vec<ServiceInfo>,
    /// Active masters by name.
    pub staff: Vec<StaffInfo>,
    /// How the salon's clients name its services.
    pub words: super::synonyms::Synonyms,
}

impl Catalog {
    /// Whether `master` does the service `service_id`: a service YClients lists no master
    /// for is taken as done by all.
    pub fn does(&self, master: &StaffInfo, service_id: i64) -> bool {
        master.services.contains(&service_id)
            || !self.staff.iter().any(|m| m.services.contains(&service_id))
    }

    /// The masters who do the service `service_id`.
    pub fn masters_for(&self, service_id: i64) -> Vec<&StaffInfo> {
        self.staff
            .iter()
            .filter(|m| self.does(m, service_id))
            .collect()
    }
}

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
    let words = crate::db::synonyms::load(db, company_id).await?;
    Ok(Catalog {
        services,
        staff,
        words,
    })
}

/// One master's working interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingHours {
    /// Day.
    pub date: chrono::NaiveDate,
    /// Start.
    pub from: chrono::NaiveTime,
    /// End.
    pub to: chrono::NaiveTime,
}

impl WorkingHours {
    /// «02.12 (среда) с 09:00 до 21:00».
    pub fn text(&self) -> String {
        format!(
            "{} с {} до {}",
            super::lookup::day_text(self.date),
            self.from.format("%H:%M"),
            self.to.format("%H:%M")
        )
    }
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
