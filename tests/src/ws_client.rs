//! A WebSocket client speaking the onboarding page's protocol, for tests.

use futures::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How a test presents its token.
#[derive(Debug, Clone)]
pub enum WsAuth {
    /// `Authorization: Bearer <token>` on the upgrade request.
    Header(String),
    /// First frame `{"event":"auth","data":{"token":…}}`.
    FirstFrame(String),
    /// `?token=` on the URL.
    Query(String),
    /// No token at all.
    None,
}

/// A connected socket.
pub struct WsClient {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// Why a connection attempt failed.
#[derive(Debug)]
pub enum ConnectError {
    /// The server answered the upgrade with this HTTP status.
    Refused(StatusCode),
    /// Anything else.
    Other(Error),
}

/// A frame the server sent, or how the socket ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Received {
    /// `{"event", "data"}`.
    Frame {
        /// Event name.
        event: String,
        /// Payload.
        data: Value,
    },
    /// The server closed the socket with this code.
    Closed(Option<u16>),
}

impl WsClient {
    /// Connects to `ws://<address>/marketplace/ws` the way `auth` says.
    pub async fn connect(http_address: &str, auth: WsAuth) -> Result<WsClient, ConnectError> {
        Self::connect_with_headers(http_address, auth, &[]).await
    }

    /// [`Self::connect`] with further headers on the upgrade request (e.g.
    /// `X-Forwarded-For`, as a proxy in front of the app would add).
    pub async fn connect_with_headers(
        http_address: &str,
        auth: WsAuth,
        headers: &[(&'static str, &str)],
    ) -> Result<WsClient, ConnectError> {
        let base = http_address.replacen("http://", "ws://", 1);
        let url = match &auth {
            WsAuth::Query(token) => format!("{base}/marketplace/ws?token={token}"),
            _ => format!("{base}/marketplace/ws"),
        };
        let mut request = url.into_client_request().map_err(ConnectError::Other)?;
        for (name, value) in headers {
            request
                .headers_mut()
                .insert(*name, value.parse().expect("a valid header"));
        }
        if let WsAuth::Header(token) = &auth {
            request.headers_mut().insert(
                "Authorization",
                format!("Bearer {token}").parse().expect("a valid header"),
            );
        }
        let (stream, _) = tokio_tungstenite::connect_async(request)
            .await
            .map_err(|error| match error {
                Error::Http(response) => ConnectError::Refused(response.status()),
                other => ConnectError::Other(other),
            })?;
        let mut client = WsClient { stream };
        if let WsAuth::FirstFrame(token) = auth {
            client.send("auth", json!({ "token": token })).await;
        }
        Ok(client)
    }

    /// Sends `{"event", "data"}`.
    pub async fn send(&mut self, event: &str, data: Value) {
        let text = json!({ "event": event, "data": data }).to_string();
        self.stream
            .send(Message::Text(text.into()))
            .await
            .expect("send a frame");
    }

    /// Sends a text frame of any content (an oversized one, for limits); false when the
    /// socket refused it.
    pub async fn send_text(&mut self, text: String) -> bool {
        self.stream.send(Message::Text(text.into())).await.is_ok()
    }

    /// The next frame or the close, waiting at most `timeout`.
    pub async fn receive(&mut self, timeout: Duration) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let next = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .ok()?;
            match next {
                Some(Ok(Message::Text(text))) => {
                    let value: Value = serde_json::from_str(&text).expect("frames are JSON");
                    return Some(Received::Frame {
                        event: value["event"].as_str().unwrap_or_default().to_owned(),
                        data: value["data"].clone(),
                    });
                }
                Some(Ok(Message::Close(frame))) => {
                    return Some(Received::Closed(frame.map(|f| u16::from(f.code))));
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Some(Received::Closed(None)),
            }
        }
    }

    /// The data of the next `event` frame, skipping others; panics on timeout or close.
    pub async fn expect(&mut self, event: &str, timeout: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.receive(left).await {
                Some(Received::Frame { event: name, data }) if name == event => return data,
                Some(Received::Frame { .. }) => continue,
                Some(Received::Closed(code)) => {
                    panic!("socket closed ({code:?}) while waiting for {event}")
                }
                None => panic!("no {event} frame within {timeout:?}"),
            }
        }
    }

    /// Waits for the close, returning the error frame seen before it and the close code.
    pub async fn expect_rejection(&mut self) -> (Value, Option<u16>) {
        let mut error = Value::Null;
        loop {
            match self.receive(Duration::from_secs(10)).await {
                Some(Received::Frame { event, data }) if event == "error" => error = data,
                Some(Received::Frame { event, .. }) => {
                    panic!("unexpected {event} before rejection")
                }
                Some(Received::Closed(code)) => return (error, code),
                None => panic!("the socket was not closed"),
            }
        }
    }
}

/// The close code a server uses for a missing or invalid token.
pub const UNAUTHORIZED_CLOSE: u16 = 4401;
