//! The `bookings` table: the salon's records (visits).

use crate::assistant::usual::PastVisit;
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// A record as synced.
#[derive(Debug, Clone, PartialEq)]
pub struct BookingRow {
    /// YClients record id.
    pub yclients_id: i32,
    /// The client's YClients id.
    pub client_yclients_id: Option<i32>,
    /// The master's YClients id.
    pub staff_yclients_id: Option<i32>,
    /// The (first) service's YClients id.
    pub service_yclients_id: Option<i32>,
    /// Start.
    pub datetime: DateTime<Utc>,
    /// `waiting`, `confirmed`, `arrived`, `no_show` or `deleted`.
    pub status: String,
    /// Note.
    pub comment: Option<String>,
    /// Length.
    pub duration_seconds: Option<i32>,
    /// YClients' attendance code.
    pub attendance: Option<i32>,
    /// Our tag on records the bot made.
    pub api_id: Option<String>,
}

/// The status word for YClients' attendance code.
pub fn status_of(attendance: Option<i64>, deleted: bool) -> &'static str {
    match (deleted, attendance) {
        (true, _) => "deleted",
        (false, Some(2)) => "confirmed",
        (false, Some(1)) => "arrived",
        (false, Some(-1)) => "no_show",
        _ => "waiting",
    }
}

/// Upserts one page of records (client, master and service are matched by YClients id).
pub async fn upsert(
    db: impl PgExecutor<'_>,
    company_id: i64,
    rows: &[BookingRow],
    synced_at: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let ids: Vec<i32> = rows.iter().map(|r| r.yclients_id).collect();
    let clients: Vec<Option<i32>> = rows.iter().map(|r| r.client_yclients_id).collect();
    let staff: Vec<Option<i32>> = rows.iter().map(|r| r.staff_yclients_id).collect();
    let services: Vec<Option<i32>> = rows.iter().map(|r| r.service_yclients_id).collect();
    let datetimes: Vec<DateTime<Utc>> = rows.iter().map(|r| r.datetime).collect();
    let statuses: Vec<&str> = rows.iter().map(|r| r.status.as_str()).collect();
    let comments: Vec<Option<&str>> = rows.iter().map(|r| r.comment.as_deref()).collect();
    let durations: Vec<Option<i32>> = rows.iter().map(|r| r.duration_seconds).collect();
    let attendance: Vec<Option<i32>> = rows.iter().map(|r| r.attendance).collect();
    let api_ids: Vec<Option<&str>> = rows.iter().map(|r| r.api_id.as_deref()).collect();
    let result = sqlx::query(
        "INSERT INTO bookings (company_id, yclients_id, client_id, staff_id, service_id, datetime,
                               status, comment, duration_seconds, attendance, api_id, last_synced_at)
         SELECT $1, r.id, c.id, s.id, v.id, r.datetime, r.status, r.comment, r.duration,
                r.attendance, r.api_id, $12
         FROM UNNEST($2::int[], $3::int[], $4::int[], $5::int[], $6::timestamptz[], $7::text[],
                     $8::text[], $9::int[], $10::int[], $11::text[])
              AS r(id, client_yid, staff_yid, service_yid, datetime, status, comment, duration,
                   attendance, api_id)
         LEFT JOIN clients c ON c.company_id = $1 AND c.yclients_id = r.client_yid
         LEFT JOIN staff s ON s.company_id = $1 AND s.yclients_id = r.staff_yid
         LEFT JOIN services v ON v.company_id = $1 AND v.yclients_id = r.service_yid
         ON CONFLICT (yclients_id) DO UPDATE SET
             client_id = EXCLUDED.client_id,
             staff_id = EXCLUDED.staff_id, service_id = EXCLUDED.service_id,
             datetime = EXCLUDED.datetime, status = EXCLUDED.status, comment = EXCLUDED.comment,
             duration_seconds = EXCLUDED.duration_seconds, attendance = EXCLUDED.attendance,
             api_id = EXCLUDED.api_id, last_synced_at = EXCLUDED.last_synced_at,
             updated_at = NOW()
         -- Record ids are global in YClients: one already kept for another salon is never
         -- taken over by this one, whatever a payload claims.
         WHERE bookings.company_id = EXCLUDED.company_id",
    )
    .bind(company_id)
    .bind(&ids)
    .bind(&clients)
    .bind(&staff)
    .bind(&services)
    .bind(&datetimes)
    .bind(&statuses)
    .bind(&comments)
    .bind(&durations)
    .bind(&attendance)
    .bind(&api_ids)
    .bind(synced_at)
    .execute(db)
    .await?;
    Ok(result.rows_affected())
}

