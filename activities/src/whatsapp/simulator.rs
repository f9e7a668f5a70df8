//! Simulated WhatsApp, in process: each salon's session shows deterministic QR codes
//! that rotate like WhatsApp's (first valid 60 s, then 20 s, six in a set), issues
//! pairing codes derived from phone and session, and records what the bot sends. A
//! control side ([`SimulatedGateway::link`], [`SimulatedGateway::incoming`], …) plays
//! the salon's phone and its clients; the API exposes it under `/dev/whatsapp` in
//! simulator mode. A linked session is kept in a JSON file of its own (like the live
//! gateway's key store per session), so it survives a restart or moves to another
//! gateway node sharing the directory, as a real linked device would.
//!
//! Incoming messages follow WhatsApp's delivery contract (see [`super::ledger`]): a
//! message counts as delivered only once the gateway's ledger recorded it; until then
//! it waits in the session's queue, in order, and is delivered again every
//! [`REDELIVER_EVERY`] — as WhatsApp redelivers what a device did not acknowledge.

use super::types::{
    GatewayError, GatewayEvent, IncomingMessage, MediaInfo, MediaRef, MessageId, MessageKind,
    PairingCode, QrCode, SessionStatus, SuspendReason,
};
use super::{InboundLedger, WhatsAppGateway};
use crate::domain::{ClientAddress, PhoneNumber, SessionId};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::broadcast;
use tokio::task::AbortHandle;
use tokio::time::Instant;

/// How often messages the ledger did not take are delivered again.
pub const REDELIVER_EVERY: Duration = Duration::from_millis(500);
/// How long a client's send waits for the ledger before it counts as not delivered
/// yet (a phone does not wait for the receiving device; the message is delivered again
/// later).
const DELIVERY_WAIT: Duration = Duration::from_millis(300);

/// Gateway events kept for a consumer that falls behind, as many as the live gateway
/// keeps.
const EVENT_CAPACITY: usize = 1024;

/// The JID WhatsApp names a client's chat by: a phone's, or a LID's.
fn jid_of(address: &ClientAddress) -> String {
    match address {
        ClientAddress::Phone(phone) => format!("{phone}@s.whatsapp.net"),
        ClientAddress::Lid(_) => address.to_string(),
    }
}

/// Which keys would decrypt a kind's media on WhatsApp.
fn media_type_of(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Voice | MessageKind::Audio => "audio",
        MessageKind::Video => "video",
        MessageKind::Document => "document",
        MessageKind::Sticker => "sticker",
        _ => "image",
    }
}

/// A message a simulated client sends (the control API's `incoming`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulatedIncoming {
    /// The client: a number, or a LID when the client's number is hidden.
    pub from: ClientAddress,
    /// The text, caption, emoji (reaction) or new text (edit).
    #[serde(default)]
    pub text: String,
    /// WhatsApp's id to use (a redelivery repeats it); one is made up when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// The client's WhatsApp name.
    #[serde(default)]
    pub push_name: Option<String>,
    /// What it is.
    #[serde(default)]
    pub kind: MessageKind,
    /// The earlier message an edit, deletion or reaction is about.
    #[serde(default)]
    pub refers_to: Option<String>,
    /// The media of a voice note, photo and the like.
    #[serde(default)]
    pub media: Option<MediaInfo>,
    /// The media's file (base64), which the bot can then download as from WhatsApp's
    /// CDN; without it there is nothing to download.
    #[serde(default)]
    pub media_base64: Option<String>,
    /// The salon writes to the client `from` itself, from its phone.
    #[serde(default)]
    pub from_me: bool,
    /// When it was written (Unix seconds), for a message that reaches the salon late;
    /// now when absent.
    #[serde(default)]
    pub sent_at: Option<i64>,
    /// The chat's disappearing-message timer (seconds) the message carries.
    #[serde(default)]
    pub expiration: Option<u32>,
}

/// How the simulated phones behave.
#[derive(Debug, Clone)]
pub struct SimulatorSettings {
    /// Validity of the first QR code of a set (WhatsApp: 60 s).
    pub first_qr_ttl: Duration,
    /// Validity of each following code (WhatsApp: 20 s).
    pub next_qr_ttl: Duration,
    /// Codes in a set before the session must be rebuilt (WhatsApp: about 6).
    pub qr_codes_per_set: u32,
    /// Validity of a pairing code.
    pub pairing_ttl: Duration,
    /// Where linked sessions are remembered, one `<session>.json` each (none: memory
    /// only).
    pub store_dir: Option<PathBuf>,
}

impl Default for SimulatorSettings {
    fn default() -> Self {
        Self {
            first_qr_ttl: Duration::from_secs(60),
            next_qr_ttl: Duration::from_secs(20),
            qr_codes_per_set: 6,
            pairing_ttl: Duration::from_secs(60),
            store_dir: None,
        }
    }
}

