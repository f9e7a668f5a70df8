//! The real YClients client over reqwest: base URL, timeout, partner token, the v2
//! `Accept` header, the shared rate limiter, and mapping of HTTP answers to
//! [`YClientsError`].

use super::rate_limit::RateLimiter;
use super::types::{
    ActivationCallback, Appointment, Booked, BookingRequest, Client, Company, Envelope, FreeTime,
    InstallStatus, Meta, Page, PartnerPayment, Record, Service, ServiceCategory, Staff, StaffDay,
};
use super::{YClients, YClientsError};
use crate::clients::http_answer::{retry_after, snippet};
use crate::domain::SalonId;
use crate::metrics::Metrics;
use crate::secret::Secret;
use chrono::NaiveDate;
use reqwest::{Method, StatusCode, header};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;

/// What the client needs to know; everything comes from the process configuration.
#[derive(Debug, Clone)]
pub struct YClientsConfig {
    /// API root, e.g. `https://api.yclients.com` (no trailing slash needed).
    pub base_url: String,
    /// Sent as `Authorization: Bearer <partner token>`.
    pub partner_token: Secret,
    /// Added as `, User <token>` where YClients asks for a user token; the marketplace
    /// flow works with the partner token alone, so it is optional.
    pub user_token: Option<Secret>,
    /// Limit for one request, connection included.
    pub timeout: Duration,
    /// YClients or Altegio: the `Accept` value differs.
    pub brand: super::CrmBrand,
}

/// Talks HTTP to YClients (or to the in-repo simulator, which speaks the same API).
#[derive(Debug, Clone)]
pub struct HttpYClients {
    http: reqwest::Client,
    config: Arc<YClientsConfig>,
    limiter: Arc<RateLimiter>,
    /// The longest a call queues for its turn at the limiter.
    max_wait: Duration,
    metrics: Metrics,
}

