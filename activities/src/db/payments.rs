//! The `payments` and `subscriptions` tables: what each salon paid us, for which period,
//! whether YClients has been told (and its id for the payment), refunds; and the
//! subscription those payments extend (tariff, trial end, paid until).

use crate::domain::SalonId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgExecutor, Row as _};

/// A payment to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    /// The salon that paid.
    pub salon_id: SalonId,
    /// Ours: the same key twice is the same payment.
    pub idempotency_key: String,
    /// How it was paid (`manual`, or a provider's name).
    pub provider: String,
    /// The provider's reference, when it has one.
    pub provider_ref: Option<String>,
    /// In minor units (kopecks).
    pub amount_minor: i64,
    /// ISO 4217.
    pub currency: String,
    /// The tariff paid for (the subscription's from now on).
    pub tariff: String,
    /// When the salon paid.
    pub paid_at: DateTime<Utc>,
    /// The paid period.
    pub period_from: DateTime<Utc>,
    /// Its end.
    pub period_to: DateTime<Utc>,
}

/// A stored payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// Our id.
    pub id: i64,
    /// The salon.
    pub salon_id: i64,
    /// `manual` or a provider.
    pub provider: String,
    /// The provider's reference.
    pub provider_ref: Option<String>,
    /// Minor units.
    pub amount_minor: i64,
    /// ISO 4217.
    pub currency: String,
    /// The tariff paid for.
    pub tariff: Option<String>,
    /// When paid.
    pub paid_at: DateTime<Utc>,
    /// The period.
    pub period_from: DateTime<Utc>,
    /// Its end.
    pub period_to: DateTime<Utc>,
    /// YClients' id, once reported.
    pub yclients_payment_id: Option<i64>,
    /// Reports sent so far.
    pub report_attempts: i32,
    /// Since when the last report is unanswered (it timed out).
    pub report_unanswered_since: Option<DateTime<Utc>>,
    /// Ops asked for a refund.
    pub refund_requested_at: Option<DateTime<Utc>>,
    /// A refund went out to YClients at least once.
    pub refund_started_at: Option<DateTime<Utc>>,
    /// YClients took the refund.
    pub refunded_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str =
    "id, salon_id, provider, provider_ref, amount_minor, currency, tariff, paid_at,
    period_from, period_to, yclients_payment_id, report_attempts, report_unanswered_since,
    refund_requested_at,
    refund_started_at, refunded_at";

fn payment(row: &sqlx::postgres::PgRow) -> Payment {
    Payment {
        id: row.get("id"),
        salon_id: i64::from(row.get::<i32, _>("salon_id")),
        provider: row.get("provider"),
        provider_ref: row.get("provider_ref"),
        amount_minor: row.get("amount_minor"),
        currency: row.get::<String, _>("currency").trim().to_owned(),
        tariff: row.get("tariff"),
        paid_at: row.get("paid_at"),
        period_from: row.get("period_from"),
        period_to: row.get("period_to"),
        yclients_payment_id: row.get("yclients_payment_id"),
        report_attempts: row.get("report_attempts"),
        report_unanswered_since: row.get("report_unanswered_since"),
        refund_requested_at: row.get("refund_requested_at"),
        refund_started_at: row.get("refund_started_at"),
        refunded_at: row.get("refunded_at"),
    }
}

/// Records the payment and extends the salon's subscription to its period's end, or
/// finds the one recorded under the same key. Returns it and whether it is new.
pub async fn record(
    db: &mut sqlx::PgConnection,
    new: &NewPayment,
) -> anyhow::Result<(Payment, bool)> {
    let mut tx = sqlx::Connection::begin(&mut *db).await?;
    let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO payments (salon_id, idempotency_key, provider, provider_ref, amount_minor,
                currency, tariff, paid_at, period_from, period_to)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING {COLUMNS}"
    )))
    .bind(new.salon_id.get())
    .bind(&new.idempotency_key)
    .bind(&new.provider)
    .bind(&new.provider_ref)
    .bind(new.amount_minor)
    .bind(&new.currency)
    .bind(&new.tariff)
    .bind(new.paid_at)
    .bind(new.period_from)
    .bind(new.period_to)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = inserted else {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM payments WHERE idempotency_key = $1"
        )))
        .bind(&new.idempotency_key)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        return Ok((payment(&row), false));
    };
    sqlx::query(
        "INSERT INTO subscriptions (salon_id, tariff, trial_ends_at, paid_until)
         VALUES ($1, $2, NOW(), $3)
         ON CONFLICT (salon_id) DO UPDATE SET
             paid_until = GREATEST(subscriptions.paid_until, EXCLUDED.paid_until),
             tariff = EXCLUDED.tariff,
             updated_at = NOW()",
    )
    .bind(new.salon_id.get())
    .bind(&new.tariff)
    .bind(new.period_to)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((payment(&row), true))
}