/// What the bot did in a chat, in order (the simulator's outbox).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum OutboxEntry {
    /// A text message.
    Text {
        /// Message id.
        id: MessageId,
        /// Phone digits, or a client's LID when WhatsApp hides their number.
        to: ClientAddress,
        /// Text.
        text: String,
        /// The disappearing-message timer it was sent with (the chat's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expiration: Option<u32>,
        /// Unix milliseconds.
        at_ms: u64,
    },
    /// A reaction.
    Reaction {
        /// The client's chat, by phone or LID.
        to: ClientAddress,
        /// The message reacted to.
        message: MessageId,
        /// One emoji (the bot's are ❤️ for thanks, 👍 for a goodbye).
        emoji: String,
        /// Unix milliseconds.
        at_ms: u64,
    },
    /// Read receipts.
    Read {
        /// The client's chat, by phone or LID.
        to: ClientAddress,
        /// Messages marked read.
        messages: Vec<MessageId>,
        /// Unix milliseconds.
        at_ms: u64,
    },
    /// Typing shown or hidden.
    Typing {
        /// The client's chat, by phone or LID.
        to: ClientAddress,
        /// Shown (true) or hidden.
        typing: bool,
        /// Unix milliseconds.
        at_ms: u64,
    },
}

/// A session as the `/dev/phone` page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// `company_<salon_id>`.
    pub session_id: String,
    /// Where it stands.
    pub status: SessionStatus,
    /// The QR text a phone would scan now.
    pub qr: Option<String>,
    /// A pending pairing code and the number it is for.
    pub pairing_code: Option<PairingCode>,
    /// The linked number.
    pub phone: Option<PhoneNumber>,
}

/// Why a control action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ControlError {
    /// No such session.
    #[error("no WhatsApp session {0}")]
    NoSession(String),
    /// The session is not waiting for a link.
    #[error("session {0} is not waiting for a link")]
    NotAwaitingLink(String),
    /// A pairing code is pending for a different number.
    #[error("the pairing code of session {0} was requested for another number")]
    WrongPhone(String),
    /// The session is not linked, so no client can write to it.
    #[error("session {0} is not linked")]
    NotLinked(String),
    /// The simulated message itself is wrong (its media is not base64, …).
    #[error("{0}")]
    Invalid(String),
}

#[derive(Debug)]
struct ActiveQr {
    code: String,
    expires_at: Instant,
}

#[derive(Debug)]
struct PendingPairing {
    code: PairingCode,
    expires_at: Instant,
}

#[derive(Debug)]
struct SimSession {
    status: SessionStatus,
    /// Incremented each time the session is rebuilt, so every set of codes differs.
    generation: u64,
    qr: Option<ActiveQr>,
    pairing: Option<PendingPairing>,
    phone: Option<PhoneNumber>,
    outbox: Vec<OutboxEntry>,
    rotation: Option<AbortHandle>,
    sent: u64,
    received: u64,
    /// Sent by clients, not yet taken by the ledger, oldest first.
    undelivered: VecDeque<IncomingMessage>,
    /// A task is delivering `undelivered` again.
    redelivering: bool,
    /// While suspended by a ban: when WhatsApp lets the session in again.
    banned_until: Option<Instant>,
    /// Each chat's disappearing-message timer, as its latest message carried it.
    timers: HashMap<ClientAddress, u32>,
    /// Numbers without WhatsApp: a send to one is refused, as WhatsApp refuses it.
    absent: HashSet<PhoneNumber>,
    /// The media clients sent, by download path: the simulated CDN.
    media: HashMap<String, Vec<u8>>,
}

impl SimSession {
    fn new(generation: u64) -> Self {
        Self {
            status: SessionStatus::AwaitingLink,
            generation,
            qr: None,
            pairing: None,
            phone: None,
            outbox: Vec::new(),
            rotation: None,
            sent: 0,
            received: 0,
            undelivered: VecDeque::new(),
            redelivering: false,
            banned_until: None,
            timers: HashMap::new(),
            absent: HashSet::new(),
            media: HashMap::new(),
        }
    }

    fn stop_rotation(&mut self) {
        if let Some(rotation) = self.rotation.take() {
            rotation.abort();
        }
        self.qr = None;
    }
}

#[derive(Debug)]
struct Shared {
    settings: SimulatorSettings,
    sessions: Mutex<HashMap<SessionId, SimSession>>,
    events: broadcast::Sender<GatewayEvent>,
    /// Where incoming messages are recorded before they count as delivered (none:
    /// they are only announced, for tests of other parts).
    ledger: OnceLock<Arc<dyn InboundLedger>>,
    /// One delivery at a time, so messages reach the ledger in the order they were sent.
    delivering: tokio::sync::Mutex<()>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, HashMap<SessionId, SimSession>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn emit(&self, event: GatewayEvent) {
        // No subscriber is not an error: nobody is watching yet.
        let _ = self.events.send(event);
    }
}

