//! Where a WebSocket's onboarding token comes from, strongest first: the
//! `Authorization: Bearer` header, else the first frame `{"event":"auth","data":{"token":…}}`
//! (what browsers can do), else `?token=` (logged as weaker: URLs end up in logs and
//! history). The company is only ever taken from the verified token.

use super::frames::ClientFrame;
use axum::extract::ws::{Message, WebSocket};
use axum::http::{HeaderMap, header};
use std::time::Duration;

/// How long to wait for an `auth` frame when no header carried a token.
pub const FIRST_FRAME_WAIT: Duration = Duration::from_secs(3);

/// Tokens offered outside the socket itself.
#[derive(Debug, Clone, Default)]
pub struct Candidates {
    header: Option<String>,
    query: Option<String>,
}

impl Candidates {
    /// Reads the header and the query string of the upgrade request.
    pub fn from_request(headers: &HeaderMap, query: Option<&str>) -> Self {
        let header = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(|token| token.trim().to_owned())
            .filter(|token| !token.is_empty());
        let query = query.and_then(|raw| {
            form_urlencoded::parse(raw.as_bytes())
                .find(|(key, _)| key == "token")
                .map(|(_, value)| value.into_owned())
                .filter(|token| !token.is_empty())
        });
        Self { header, query }
    }
}

/// A token and the first frame that was not an `auth` frame (to handle after auth).
#[derive(Debug)]
pub struct Presented {
    /// The token to verify, if any was offered.
    pub token: Option<String>,
    /// A frame the client sent before authenticating.
    pub early_frame: Option<ClientFrame>,
}

/// Picks the token by the order above, reading the first frame when needed.
pub async fn presented_token(socket: &mut WebSocket, candidates: Candidates) -> Presented {
    if let Some(token) = candidates.header {
        return Presented {
            token: Some(token),
            early_frame: None,
        };
    }
    let mut early_frame = None;
    if let Ok(Some(Ok(Message::Text(text)))) =
        tokio::time::timeout(FIRST_FRAME_WAIT, socket.recv()).await
        && let Ok(frame) = serde_json::from_str::<ClientFrame>(&text)
    {
        if frame.event == "auth" {
            let token = frame
                .data
                .get("token")
                .and_then(|token| token.as_str())
                .map(str::to_owned);
            return Presented {
                token,
                early_frame: None,
            };
        }
        early_frame = Some(frame);
    }
    if candidates.query.is_some() {
        tracing::warn!("WebSocket authenticated by a token in the query string (weaker)");
    }
    Presented {
        token: candidates.query,
        early_frame,
    }
}