/// One payment.
pub async fn get(db: impl PgExecutor<'_>, id: i64) -> anyhow::Result<Option<Payment>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payments WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(row.as_ref().map(payment))
}

/// The salon's payments, newest first.
pub async fn of_salon(db: impl PgExecutor<'_>, salon_id: SalonId) -> anyhow::Result<Vec<Payment>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payments WHERE salon_id = $1 ORDER BY paid_at DESC, id DESC"
    )))
    .bind(salon_id.get())
    .fetch_all(db)
    .await?;
    Ok(rows.iter().map(payment).collect())
}

/// YClients ids already matched to one of the salon's payments.
pub async fn reported_ids(db: impl PgExecutor<'_>, salon_id: SalonId) -> anyhow::Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT yclients_payment_id FROM payments
         WHERE salon_id = $1 AND yclients_payment_id IS NOT NULL",
    )
    .bind(salon_id.get())
    .fetch_all(db)
    .await?)
}

/// Notes that a report is about to go out, unanswered so far (a later attempt then
/// looks at YClients before sending).
pub async fn report_sending(db: impl PgExecutor<'_>, id: i64) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE payments SET report_attempts = report_attempts + 1,
                report_unanswered_since = NOW()
         WHERE id = $1",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

/// YClients answered the last report (with an error): it is settled, not in flight.
pub async fn report_answered(db: impl PgExecutor<'_>, id: i64) -> anyhow::Result<()> {
    sqlx::query("UPDATE payments SET report_unanswered_since = NULL WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Keeps YClients' id of the payment. False when another id was kept first.
pub async fn reported(
    db: impl PgExecutor<'_>,
    id: i64,
    yclients_payment_id: i64,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE payments SET yclients_payment_id = $2, reported_at = NOW()
         WHERE id = $1 AND (yclients_payment_id IS NULL OR yclients_payment_id = $2)",
    )
    .bind(id)
    .bind(yclients_payment_id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ops asked for the payment's refund: it no longer pays for its period.
pub async fn refund_requested(db: &mut sqlx::PgConnection, id: i64) -> anyhow::Result<()> {
    let mut tx = sqlx::Connection::begin(&mut *db).await?;
    let salon: Option<i32> = sqlx::query_scalar(
        "UPDATE payments SET refund_requested_at = COALESCE(refund_requested_at, NOW())
         WHERE id = $1 RETURNING salon_id",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(salon) = salon {
        sqlx::query(
            "UPDATE subscriptions SET paid_until = (
                 SELECT MAX(period_to) FROM payments
                 WHERE salon_id = $1 AND refund_requested_at IS NULL),
                 updated_at = NOW()
             WHERE salon_id = $1",
        )
        .bind(salon)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Notes that a refund is about to go out to YClients.
pub async fn refund_starting(db: impl PgExecutor<'_>, id: i64) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE payments SET refund_started_at = COALESCE(refund_started_at, NOW()) WHERE id = $1",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

/// YClients took the refund. False when it was already marked.
pub async fn refunded(db: impl PgExecutor<'_>, id: i64) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE payments SET refunded_at = NOW() WHERE id = $1 AND refunded_at IS NULL",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A salon's subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// The tariff.
    pub tariff: String,
    /// When the free trial ends (or ended).
    pub trial_ends_at: DateTime<Utc>,
    /// The end of the last paid period not refunded.
    pub paid_until: Option<DateTime<Utc>>,
}

impl Subscription {
    /// `paid`, `trial` or `unpaid` at `now`.
    pub fn state(&self, now: DateTime<Utc>) -> &'static str {
        if self.paid_until.is_some_and(|until| until > now) {
            "paid"
        } else if self.trial_ends_at > now {
            "trial"
        } else {
            "unpaid"
        }
    }
}

/// Starts the salon's subscription on its first activation: the trial runs from now.
/// A salon that had one (installed again) keeps it: a reinstall is no second trial.
pub async fn start_subscription(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    tariff: &str,
    trial: std::time::Duration,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO subscriptions (salon_id, tariff, trial_ends_at)
         VALUES ($1, $2, NOW() + make_interval(secs => $3))
         ON CONFLICT (salon_id) DO NOTHING",
    )
    .bind(salon_id.get())
    .bind(tariff)
    .bind(trial.as_secs_f64())
    .execute(db)
    .await?;
    Ok(())
}

/// The salon's subscription, if it has one.
pub async fn subscription(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
) -> anyhow::Result<Option<Subscription>> {
    let row = sqlx::query(
        "SELECT tariff, trial_ends_at, paid_until FROM subscriptions WHERE salon_id = $1",
    )
    .bind(salon_id.get())
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| Subscription {
        tariff: row.get("tariff"),
        trial_ends_at: row.get("trial_ends_at"),
        paid_until: row.get("paid_until"),
    }))
}