/// The simulated gateway; cheap to clone.
#[derive(Debug, Clone)]
pub struct SimulatedGateway {
    shared: Arc<Shared>,
}

/// A linked session as stored in its file.
#[derive(Debug, Serialize, Deserialize)]
struct StoredSession {
    phone: PhoneNumber,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

fn digest(parts: &[&str]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher.finalize().into()
}

/// The text of QR code `serial` of a session's `generation`, shaped like WhatsApp's
/// (`2@ref,noise key,identity key,adv secret`), so a phone camera reads a realistic
/// string.
fn qr_text(session: SessionId, generation: u64, serial: u32) -> String {
    let seed = format!("{session}:{generation}:{serial}");
    let part = |name: &str| STANDARD.encode(digest(&[&seed, name]));
    format!(
        "2@{},{},{},{}",
        &part("ref")[..32],
        part("noise"),
        part("identity"),
        part("adv")
    )
}

/// `XXXX-XXXX` from WhatsApp's pairing alphabet, derived from session and phone.
fn pairing_text(session: SessionId, phone: &PhoneNumber) -> String {
    const ALPHABET: &[u8; 32] = b"123456789ABCDEFGHJKLMNPQRSTVWXYZ";
    let bytes = digest(&[&session.to_string(), phone.as_str()]);
    let chars: String = bytes[..8]
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    format!("{}-{}", &chars[..4], &chars[4..])
}

impl SimulatedGateway {
    /// A simulator; a session linked before (per its stored file) comes back linked
    /// when it is created again.
    pub fn new(settings: SimulatorSettings) -> Self {
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        Self {
            shared: Arc::new(Shared {
                settings,
                sessions: Mutex::new(HashMap::new()),
                events,
                ledger: OnceLock::new(),
                delivering: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// Records incoming messages in `ledger` before they count as delivered (set once,
    /// before clients write).
    pub fn set_ledger(&self, ledger: Arc<dyn InboundLedger>) {
        if self.shared.ledger.set(ledger).is_err() {
            tracing::warn!("the simulator's ledger was set twice; the first one stays");
        }
    }

    fn store_path(&self, session: SessionId) -> Option<PathBuf> {
        let dir = self.shared.settings.store_dir.as_ref()?;
        Some(dir.join(format!("{session}.json")))
    }

    /// The number a stored session was linked to.
    fn stored_phone(&self, session: SessionId) -> Option<PhoneNumber> {
        let text = std::fs::read_to_string(self.store_path(session)?).ok()?;
        match serde_json::from_str::<StoredSession>(&text) {
            Ok(stored) => Some(stored.phone),
            Err(error) => {
                tracing::warn!(%session, %error, "ignoring an unreadable simulator session file");
                None
            }
        }
    }

    /// Writes the session's file while it is linked and removes it otherwise.
    fn persist(&self, session: SessionId, state: &SimSession) {
        let Some(path) = self.store_path(session) else {
            return;
        };
        let written = match (&state.phone, state.status) {
            (Some(phone), SessionStatus::Connected | SessionStatus::Suspended) => path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| {
                    let stored = StoredSession {
                        phone: phone.clone(),
                    };
                    std::fs::write(&path, serde_json::to_vec(&stored).unwrap_or_default())
                }),
            _ => match std::fs::remove_file(&path) {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
                _ => Ok(()),
            },
        };
        if let Err(error) = written {
            tracing::warn!(%session, %error, "could not save the simulator session");
        }
    }

    /// Shows the first code of a new set now and rotates the rest in the background.
    fn begin_codes(&self, session: SessionId, state: &mut SimSession) -> QrCode {
        state.stop_rotation();
        state.generation += 1;
        let settings = &self.shared.settings;
        let first = QrCode {
            code: qr_text(session, state.generation, 0),
            expires_in: settings.first_qr_ttl,
        };
        state.qr = Some(ActiveQr {
            code: first.code.clone(),
            expires_at: Instant::now() + first.expires_in,
        });
        self.shared.emit(GatewayEvent::Qr {
            session,
            qr: first.clone(),
        });
        let shared = Arc::downgrade(&self.shared);
        let generation = state.generation;
        let (first_ttl, next_ttl, count) = (
            settings.first_qr_ttl,
            settings.next_qr_ttl,
            settings.qr_codes_per_set,
        );
        let rotation = tokio::spawn(async move {
            tokio::time::sleep(first_ttl).await;
            for serial in 1..count {
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                let qr = QrCode {
                    code: qr_text(session, generation, serial),
                    expires_in: next_ttl,
                };
                {
                    let mut sessions = shared.lock();
                    let Some(state) = sessions.get_mut(&session) else {
                        return;
                    };
                    if state.generation != generation {
                        return;
                    }
                    state.qr = Some(ActiveQr {
                        code: qr.code.clone(),
                        expires_at: Instant::now() + next_ttl,
                    });
                }
                shared.emit(GatewayEvent::Qr { session, qr });
                drop(shared);
                tokio::time::sleep(next_ttl).await;
            }
            // The set is used up, as on WhatsApp: the next request rebuilds the session.
            if let Some(shared) = shared.upgrade()
                && let Some(state) = shared.lock().get_mut(&session)
                && state.generation == generation
            {
                state.qr = None;
                state.rotation = None;
            }
        });
        state.rotation = Some(rotation.abort_handle());
        first
    }

    fn with_linked<T>(
        &self,
        session: SessionId,
        f: impl FnOnce(&mut SimSession) -> T,
    ) -> Result<T, GatewayError> {
        let mut sessions = self.shared.lock();
        let state = sessions
            .get_mut(&session)
            .ok_or_else(|| GatewayError::NoSession(session.to_string()))?;
        match state.status {
            SessionStatus::Connected => Ok(f(state)),
            // Linked still: worth trying again once the session is back.
            SessionStatus::Suspended => Err(GatewayError::Unavailable(format!(
                "WhatsApp session {session} is suspended"
            ))),
            _ => Err(GatewayError::NotLinked(session.to_string())),
        }
    }

    /// WhatsApp stops the session the way the live gateway sees it: another device
    /// took over (`replaced`), a temporary ban for `seconds`, a refused connection, or
    /// an unlink (`logged_out`: keys gone, a new link needed). Like the crate, the
    /// session does not come back by itself; starting it again (the node's keeper
    /// does) connects it without a new link, once a ban is over.
    pub fn fault(
        &self,
        session: SessionId,
        reason: SuspendReason,
        seconds: Option<u64>,
    ) -> Result<(), ControlError> {
        let mut sessions = self.shared.lock();
        let state = sessions
            .get_mut(&session)
            .ok_or_else(|| ControlError::NoSession(session.to_string()))?;
        if !matches!(
            state.status,
            SessionStatus::Connected | SessionStatus::Suspended
        ) {
            return Err(ControlError::NotLinked(session.to_string()));
        }
        let until = (reason == SuspendReason::Banned)
            .then(|| seconds.unwrap_or(60))
            .map(|secs| (Instant::now() + Duration::from_secs(secs), secs));
        let detail = format!("simulated: {}", reason.as_str());
        if reason == SuspendReason::LoggedOut {
            state.phone = None;
            state.status = SessionStatus::LoggedOut;
        } else {
            state.status = SessionStatus::Suspended;
            state.banned_until = until.map(|(at, _)| at);
        }
        self.persist(session, state);
        drop(sessions);
        tracing::info!(%session, reason = reason.as_str(), "simulated WhatsApp stopped the session");
        self.shared.emit(GatewayEvent::Suspended {
            session,
            reason,
            detail,
            until: until.map(|(_, secs)| (now_ms() / 1000) as i64 + secs as i64),
        });
        if reason == SuspendReason::LoggedOut {
            self.shared.emit(GatewayEvent::LoggedOut {
                session,
                reason: "unlinked by WhatsApp".to_owned(),
            });
        }
        Ok(())
    }

    /// The phone links the session: scans the current QR code or enters the pairing
    /// code (then it must be the number the code was requested for).
    pub fn link(&self, session: SessionId, phone: PhoneNumber) -> Result<(), ControlError> {
        let mut sessions = self.shared.lock();
        let state = sessions
            .get_mut(&session)
            .ok_or_else(|| ControlError::NoSession(session.to_string()))?;
        if state.status != SessionStatus::AwaitingLink {
            return Err(ControlError::NotAwaitingLink(session.to_string()));
        }
        if let Some(pending) = &state.pairing
            && pending.expires_at > Instant::now()
            && pending.code.phone != phone
        {
            return Err(ControlError::WrongPhone(session.to_string()));
        }
        state.stop_rotation();
        state.pairing = None;
        state.status = SessionStatus::Connected;
        state.phone = Some(phone.clone());
        self.persist(session, state);
        drop(sessions);
        tracing::info!(%session, phone = %phone.masked(), "simulated phone linked");
        self.shared.emit(GatewayEvent::Connected { session, phone });
        Ok(())
    }

    /// `phone` has no WhatsApp, as `session` sees it: the number check says so, and a
    /// send to it is refused.
    pub fn not_on_whatsapp(
        &self,
        session: SessionId,
        phone: PhoneNumber,
    ) -> Result<(), ControlError> {
        self.shared
            .lock()
            .get_mut(&session)
            .ok_or_else(|| ControlError::NoSession(session.to_string()))?
            .absent
            .insert(phone);
        Ok(())
    }

    /// A client writes to the salon's number. Returns the message's id, and whether the
    /// ledger took it now (else it waits in the session's queue and is delivered again
    /// until it does).
    pub async fn incoming(
        &self,
        session: SessionId,
        sent: SimulatedIncoming,
    ) -> Result<(MessageId, bool), ControlError> {
        let id = {
            let mut sessions = self.shared.lock();
            let state = sessions
                .get_mut(&session)
                .ok_or_else(|| ControlError::NoSession(session.to_string()))?;
            if state.status != SessionStatus::Connected {
                return Err(ControlError::NotLinked(session.to_string()));
            }
            state.received += 1;
            let serial = state.received;
            let id = MessageId(
                sent.id
                    .unwrap_or_else(|| format!("SIMIN-{}-{serial}", session.salon_id())),
            );
            let jid = jid_of(&sent.from);
            let mut media = sent.media;
            if let Some(data) = &sent.media_base64 {
                let data = STANDARD
                    .decode(data.trim())
                    .map_err(|e| ControlError::Invalid(format!("the media is not base64: {e}")))?;
                let path = format!("sim://{session}/{id}");
                let info = media.get_or_insert_with(MediaInfo::default);
                info.bytes = Some(data.len() as u64);
                info.download = Some(Box::new(MediaRef {
                    direct_path: path.clone(),
                    media_type: media_type_of(sent.kind).to_owned(),
                    media_key: String::new(),
                    file_sha256: String::new(),
                    file_enc_sha256: String::new(),
                    file_length: data.len() as u64,
                }));
                state.media.insert(path, data);
            }
            match sent.expiration {
                Some(seconds) => state.timers.insert(sent.from.clone(), seconds),
                None => state.timers.remove(&sent.from),
            };
            state.undelivered.push_back(IncomingMessage {
                session,
                from: sent.from,
                id: id.clone(),
                kind: sent.kind,
                text: sent.text,
                push_name: sent.push_name,
                timestamp: sent.sent_at.unwrap_or((now_ms() / 1000) as i64),
                media,
                refers_to: sent.refers_to.map(MessageId),
                from_me: sent.from_me,
                chat: Some(jid.clone()),
                sender: Some(jid),
                expiration: sent.expiration,
            });
            id
        };
        let delivered = tokio::time::timeout(DELIVERY_WAIT, self.deliver(session))
            .await
            .unwrap_or(false);
        if !delivered {
            self.redeliver_later(session);
        }
        Ok((id, delivered))
    }

    /// Hands the session's queue to the ledger, oldest first, and announces what it
    /// took; true when the queue is empty.
    async fn deliver(&self, session: SessionId) -> bool {
        let _turn = self.shared.delivering.lock().await;
        let batch: Vec<IncomingMessage> = match self.shared.lock().get(&session) {
            Some(state) => state.undelivered.iter().cloned().collect(),
            None => return true,
        };
        if batch.is_empty() {
            return true;
        }
        if let Some(ledger) = self.shared.ledger.get()
            && let Err(error) = ledger.record(&batch).await
        {
            tracing::warn!(%session, waiting = batch.len(), error = %format!("{error:#}"), "the ledger did not take the messages; delivered again later");
            return false;
        }
        if let Some(state) = self.shared.lock().get_mut(&session) {
            state
                .undelivered
                .drain(..batch.len().min(state.undelivered.len()));
        }
        for message in batch {
            self.shared.emit(GatewayEvent::IncomingMessage(message));
        }
        true
    }

    /// Delivers the session's queue again every [`REDELIVER_EVERY`] until it is empty
    /// (one such task per session).
    fn redeliver_later(&self, session: SessionId) {
        match self.shared.lock().get_mut(&session) {
            Some(state) if !state.redelivering => state.redelivering = true,
            _ => return,
        }
        let gateway = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(REDELIVER_EVERY).await;
                if gateway.deliver(session).await {
                    // Done unless a message came in meanwhile (its own send saw this
                    // task running and left it to us).
                    let mut sessions = gateway.shared.lock();
                    match sessions.get_mut(&session) {
                        Some(state) if !state.undelivered.is_empty() => continue,
                        Some(state) => state.redelivering = false,
                        None => {}
                    }
                    return;
                }
            }
        });
    }

