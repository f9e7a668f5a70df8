//! The `service_categories`, `services` and `staff_services` tables: the salon's price
//! list and who does what.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// A category as synced.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryRow {
    /// YClients id.
    pub yclients_id: i32,
    /// Name.
    pub title: String,
}

/// A service as synced.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceRow {
    /// YClients id.
    pub yclients_id: i32,
    /// Name.
    pub title: String,
    /// YClients category id.
    pub category_id: Option<i32>,
    /// Lowest price.
    pub price_min: Option<f64>,
    /// Highest price.
    pub price_max: Option<f64>,
    /// Minutes.
    pub duration_minutes: Option<i32>,
    /// Description.
    pub description: Option<String>,
    /// Offered.
    pub active: bool,
}

/// Upserts categories seen by the sync at `synced_at`.
pub async fn upsert_categories(
    db: impl PgExecutor<'_>,
    company_id: i64,
    rows: &[CategoryRow],
    synced_at: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let ids: Vec<i32> = rows.iter().map(|r| r.yclients_id).collect();
    let titles: Vec<&str> = rows.iter().map(|r| r.title.as_str()).collect();
    let result = sqlx::query(
        "INSERT INTO service_categories (company_id, yclients_id, title, active, last_synced_at)
         SELECT $1, r.id, r.title, true, $4
         FROM UNNEST($2::int[], $3::text[]) AS r(id, title)
         ON CONFLICT (company_id, yclients_id) DO UPDATE SET
             title = EXCLUDED.title, active = true,
             last_synced_at = EXCLUDED.last_synced_at, updated_at = NOW()",
    )
    .bind(company_id)
    .bind(&ids)
    .bind(&titles)
    .bind(synced_at)
    .execute(db)
    .await?;
    Ok(result.rows_affected())
}

/// Upserts services seen by the sync at `synced_at`.
pub async fn upsert_services(
    db: impl PgExecutor<'_>,
    company_id: i64,
    rows: &[ServiceRow],
    synced_at: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let ids: Vec<i32> = rows.iter().map(|r| r.yclients_id).collect();
    let titles: Vec<&str> = rows.iter().map(|r| r.title.as_str()).collect();
    let categories: Vec<Option<i32>> = rows.iter().map(|r| r.category_id).collect();
    let price_min: Vec<Option<f64>> = rows.iter().map(|r| r.price_min).collect();
    let price_max: Vec<Option<f64>> = rows.iter().map(|r| r.price_max).collect();
    let durations: Vec<Option<i32>> = rows.iter().map(|r| r.duration_minutes).collect();
    let descriptions: Vec<Option<&str>> = rows.iter().map(|r| r.description.as_deref()).collect();
    let active: Vec<bool> = rows.iter().map(|r| r.active).collect();
    let result = sqlx::query(
        "INSERT INTO services (company_id, yclients_id, title, category_id, price_min, price_max,
                               duration, description, active, last_synced_at)
         SELECT $1, r.id, r.title, r.category_id, r.price_min::numeric(10,2),
                r.price_max::numeric(10,2), r.duration, r.description, r.active, $10
         FROM UNNEST($2::int[], $3::text[], $4::int[], $5::float8[], $6::float8[], $7::int[],
                     $8::text[], $9::bool[])
              AS r(id, title, category_id, price_min, price_max, duration, description, active)
         ON CONFLICT (company_id, yclients_id) DO UPDATE SET
             title = EXCLUDED.title, category_id = EXCLUDED.category_id,
             price_min = EXCLUDED.price_min, price_max = EXCLUDED.price_max,
             duration = EXCLUDED.duration, description = EXCLUDED.description,
             active = EXCLUDED.active, last_synced_at = EXCLUDED.last_synced_at,
             updated_at = NOW()",
    )
    .bind(company_id)
    .bind(&ids)
    .bind(&titles)
    .bind(&categories)
    .bind(&price_min)
    .bind(&price_max)
    .bind(&durations)
    .bind(&descriptions)
    .bind(&active)
    .bind(synced_at)
    .execute(db)
    .await?;
    Ok(result.rows_affected())
}

/// Replaces who does each of `services` (service YClients id → its masters' ids) with
/// what YClients listed; services not given keep theirs.
pub async fn replace_staff_services(
    db: &sqlx::PgPool,
    company_id: i64,
    services: &[(i64, Vec<i64>)],
) -> anyhow::Result<u64> {
    let ids: Vec<i64> = services.iter().map(|(id, _)| *id).collect();
    let (service_ids, staff_ids): (Vec<i64>, Vec<i64>) = services
        .iter()
        .flat_map(|(service, staff)| staff.iter().map(move |m| (*service, *m)))
        .unzip();
    let mut tx = db.begin().await?;
    sqlx::query(
        "DELETE FROM staff_services WHERE company_id = $1 AND service_yclients_id = ANY($2)",
    )
    .bind(company_id)
    .bind(&ids)
    .execute(&mut *tx)
    .await?;
    let inserted = sqlx::query(
        "INSERT INTO staff_services (company_id, service_yclients_id, staff_yclients_id)
         SELECT $1, s, m FROM UNNEST($2::int8[], $3::int8[]) AS r(s, m)
         ON CONFLICT DO NOTHING",
    )
    .bind(company_id)
    .bind(&service_ids)
    .bind(&staff_ids)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(inserted)
}
