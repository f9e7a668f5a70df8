//! Rows a sync did not see: YClients deleted them, so they are marked inactive rather
//! than left looking current.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// Tables whose rows carry `active` and `last_synced_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncedTable {
    /// `service_categories`.
    ServiceCategories,
    /// `services`.
    Services,
    /// `staff`.
    Staff,
    /// `clients`.
    Clients,
}

impl SyncedTable {
    fn name(self) -> &'static str {
        match self {
            Self::ServiceCategories => "service_categories",
            Self::Services => "services",
            Self::Staff => "staff",
            Self::Clients => "clients",
        }
    }
}

/// Marks the company's rows of `table` that the sync at `synced_at` did not see as
/// inactive; returns how many.
pub async fn deactivate(
    db: impl PgExecutor<'_>,
    table: SyncedTable,
    company_id: i64,
    synced_at: DateTime<Utc>,
) -> anyhow::Result<u64> {
    // The table name comes from the enum above, never from input.
    let sql = format!(
        "UPDATE {} SET active = false, updated_at = NOW()
         WHERE company_id = $1 AND active AND (last_synced_at IS NULL OR last_synced_at < $2)",
        table.name()
    );
    let result = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(company_id)
        .bind(synced_at)
        .execute(db)
        .await?;
    Ok(result.rows_affected())
}