    /// What the bot did in the session, in order.
    pub fn outbox(&self, session: SessionId) -> Result<Vec<OutboxEntry>, ControlError> {
        self.shared
            .lock()
            .get(&session)
            .map(|state| state.outbox.clone())
            .ok_or_else(|| ControlError::NoSession(session.to_string()))
    }

    /// Every session, for the `/dev/phone` page.
    pub fn sessions(&self) -> Vec<SessionView> {
        let now = Instant::now();
        let mut views: Vec<SessionView> = self
            .shared
            .lock()
            .iter()
            .map(|(id, state)| SessionView {
                session_id: id.to_string(),
                status: state.status,
                qr: state
                    .qr
                    .as_ref()
                    .filter(|qr| qr.expires_at > now)
                    .map(|qr| qr.code.clone()),
                pairing_code: state
                    .pairing
                    .as_ref()
                    .filter(|p| p.expires_at > now)
                    .map(|p| p.code.clone()),
                phone: state.phone.clone(),
            })
            .collect();
        views.sort_by(|a, b| a.session_id.cmp(&b.session_id));
        views
    }
}

#[async_trait::async_trait]
impl WhatsAppGateway for SimulatedGateway {
    async fn create_session(&self, session: SessionId) -> Result<SessionStatus, GatewayError> {
        let mut sessions = self.shared.lock();
        let state = sessions.entry(session).or_insert_with(|| {
            let mut state = SimSession::new(0);
            if let Some(phone) = self.stored_phone(session) {
                state.status = SessionStatus::Connected;
                state.phone = Some(phone);
            }
            state
        });
        let mut reconnected = None;
        let needs_codes = match state.status {
            SessionStatus::LoggedOut => {
                state.status = SessionStatus::AwaitingLink;
                true
            }
            SessionStatus::AwaitingLink => state.qr.is_none() && state.rotation.is_none(),
            // Started again after WhatsApp stopped it: back with its keys, unless a ban
            // is still on.
            SessionStatus::Suspended
                if state
                    .banned_until
                    .is_none_or(|until| until <= Instant::now()) =>
            {
                state.status = SessionStatus::Connected;
                state.banned_until = None;
                reconnected = state.phone.clone();
                false
            }
            SessionStatus::Suspended | SessionStatus::Connected | SessionStatus::Connecting => {
                false
            }
        };
        if needs_codes {
            self.begin_codes(session, state);
        }
        let status = state.status;
        drop(sessions);
        if let Some(phone) = reconnected {
            tracing::info!(%session, "simulated session connected again");
            self.shared.emit(GatewayEvent::Connected { session, phone });
        }
        Ok(status)
    }

