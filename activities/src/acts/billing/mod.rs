//! Billing through the marketplace: each salon's subscription (a trial, then paid
//! periods), the payments it makes us, and what YClients is told about them. YClients'
//! payment API has no idempotency key, so ours is the payment row:
//! `payment-<salon_id>-<id>` reports it once (`report_payment`), `refund-<salon_id>-<id>`
//! refunds it once (`report_refund`); an attempt that may have reached YClients unanswered is followed by a look at the
//! install's `payments[]` before anything is sent again.
//!
//! - [`provider`] — the payment-provider seam and the manual (ops-recorded) provider.

// `#[activities]` generates one undocumented constant per activity.
#![allow(missing_docs)]

pub mod provider;

use crate::acts::failure;
use crate::clients::yclients::{PartnerPayment, ReportedPayment, YClients, YClientsError};
use crate::db::events::{self, EventType, NewEvent};
use crate::db::{companies, payments};
use crate::domain::SalonId;
use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// How long a report that went unanswered (a timeout) may still be landing at YClients:
/// until then a retry looks, and does not send again.
pub const SETTLE: Duration = Duration::from_secs(60);

/// A tariff a salon can pay for (`TARIFFS`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tariff {
    /// Its name, e.g. `standard`.
    pub name: String,
    /// The price of a month, minor units.
    pub price_minor: i64,
    /// ISO 4217.
    pub currency: String,
}

/// Tariffs and the trial (`TARIFFS`, `TRIAL_PERIOD`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plans {
    /// The tariffs; the first is a new salon's.
    pub tariffs: Vec<Tariff>,
    /// How long a newly activated salon uses the bot free.
    pub trial: Duration,
}

impl Default for Plans {
    fn default() -> Self {
        Self {
            tariffs: vec![Tariff {
                name: "standard".to_owned(),
                price_minor: 299_000,
                currency: "RUB".to_owned(),
            }],
            trial: Duration::from_secs(14 * 86_400),
        }
    }
}

impl Plans {
    /// A new salon's tariff.
    pub fn default_tariff(&self) -> &Tariff {
        // Configuration refuses an empty list.
        &self.tariffs[0]
    }

    /// The tariff named `name`.
    pub fn tariff(&self, name: &str) -> Option<&Tariff> {
        self.tariffs.iter().find(|t| t.name == name)
    }

    /// Reads `TARIFFS`: `name:price:currency` entries, comma-separated
    /// (`standard:2990:RUB,pro:4990.50:RUB`).
    pub fn parse_tariffs(text: &str) -> Result<Vec<Tariff>, String> {
        let mut tariffs: Vec<Tariff> = Vec::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let parts: Vec<&str> = entry.split(':').map(str::trim).collect();
            let [name, price, currency] = parts[..] else {
                return Err(format!("{entry:?} is not name:price:currency"));
            };
            let valid_name = !name.is_empty()
                && name.len() <= 50
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !valid_name {
                return Err(format!(
                    "{name:?} is not a tariff name (latin letters, digits, - and _)"
                ));
            }
            let price_minor =
                minor_units(price).ok_or_else(|| format!("{price:?} is not a price"))?;
            let currency = currency_code(currency)
                .ok_or_else(|| format!("{currency:?} is not an ISO currency code"))?;
            if tariffs.iter().any(|t| t.name == name) {
                return Err(format!("tariff {name:?} is listed twice"));
            }
            tariffs.push(Tariff {
                name: name.to_owned(),
                price_minor,
                currency,
            });
        }
        if tariffs.is_empty() {
            return Err("no tariff is listed".to_owned());
        }
        Ok(tariffs)
    }
}

/// A positive amount with at most two decimals (`2990`, `2990.5`, `2990,50`) in minor
/// units; `None` for anything else.
pub fn minor_units(text: &str) -> Option<i64> {
    let text = text.trim().replace(',', ".");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || fraction.len() > 2
        || !fraction.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let cents = format!("{fraction:0<2}").parse::<i64>().ok()?;
    let amount = whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents)?;
    (amount > 0).then_some(amount)
}

