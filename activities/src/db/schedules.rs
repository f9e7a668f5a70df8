//! The `schedules` table: when each master works, day by day.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sqlx::PgExecutor;

/// One working interval as synced.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalRow {
    /// The master's YClients id.
    pub staff_yclients_id: i32,
    /// Day.
    pub date: NaiveDate,
    /// Start.
    pub time_start: NaiveTime,
    /// End.
    pub time_end: NaiveTime,
}

/// Upserts intervals (masters are matched by their YClients id; intervals of masters not
/// synced yet are skipped).
pub async fn upsert(
    db: impl PgExecutor<'_>,
    company_id: i64,
    rows: &[IntervalRow],
    synced_at: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let staff: Vec<i32> = rows.iter().map(|r| r.staff_yclients_id).collect();
    let dates: Vec<NaiveDate> = rows.iter().map(|r| r.date).collect();
    let starts: Vec<NaiveTime> = rows.iter().map(|r| r.time_start).collect();
    let ends: Vec<NaiveTime> = rows.iter().map(|r| r.time_end).collect();
    let result = sqlx::query(
        "INSERT INTO schedules (company_id, staff_id, date, time_start, time_end, available,
                                last_synced_at)
         SELECT $1, s.id, r.date, r.time_start, r.time_end, true, $6
         FROM UNNEST($2::int[], $3::date[], $4::time[], $5::time[])
              AS r(staff_yid, date, time_start, time_end)
         JOIN staff s ON s.company_id = $1 AND s.yclients_id = r.staff_yid
         ON CONFLICT (company_id, staff_id, date, time_start) DO UPDATE SET
             time_end = EXCLUDED.time_end, available = true,
             last_synced_at = EXCLUDED.last_synced_at, updated_at = NOW()",
    )
    .bind(company_id)
    .bind(&staff)
    .bind(&dates)
    .bind(&starts)
    .bind(&ends)
    .bind(synced_at)
    .execute(db)
    .await?;
    Ok(result.rows_affected())
}

/// Marks intervals in `from..=to` the sync at `synced_at` did not see as unavailable.
pub async fn close_unseen(
    db: impl PgExecutor<'_>,
    company_id: i64,
    from: NaiveDate,
    to: NaiveDate,
    synced_at: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let result = sqlx::query(
        "UPDATE schedules SET available = false, updated_at = NOW()
         WHERE company_id = $1 AND date BETWEEN $2 AND $3 AND available
           AND (last_synced_at IS NULL OR last_synced_at < $4)",
    )
    .bind(company_id)
    .bind(from)
    .bind(to)
    .bind(synced_at)
    .execute(db)
    .await?;
    Ok(result.rows_affected())
}