    async fn current_qr(&self, session: SessionId) -> Result<Option<QrCode>, GatewayError> {
        let mut sessions = self.shared.lock();
        let state = sessions
            .get_mut(&session)
            .ok_or_else(|| GatewayError::NoSession(session.to_string()))?;
        if state.status != SessionStatus::AwaitingLink {
            return Ok(None);
        }
        let now = Instant::now();
        match &state.qr {
            Some(qr) if qr.expires_at > now => Ok(Some(QrCode {
                code: qr.code.clone(),
                expires_in: qr.expires_at - now,
            })),
            // Between two codes of a set the next one is about to appear; after the
            // set, a new one is started.
            _ if state.rotation.is_some() => Ok(None),
            _ => Ok(Some(self.begin_codes(session, state))),
        }
    }

    async fn refresh_qr(&self, session: SessionId) -> Result<QrCode, GatewayError> {
        let mut sessions = self.shared.lock();
        let state = sessions
            .get_mut(&session)
            .ok_or_else(|| GatewayError::NoSession(session.to_string()))?;
        match state.status {
            SessionStatus::Connected => Err(GatewayError::AlreadyLinked(session.to_string())),
            _ => {
                state.status = SessionStatus::AwaitingLink;
                Ok(self.begin_codes(session, state))
            }
        }
    }

