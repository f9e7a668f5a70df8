//! The marketplace side of the simulator: each salon's install of our application
//! (pending → active → freezed → uninstalled, with its log), the payments a partner
//! reports and their refunds, and the routes YClients serves for them:
//! - `POST /marketplace/partner/callback/redirect` — activates a pending install; a
//!   second callback for an installed salon is refused 403 "already installed";
//! - `GET /marketplace/salon/{salon_id}/application/{app_id}` — `connection_status`,
//!   `logs[]`, `payments[]`; 404 when the salon never installed the application;
//! - `POST /marketplace/partner/payment` → `data.id`; no idempotency key (a repeat is a
//!   second payment, as in YClients);
//! - `POST /marketplace/partner/payment/refund/{id}` — once; a second refund is 422.

use super::server::error_body;
use super::state::SimState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Where our application stands in one salon, as YClients names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstallState {
    /// Never installed: the status endpoint answers 404.
    None,
    /// The owner pressed "Connect"; the partner's callback is awaited.
    Pending,
    /// Installed and working.
    Active,
    /// The salon stopped paying.
    Freezed,
    /// Removed by the salon.
    Uninstalled,
}

impl InstallState {
    fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Freezed => "freezed",
            Self::Uninstalled => "uninstalled",
        }
    }
}

/// One change of an install, as `logs[]` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallLog {
    /// The state before.
    pub status_from: String,
    /// The state after.
    pub status_to: String,
    /// Who changed it: `partner` (our callback) or `salon` (the owner, a test).
    pub source: String,
}

/// A payment a partner reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportedPayment {
    /// YClients' id (`data.id`).
    pub id: i64,
    /// The paying salon; its install status lists the payment under this application.
    pub salon_id: i64,
    /// Our application.
    pub application_id: String,
    /// The sum as sent.
    pub payment_sum: serde_json::Value,
    /// ISO currency.
    pub currency_iso: String,
    /// `Y-m-d H:i:s`.
    pub payment_date: String,
    /// `Y-m-d H:i:s`.
    pub period_from: String,
    /// `Y-m-d H:i:s`.
    pub period_to: String,
    /// Set by `payment/refund/{id}`; a second refund is refused.
    pub is_refunded: bool,
}

/// Installs, their logs and payments (inside the simulator's lock).
#[derive(Debug, Default)]
pub(crate) struct Marketplace {
    installs: std::collections::BTreeMap<i64, (InstallState, Vec<InstallLog>)>,
    payments: Vec<ReportedPayment>,
}

impl Marketplace {
    /// A known salon the test did not set is installing the application.
    pub(crate) fn state(&self, salon_id: i64) -> InstallState {
        self.installs
            .get(&salon_id)
            .map_or(InstallState::Pending, |(state, _)| *state)
    }

    pub(crate) fn set(&mut self, salon_id: i64, to: InstallState, source: &str) {
        let from = self.state(salon_id);
        let (state, logs) = self
            .installs
            .entry(salon_id)
            .or_insert((InstallState::Pending, Vec::new()));
        *state = to;
        if from != to {
            logs.push(InstallLog {
                status_from: from.as_str().to_owned(),
                status_to: to.as_str().to_owned(),
                source: source.to_owned(),
            });
        }
    }

    fn logs(&self, salon_id: i64) -> Vec<InstallLog> {
        self.installs
            .get(&salon_id)
            .map(|(_, logs)| logs.clone())
            .unwrap_or_default()
    }

    pub(crate) fn payments(&self) -> Vec<ReportedPayment> {
        self.payments.clone()
    }
}

/// Whether an install in `state` counts as having the application (installing or installed).
pub(crate) fn has_application(state: InstallState) -> bool {
    matches!(
        state,
        InstallState::Pending | InstallState::Active | InstallState::Freezed
    )
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Json(error_body(message))).into_response()
}

/// `GET /marketplace/salon/{salon_id}/application/{app_id}`.
pub(crate) async fn application_status(
    State(state): State<SimState>,
    Path((salon_id, app_id)): Path<(String, String)>,
) -> Response {
    let Ok(id) = salon_id.parse::<i64>() else {
        return refuse(StatusCode::NOT_FOUND, "Not found");
    };
    if state.salon(id).is_none() || app_id.trim().is_empty() {
        return refuse(StatusCode::NOT_FOUND, "Not found");
    }
    let answer = state.with_marketplace(|market| {
        let install = market.state(id);
        (install != InstallState::None).then(|| {
            let payments: Vec<_> = market
                .payments
                .iter()
                .filter(|p| p.salon_id == id && p.application_id == app_id)
                .cloned()
                .collect();
            json!({
                "salon_id": id,
                "application_id": app_id,
                "connection_status": install.as_str(),
                "logs": market.logs(id),
                "payments": payments,
            })
        })
    });
    match answer {
        Some(data) => Json(json!({ "success": true, "data": data, "meta": [] })).into_response(),
        None => refuse(StatusCode::NOT_FOUND, "Not found"),
    }
}

