//! One bot's crate events, turned into [`GatewayEvent`]s and link state.
//!
//! The crate dispatches events inline on its receive path, and its `on_*` closures
//! run on separate tasks (so a reply could overtake the message it answers). Here a
//! raw subscription only queues each event; one task per bot handles them in
//! arrival order.

use super::Inner;
use crate::domain::{PhoneNumber, SessionId};
use crate::whatsapp::{GatewayEvent, MessageId, PairingCode, QrCode, SuspendReason};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::time::Instant;
use whatsapp_rust::Client;
use whatsapp_rust::types::events::{Event, EventHandler, EventInterest, EventKind, Subscription};

/// The crate events the gateway acts on; the bus skips building the others.
const WANTED: &[EventKind] = &[
    EventKind::Connected,
    EventKind::Disconnected,
    EventKind::PairSuccess,
    EventKind::LoggedOut,
    EventKind::PairingQrCode,
    EventKind::PairingQrCodesExhausted,
    EventKind::PairingCode,
    EventKind::PairingCodeError,
    EventKind::StreamReplaced,
    EventKind::TemporaryBan,
    EventKind::ClientOutdated,
    EventKind::ConnectFailure,
    EventKind::PairingCodeRefresh,
    EventKind::ServerAck,
];

/// What an unlinked session shows the salon owner right now.
#[derive(Debug, Default)]
pub(super) struct LinkState {
    qr: Option<Shown<String>>,
    /// The crate ran out of QR codes for this connection; a new one needs a new bot.
    qr_exhausted: bool,
    /// The number a pairing code was asked for, so the crate's event can name it.
    pairing_phone: Option<PhoneNumber>,
    pairing: Option<Shown<(String, PhoneNumber)>>,
}

#[derive(Debug)]
struct Shown<T> {
    value: T,
    expires_at: Instant,
}

impl<T> Shown<T> {
    fn new(value: T, valid_for: Duration) -> Self {
        Self {
            value,
            expires_at: Instant::now() + valid_for,
        }
    }

    fn live(&self) -> Option<(&T, Duration)> {
        let left = self.expires_at.saturating_duration_since(Instant::now());
        (!left.is_zero()).then_some((&self.value, left))
    }
}

impl LinkState {
    /// The QR code, while it is still valid.
    pub(super) fn qr(&self) -> Option<QrCode> {
        let (code, expires_in) = self.qr.as_ref()?.live()?;
        Some(QrCode {
            code: code.clone(),
            expires_in,
        })
    }

    /// The pairing code issued for `phone`, while it is still valid.
    pub(super) fn pairing_for(&self, phone: &PhoneNumber) -> Option<PairingCode> {
        let ((code, for_phone), expires_in) = self.pairing.as_ref()?.live()?;
        (for_phone == phone).then(|| PairingCode {
            code: code.clone(),
            phone: phone.clone(),
            expires_in,
        })
    }

    /// Whether the owner has something to scan or type right now.
    pub(super) fn showing_code(&self) -> bool {
        self.qr().is_some() || self.pairing.as_ref().and_then(Shown::live).is_some()
    }

    /// Whether the QR codes of this connection are used up (and no pairing code is
    /// pending on it), so only a new bot can show another.
    pub(super) fn needs_new_codes(&self) -> bool {
        self.qr_exhausted && !self.showing_code()
    }

    /// Whether this bot has shown nothing yet: its first code is still on the way.
    pub(super) fn awaiting_first_code(&self) -> bool {
        self.qr.is_none() && !self.qr_exhausted
    }
}

/// `ABCD1234` → `ABCD-1234`, the way WhatsApp shows it on the phone.
pub(super) fn format_pairing_code(code: &str) -> String {
    match (code.get(..4), code.get(4..)) {
        (Some(head), Some(tail)) if code.len() == 8 => format!("{head}-{tail}"),
        _ => code.to_owned(),
    }
}

/// Everything one bot's events touch. Shared by the gateway (link state, retiring)
/// and the bot's event task.
pub(super) struct SessionEvents {
    pub(super) session: SessionId,
    /// Which bot of the session this is; a rebuilt session gets a new one.
    pub(super) generation: u64,
    /// Set when the gateway stops this bot, so its late events are dropped instead
    /// of being reported for the session's next bot.
    retired: AtomicBool,
    link: watch::Sender<LinkState>,
    client: Weak<Client>,
    gateway: Weak<Inner>,
    events: broadcast::Sender<GatewayEvent>,
}