    async fn request_pairing_code(
        &self,
        session: SessionId,
        phone: &PhoneNumber,
    ) -> Result<PairingCode, GatewayError> {
        let pairing = {
            let mut sessions = self.shared.lock();
            let state = sessions
                .get_mut(&session)
                .ok_or_else(|| GatewayError::NoSession(session.to_string()))?;
            if state.status == SessionStatus::Connected {
                return Err(GatewayError::AlreadyLinked(session.to_string()));
            }
            state.status = SessionStatus::AwaitingLink;
            let pairing = PairingCode {
                code: pairing_text(session, phone),
                phone: phone.clone(),
                expires_in: self.shared.settings.pairing_ttl,
            };
            state.pairing = Some(PendingPairing {
                code: pairing.clone(),
                expires_at: Instant::now() + pairing.expires_in,
            });
            pairing
        };
        self.shared.emit(GatewayEvent::PairingCode {
            session,
            pairing: pairing.clone(),
        });
        Ok(pairing)
    }

    fn sessions(&self) -> Vec<SessionId> {
        self.shared.lock().keys().copied().collect()
    }

    async fn status(&self, session: SessionId) -> SessionStatus {
        self.shared
            .lock()
            .get(&session)
            .map_or(SessionStatus::LoggedOut, |state| state.status)
    }