/// Marks records in `[from, to)` the sync at `synced_at` did not see as deleted.
pub async fn delete_unseen(
    db: impl PgExecutor<'_>,
    company_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    synced_at: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let result = sqlx::query(
        "UPDATE bookings SET status = 'deleted', updated_at = NOW()
         WHERE company_id = $1 AND datetime >= $2 AND datetime < $3 AND status <> 'deleted'
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

/// Marks one record deleted (YClients deleted it).
pub async fn mark_deleted(
    db: impl PgExecutor<'_>,
    company_id: i64,
    yclients_id: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE bookings SET status = 'deleted', updated_at = NOW()
         WHERE company_id = $1 AND yclients_id = $2",
    )
    .bind(company_id)
    .bind(yclients_id)
    .execute(db)
    .await?;
    Ok(())
}

/// One of a client's upcoming visits, as the assistant lists them.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct UpcomingVisit {
    /// YClients record id.
    pub yclients_id: i64,
    /// Start.
    pub datetime: DateTime<Utc>,
    /// The service's name.
    pub service: Option<String>,
    /// The master's name.
    pub staff: Option<String>,
}

/// The client's next visits (by phone, digits only), soonest first.
pub async fn upcoming_for_phone(
    db: impl PgExecutor<'_>,
    company_id: i64,
    phone: &str,
    limit: i64,
) -> anyhow::Result<Vec<UpcomingVisit>> {
    Ok(sqlx::query_as(
        "SELECT b.yclients_id::int8 AS yclients_id, b.datetime, s.title AS service,
                st.name AS staff
         FROM bookings b
         JOIN clients c ON c.id = b.client_id
         LEFT JOIN services s ON s.id = b.service_id
         LEFT JOIN staff st ON st.id = b.staff_id
         WHERE b.company_id = $1 AND c.phone = $2 AND b.datetime > NOW()
           AND COALESCE(b.status, '') <> 'deleted'
         ORDER BY b.datetime
         LIMIT $3",
    )
    .bind(company_id)
    .bind(phone)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// The client's last visits (by phone, digits only) that took place or were due — not
/// deleted, not missed — newest first.
pub async fn past_for_phone(
    db: impl PgExecutor<'_>,
    company_id: i64,
    phone: &str,
    limit: i64,
) -> anyhow::Result<Vec<PastVisit>> {
    use sqlx::Row as _;
    let rows = sqlx::query(
        "SELECT b.datetime, s.yclients_id::int8 AS service_id, s.title AS service,
                st.yclients_id::int8 AS staff_id, st.name AS staff
         FROM bookings b
         JOIN clients c ON c.id = b.client_id
         LEFT JOIN services s ON s.id = b.service_id
         LEFT JOIN staff st ON st.id = b.staff_id
         WHERE b.company_id = $1 AND c.phone = $2 AND b.datetime <= NOW()
           AND COALESCE(b.status, '') NOT IN ('deleted', 'no_show')
         ORDER BY b.datetime DESC
         LIMIT $3",
    )
    .bind(company_id)
    .bind(phone)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            let pair = |id: Option<i64>, name: Option<String>| id.zip(name);
            Ok(PastVisit {
                datetime: row.try_get("datetime")?,
                service: pair(row.try_get("service_id")?, row.try_get("service")?),
                staff: pair(row.try_get("staff_id")?, row.try_get("staff")?),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// The salon's services by how often they were booked in the last `days` days (YClients
/// ids), most booked first.
pub async fn most_booked_services(
    db: impl PgExecutor<'_>,
    company_id: i64,
    days: i32,
) -> anyhow::Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT s.yclients_id::int8 FROM bookings b
         JOIN services s ON s.id = b.service_id
         WHERE b.company_id = $1 AND COALESCE(b.status, '') <> 'deleted'
           AND b.datetime > NOW() - make_interval(days => $2)
         GROUP BY s.yclients_id
         ORDER BY COUNT(*) DESC, s.yclients_id
         LIMIT 100",
    )
    .bind(company_id)
    .bind(days)
    .fetch_all(db)
    .await?)
}

/// How many upcoming visits of the client (by phone, digits only) the bot booked itself
/// (their `api_id` names a conversation workflow).
pub async fn upcoming_booked_by_bot(
    db: impl PgExecutor<'_>,
    company_id: i64,
    phone: &str,
) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM bookings b
         JOIN clients c ON c.id = b.client_id
         WHERE b.company_id = $1 AND c.phone = $2 AND b.datetime > NOW()
           AND COALESCE(b.status, '') <> 'deleted' AND b.api_id LIKE 'conversation-%'",
    )
    .bind(company_id)
    .bind(phone)
    .fetch_one(db)
    .await?)
}