impl SessionEvents {
    pub(super) fn new(
        session: SessionId,
        generation: u64,
        client: &Arc<Client>,
        gateway: Weak<Inner>,
        events: broadcast::Sender<GatewayEvent>,
    ) -> Arc<Self> {
        Arc::new(Self {
            session,
            generation,
            retired: AtomicBool::new(false),
            link: watch::Sender::new(LinkState::default()),
            client: Arc::downgrade(client),
            gateway,
            events,
        })
    }

    /// Subscribes to the bot's events and starts the task that handles them in order.
    /// Dropping the returned subscription ends the task.
    pub(super) fn start(self: &Arc<Self>, client: &Client) -> Subscription {
        // Unbounded: the crate's dispatch must neither block nor lose events, and
        // the task drains the queue as fast as it can broadcast.
        let (tx, mut rx) = mpsc::unbounded_channel();
        let subscription = client.subscribe(EventInterest::of(WANTED), Arc::new(Forwarder(tx)));
        let this = Arc::clone(self);
        tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                if this.is_retired() {
                    break;
                }
                this.handle(&event).await;
            }
        });
        subscription
    }

    pub(super) fn retire(&self) {
        self.retired.store(true, Ordering::SeqCst);
    }

    fn is_retired(&self) -> bool {
        self.retired.load(Ordering::SeqCst)
    }

    pub(super) fn link(&self) -> watch::Ref<'_, LinkState> {
        self.link.borrow()
    }

    pub(super) fn watch_link(&self) -> watch::Receiver<LinkState> {
        self.link.subscribe()
    }

    pub(super) fn expect_pairing(&self, phone: &PhoneNumber) {
        self.link
            .send_modify(|link| link.pairing_phone = Some(phone.clone()));
    }

    fn emit(&self, event: GatewayEvent) {
        // An error only means nobody subscribed yet; events are not kept for later.
        let _ = self.events.send(event);
    }

    pub(super) async fn handle(&self, event: &Event) {
        let session = self.session;
        match event {
            Event::PairingQrCode(qr) => {
                tracing::debug!(%session, expires_in = ?qr.timeout, "new QR code");
                self.link.send_modify(|link| {
                    link.qr = Some(Shown::new(qr.code.clone(), qr.timeout));
                    link.qr_exhausted = false;
                });
                self.emit(GatewayEvent::Qr {
                    session,
                    qr: QrCode {
                        code: qr.code.clone(),
                        expires_in: qr.timeout,
                    },
                });
            }
            Event::PairingQrCodesExhausted(exhausted) => {
                tracing::info!(
                    %session,
                    disconnected = exhausted.disconnected,
                    "QR codes ran out; the next request for one starts a new connection"
                );
                self.link.send_modify(|link| {
                    link.qr = None;
                    link.qr_exhausted = true;
                });
            }
            Event::PairingCode(issued) => self.on_pairing_code(&issued.code, issued.timeout),
            Event::PairingCodeError(error) => {
                tracing::warn!(%session, rejection = ?error.rejection, "pairing code refused");
                // A refused code is dead: the owner is not shown it any longer.
                self.link.send_modify(|link| {
                    link.pairing_phone = None;
                    link.pairing = None;
                });
            }
            Event::PairingCodeRefresh(_) => {
                tracing::info!(%session, "WhatsApp withdrew the pairing code; a new one is needed");
                self.link.send_modify(|link| link.pairing = None);
            }
            Event::PairSuccess(_) => {
                tracing::info!(%session, "the phone linked the session");
                self.link.send_replace(LinkState::default());
            }
            Event::Connected(_) => self.on_connected(),
            Event::Disconnected(disconnected) => {
                let reason = disconnected.reason.to_string();
                tracing::info!(%session, %reason, "disconnected; reconnecting");
                self.emit(GatewayEvent::Disconnected { session, reason });
            }
            Event::StreamReplaced(_) => self.suspended(
                SuspendReason::Replaced,
                "another WhatsApp Web session with the same keys took over".to_owned(),
                None,
            ),
            Event::TemporaryBan(ban) => self.suspended(
                SuspendReason::Banned,
                format!("WhatsApp banned the number for a while ({})", ban.code),
                Some(chrono::Utc::now().timestamp() + ban.expire.num_seconds().max(0)),
            ),
            Event::ClientOutdated(_) => self.suspended(
                SuspendReason::Outdated,
                "WhatsApp rejected this client version as outdated".to_owned(),
                None,
            ),
            // 500 and 503 are retried by the crate; any other refusal ends its loop.
            Event::ConnectFailure(failure) if !failure.reason.should_reconnect() => self.suspended(
                SuspendReason::ConnectFailure,
                format!(
                    "WhatsApp refused the connection ({:?}{})",
                    failure.reason,
                    failure
                        .message
                        .as_deref()
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default()
                ),
                None,
            ),
            Event::LoggedOut(logged_out) => {
                let reason = format!("unlinked by WhatsApp ({:?})", logged_out.reason);
                self.suspended(SuspendReason::LoggedOut, reason.clone(), None);
                if let Some(gateway) = self.gateway.upgrade() {
                    gateway
                        .end_session_remotely(session, self.generation, reason)
                        .await;
                }
            }
            Event::ServerAck(ack) if ack.class.as_deref() == Some("message") => {
                if let Some(code) = &ack.error {
                    tracing::warn!(%session, code, "WhatsApp refused a message we sent");
                }
                self.emit(GatewayEvent::SendAck {
                    session,
                    message_id: MessageId(ack.id.clone()),
                    error: ack.error.clone(),
                });
            }
            // Clients' messages are recorded and announced by the durability hook.
            _ => {}
        }
    }

    fn on_pairing_code(&self, code: &str, valid_for: Duration) {
        let Some(phone) = self.link.borrow().pairing_phone.clone() else {
            tracing::warn!(session = %self.session, "pairing code for a number nobody asked about");
            return;
        };
        let code = format_pairing_code(code);
        tracing::info!(session = %self.session, phone = %phone.masked(), "pairing code issued");
        self.link.send_modify(|link| {
            link.pairing = Some(Shown::new((code.clone(), phone.clone()), valid_for));
        });
        self.emit(GatewayEvent::PairingCode {
            session: self.session,
            pairing: PairingCode {
                code,
                phone,
                expires_in: valid_for,
            },
        });
    }

    fn on_connected(&self) {
        self.link.send_replace(LinkState::default());
        if let Some(client) = self.client.upgrade() {
            // The crate announces "available" on every connection, which stops the
            // owner's phone from showing notifications: the bot is not a person there.
            let session = self.session;
            tokio::spawn(async move {
                if let Err(error) = client.presence().set_unavailable().await {
                    tracing::debug!(%session, %error, "could not set presence unavailable");
                }
            });
        }
        let own = self.client.upgrade().and_then(|client| client.pn());
        match own.and_then(|jid| PhoneNumber::from_digits(jid.user_base()).ok()) {
            Some(phone) => {
                if let Some(gateway) = self.gateway.upgrade() {
                    // Each connection is a checkpoint other hosts can resume from.
                    let fresh = gateway.mark_linked(self.session);
                    let session = self.session;
                    tokio::spawn(async move { gateway.save_store(session, fresh).await });
                }
                tracing::info!(session = %self.session, phone = %phone.masked(), "connected");
                self.emit(GatewayEvent::Connected {
                    session: self.session,
                    phone,
                });
            }
            None => tracing::warn!(
                session = %self.session,
                "connected, but the device's own number is missing or not a phone number"
            ),
        }
    }

    /// The crate stops reconnecting after these; the session stays down until the
    /// gateway node starts it again (when WhatsApp allows).
    fn suspended(&self, reason: SuspendReason, detail: String, until: Option<i64>) {
        tracing::warn!(session = %self.session, reason = reason.as_str(), %detail, ?until, "WhatsApp stopped the session");
        self.emit(GatewayEvent::Suspended {
            session: self.session,
            reason,
            detail,
            until,
        });
    }
}

/// Queues the crate's events for the bot's event task; runs inline on the crate's
/// receive path, so it only enqueues.
struct Forwarder(mpsc::UnboundedSender<Arc<Event>>);

impl EventHandler for Forwarder {
    fn handle_event(&self, event: Arc<Event>) {
        // Fails only once the task has stopped, when the events no longer matter.
        let _ = self.0.send(event);
    }
}
