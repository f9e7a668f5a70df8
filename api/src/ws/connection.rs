//! One owner's WebSocket from authentication to close: the onboarding page's (an
//! onboarding token: QR and pairing codes, progress) or the console's (a console session:
//! a `conversation` nudge whenever a client's conversation changes, and the WhatsApp
//! state events).
//!
//! A slow or stuck client never holds anyone else up: it has its own broadcast
//! receiver (falling behind only makes it re-read the table), and a send that takes
//! longer than [`SEND_TIMEOUT`] closes its socket.

use super::auth::{self, Candidates};
use super::frames::{ClientFrame, ServerFrame};
use crate::auth::OnboardingClaims;
use crate::live::Fanout;
use crate::state::AppState;
use ai_admin_activities::db::companies;
use ai_admin_activities::db::console_sessions;
use ai_admin_activities::db::live_events::{self, LiveEvent};
use ai_admin_activities::domain::{PhoneNumber, SalonId, SessionId};
use ai_admin_activities::whatsapp::{GatewayError, SessionStatus};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

/// Keep-alive ping interval.
const PING_EVERY: Duration = Duration::from_secs(25);
/// A client silent (not even a pong) for this long is gone.
const IDLE_LIMIT: Duration = Duration::from_secs(60);
/// A client that cannot take a frame within this time is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Stored events replayed to a page that (re)connects.
const REPLAY_LIMIT: i64 = 50;

/// Close codes the page understands.
mod close_code {
    /// No valid token: get a new link.
    pub const UNAUTHORIZED: u16 = 4401;
    /// The server is restarting: reconnect.
    pub const RESTARTING: u16 = 1012;
}

/// How often a console socket checks that its session still lets it in.
const CONSOLE_RECHECK: Duration = Duration::from_secs(60);

/// Events a console socket is sent: the rest are the onboarding page's.
const CONSOLE_EVENTS: [&str; 4] = [
    "conversation",
    "whatsapp-connected",
    "whatsapp-logged-out",
    "whatsapp-suspended",
];

/// Who is on the other end.
enum Viewer {
    /// The onboarding page, with its token's claims.
    Onboarding(OnboardingClaims),
    /// The console, with its session token (checked again every [`CONSOLE_RECHECK`]).
    Console(String),
}

struct Connection {
    socket: WebSocket,
    state: AppState,
    viewer: Viewer,
    salon_id: SalonId,
    company_id: i64,
    session: SessionId,
    last_event_id: i64,
    /// What was last shown, so the same code arriving twice (sent directly and via the
    /// event) is not shown twice.
    last_code: Option<String>,
}

/// Runs the socket until the client leaves, misbehaves, or the server stops.
pub async fn run(
    state: AppState,
    mut socket: WebSocket,
    candidates: Candidates,
    mut events: broadcast::Receiver<Fanout>,
) {
    let _counted = state.metrics.websocket_opened();
    let presented = auth::presented_token(&mut socket, candidates).await;
    let Some(token) = presented.token.as_deref() else {
        reject(socket, "Нужен токен подключения", "missing_token").await;
        return;
    };
    // An onboarding token, else a console session; the salon only ever from either.
    let (viewer, salon_id, company_id) = match state.tokens.verify(token) {
        Ok(claims) => {
            let (salon_id, company_id) = (claims.salon_id, claims.company_id);
            (Viewer::Onboarding(claims), salon_id, company_id)
        }
        Err(error) => match console_sessions::touch(&state.db, token).await {
            Ok(Some(user)) => (
                Viewer::Console(token.to_owned()),
                user.salon_id,
                user.company_id,
            ),
            _ => {
                reject(socket, &error.to_string(), "invalid_token").await;
                return;
            }
        },
    };
    let registered = companies::find_by_salon(&state.db, salon_id)
        .await
        .ok()
        .flatten()
        .is_some_and(|company| company.id == company_id);
    if !registered {
        reject(socket, "Салон больше не зарегистрирован", "unknown_salon").await;
        return;
    }
    let session = SessionId::for_salon(salon_id);
    let mut connection = Connection {
        socket,
        state,
        viewer,
        salon_id,
        company_id,
        session,
        last_event_id: 0,
        last_code: None,
    };
    tracing::info!(salon_id = %connection.salon_id, page = connection.page(), "page connected");
    if connection.start().await.is_err() {
        return;
    }
    if let Some(frame) = presented.early_frame
        && connection.on_client_frame(frame).await.is_err()
    {
        return;
    }
    connection.serve(&mut events).await;
    tracing::info!(salon_id = %connection.salon_id, page = connection.page(), "page disconnected");
}