impl HttpYClients {
    /// Builds a client; `limiter` is shared by every YClients client of the process.
    pub fn new(config: YClientsConfig, limiter: Arc<RateLimiter>) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            // Direct, whatever HTTPS_PROXY/ALL_PROXY say: a proxy meant for the language
            // model (abroad) must never carry a salon's data.
            .no_proxy()
            .user_agent(concat!("ai-admin/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let mut config = config;
        config.base_url = config.base_url.trim_end_matches('/').to_owned();
        Ok(Self {
            http,
            config: Arc::new(config),
            limiter,
            max_wait: super::rate_limit::MAX_WAIT,
            metrics: Metrics::new(),
        })
    }

    /// The same client (same limiter) queueing at most `max_wait` for a turn: for calls
    /// a person waits on, which should fail fast rather than queue behind a sync.
    pub fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// Counts this client's calls into `metrics`.
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    fn authorization(&self) -> String {
        match &self.config.user_token {
            Some(user) => format!(
                "Bearer {}, User {}",
                self.config.partner_token.expose(),
                user.expose()
            ),
            None => format!("Bearer {}", self.config.partner_token.expose()),
        }
    }

    /// Sends one request (through the rate limiter) and returns status and body.
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<(StatusCode, String), YClientsError> {
        if let Err(busy) = self.limiter.acquire_within(self.max_wait).await {
            self.metrics.yclients_call("queue_full");
            return Err(YClientsError::RateLimited {
                retry_after: Some(busy.wait),
            });
        }
        let url = format!("{}{}", self.config.base_url, path);
        let mut request = self
            .http
            .request(method.clone(), &url)
            .header(header::AUTHORIZATION, self.authorization())
            .header(header::ACCEPT, self.config.brand.accept());
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let answer = async {
            let response = request.send().await?;
            let status = response.status();
            let retry_after = retry_after(response.headers());
            Ok::<_, reqwest::Error>((status, retry_after, response.text().await?))
        }
        .await;
        let (status, retry_after, text) = match answer {
            Ok(answer) => answer,
            Err(error) => {
                let error = self.transport_error(error);
                self.metrics.yclients_call(match error {
                    YClientsError::Timeout(_) => "timeout",
                    _ => "transport",
                });
                return Err(error);
            }
        };
        self.metrics.yclients_call(status.as_str());
        tracing::debug!(%method, path, status = status.as_u16(), "YClients call");
        if status == StatusCode::TOO_MANY_REQUESTS {
            if let Some(delay) = retry_after {
                self.limiter.back_off(delay).await;
            }
            return Err(YClientsError::RateLimited { retry_after });
        }
        Ok((status, text))
    }

    /// Sends one request and unwraps the envelope's `data` (and `meta`).
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<(T, Meta), YClientsError> {
        let (status, text) = self.send(method, path, query, body).await?;
        interpret(status, &text)
    }

    fn transport_error(&self, error: reqwest::Error) -> YClientsError {
        if error.is_timeout() {
            YClientsError::Timeout(self.config.timeout)
        } else {
            // The URL holds no secret; strip it anyway so logs stay short.
            YClientsError::Transport(error.without_url().to_string())
        }
    }
}

/// Maps a status and body to the envelope's data and meta, or an error.
fn interpret<T: DeserializeOwned>(
    status: StatusCode,
    body: &str,
) -> Result<(T, Meta), YClientsError> {
    let envelope = serde_json::from_str::<Envelope<T>>(body);
    let message = || match &envelope {
        Ok(envelope) => envelope.meta.describe().unwrap_or_default(),
        Err(_) => snippet(body),
    };
    match status.as_u16() {
        200..=299 => {
            let envelope = envelope.map_err(|e| {
                YClientsError::InvalidResponse(format!("{e} in {:?}", snippet(body)))
            })?;
            if !envelope.success {
                return Err(YClientsError::Rejected {
                    status: status.as_u16(),
                    message: envelope.meta.describe().unwrap_or_default(),
                });
            }
            let meta = envelope.meta;
            envelope.data.map(|data| (data, meta)).ok_or_else(|| {
                YClientsError::InvalidResponse("the envelope carries no data".to_owned())
            })
        }
        404 => Err(YClientsError::NotFound),
        400..=499 if slot_taken(body) => Err(YClientsError::SlotTaken),
        401 | 403 => Err(YClientsError::Unauthorized {
            status: status.as_u16(),
            message: message(),
        }),
        500..=599 => Err(YClientsError::Server {
            status: status.as_u16(),
            message: message(),
        }),
        other => Err(YClientsError::Rejected {
            status: other,
            message: message(),
        }),
    }
}

/// Whether an error body carries YClients' code 433 ("the time is taken"), in
/// `meta.errors[]` or a top-level `errors` object.
fn slot_taken(body: &str) -> bool {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(body) else {
        return false;
    };
    let is_433 = |error: &serde_json::Value| {
        error.get("code").and_then(|code| {
            code.as_i64()
                .or_else(|| code.as_str().and_then(|s| s.parse().ok()))
        }) == Some(433)
    };
    let in_meta = value["meta"]["errors"]
        .as_array()
        .is_some_and(|errors| errors.iter().any(is_433));
    in_meta || is_433(&value["errors"])
}

/// The answer to a partner call without data (the activation callback, a refund): any
/// 2xx — JSON without `"success": false`, an empty body or an HTML page — or a 301 (the
/// client follows no redirects) means success; anything else is the error [`interpret`]
/// gives it.
fn interpret_callback(status: StatusCode, body: &str) -> Result<(), YClientsError> {
    if status == StatusCode::MOVED_PERMANENTLY {
        return Ok(());
    }
    let success = |text: &str| {
        serde_json::from_str::<serde_json::Value>(text)
            .map(|value| value.get("success").and_then(serde_json::Value::as_bool))
    };
    match (status.as_u16(), success(body)) {
        (200..=299, Ok(Some(true) | None)) => Ok(()),
        (200..=299, Ok(Some(false))) => Err(YClientsError::Rejected {
            status: status.as_u16(),
            message: snippet(body),
        }),
        // YClients now and then answers a taken callback with an HTML page: the status
        // decides.
        (200..=299, Err(_)) if body.trim().is_empty() => Ok(()),
        (200..=299, Err(_)) => {
            tracing::warn!(status = status.as_u16(), body = %snippet(body), "YClients answered with a page instead of JSON; taken as success");
            Ok(())
        }
        _ => interpret::<serde_json::Value>(status, body).map(|_| ()),
    }
}

fn date(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

#[async_trait::async_trait]
impl YClients for HttpYClients {
    async fn company(&self, salon_id: SalonId) -> Result<Company, YClientsError> {
        let path = format!("/api/v1/company/{salon_id}");
        Ok(self.call(Method::GET, &path, &[], None).await?.0)
    }

    async fn service_categories(
        &self,
        salon_id: SalonId,
    ) -> Result<Vec<ServiceCategory>, YClientsError> {
        let path = format!("/api/v1/company/{salon_id}/service_categories");
        Ok(self.call(Method::GET, &path, &[], None).await?.0)
    }

    async fn services(&self, salon_id: SalonId) -> Result<Vec<Service>, YClientsError> {
        let path = format!("/api/v1/company/{salon_id}/services");
        Ok(self.call(Method::GET, &path, &[], None).await?.0)
    }

    async fn staff(&self, salon_id: SalonId) -> Result<Vec<Staff>, YClientsError> {
        let path = format!("/api/v1/company/{salon_id}/staff");
        Ok(self.call(Method::GET, &path, &[], None).await?.0)
    }

    async fn clients_page(
        &self,
        salon_id: SalonId,
        page: u32,
        page_size: u32,
    ) -> Result<Page<Client>, YClientsError> {
        let path = format!("/api/v1/company/{salon_id}/clients/search");
        let body = serde_json::json!({
            "page": page,
            "page_size": page_size,
            "fields": ["id", "name", "phone", "email", "visits", "last_visit_date"],
            "order_by": "id",
            "order_by_direction": "ASC",
        });
        let (items, meta) = self.call(Method::POST, &path, &[], Some(&body)).await?;
        Ok(Page {
            items,
            total: meta.total_count,
        })
    }

    async fn staff_schedule(
        &self,
        salon_id: SalonId,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<StaffDay>, YClientsError> {
        let path = format!("/api/v1/company/{salon_id}/staff/schedule");
        let query = [("start_date", date(start)), ("end_date", date(end))];
        Ok(self.call(Method::GET, &path, &query, None).await?.0)
    }

    async fn records_page(
        &self,
        salon_id: SalonId,
        page: u32,
        count: u32,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Page<Record>, YClientsError> {
        let path = format!("/api/v1/records/{salon_id}");
        let query = [
            ("page", page.to_string()),
            ("count", count.to_string()),
            ("start_date", date(start)),
            ("end_date", date(end)),
        ];
        let (items, meta) = self.call(Method::GET, &path, &query, None).await?;
        Ok(Page {
            items,
            total: meta.total_count,
        })
    }

    async fn record(&self, salon_id: SalonId, record_id: i64) -> Result<Record, YClientsError> {
        let path = format!("/api/v1/record/{salon_id}/{record_id}");
        Ok(self.call(Method::GET, &path, &[], None).await?.0)
    }

    async fn client_records(
        &self,
        salon_id: SalonId,
        client_id: i64,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<Record>, YClientsError> {
        let path = format!("/api/v1/records/{salon_id}");
        let query = [
            ("client_id", client_id.to_string()),
            ("start_date", start.to_string()),
            ("end_date", end.to_string()),
            ("count", "200".to_owned()),
        ];
        Ok(self.call(Method::GET, &path, &query, None).await?.0)
    }

    async fn free_times(
        &self,
        salon_id: SalonId,
        staff_id: i64,
        date: NaiveDate,
        service_id: i64,
    ) -> Result<Vec<FreeTime>, YClientsError> {
        let path = format!("/api/v1/book_times/{salon_id}/{staff_id}/{date}");
        let query = [("service_ids[]", service_id.to_string())];
        Ok(self.call(Method::GET, &path, &query, None).await?.0)
    }

    async fn check_booking(
        &self,
        salon_id: SalonId,
        appointments: &[Appointment],
    ) -> Result<(), YClientsError> {
        let path = format!("/api/v1/book_check/{salon_id}");
        let body = serde_json::json!({ "appointments": appointments });
        let (status, text) = self.send(Method::POST, &path, &[], Some(&body)).await?;
        if status.is_success() {
            // 201 with an empty body (or an envelope without data) means bookable.
            return Ok(());
        }
        interpret::<serde_json::Value>(status, &text).map(|_| ())
    }

    async fn book(
        &self,
        salon_id: SalonId,
        request: &BookingRequest,
    ) -> Result<Vec<Booked>, YClientsError> {
        let path = format!("/api/v1/book_record/{salon_id}");
        let body = serde_json::to_value(request)
            .map_err(|e| YClientsError::InvalidResponse(e.to_string()))?;
        Ok(self.call(Method::POST, &path, &[], Some(&body)).await?.0)
    }

    async fn move_record(
        &self,
        salon_id: SalonId,
        record_id: i64,
        to: &Appointment,
    ) -> Result<Record, YClientsError> {
        let path = format!("/api/v1/record/{salon_id}/{record_id}");
        let body =
            serde_json::to_value(to).map_err(|e| YClientsError::InvalidResponse(e.to_string()))?;
        Ok(self.call(Method::PUT, &path, &[], Some(&body)).await?.0)
    }

    async fn confirm_record(
        &self,
        salon_id: SalonId,
        record_id: i64,
        at: &Appointment,
    ) -> Result<Record, YClientsError> {
        let path = format!("/api/v1/record/{salon_id}/{record_id}");
        let mut body =
            serde_json::to_value(at).map_err(|e| YClientsError::InvalidResponse(e.to_string()))?;
        body["attendance"] = serde_json::json!(2);
        Ok(self.call(Method::PUT, &path, &[], Some(&body)).await?.0)
    }

    async fn cancel_record(&self, salon_id: SalonId, record_id: i64) -> Result<(), YClientsError> {
        let path = format!("/api/v1/record/{salon_id}/{record_id}");
        let (status, text) = self.send(Method::DELETE, &path, &[], None).await?;
        if status.is_success() {
            return Ok(());
        }
        interpret::<serde_json::Value>(status, &text).map(|_| ())
    }

    async fn client(&self, salon_id: SalonId, client_id: i64) -> Result<Client, YClientsError> {
        let path = format!("/api/v1/client/{salon_id}/{client_id}");
        Ok(self.call(Method::GET, &path, &[], None).await?.0)
    }

    async fn activation_callback(
        &self,
        callback: &ActivationCallback,
    ) -> Result<(), YClientsError> {
        let body = serde_json::to_value(callback)
            .map_err(|e| YClientsError::InvalidResponse(e.to_string()))?;
        let (status, text) = self
            .send(
                Method::POST,
                "/marketplace/partner/callback/redirect",
                &[],
                Some(&body),
            )
            .await?;
        interpret_callback(status, &text)
    }

    async fn install_status(
        &self,
        salon_id: SalonId,
        application_id: &str,
    ) -> Result<Option<InstallStatus>, YClientsError> {
        let path = format!(
            "/marketplace/salon/{salon_id}/application/{}",
            form_urlencoded::byte_serialize(application_id.as_bytes()).collect::<String>()
        );
        match self
            .call::<InstallStatus>(Method::GET, &path, &[], None)
            .await
        {
            Ok((status, _)) => Ok(Some(status)),
            Err(YClientsError::NotFound) => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn report_payment(&self, payment: &PartnerPayment) -> Result<i64, YClientsError> {
        let body = serde_json::to_value(payment)
            .map_err(|e| YClientsError::InvalidResponse(e.to_string()))?;
        let (data, _) = self
            .call::<serde_json::Value>(
                Method::POST,
                "/marketplace/partner/payment",
                &[],
                Some(&body),
            )
            .await?;
        data.get("id")
            .and_then(|id| id.as_i64().or_else(|| id.as_str()?.parse().ok()))
            .ok_or_else(|| {
                YClientsError::InvalidResponse("the payment answer carries no data.id".to_owned())
            })
    }

    async fn refund_payment(&self, yclients_payment_id: i64) -> Result<(), YClientsError> {
        let path = format!("/marketplace/partner/payment/refund/{yclients_payment_id}");
        let (status, text) = self.send(Method::POST, &path, &[], None).await?;
        // A refund answers with or without data; only the status and `success` count.
        interpret_callback(status, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_typed_errors() {
        let ok: Result<(Company, _), _> = interpret(
            StatusCode::OK,
            r#"{"success":true,"data":{"id":5,"title":"Салон"},"meta":[]}"#,
        );
        assert_eq!(ok.unwrap().0.title, "Салон");
        assert_eq!(
            interpret::<Company>(StatusCode::NOT_FOUND, r#"{"success":false,"meta":[]}"#),
            Err(YClientsError::NotFound)
        );
        assert!(matches!(
            interpret::<Company>(StatusCode::FORBIDDEN, r#"{"success":false,"meta":{"message":"Access denied."}}"#),
            Err(YClientsError::Unauthorized { status: 403, message }) if message == "Access denied."
        ));
        assert!(matches!(
            interpret::<Company>(StatusCode::BAD_GATEWAY, "<html>bad gateway</html>"),
            Err(YClientsError::Server { status: 502, .. })
        ));
        assert!(matches!(
            interpret::<Company>(StatusCode::UNPROCESSABLE_ENTITY, r#"{"success":false,"meta":{"errors":["busy"]}}"#),
            Err(YClientsError::Rejected { status: 422, message }) if message == "busy"
        ));
        assert!(matches!(
            interpret::<Company>(StatusCode::OK, "<html>maintenance</html>"),
            Err(YClientsError::InvalidResponse(_))
        ));
    }

    #[test]
    fn the_activation_callback_succeeds_on_200_or_301_only() {
        assert_eq!(
            interpret_callback(StatusCode::OK, r#"{"success":true}"#),
            Ok(())
        );
        assert_eq!(
            interpret_callback(StatusCode::MOVED_PERMANENTLY, ""),
            Ok(())
        );
        assert_eq!(
            interpret_callback(StatusCode::OK, "<html>Вход</html>"),
            Ok(())
        );
        assert_eq!(interpret_callback(StatusCode::CREATED, ""), Ok(()));
        assert!(matches!(
            interpret_callback(StatusCode::OK, r#"{"success":false}"#),
            Err(YClientsError::Rejected { .. })
        ));
        assert!(matches!(
            interpret_callback(
                StatusCode::FORBIDDEN,
                r#"{"success":false,"meta":{"message":"no"}}"#
            ),
            Err(YClientsError::Unauthorized { status: 403, .. })
        ));
        assert!(matches!(
            interpret_callback(StatusCode::SERVICE_UNAVAILABLE, ""),
            Err(YClientsError::Server { status: 503, .. })
        ));
    }
}