/// An amount in minor units as YClients takes it: `2990.00`.
pub fn major_units(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

/// An ISO 4217 code, upper-cased; `None` when it is not three latin letters.
pub fn currency_code(text: &str) -> Option<String> {
    let text = text.trim();
    (text.len() == 3 && text.chars().all(|c| c.is_ascii_alphabetic()))
        .then(|| text.to_ascii_uppercase())
}

/// YClients' `Y-m-d H:i:s`, in the salon's time zone.
pub fn yclients_time(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// A moment as YClients lists it (`Y-m-d H:i:s`, or ISO 8601 with a `T`), to the second.
fn listed_time(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    let head = text.get(..19)?.replace('T', " ");
    NaiveDateTime::parse_from_str(&head, "%Y-%m-%d %H:%M:%S").ok()
}

/// Whether YClients' listed payment is the one `sent` describes (sum, dates).
fn same_payment(listed: &ReportedPayment, sent: &PartnerPayment) -> bool {
    let same_time = |a: Option<&str>, b: &str| {
        a.and_then(listed_time).is_some() && a.and_then(listed_time) == listed_time(b)
    };
    minor_units(&listed.payment_sum) == minor_units(&sent.payment_sum)
        && same_time(listed.period_from.as_deref(), &sent.period_from)
        && same_time(listed.period_to.as_deref(), &sent.period_to)
        && same_time(listed.payment_date.as_deref(), &sent.payment_date)
}

/// Owns what reporting payments needs.
#[derive(Debug, Clone)]
pub struct BillingActivities {
    db: PgPool,
    yclients: Arc<dyn YClients>,
    application_id: String,
}

impl BillingActivities {
    /// Activities reporting for our application `application_id`.
    pub fn new(db: PgPool, yclients: Arc<dyn YClients>, application_id: String) -> Self {
        Self {
            db,
            yclients,
            application_id,
        }
    }

    async fn payment(&self, id: i64) -> Result<(payments::Payment, SalonId, Tz), ActivityError> {
        let payment = payments::get(&self.db, id)
            .await?
            .ok_or_else(|| failure::permanent("UnknownPayment", format!("no payment {id}")))?;
        let salon_id = SalonId::new(payment.salon_id)
            .map_err(|e| failure::permanent("BadSalon", e.to_string()))?;
        let zone = companies::find_by_salon(&self.db, salon_id)
            .await?
            .map_or(crate::domain::DEFAULT_ZONE, |c| c.zone());
        Ok((payment, salon_id, zone))
    }

    /// The payments YClients lists for the salon's install.
    async fn listed(&self, salon_id: SalonId) -> Result<Vec<ReportedPayment>, ActivityError> {
        Ok(self
            .yclients
            .install_status(salon_id, &self.application_id)
            .await
            .map_err(failure::yclients)?
            .map(|status| status.payments)
            .unwrap_or_default())
    }

    async fn keep_reported(
        &self,
        payment: &payments::Payment,
        salon_id: SalonId,
        yclients_id: i64,
    ) -> Result<i64, ActivityError> {
        let mut tx = self.db.begin().await.map_err(anyhow::Error::from)?;
        if !payments::reported(&mut *tx, payment.id, yclients_id).await? {
            return Err(failure::permanent(
                "ReportedTwice",
                format!("payment {} already has another YClients id", payment.id),
            ));
        }
        events::record(
            &mut *tx,
            &NewEvent {
                salon_id,
                event_type: EventType::PaymentReported,
                data: serde_json::json!({
                    "payment_id": payment.id,
                    "yclients_payment_id": yclients_id,
                    "amount": major_units(payment.amount_minor),
                    "currency": payment.currency,
                }),
                dedup_key: Some(format!("payment-reported/{}", payment.id)),
            },
        )
        .await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        tracing::info!(%salon_id, payment_id = payment.id, yclients_id, "payment reported to YClients");
        Ok(yclients_id)
    }
}

#[activities]
impl BillingActivities {
    /// Tells YClients about the payment once; returns YClients' id for it. Timeouts,
    /// 429 and 5xx are retried by the workflow; a retry after an attempt that may have
    /// reached YClients first looks for the payment in the install's `payments[]`.
    #[activity(name = "report_payment")]
    #[tracing::instrument(name = "report_payment", skip_all, fields(payment_id = payment_id))]
    pub async fn report_payment(
        self: Arc<Self>,
        _ctx: ActivityContext,
        payment_id: i64,
    ) -> Result<i64, ActivityError> {
        let (payment, salon_id, zone) = self.payment(payment_id).await?;
        if let Some(id) = payment.yclients_payment_id {
            return Ok(id);
        }
        let body = PartnerPayment {
            salon_id: payment.salon_id,
            application_id: self.application_id.clone(),
            payment_sum: major_units(payment.amount_minor),
            currency_iso: payment.currency.clone(),
            payment_date: yclients_time(payment.paid_at, zone),
            period_from: yclients_time(payment.period_from, zone),
            period_to: yclients_time(payment.period_to, zone),
        };
        if payment.report_attempts > 0 {
            let ours = payments::reported_ids(&self.db, salon_id).await?;
            if let Some(found) = self
                .listed(salon_id)
                .await?
                .into_iter()
                .find(|listed| same_payment(listed, &body) && !ours.contains(&listed.id))
            {
                tracing::info!(%salon_id, payment_id, "an earlier report reached YClients; not sent again");
                return self.keep_reported(&payment, salon_id, found.id).await;
            }
            if let Some(since) = payment.report_unanswered_since
                && Utc::now() - since < chrono::Duration::from_std(SETTLE).unwrap_or_default()
            {
                return Err(failure::retryable(
                    "ReportInFlight",
                    "an earlier report went unanswered and may still land at YClients; looking again before sending",
                ));
            }
        }
        payments::report_sending(&self.db, payment_id).await?;
        let yclients_id = match self.yclients.report_payment(&body).await {
            Ok(id) => id,
            Err(error) => {
                // An answer, even an error, means YClients is done with the request.
                if !matches!(
                    error,
                    YClientsError::Timeout(_) | YClientsError::Transport(_)
                ) {
                    payments::report_answered(&self.db, payment_id).await?;
                }
                return Err(failure::yclients(error));
            }
        };
        self.keep_reported(&payment, salon_id, yclients_id).await
    }

    /// Tells YClients the payment was refunded, once. Until `payment-…` has reported the
    /// payment, this fails retryably (the refund waits for it).
    #[activity(name = "report_refund")]
    #[tracing::instrument(name = "report_refund", skip_all, fields(payment_id = payment_id))]
    pub async fn report_refund(
        self: Arc<Self>,
        _ctx: ActivityContext,
        payment_id: i64,
    ) -> Result<i64, ActivityError> {
        let (payment, salon_id, _) = self.payment(payment_id).await?;
        let yclients_id = payment.yclients_payment_id.ok_or_else(|| {
            failure::retryable(
                "NotReported",
                format!("payment {payment_id} is not reported yet; its report is retrying"),
            )
        })?;
        if payment.refunded_at.is_some() {
            return Ok(yclients_id);
        }
        let already = |listed: Vec<ReportedPayment>| {
            listed.iter().any(|p| p.id == yclients_id && p.is_refunded)
        };
        if payment.refund_started_at.is_none() || !already(self.listed(salon_id).await?) {
            payments::refund_starting(&self.db, payment_id).await?;
            match self.yclients.refund_payment(yclients_id).await {
                Ok(()) => {}
                // Refused: an earlier refund of ours may be what YClients remembers.
                Err(YClientsError::Rejected { .. }) if already(self.listed(salon_id).await?) => {}
                Err(error) => return Err(failure::yclients(error)),
            }
        }
        let mut tx = self.db.begin().await.map_err(anyhow::Error::from)?;
        if payments::refunded(&mut *tx, payment_id).await? {
            events::record(
                &mut *tx,
                &NewEvent {
                    salon_id,
                    event_type: EventType::PaymentRefunded,
                    data: serde_json::json!({
                        "payment_id": payment_id,
                        "yclients_payment_id": yclients_id,
                        "amount": major_units(payment.amount_minor),
                        "currency": payment.currency,
                    }),
                    dedup_key: Some(format!("payment-refunded/{payment_id}")),
                },
            )
            .await?;
        }
        tx.commit().await.map_err(anyhow::Error::from)?;
        tracing::info!(%salon_id, payment_id, yclients_id, "refund reported to YClients");
        Ok(yclients_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_and_write_in_minor_units() {
        assert_eq!(minor_units("2990"), Some(299_000));
        assert_eq!(minor_units("2990.5"), Some(299_050));
        assert_eq!(minor_units("2990,05"), Some(299_005));
        for bad in ["", "0", "-5", "1.234", "1e3", "abc", ".5"] {
            assert_eq!(minor_units(bad), None, "{bad}");
        }
        assert_eq!(major_units(299_005), "2990.05");
    }

    #[test]
    fn tariffs_are_name_price_currency_lists() {
        let tariffs = Plans::parse_tariffs("standard:2990:rub, pro:4990.50:RUB").unwrap();
        assert_eq!(tariffs[1].price_minor, 499_050);
        assert_eq!(tariffs[0].currency, "RUB");
        for bad in [
            "",
            "standard",
            "a:1:RUBL",
            "a b:1:RUB",
            "a:x:RUB",
            "a:1:RUB,a:2:RUB",
        ] {
            assert!(Plans::parse_tariffs(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_listed_payment_matches_the_report_by_sum_and_dates() {
        let sent = PartnerPayment {
            salon_id: 1,
            application_id: "app".into(),
            payment_sum: "2990.00".into(),
            currency_iso: "RUB".into(),
            payment_date: "2026-12-01 10:00:00".into(),
            period_from: "2026-12-01 00:00:00".into(),
            period_to: "2026-12-31 23:59:59".into(),
        };
        let mut listed = ReportedPayment {
            id: 5,
            payment_sum: "2990".into(),
            payment_date: Some("2026-12-01T10:00:00+03:00".into()),
            period_from: Some("2026-12-01 00:00:00".into()),
            period_to: Some("2026-12-31 23:59:59".into()),
            is_refunded: false,
        };
        assert!(same_payment(&listed, &sent));
        listed.payment_sum = "2990.01".into();
        assert!(!same_payment(&listed, &sent));
    }
}