    async fn send_text(
        &self,
        session: SessionId,
        to: &ClientAddress,
        text: &str,
    ) -> Result<MessageId, GatewayError> {
        let id = self.with_linked(session, |state| {
            if let ClientAddress::Phone(phone) = to
                && state.absent.contains(phone)
            {
                // What the live gateway makes of WhatsApp's 4xx for such a number.
                return Err(GatewayError::Refused(format!(
                    "{} is not on WhatsApp",
                    phone.masked()
                )));
            }
            state.sent += 1;
            let id = MessageId(format!("SIM-{}-{}", session.salon_id(), state.sent));
            let expiration = state.timers.get(to).copied();
            state.outbox.push(OutboxEntry::Text {
                id: id.clone(),
                to: to.clone(),
                text: text.to_owned(),
                expiration,
                at_ms: now_ms(),
            });
            Ok(id)
        })??;
        // WhatsApp's server takes it, as the live gateway hears in a ServerAck.
        self.shared.emit(GatewayEvent::SendAck {
            session,
            message_id: id.clone(),
            error: None,
        });
        Ok(id)
    }

    async fn is_on_whatsapp(
        &self,
        session: SessionId,
        phone: &PhoneNumber,
    ) -> Result<bool, GatewayError> {
        self.with_linked(session, |state| !state.absent.contains(phone))
    }

    async fn send_reaction(
        &self,
        session: SessionId,
        chat: &ClientAddress,
        message: &MessageId,
        emoji: &str,
    ) -> Result<(), GatewayError> {
        self.with_linked(session, |state| {
            state.outbox.push(OutboxEntry::Reaction {
                to: chat.clone(),
                message: message.clone(),
                emoji: emoji.to_owned(),
                at_ms: now_ms(),
            });
        })
    }

    async fn mark_read(
        &self,
        session: SessionId,
        chat: &ClientAddress,
        messages: &[MessageId],
    ) -> Result<(), GatewayError> {
        self.with_linked(session, |state| {
            state.outbox.push(OutboxEntry::Read {
                to: chat.clone(),
                messages: messages.to_vec(),
                at_ms: now_ms(),
            });
        })
    }

    async fn set_typing(
        &self,
        session: SessionId,
        chat: &ClientAddress,
        typing: bool,
    ) -> Result<(), GatewayError> {
        self.with_linked(session, |state| {
            state.outbox.push(OutboxEntry::Typing {
                to: chat.clone(),
                typing,
                at_ms: now_ms(),
            });
        })
    }

    async fn download_media(
        &self,
        session: SessionId,
        media: &MediaRef,
        limit: u64,
    ) -> Result<Vec<u8>, GatewayError> {
        let sessions = self.shared.lock();
        let state = sessions
            .get(&session)
            .ok_or_else(|| GatewayError::NoSession(session.to_string()))?;
        // As WhatsApp's CDN: an unknown or expired path is refused for good.
        let data = state
            .media
            .get(&media.direct_path)
            .ok_or_else(|| GatewayError::Refused(format!("no media at {}", media.direct_path)))?;
        if data.len() as u64 > limit {
            return Err(GatewayError::Refused(format!(
                "the media is {} bytes, over the {limit} taken",
                data.len()
            )));
        }
        Ok(data.clone())
    }

    async fn logout(&self, session: SessionId) -> Result<(), GatewayError> {
        let mut sessions = self.shared.lock();
        let Some(state) = sessions.get_mut(&session) else {
            return Ok(());
        };
        state.stop_rotation();
        state.pairing = None;
        state.phone = None;
        state.status = SessionStatus::LoggedOut;
        self.persist(session, state);
        drop(sessions);
        self.shared.emit(GatewayEvent::LoggedOut {
            session,
            reason: "device unlinked".to_owned(),
        });
        Ok(())
    }

    async fn stored_sessions(&self) -> Result<Vec<SessionId>, GatewayError> {
        let Some(dir) = &self.shared.settings.store_dir else {
            return Ok(Vec::new());
        };
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(GatewayError::Other(format!("cannot read {dir:?}: {error}"))),
        };
        let mut found: Vec<SessionId> = entries
            .filter_map(|entry| {
                let name = entry.ok()?.file_name();
                name.to_str()?.strip_suffix(".json")?.parse().ok()
            })
            .collect();
        found.sort_by_key(|session| session.salon_id());
        Ok(found)
    }

