//! Payments a salon makes us, recorded by ops and reported to YClients (Bearer
//! `OPS_TOKEN`):
//! - `POST /ops/salons/{salon_id}/payments {amount, currency, period_from, period_to,
//!   tariff?, paid_at?}` → takes the payment through the payment provider (the manual one:
//!   the money came outside AI Admin), records it with the salon's subscription, and
//!   reports it to YClients through `payment-<salon_id>-<payment_id>` → `201 {payment_id,
//!   yclients_payment_id}`. An `Idempotency-Key` header makes a repeated request the same
//!   payment (and retries a report YClients refused); while YClients is unavailable the
//!   answer is `202` with `yclients_payment_id: null` and the run keeps retrying.
//! - `POST /ops/salons/{salon_id}/payments/{payment_id}/refund` → refunds it through the
//!   provider and reports the refund (`refund-<salon_id>-<payment_id>`) → `{payment_id,
//!   yclients_payment_id, refunded}`.
//! - `GET /ops/salons/{salon_id}/payments` → the salon's subscription and payments.
//!
//! Dates are the salon's local time: `YYYY-MM-DD` (a period's first or last second of
//! that day), `YYYY-MM-DD HH:MM:SS`, or RFC 3339.

use crate::auth::OpsAuth;
use crate::error::ApiError;
use crate::state::AppState;
use ai_admin_activities::acts::billing::provider::{Charge, ProviderError, Receipt};
use ai_admin_activities::acts::billing::{currency_code, major_units, minor_units};
use ai_admin_activities::db::companies;
use ai_admin_activities::db::payments::{self, NewPayment, Payment};
use ai_admin_activities::domain::{IntegrationStatus, SalonId};
use ai_admin_temporal::billing::{self, Reported};
use ai_admin_workflows::billing::PaymentRef;
use anyhow::Context as _;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone as _, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

/// How long an ops call waits for YClients before answering "still reporting".
const REPORT_WAIT: Duration = Duration::from_secs(20);
/// The longest `Idempotency-Key` taken.
const MAX_IDEMPOTENCY_KEY: usize = 100;

/// The payment routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ops/salons/{salon_id}/payments", post(record))
        .route("/ops/salons/{salon_id}/payments", get(list))
        .route(
            "/ops/salons/{salon_id}/payments/{payment_id}/refund",
            post(refund),
        )
}

/// The body of `POST /ops/salons/{salon_id}/payments`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PaymentRequest {
    /// `2990`, `2990.50` or `"2990.50"`.
    amount: Value,
    currency: String,
    period_from: String,
    period_to: String,
    #[serde(default)]
    tariff: Option<String>,
    #[serde(default)]
    paid_at: Option<String>,
}

/// Which end of a day a bare date stands for.
#[derive(Debug, Clone, Copy)]
enum DayEnd {
    First,
    Last,
}

/// A moment written in the salon's local time (see the module docs).
fn local_moment(text: &str, zone: Tz, end: DayEnd) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    let naive = match NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S") {
        Ok(at) => at,
        Err(_) => {
            let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
            match end {
                DayEnd::First => day.and_hms_opt(0, 0, 0)?,
                DayEnd::Last => day.and_hms_opt(23, 59, 59)?,
            }
        }
    };
    // A moment a clock change skips is taken an hour on; a repeated one, the earlier.
    zone.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(naive + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|at| at.with_timezone(&Utc))
}

fn amount_minor(value: &Value) -> Option<i64> {
    match value {
        Value::String(text) => minor_units(text),
        Value::Number(number) => minor_units(&number.to_string()),
        _ => None,
    }
}

/// The salon, which must have the application installed (YClients takes payments for
/// installed applications only).
async fn installed_salon(
    state: &AppState,
    salon_id: SalonId,
) -> Result<companies::CompanyRow, ApiError> {
    let company = companies::find_by_salon(&state.db, salon_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("salon {salon_id} is not registered")))?;
    if !matches!(
        company.integration_status,
        IntegrationStatus::Active | IntegrationStatus::Frozen
    ) {
        return Err(ApiError::Conflict(format!(
            "salon {salon_id} is {}: payments are for an installed application",
            company.integration_status
        )));
    }
    Ok(company)
}

fn idempotency_key(headers: &HeaderMap, salon_id: SalonId) -> Result<String, ApiError> {
    match headers.get("idempotency-key") {
        None => Ok(format!(
            "ops/{salon_id}/{}",
            hex::encode(rand::random::<[u8; 12]>())
        )),
        Some(value) => {
            let key = value
                .to_str()
                .ok()
                .map(str::trim)
                .filter(|k| !k.is_empty() && k.len() <= MAX_IDEMPOTENCY_KEY)
                .ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} visible characters"
                    ))
                })?;
            // Scoped to the salon: one salon's key never finds another's payment.
            Ok(format!("ops/{salon_id}/key/{key}"))
        }
    }
}