/// A visit as its reminder tells it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RemindedVisit {
    /// Start.
    pub datetime: DateTime<Utc>,
    /// Cancelled in YClients.
    pub deleted: bool,
    /// The client's number (digits), when known.
    pub phone: Option<String>,
    /// The service's name.
    pub service: Option<String>,
    /// The master's name.
    pub staff: Option<String>,
    /// The salon's name.
    pub salon_title: String,
    /// The salon's time zone.
    pub timezone: String,
}

/// The visit of record `yclients_id`, if we have it.
pub async fn visit_for_reminder(
    db: impl PgExecutor<'_>,
    yclients_id: i64,
) -> anyhow::Result<Option<RemindedVisit>> {
    Ok(sqlx::query_as(
        "SELECT b.datetime, COALESCE(b.status, '') = 'deleted' AS deleted, c.phone,
                s.title AS service, st.name AS staff, co.title AS salon_title, co.timezone
         FROM bookings b
         JOIN companies co ON co.id = b.company_id
         LEFT JOIN clients c ON c.id = b.client_id
         LEFT JOIN services s ON s.id = b.service_id
         LEFT JOIN staff st ON st.id = b.staff_id
         WHERE b.yclients_id = $1",
    )
    .bind(yclients_id as i32)
    .fetch_optional(db)
    .await?)
}

/// A visit whose reminders are out of step with it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReminderDue {
    /// YClients record id.
    pub yclients_id: i64,
    /// What its reminders should know: the visit's start, or `None` (deleted, past, no
    /// client number) to stop them.
    pub visit_at: Option<DateTime<Utc>>,
}

/// The company's visits whose reminders must be told something: upcoming visits within
/// `window` that were never told their current time, and told ones that moved or went.
pub async fn reminders_due(
    db: impl PgExecutor<'_>,
    company_id: i64,
    window: std::time::Duration,
    limit: i64,
) -> anyhow::Result<Vec<ReminderDue>> {
    use sqlx::Row as _;
    let rows = sqlx::query(
        "SELECT b.yclients_id::int8 AS id, b.datetime,
                (COALESCE(b.status, '') <> 'deleted' AND c.phone IS NOT NULL
                 AND b.datetime > NOW()) AS live
         FROM bookings b
         LEFT JOIN clients c ON c.id = b.client_id
         WHERE b.company_id = $1
           AND ((COALESCE(b.status, '') <> 'deleted' AND c.phone IS NOT NULL
                 AND b.datetime > NOW() AND b.datetime < NOW() + make_interval(secs => $2)
                 AND b.reminder_for IS DISTINCT FROM b.datetime)
             OR (b.reminder_for IS NOT NULL
                 AND (COALESCE(b.status, '') = 'deleted' OR b.reminder_for <> b.datetime)))
         ORDER BY b.datetime
         LIMIT $3",
    )
    .bind(company_id)
    .bind(window.as_secs_f64())
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            let live: bool = row.try_get("live")?;
            Ok(ReminderDue {
                yclients_id: row.try_get("id")?,
                visit_at: live.then(|| row.try_get("datetime")).transpose()?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Records what the record's reminders were told.
pub async fn mark_reminder_told(
    db: impl PgExecutor<'_>,
    yclients_id: i64,
    visit_at: Option<DateTime<Utc>>,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE bookings SET reminder_for = $2 WHERE yclients_id = $1")
        .bind(yclients_id as i32)
        .bind(visit_at)
        .execute(db)
        .await?;
    Ok(())
}