async fn reject(mut socket: WebSocket, message: &str, code: &str) {
    tracing::info!(code, "WebSocket refused");
    let frame = ServerFrame::error(message, code);
    let _ = socket.send(Message::Text(frame.to_text().into())).await;
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code: close_code::UNAUTHORIZED,
            reason: code.to_owned().into(),
        })))
        .await;
}

/// When a token that expires at `exp` (Unix seconds) runs out, on the runtime's clock.
fn token_expiry(exp: i64) -> Instant {
    let left = exp.saturating_sub(chrono::Utc::now().timestamp()).max(0);
    Instant::now() + Duration::from_secs(left.unsigned_abs().min(86_400))
}

/// The socket is gone or too slow; stop serving it.
struct Gone;

impl Connection {
    async fn send(&mut self, frame: &ServerFrame) -> Result<(), Gone> {
        let text = frame.to_text();
        match tokio::time::timeout(SEND_TIMEOUT, self.socket.send(Message::Text(text.into()))).await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Gone),
            Err(_) => {
                tracing::warn!(salon_id = %self.salon_id, "WebSocket client too slow, dropping it");
                Err(Gone)
            }
        }
    }

    /// Which page this is, for logs.
    fn page(&self) -> &'static str {
        match self.viewer {
            Viewer::Onboarding(_) => "onboarding",
            Viewer::Console(_) => "console",
        }
    }

    /// Creates the session, replays recent state, and shows the current QR code (the
    /// console reads its state from its API and is only told when to read again).
    async fn start(&mut self) -> Result<(), Gone> {
        if matches!(self.viewer, Viewer::Console(_)) {
            return self.nudge_console().await;
        }
        let status = match self.state.gateway.create_session(self.session).await {
            Ok(status) => status,
            Err(error) => {
                tracing::warn!(%error, "could not create the WhatsApp session");
                self.send_gateway_error(&error).await?;
                SessionStatus::Connecting
            }
        };
        self.replay().await?;
        if status == SessionStatus::Connected {
            let phone = companies::find_by_salon(&self.state.db, self.salon_id)
                .await
                .ok()
                .flatten()
                .and_then(|company| company.whatsapp_phone);
            self.send(&ServerFrame {
                event: "whatsapp-connected".to_owned(),
                data: serde_json::json!({
                    "success": true,
                    "phone": phone,
                    "companyId": self.company_id,
                }),
            })
            .await
        } else {
            self.send_current_qr().await
        }
    }

    /// Tells the console to read its state again (after it connects, or after this
    /// process may have missed events).
    async fn nudge_console(&mut self) -> Result<(), Gone> {
        self.send(&ServerFrame {
            event: "conversation".to_owned(),
            data: serde_json::json!({ "resync": true }),
        })
        .await
    }

    async fn replay(&mut self) -> Result<(), Gone> {
        if matches!(self.viewer, Viewer::Console(_)) {
            return self.nudge_console().await;
        }
        let stored = live_events::replay(
            &self.state.db,
            self.salon_id,
            self.last_event_id,
            REPLAY_LIMIT,
        )
        .await
        .unwrap_or_else(|error| {
            tracing::warn!(error = %format!("{error:#}"), "could not replay live events");
            Vec::new()
        });
        for event in stored {
            self.forward(&event).await?;
        }
        Ok(())
    }

    async fn send_current_qr(&mut self) -> Result<(), Gone> {
        match self.state.gateway.current_qr(self.session).await {
            Ok(Some(qr)) => self.send_qr(&qr.code, qr.expires_in_secs()).await,
            Ok(None) => Ok(()),
            Err(error) => self.send_gateway_error(&error).await,
        }
    }

    async fn send_qr(&mut self, code: &str, expires_in: u64) -> Result<(), Gone> {
        if self.last_code.as_deref() == Some(code) {
            return Ok(());
        }
        match ServerFrame::qr(code, expires_in) {
            Ok(frame) => {
                self.last_code = Some(code.to_owned());
                self.send(&frame).await
            }
            Err(error) => {
                tracing::error!(%error, "could not render a QR code");
                Ok(())
            }
        }
    }

    /// Sends a stored event of this salon that the page has not seen yet.
    async fn forward(&mut self, event: &LiveEvent) -> Result<(), Gone> {
        if event.salon_id != self.salon_id.get() || event.id <= self.last_event_id {
            return Ok(());
        }
        self.last_event_id = event.id;
        let for_console = CONSOLE_EVENTS.contains(&event.event.as_str());
        match (&self.viewer, event.event.as_str()) {
            // The console is not sent codes or progress; the onboarding page not
            // conversations.
            (Viewer::Console(_), _) if !for_console => return Ok(()),
            (Viewer::Onboarding(_), "conversation") => return Ok(()),
            _ => {}
        }
        let code = event.data["code"].as_str().map(str::to_owned);
        match event.event.as_str() {
            "qr-update" => {
                let expires_in = event.data["expires_in"].as_u64().unwrap_or(20);
                self.send_qr(code.as_deref().unwrap_or_default(), expires_in)
                    .await
            }
            "pairing-code" if code.is_some() && code == self.last_code => Ok(()),
            _ => match ServerFrame::from_event(event) {
                Ok(frame) => {
                    if event.event == "pairing-code" {
                        self.last_code = code;
                    }
                    self.send(&frame).await
                }
                Err(error) => {
                    tracing::error!(%error, "could not turn a live event into a frame");
                    Ok(())
                }
            },
        }
    }

    async fn send_gateway_error(&mut self, error: &GatewayError) -> Result<(), Gone> {
        let (message, code) = match error {
            GatewayError::Throttled => (
                "WhatsApp просит подождать перед новым кодом. Попробуйте через минуту.",
                "throttled",
            ),
            GatewayError::AlreadyLinked(_) => ("WhatsApp уже подключён.", "already_linked"),
            GatewayError::Unavailable(_)
            | GatewayError::NoSession(_)
            | GatewayError::Paced { .. } => (
                "WhatsApp временно недоступен. Попробуйте ещё раз.",
                "whatsapp_unavailable",
            ),
            GatewayError::NotLinked(_) | GatewayError::Refused(_) | GatewayError::Other(_) => {
                ("Не удалось выполнить запрос к WhatsApp.", "whatsapp_error")
            }
        };
        self.send(&ServerFrame::error(message, code)).await
    }

    async fn on_client_frame(&mut self, frame: ClientFrame) -> Result<(), Gone> {
        if matches!(self.viewer, Viewer::Console(_)) && frame.event != "auth" {
            return self
                .send(&ServerFrame::error(
                    "Консоль только слушает: подключение WhatsApp — на странице подключения",
                    "unknown_event",
                ))
                .await;
        }
        match frame.event.as_str() {
            "request-qr" => match self.state.gateway.refresh_qr(self.session).await {
                Ok(qr) => self.send_qr(&qr.code, qr.expires_in_secs()).await,
                Err(error) => self.send_gateway_error(&error).await,
            },
            "request-pairing-code" => {
                let raw = frame.data["phoneNumber"].as_str().unwrap_or_default();
                let phone = match PhoneNumber::parse(raw) {
                    Ok(phone) => phone,
                    Err(error) => {
                        return self
                            .send(&ServerFrame::error(&error.to_string(), "invalid_phone"))
                            .await;
                    }
                };
                match self
                    .state
                    .gateway
                    .request_pairing_code(self.session, &phone)
                    .await
                {
                    Ok(pairing) => {
                        self.last_code = Some(pairing.code.clone());
                        self.send(&ServerFrame {
                            event: "pairing-code".to_owned(),
                            data: serde_json::json!({
                                "code": pairing.code,
                                "phoneNumber": pairing.phone,
                                "expiresIn": pairing.expires_in.as_secs(),
                            }),
                        })
                        .await
                    }
                    Err(error) => self.send_gateway_error(&error).await,
                }
            }
            // A repeated auth frame changes nothing: the socket's salon is fixed.
            "auth" => Ok(()),
            other => {
                self.send(&ServerFrame::error(
                    &format!("Неизвестное событие {other:?}"),
                    "unknown_event",
                ))
                .await
            }
        }
    }

    /// Whether a console socket's session still lets it in (an onboarding token's end
    /// is final). A check that could not be made keeps the socket: the next one decides.
    /// `&mut`: a shared borrow of the socket could not cross the await.
    async fn session_lives(&mut self) -> bool {
        let Viewer::Console(token) = &self.viewer else {
            return false;
        };
        match console_sessions::check(&self.state.db, token).await {
            Ok(Some(user)) => user.salon_id == self.salon_id,
            Ok(None) => false,
            Err(error) => {
                tracing::warn!(salon_id = %self.salon_id, error = %format!("{error:#}"), "could not check a console session; checking again later");
                true
            }
        }
    }

    async fn serve(&mut self, events: &mut broadcast::Receiver<Fanout>) {
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        let mut shutdown = self.state.shutdown.clone();
        let mut last_heard = Instant::now();
        let mut expires = match &self.viewer {
            Viewer::Onboarding(claims) => token_expiry(claims.exp),
            Viewer::Console(_) => Instant::now() + CONSOLE_RECHECK,
        };
        loop {
            let outcome = tokio::select! {
                incoming = self.socket.recv() => {
                    last_heard = Instant::now();
                    match incoming {
                        Some(Ok(Message::Text(text))) => match serde_json::from_str::<ClientFrame>(&text) {
                            Ok(frame) => self.on_client_frame(frame).await,
                            Err(_) => self.send(&ServerFrame::error("Некорректный кадр", "bad_frame")).await,
                        },
                        Some(Ok(Message::Close(_))) | None | Some(Err(_)) => Err(Gone),
                        Some(Ok(_)) => Ok(()),
                    }
                }
                fanout = events.recv() => match fanout {
                    Ok(Fanout::Event(event)) => self.forward(&event).await,
                    Ok(Fanout::Resync) | Err(RecvError::Lagged(_)) => self.replay().await,
                    Err(RecvError::Closed) => Err(Gone),
                },
                _ = ping.tick() => {
                    if last_heard.elapsed() > IDLE_LIMIT {
                        Err(Gone)
                    } else {
                        match tokio::time::timeout(SEND_TIMEOUT, self.socket.send(Message::Ping(Vec::new().into()))).await {
                            Ok(Ok(())) => Ok(()),
                            _ => Err(Gone),
                        }
                    }
                }
                () = tokio::time::sleep_until(expires) => {
                    if self.session_lives().await {
                        expires = Instant::now() + CONSOLE_RECHECK;
                        continue;
                    }
                    tracing::info!(salon_id = %self.salon_id, page = self.page(), "token or session over, closing the socket");
                    let frame = ServerFrame::error(
                        "Сессия истекла: откройте приложение из YClients ещё раз.",
                        "token_expired",
                    );
                    let _ = self.send(&frame).await;
                    let _ = self.socket.send(Message::Close(Some(CloseFrame {
                        code: close_code::UNAUTHORIZED,
                        reason: "token expired".into(),
                    }))).await;
                    Err(Gone)
                }
                _ = async { shutdown.wait_for(|stopping| *stopping).await.map(|_| ()) } => {
                    let _ = self.socket.send(Message::Close(Some(CloseFrame {
                        code: close_code::RESTARTING,
                        reason: "server restarting, reconnect".into(),
                    }))).await;
                    Err(Gone)
                }
            };
            if outcome.is_err() {
                return;
            }
        }
    }
}
