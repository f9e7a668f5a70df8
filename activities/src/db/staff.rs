//! The `staff` table: the salon's masters.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// A master as synced.
#[derive(Debug, Clone, PartialEq)]
pub struct StaffRow {
    /// YClients id.
    pub yclients_id: i32,
    /// Name.
    pub name: String,
    /// What they do.
    pub specialization: Option<String>,
    /// Photo URL.
    pub avatar_url: Option<String>,
    /// 0–5.
    pub rating: Option<f64>,
    /// Still works there.
    pub active: bool,
}

/// Upserts masters seen by the sync at `synced_at`.
pub async fn upsert(
    db: impl PgExecutor<'_>,
    company_id: i64,
    rows: &[StaffRow],
    synced_at: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let ids: Vec<i32> = rows.iter().map(|r| r.yclients_id).collect();
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    let specializations: Vec<Option<&str>> =
        rows.iter().map(|r| r.specialization.as_deref()).collect();
    let avatars: Vec<Option<&str>> = rows.iter().map(|r| r.avatar_url.as_deref()).collect();
    let ratings: Vec<Option<f64>> = rows.iter().map(|r| r.rating).collect();
    let active: Vec<bool> = rows.iter().map(|r| r.active).collect();
    let result = sqlx::query(
        "INSERT INTO staff (company_id, yclients_id, name, specialization, avatar_url, rating,
                            active, last_synced_at)
         SELECT $1, r.id, r.name, r.specialization, r.avatar, r.rating::numeric(3,2), r.active, $8
         FROM UNNEST($2::int[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::bool[])
              AS r(id, name, specialization, avatar, rating, active)
         ON CONFLICT (company_id, yclients_id) DO UPDATE SET
             name = EXCLUDED.name, specialization = EXCLUDED.specialization,
             avatar_url = EXCLUDED.avatar_url, rating = EXCLUDED.rating,
             active = EXCLUDED.active, last_synced_at = EXCLUDED.last_synced_at,
             updated_at = NOW()",
    )
    .bind(company_id)
    .bind(&ids)
    .bind(&names)
    .bind(&specializations)
    .bind(&avatars)
    .bind(&ratings)
    .bind(&active)
    .bind(synced_at)
    .execute(db)
    .await?;
    Ok(result.rows_affected())
}