/// Temporal could not be reached: logged as `what`, answered 503 with `message`.
fn temporal_away(what: &'static str, message: String) -> impl FnOnce(anyhow::Error) -> ApiError {
    move |error| {
        tracing::error!(error = %format!("{error:#}"), "{what}");
        ApiError::Unavailable(message)
    }
}

fn provider_failure(error: ProviderError) -> ApiError {
    match error {
        ProviderError::Refused(reason) => ApiError::Unprocessable(reason),
        ProviderError::Unavailable(reason) => ApiError::Upstream(reason),
    }
}

#[tracing::instrument(skip_all, fields(salon_id))]
async fn record(
    _: OpsAuth,
    State(state): State<AppState>,
    Path(salon_id): Path<SalonId>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    tracing::Span::current().record("salon_id", salon_id.get());
    let request: PaymentRequest = serde_json::from_slice(&body)
        .map_err(|error| ApiError::BadRequest(format!("not a payment: {error}")))?;
    let company = installed_salon(&state, salon_id).await?;
    let zone = company.zone();
    let amount_minor = amount_minor(&request.amount).ok_or_else(|| {
        ApiError::BadRequest("amount must be a positive sum with at most two decimals".into())
    })?;
    let currency = currency_code(&request.currency)
        .ok_or_else(|| ApiError::BadRequest("currency must be an ISO code like RUB".into()))?;
    let moment = |name: &str, text: &str, end| {
        local_moment(text, zone, end).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "{name} must be YYYY-MM-DD, YYYY-MM-DD HH:MM:SS or RFC 3339"
            ))
        })
    };
    let period_from = moment("period_from", &request.period_from, DayEnd::First)?;
    let period_to = moment("period_to", &request.period_to, DayEnd::Last)?;
    if period_to <= period_from {
        return Err(ApiError::BadRequest(
            "period_to must be after period_from".into(),
        ));
    }
    let paid_at = match &request.paid_at {
        Some(text) => moment("paid_at", text, DayEnd::First)?,
        None => Utc::now(),
    };
    let plans = &state.config.marketplace.plans;
    let tariff = match request.tariff.as_deref() {
        Some(name) => plans
            .tariff(name)
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "tariff {name:?} is not one of TARIFFS ({})",
                    plans
                        .tariffs
                        .iter()
                        .map(|t| t.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?
            .name
            .clone(),
        None => match payments::subscription(&state.db, salon_id).await? {
            Some(subscription) => subscription.tariff,
            None => plans.default_tariff().name.clone(),
        },
    };
    let idempotency_key = idempotency_key(&headers, salon_id)?;
    let receipt = state
        .payments
        .charge(&Charge {
            salon_id: salon_id.into(),
            amount_minor,
            currency: currency.clone(),
            idempotency_key: idempotency_key.clone(),
        })
        .await
        .map_err(provider_failure)?;
    let mut db = state.db.acquire().await.context("no database connection")?;
    let (payment, new) = payments::record(
        &mut db,
        &NewPayment {
            salon_id,
            idempotency_key,
            provider: receipt.provider,
            provider_ref: receipt.reference,
            amount_minor,
            currency,
            tariff,
            paid_at,
            period_from,
            period_to,
        },
    )
    .await?;
    drop(db);
    if !new && !same_request(&payment, amount_minor, period_from, period_to) {
        return Err(ApiError::Conflict(format!(
            "the Idempotency-Key was used for payment {} with other data",
            payment.id
        )));
    }
    tracing::info!(
        payment_id = payment.id,
        new,
        "payment recorded; reporting it to YClients"
    );
    let reported = billing::report(
        &state.temporal,
        &state.config.temporal,
        PaymentRef {
            salon_id,
            payment_id: payment.id,
        },
        REPORT_WAIT,
    )
    .await
    .map_err(temporal_away("could not start the payment report", format!("payment {} is recorded; its report to YClients could not start (repeat the request with the same Idempotency-Key)",
            payment.id)))?;
    answer(&payment, reported, "reported")
}

fn same_request(
    payment: &Payment,
    amount_minor: i64,
    period_from: DateTime<Utc>,
    period_to: DateTime<Utc>,
) -> bool {
    payment.amount_minor == amount_minor
        && payment.period_from == period_from
        && payment.period_to == period_to
}

/// The answer for a payment whose report (or refund) stands as `reported`.
fn answer(
    payment: &Payment,
    reported: Reported,
    done: &str,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    match reported {
        Reported::Done(yclients_payment_id) => Ok((
            if done == "reported" {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            },
            Json(json!({
                "payment_id": payment.id,
                "yclients_payment_id": yclients_payment_id,
                "status": done,
            })),
        )),
        Reported::Pending => Ok((
            StatusCode::ACCEPTED,
            Json(json!({
                "payment_id": payment.id,
                "yclients_payment_id": payment.yclients_payment_id,
                "status": "in_progress",
                "detail": "YClients has not answered yet; the report keeps retrying",
            })),
        )),
        Reported::Failed(reason) => Err(ApiError::Upstream(format!(
            "payment {}: YClients refused: {reason}",
            payment.id
        ))),
    }
}