    async fn release_session(&self, session: SessionId) {
        if let Some(mut state) = self.shared.lock().remove(&session) {
            state.stop_rotation();
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<GatewayEvent> {
        self.shared.events.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> SessionId {
        "company_962302".parse().unwrap()
    }

    fn phone() -> PhoneNumber {
        PhoneNumber::parse("79001234567").unwrap()
    }

    fn fast() -> SimulatorSettings {
        SimulatorSettings {
            first_qr_ttl: Duration::from_secs(3),
            next_qr_ttl: Duration::from_secs(2),
            qr_codes_per_set: 3,
            ..SimulatorSettings::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn qr_codes_rotate_then_run_out_and_are_rebuilt_on_request() {
        let gateway = SimulatedGateway::new(fast());
        let mut events = gateway.subscribe();
        assert_eq!(
            gateway.create_session(session()).await.unwrap(),
            SessionStatus::AwaitingLink
        );
        let first = gateway.current_qr(session()).await.unwrap().unwrap();
        assert_eq!(first.expires_in, Duration::from_secs(3));
        assert!(first.code.starts_with("2@"));

        let mut codes = Vec::new();
        for _ in 0..3 {
            match events.recv().await.unwrap() {
                GatewayEvent::Qr { qr, .. } => codes.push(qr.code),
                other => panic!("unexpected {other:?}"),
            }
        }
        codes.dedup();
        assert_eq!(codes.len(), 3, "each rotation shows a new code");

        tokio::time::sleep(Duration::from_secs(3)).await;
        // The set is used up; asking again starts a new one.
        let rebuilt = gateway.current_qr(session()).await.unwrap().unwrap();
        assert!(!codes.contains(&rebuilt.code));
    }

    #[tokio::test]
    async fn codes_are_deterministic() {
        assert_eq!(qr_text(session(), 1, 0), qr_text(session(), 1, 0));
        assert_ne!(qr_text(session(), 1, 0), qr_text(session(), 1, 1));
        let code = pairing_text(session(), &phone());
        assert_eq!(code, pairing_text(session(), &phone()));
        assert_eq!(code.len(), 9);
        assert_eq!(&code[4..5], "-");
    }

    #[tokio::test]
    async fn linking_connects_and_sending_is_recorded() {
        let gateway = SimulatedGateway::new(SimulatorSettings::default());
        let mut events = gateway.subscribe();
        gateway.create_session(session()).await.unwrap();
        let client = ClientAddress::from(PhoneNumber::parse("79005554433").unwrap());
        assert!(matches!(
            gateway.send_text(session(), &client, "x").await,
            Err(GatewayError::NotLinked(_))
        ));

        gateway.link(session(), phone()).unwrap();
        assert_eq!(gateway.status(session()).await, SessionStatus::Connected);
        assert!(gateway.current_qr(session()).await.unwrap().is_none());
        let connected = loop {
            if let GatewayEvent::Connected { phone, .. } = events.recv().await.unwrap() {
                break phone;
            }
        };
        assert_eq!(connected, phone());

        gateway
            .send_text(session(), &client, "Здравствуйте!")
            .await
            .unwrap();
        let outbox = gateway.outbox(session()).unwrap();
        assert!(matches!(&outbox[..], [OutboxEntry::Text { text, .. }] if text == "Здравствуйте!"));
    }

    #[tokio::test]
    async fn a_pairing_code_binds_the_link_to_its_number() {
        let gateway = SimulatedGateway::new(SimulatorSettings::default());
        gateway.create_session(session()).await.unwrap();
        gateway
            .request_pairing_code(session(), &phone())
            .await
            .unwrap();
        let other = PhoneNumber::parse("79990000000").unwrap();
        assert_eq!(
            gateway.link(session(), other),
            Err(ControlError::WrongPhone(session().to_string()))
        );
        gateway.link(session(), phone()).unwrap();
    }

    #[tokio::test]
    async fn linked_sessions_survive_a_restart_and_logout_forgets_them() {
        let dir = std::env::temp_dir().join(format!("sim-store-{}", now_ms()));
        let settings = SimulatorSettings {
            store_dir: Some(dir.clone()),
            ..SimulatorSettings::default()
        };
        let gateway = SimulatedGateway::new(settings.clone());
        gateway.create_session(session()).await.unwrap();
        gateway.link(session(), phone()).unwrap();
        // Released (handed to another node), the session's file stays.
        gateway.release_session(session()).await;
        assert!(gateway.sessions().is_empty());

        let restarted = SimulatedGateway::new(settings.clone());
        assert_eq!(restarted.stored_sessions().await.unwrap(), vec![session()]);
        assert_eq!(
            restarted.create_session(session()).await.unwrap(),
            SessionStatus::Connected
        );
        restarted.logout(session()).await.unwrap();
        assert_eq!(restarted.status(session()).await, SessionStatus::LoggedOut);

        let again = SimulatedGateway::new(settings);
        assert!(again.stored_sessions().await.unwrap().is_empty());
        assert_eq!(
            again.create_session(session()).await.unwrap(),
            SessionStatus::AwaitingLink
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