/// `POST /marketplace/partner/callback/redirect`: a pending install becomes active.
pub(crate) async fn activation_callback(
    State(state): State<SimState>,
    body: axum::body::Bytes,
) -> Response {
    let salon_id = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|body| body["salon_id"].as_i64());
    let Some(id) = salon_id.filter(|id| state.salon(*id).is_some()) else {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, "Unknown salon");
    };
    state.with_marketplace(|market| match market.state(id) {
        InstallState::Pending => {
            market.set(id, InstallState::Active, "partner");
            Json(json!({ "success": true })).into_response()
        }
        InstallState::Active | InstallState::Freezed => {
            refuse(StatusCode::FORBIDDEN, "Application already installed")
        }
        InstallState::None | InstallState::Uninstalled => refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Application is not being installed in this salon",
        ),
    })
}

/// Body of `POST /marketplace/partner/payment`.
#[derive(Debug, Deserialize)]
pub(crate) struct PaymentBody {
    salon_id: i64,
    application_id: String,
    payment_sum: serde_json::Value,
    currency_iso: String,
    payment_date: String,
    period_from: String,
    period_to: String,
}

fn ymd_his(text: &str) -> bool {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").is_ok()
}

/// `POST /marketplace/partner/payment`.
pub(crate) async fn report_payment(
    State(state): State<SimState>,
    body: axum::body::Bytes,
) -> Response {
    let Ok(body) = serde_json::from_slice::<PaymentBody>(&body) else {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, "Invalid payment data");
    };
    let sum_ok = match &body.payment_sum {
        serde_json::Value::Number(n) => n.as_f64().is_some_and(|v| v > 0.0),
        serde_json::Value::String(s) => s.parse::<f64>().is_ok_and(|v| v > 0.0),
        _ => false,
    };
    if !sum_ok
        || body.currency_iso.len() != 3
        || ![&body.payment_date, &body.period_from, &body.period_to]
            .iter()
            .all(|d| ymd_his(d))
    {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, "Invalid payment data");
    }
    if state.salon(body.salon_id).is_none() {
        return refuse(StatusCode::NOT_FOUND, "Salon not found");
    }
    state.with_marketplace(|market| {
        if !has_application(market.state(body.salon_id)) {
            return refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Application is not installed in this salon",
            );
        }
        let id = 9_000_000 + i64::try_from(market.payments.len()).unwrap_or(0) + 1;
        let payment = ReportedPayment {
            id,
            salon_id: body.salon_id,
            application_id: body.application_id,
            payment_sum: body.payment_sum,
            currency_iso: body.currency_iso,
            payment_date: body.payment_date,
            period_from: body.period_from,
            period_to: body.period_to,
            is_refunded: false,
        };
        market.payments.push(payment.clone());
        (
            StatusCode::CREATED,
            Json(json!({ "success": true, "data": payment, "meta": [] })),
        )
            .into_response()
    })
}

/// `POST /marketplace/partner/payment/refund/{id}`.
pub(crate) async fn refund_payment(
    State(state): State<SimState>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return refuse(StatusCode::NOT_FOUND, "Payment not found");
    };
    state.with_marketplace(
        |market| match market.payments.iter_mut().find(|p| p.id == id) {
            None => refuse(StatusCode::NOT_FOUND, "Payment not found"),
            Some(payment) if payment.is_refunded => {
                refuse(StatusCode::UNPROCESSABLE_ENTITY, "Payment already refunded")
            }
            Some(payment) => {
                payment.is_refunded = true;
                Json(json!({ "success": true, "data": payment.clone(), "meta": [] }))
                    .into_response()
            }
        },
    )
}

/// Body of `POST /__sim/salons/{id}/install`.
#[derive(Debug, Deserialize)]
pub(crate) struct SetInstall {
    state: InstallState,
}

/// `POST /__sim/salons/{id}/install {"state": …}`: the salon's owner connects, disables
/// or removes the application.
pub(crate) async fn set_install(
    State(state): State<SimState>,
    Path(id): Path<i64>,
    Json(body): Json<SetInstall>,
) -> StatusCode {
    state.set_install(id, body.state);
    StatusCode::NO_CONTENT
}

/// `GET /__sim/payments`: every payment reported.
pub(crate) async fn list_payments(State(state): State<SimState>) -> Json<Vec<ReportedPayment>> {
    Json(state.payments())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installs_start_pending_and_log_each_change() {
        let mut market = Marketplace::default();
        assert_eq!(market.state(7), InstallState::Pending);
        market.set(7, InstallState::Active, "partner");
        market.set(7, InstallState::Active, "partner");
        market.set(7, InstallState::Uninstalled, "salon");
        let logs = market.logs(7);
        assert_eq!(logs.len(), 2);
        assert_eq!(logs[0].status_from, "pending");
        assert_eq!(logs[1].status_to, "uninstalled");
        assert!(!has_application(market.state(7)));
    }
}
