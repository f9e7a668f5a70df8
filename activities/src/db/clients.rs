//! The `clients` table: the salon's client base.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// A client as synced.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientRow {
    /// YClients id.
    pub yclients_id: i32,
    /// Name.
    pub name: Option<String>,
    /// Digits only when it parses as a phone number.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Visits so far.
    pub visit_count: i32,
    /// Last visit.
    pub last_visit_date: Option<DateTime<Utc>>,
}

/// Upserts one page of clients seen by the sync at `synced_at`.
pub async fn upsert(
    db: impl PgExecutor<'_>,
    company_id: i64,
    rows: &[ClientRow],
    synced_at: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let ids: Vec<i32> = rows.iter().map(|r| r.yclients_id).collect();
    let names: Vec<Option<&str>> = rows.iter().map(|r| r.name.as_deref()).collect();
    let phones: Vec<Option<&str>> = rows.iter().map(|r| r.phone.as_deref()).collect();
    let emails: Vec<Option<&str>> = rows.iter().map(|r| r.email.as_deref()).collect();
    let visits: Vec<i32> = rows.iter().map(|r| r.visit_count).collect();
    let last_visits: Vec<Option<DateTime<Utc>>> = rows.iter().map(|r| r.last_visit_date).collect();
    let result = sqlx::query(
        "INSERT INTO clients (company_id, yclients_id, name, phone, email, visit_count,
                              last_visit_date, active, last_synced_at)
         SELECT $1, r.id, r.name, r.phone, r.email, r.visits, r.last_visit, true, $8
         FROM UNNEST($2::int[], $3::text[], $4::text[], $5::text[], $6::int[], $7::timestamptz[])
              AS r(id, name, phone, email, visits, last_visit)
         ON CONFLICT (company_id, yclients_id) DO UPDATE SET
             name = EXCLUDED.name, phone = EXCLUDED.phone, email = EXCLUDED.email,
             visit_count = EXCLUDED.visit_count, last_visit_date = EXCLUDED.last_visit_date,
             active = true, last_synced_at = EXCLUDED.last_synced_at, updated_at = NOW()",
    )
    .bind(company_id)
    .bind(&ids)
    .bind(&names)
    .bind(&phones)
    .bind(&emails)
    .bind(&visits)
    .bind(&last_visits)
    .bind(synced_at)
    .execute(db)
    .await?;
    Ok(result.rows_affected())
}

/// Adds a client known only from a record (id, name, phone) unless it exists already.
pub async fn ensure_exists(
    db: impl PgExecutor<'_>,
    company_id: i64,
    row: &ClientRow,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO clients (company_id, yclients_id, name, phone)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (company_id, yclients_id) DO NOTHING",
    )
    .bind(company_id)
    .bind(row.yclients_id)
    .bind(&row.name)
    .bind(&row.phone)
    .execute(db)
    .await?;
    Ok(())
}

/// Marks one client inactive (deleted in YClients).
pub async fn deactivate_one(
    db: impl PgExecutor<'_>,
    company_id: i64,
    yclients_id: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE clients SET active = false, updated_at = NOW()
         WHERE company_id = $1 AND yclients_id = $2",
    )
    .bind(company_id)
    .bind(yclients_id)
    .execute(db)
    .await?;
    Ok(())
}

/// The YClients id of the salon's client with this phone (digits), if known.
pub async fn yclients_id_by_phone(
    db: impl PgExecutor<'_>,
    company_id: i64,
    phone: &str,
) -> anyhow::Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT yclients_id::int8 FROM clients WHERE company_id = $1 AND phone = $2
         ORDER BY active DESC, id DESC LIMIT 1",
    )
    .bind(company_id)
    .bind(phone)
    .fetch_optional(db)
    .await?)
}
