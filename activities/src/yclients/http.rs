//! The real YClients client over reqwest: base URL, timeout, partner token, the v2
//! `Accept` header, the shared rate limiter, and mapping of HTTP answers to
//! [`YClientsError`].

use super::rate_limit::RateLimiter;
use super::types::{Company, Envelope};
use super::{YClients, YClientsError};
use crate::domain::SalonId;
use crate::secret::Secret;
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
}

/// `Accept` value YClients' v2 API expects.
pub const ACCEPT_V2: &str = "application/vnd.yclients.v2+json";

/// Talks HTTP to YClients (or to the in-repo simulator, which speaks the same API).
#[derive(Debug, Clone)]
pub struct HttpYClients {
    http: reqwest::Client,
    config: Arc<YClientsConfig>,
    limiter: Arc<RateLimiter>,
}

impl HttpYClients {
    /// Builds a client; `limiter` is shared by every YClients client of the process.
    pub fn new(config: YClientsConfig, limiter: Arc<RateLimiter>) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ai-admin/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let mut config = config;
        config.base_url = config.base_url.trim_end_matches('/').to_owned();
        Ok(Self {
            http,
            config: Arc::new(config),
            limiter,
        })
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

    /// Sends one request and unwraps the envelope's `data`.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<T, YClientsError> {
        self.limiter.acquire().await;
        let url = format!("{}{}", self.config.base_url, path);
        let mut request = self
            .http
            .request(method.clone(), &url)
            .header(header::AUTHORIZATION, self.authorization())
            .header(header::ACCEPT, ACCEPT_V2);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| self.transport_error(e))?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let text = response.text().await.map_err(|e| self.transport_error(e))?;
        tracing::debug!(%method, path, status = status.as_u16(), "YClients call");
        if status == StatusCode::TOO_MANY_REQUESTS {
            if let Some(delay) = retry_after {
                self.limiter.back_off(delay).await;
            }
            return Err(YClientsError::RateLimited { retry_after });
        }
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

/// Maps a status and body to the envelope's data or an error.
fn interpret<T: DeserializeOwned>(status: StatusCode, body: &str) -> Result<T, YClientsError> {
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
            envelope.data.ok_or_else(|| {
                YClientsError::InvalidResponse("the envelope carries no data".to_owned())
            })
        }
        404 => Err(YClientsError::NotFound),
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

fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    headers
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

fn snippet(body: &str) -> String {
    body.chars().take(120).collect()
}

#[async_trait::async_trait]
impl YClients for HttpYClients {
    async fn company(&self, salon_id: SalonId) -> Result<Company, YClientsError> {
        self.call(Method::GET, &format!("/api/v1/company/{salon_id}"), None)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_typed_errors() {
        let ok: Result<Company, _> = interpret(
            StatusCode::OK,
            r#"{"success":true,"data":{"id":5,"title":"Салон"},"meta":[]}"#,
        );
        assert_eq!(ok.unwrap().title, "Салон");
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
    fn retry_after_reads_seconds() {
        let mut headers = header::HeaderMap::new();
        headers.insert(header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
    }
}