#[tracing::instrument(skip_all, fields(salon_id, payment_id))]
async fn refund(
    _: OpsAuth,
    State(state): State<AppState>,
    Path((salon_id, payment_id)): Path<(SalonId, i64)>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    tracing::Span::current().record("salon_id", salon_id.get());
    tracing::Span::current().record("payment_id", payment_id);
    let payment = payments::get(&state.db, payment_id)
        .await?
        .filter(|p| p.salon_id == i64::from(salon_id))
        .ok_or_else(|| {
            ApiError::NotFound(format!("salon {salon_id} has no payment {payment_id}"))
        })?;
    // The payment's report comes first; a report YClients refused is no payment there.
    let payment_ref = PaymentRef {
        salon_id,
        payment_id,
    };
    let report = billing::report(
        &state.temporal,
        &state.config.temporal,
        payment_ref,
        REPORT_WAIT,
    )
    .await
    .map_err(temporal_away(
        "could not look at the payment's report",
        format!("payment {payment_id}: its report to YClients could not be checked"),
    ))?;
    if let Reported::Failed(reason) = report {
        return Err(ApiError::Conflict(format!(
            "payment {payment_id} was never reported to YClients ({reason}): report it first (repeat the payment request)"
        )));
    }
    if payment.refund_requested_at.is_none() {
        // The money goes back first; YClients is told once it has.
        state
            .payments
            .refund(
                &Receipt {
                    provider: payment.provider.clone(),
                    reference: payment.provider_ref.clone(),
                },
                payment.amount_minor,
            )
            .await
            .map_err(provider_failure)?;
        let mut db = state.db.acquire().await.context("no database connection")?;
        payments::refund_requested(&mut db, payment_id).await?;
    }
    let reported = billing::refund(
        &state.temporal,
        &state.config.temporal,
        payment_ref,
        REPORT_WAIT,
    )
    .await
    .map_err(temporal_away("could not start the refund", format!("payment {payment_id} is marked refunded; reporting it to YClients could not start (repeat the request)")))?;
    answer(&payment, reported, "refunded")
}

async fn list(
    _: OpsAuth,
    State(state): State<AppState>,
    Path(salon_id): Path<SalonId>,
) -> Result<Json<Value>, ApiError> {
    let subscription = payments::subscription(&state.db, salon_id).await?;
    let rows = payments::of_salon(&state.db, salon_id).await?;
    let now = Utc::now();
    Ok(Json(json!({
        "salon_id": salon_id,
        "subscription": subscription.map(|s| json!({
            "tariff": s.tariff,
            "state": s.state(now),
            "trial_ends_at": s.trial_ends_at,
            "paid_until": s.paid_until,
        })),
        "payments": rows.iter().map(|p| json!({
            "payment_id": p.id,
            "amount": major_units(p.amount_minor),
            "currency": p.currency,
            "tariff": p.tariff,
            "provider": p.provider,
            "paid_at": p.paid_at,
            "period_from": p.period_from,
            "period_to": p.period_to,
            "yclients_payment_id": p.yclients_payment_id,
            "refunded": p.refund_requested_at.is_some(),
            "refund_reported": p.refunded_at.is_some(),
        })).collect::<Vec<_>>(),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_the_salons_local_time() {
        let zone: Tz = "Europe/Moscow".parse().unwrap();
        let from = local_moment("2026-12-01", zone, DayEnd::First).unwrap();
        assert_eq!(from.to_rfc3339(), "2026-11-30T21:00:00+00:00");
        let to = local_moment("2026-12-31", zone, DayEnd::Last).unwrap();
        assert_eq!(to.to_rfc3339(), "2026-12-31T20:59:59+00:00");
        let exact = local_moment("2026-12-01 10:30:00", zone, DayEnd::First).unwrap();
        assert_eq!(exact.to_rfc3339(), "2026-12-01T07:30:00+00:00");
        assert!(local_moment("2026-12-01T10:30:00Z", zone, DayEnd::First).is_some());
        for bad in ["", "01.12.2026", "2026-13-01", "tomorrow"] {
            assert!(local_moment(bad, zone, DayEnd::First).is_none(), "{bad}");
        }
    }

    #[test]
    fn amounts_come_as_numbers_or_text() {
        assert_eq!(amount_minor(&json!(2990)), Some(299_000));
        assert_eq!(amount_minor(&json!(2990.5)), Some(299_050));
        assert_eq!(amount_minor(&json!("2990.50")), Some(299_050));
        assert_eq!(amount_minor(&json!(-1)), None);
        assert_eq!(amount_minor(&json!(null)), None);
    }
}
