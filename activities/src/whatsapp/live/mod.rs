//! The real [`WhatsAppGateway`]: each salon's WhatsApp runs as a linked device (like
//! WhatsApp Web) through the `whatsapp-rust` crate — one bot per session, each with
//! its own SQLite key store in one directory, so linked salons come back after a
//! restart without a new QR code.
//!
//! # Layout
//! - [`LiveGateway`] — starting, restoring, relinking and stopping bots; sending.
//! - `events` — turns each bot's crate events into [`GatewayEvent`]s, in order, and
//!   keeps the QR or pairing code the owner should see.
//! - `inbound` — clients' messages: what each says (text, caption, voice note, …), who
//!   sent it, and the durability hook that records them before WhatsApp is told.
//! - `chats` — the chat each client wrote from, for receipts, typing and reactions.
//! - [`offline`] — the gateway with the network down, for tests.
//! - `handover` — the store's copy in the [`SessionVault`], so a session moves between
//!   hosts.

mod chats;
mod events;
mod handover;
mod inbound;
pub mod offline;

use super::vault::SessionVault;
use super::{
    GatewayError, GatewayEvent, InboundLedger, MediaRef, MessageId, PairingCode, QrCode,
    SessionStatus, WhatsAppGateway,
};
use crate::domain::{ClientAddress, PhoneNumber, SessionId};
use events::{SessionEvents, format_pairing_code};
use futures::FutureExt;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, PoisonError};
use std::time::Duration;
use tokio::sync::{Mutex, broadcast};
use tokio::time::{Instant, timeout};
use whatsapp_rust::bot::{Bot, BotBuilder, BotHandle, Provided};
use whatsapp_rust::download::{DownloadParams, MediaType};
use whatsapp_rust::features::ContactError;
use whatsapp_rust::http::{HttpClient, HttpStatusError};
use whatsapp_rust::pair_code::{PairCodeOptions, PairCodeRejection, PairError};
use whatsapp_rust::prelude::MessageBuilderExt as _;
use whatsapp_rust::store::SqliteStore;
use whatsapp_rust::transport::TransportFactory;
use whatsapp_rust::types::events::Subscription;
use whatsapp_rust::wacore::pair_code::PairCodeUtils;
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::{Client, IqError, Jid, SendError, SendOptions};

/// Events kept for a subscriber that falls behind before it sees `Lagged`.
const EVENT_CAPACITY: usize = 1024;
/// How long a stopping bot may flush: the crate bounds its two flushes (received
/// messages' commits and receipts, then outgoing ones) at 5 s each, then writes the
/// device state and message secrets.
const FLUSH_WAIT: Duration = Duration::from_secs(12);
/// After the flush, how long the run loop may take to end: one stuck connecting only
/// notices after its 20 s transport timeout, and is aborted instead.
const STOP_WAIT: Duration = Duration::from_secs(2);
/// How long the unlink request to WhatsApp may hold up a logout.
const UNLINK_WAIT: Duration = Duration::from_secs(3);
/// How long `refresh_qr` and `request_pairing_code` wait for WhatsApp's code.
const LINK_WAIT: Duration = Duration::from_secs(15);
/// How long a send, receipt or typing update may take before it counts as failed.
const SEND_WAIT: Duration = Duration::from_secs(30);

type ReadyBuilder = BotBuilder<Provided, Provided, Provided, Provided>;
/// Applied to every bot builder; only tests swap the crate's network pieces this way.
type Configure = Arc<dyn Fn(ReadyBuilder) -> ReadyBuilder + Send + Sync>;

/// WhatsApp through `whatsapp-rust`, one linked-device bot per salon.
#[derive(Clone)]
pub struct LiveGateway {
    inner: Arc<Inner>,
}

struct Inner {
    /// Holds `company_<salon_id>.db` (+ `-wal`, `-shm`) per session: the device keys.
    dir: PathBuf,
    /// `None` in production: the crate's own WebSocket transport and HTTP client.
    configure: Option<Configure>,
    /// [`LINK_WAIT`], shorter in tests.
    link_wait: Duration,
    /// Every session's events, for [`WhatsAppGateway::subscribe`].
    events: broadcast::Sender<GatewayEvent>,
    /// A slot per session ever touched; its lock serialises starting and stopping.
    slots: std::sync::Mutex<HashMap<SessionId, Arc<Slot>>>,
    /// Numbers the bots, so a late event of a replaced bot is told from the current.
    generations: AtomicU64,
    /// Where clients' messages are recorded before WhatsApp hears they arrived.
    ledger: OnceLock<Arc<dyn InboundLedger>>,
    /// The shared copy of linked stores, for nodes on other hosts (none: this
    /// directory is the only copy).
    vault: OnceLock<Arc<dyn SessionVault>>,
    /// The chat each client wrote from.
    chats: Arc<chats::ChatBook>,
}

#[derive(Default)]
struct Slot {
    bot: Mutex<Option<RunningBot>>,
}

struct RunningBot {
    client: Arc<Client>,
    handle: BotHandle,
    events: Arc<SessionEvents>,
    /// Cached once the run loop ended (it never restarts by itself).
    stopped: bool,
    /// Keeps the event task fed; dropping it ends the task.
    _subscription: Subscription,
}

impl LiveGateway {
    /// A gateway keeping its key stores in `dir` (the app passes `DATA_DIR/whatsapp/`),
    /// reaching WhatsApp over the crate's WebSocket transport and HTTP client.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self::build(dir.into(), None, LINK_WAIT)
    }

    /// A gateway whose bots use `transport` and `http` instead of the crate's own and
    /// announce WhatsApp Web `version` instead of fetching it — so tests run offline.
    pub fn with_network<T, H>(
        dir: impl Into<PathBuf>,
        transport: T,
        http: H,
        version: (u32, u32, u32),
    ) -> Self
    where
        T: TransportFactory + Clone + 'static,
        H: HttpClient + Clone + 'static,
    {
        Self::build(
            dir.into(),
            Some(network(transport, http, version)),
            LINK_WAIT,
        )
    }

    fn build(dir: PathBuf, configure: Option<Configure>, link_wait: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                dir,
                configure,
                link_wait,
                events: broadcast::channel(EVENT_CAPACITY).0,
                slots: std::sync::Mutex::default(),
                generations: AtomicU64::new(0),
                ledger: OnceLock::new(),
                vault: OnceLock::new(),
                chats: Arc::default(),
            }),
        }
    }

    /// Records clients' messages in `ledger` before they are acknowledged to WhatsApp
    /// (set once, before the first bot starts).
    pub fn set_ledger(&self, ledger: Arc<dyn InboundLedger>) {
        if self.inner.ledger.set(ledger).is_err() {
            tracing::warn!("the live gateway's ledger was set twice; the first one stays");
        }
    }

    /// Keeps a copy of every linked store in `vault`, so another host can take a
    /// session over (set once, before the first bot starts).
    pub fn set_vault(&self, vault: Arc<dyn SessionVault>) {
        if self.inner.vault.set(vault).is_err() {
            tracing::warn!("the live gateway's vault was set twice; the first one stays");
        }
    }

    /// Stops every bot (each within a bounded time), keeping the key stores for the
    /// next start, and saves each store to the vault.
    pub async fn shutdown(&self) {
        let slots: Vec<(SessionId, Arc<Slot>)> = self
            .inner
            .lock_slots()
            .iter()
            .map(|(session, slot)| (*session, Arc::clone(slot)))
            .collect();
        futures::future::join_all(slots.iter().map(|(session, slot)| async move {
            if let Some(bot) = slot.bot.lock().await.take() {
                bot.stop().await;
                self.inner.save_store(*session, false).await;
            }
        }))
        .await;
    }
}

impl fmt::Debug for LiveGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveGateway")
            .field("dir", &self.inner.dir)
            .field("offline_network", &self.inner.configure.is_some())
            .finish_non_exhaustive()
    }
}

impl Inner {
    fn lock_slots(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, Arc<Slot>>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn slot(&self, session: SessionId) -> Arc<Slot> {
        Arc::clone(self.lock_slots().entry(session).or_default())
    }

    fn existing_slot(&self, session: SessionId) -> Option<Arc<Slot>> {
        self.lock_slots().get(&session).cloned()
    }

    fn store_path(&self, session: SessionId) -> PathBuf {
        self.dir.join(format!("{session}.db"))
    }

    /// `<session>.linked`: written once the session's store holds a linked device, so
    /// a restart restores only those (a store that never linked only shows QR codes).
    fn linked_marker(&self, session: SessionId) -> PathBuf {
        self.dir.join(format!("{session}.linked"))
    }

    /// The sessions with a linked store in this host's directory (a never-linked store
    /// has nothing to restore).
    async fn linked_stores(&self) -> Result<Vec<SessionId>, GatewayError> {
        let dir = &self.dir;
        let mut entries = match tokio::fs::read_dir(dir).await {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(store_error("read", dir, &error)),
        };
        let mut found = Vec::new();
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|error| store_error("read", dir, &error))?
        {
            let name = entry.file_name();
            if let Some(session) = name
                .to_str()
                .and_then(|name| name.strip_suffix(".linked"))
                .and_then(|stem| stem.parse::<SessionId>().ok())
                .filter(|session| self.store_path(*session).exists())
            {
                found.push(session);
            }
        }
        Ok(found)
    }

    /// Notes that the session's store holds a linked device; true when it is a new
    /// link (the marker was not there).
    fn mark_linked(&self, session: SessionId) -> bool {
        let marker = self.linked_marker(session);
        if marker.exists() {
            return false;
        }
        if let Err(error) = std::fs::write(marker, b"") {
            tracing::warn!(%session, %error, "could not note the session as linked");
        }
        true
    }

    fn emit(&self, event: GatewayEvent) {
        // An error only means nobody subscribed yet; events are not kept for later.
        let _ = self.events.send(event);
    }

    async fn start_bot(self: &Arc<Self>, session: SessionId) -> Result<RunningBot, GatewayError> {
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|error| store_error("create", &self.dir, &error))?;
        // Another host may have run the session since this one did.
        self.take_newer_copy(session).await;
        let path = self.store_path(session);
        let url = path
            .to_str()
            .ok_or_else(|| GatewayError::Other(format!("store path {path:?} is not UTF-8")))?;
        let store = SqliteStore::new(url)
            .await
            .map_err(|error| GatewayError::Other(format!("cannot open {path:?}: {error}")))?;
        let durability = inbound::Durability {
            session,
            ledger: self.ledger.get().cloned(),
            events: self.events.clone(),
            chats: self.chats.clone(),
        };
        let mut builder = Bot::builder()
            .with_backend(store)
            .skip_history_sync()
            .with_inbound_durability_hook(durability);
        if let Some(configure) = &self.configure {
            builder = configure(builder);
        }
        let bot = builder
            .build()
            .await
            .map_err(|error| GatewayError::Other(format!("cannot build the bot: {error}")))?;
        let client = bot.client();
        // Presence is set unavailable on connecting (see `events`); the clients' ticks
        // must still say "delivered", not "inactive".
        client.set_force_active_delivery_receipts(true);
        let generation = self.generations.fetch_add(1, Ordering::Relaxed) + 1;
        let events = SessionEvents::new(
            session,
            generation,
            &client,
            Arc::downgrade(self),
            self.events.clone(),
        );
        // Subscribed before the bot runs, so not even its first event is missed.
        let subscription = events.start(&client);
        let handle = bot.spawn();
        tracing::info!(%session, generation, "WhatsApp bot started");
        Ok(RunningBot {
            client,
            handle,
            events,
            stopped: false,
            _subscription: subscription,
        })
    }

    /// Replaces the session's bot (if any) with a new one on the same key store.
    async fn restart<'a>(
        self: &Arc<Self>,
        slot: &'a mut Option<RunningBot>,
        session: SessionId,
    ) -> Result<&'a mut RunningBot, GatewayError> {
        if let Some(old) = slot.take() {
            old.stop().await;
        }
        Ok(slot.insert(self.start_bot(session).await?))
    }

    async fn ensure_running<'a>(
        self: &Arc<Self>,
        slot: &'a mut Option<RunningBot>,
        session: SessionId,
    ) -> Result<&'a mut RunningBot, GatewayError> {
        let alive = slot.as_mut().is_some_and(|bot| !bot.has_stopped());
        // Taken and put back: returning a borrow on one branch only is beyond the
        // borrow checker.
        match slot.take() {
            Some(bot) if alive => Ok(slot.insert(bot)),
            stale => {
                *slot = stale;
                self.restart(slot, session).await
            }
        }
    }

    /// The client of a linked, online session: the only state in which sending works.
    async fn linked_client(&self, session: SessionId) -> Result<Arc<Client>, GatewayError> {
        let no_session = || GatewayError::NoSession(session.to_string());
        let slot = self.existing_slot(session).ok_or_else(no_session)?;
        let guard = slot.bot.lock().await;
        let bot = guard.as_ref().ok_or_else(no_session)?;
        if !bot.is_linked() {
            return Err(GatewayError::NotLinked(session.to_string()));
        }
        if !(bot.client.is_connected() && bot.client.is_logged_in()) {
            return Err(GatewayError::Unavailable(format!(
                "WhatsApp session {session} is reconnecting"
            )));
        }
        Ok(Arc::clone(&bot.client))
    }

    /// The phone unlinked the device (or WhatsApp dropped it): the keys are useless
    /// now, so they go, and the session needs a new link.
    async fn end_session_remotely(&self, session: SessionId, generation: u64, reason: String) {
        let Some(slot) = self.existing_slot(session) else {
            return;
        };
        let mut guard = slot.bot.lock().await;
        // A newer bot, or our own logout, owns the session by now.
        if guard
            .as_ref()
            .is_none_or(|bot| bot.events.generation != generation)
        {
            return;
        }
        if let Some(bot) = guard.take() {
            bot.stop().await;
        }
        if let Err(error) = self.wipe_store(session).await {
            tracing::error!(%session, %error, "could not delete the keys of an unlinked session");
        }
        drop(guard);
        tracing::warn!(%session, %reason, "session unlinked; keys deleted");
        self.emit(GatewayEvent::LoggedOut { session, reason });
    }

    async fn wipe_store(&self, session: SessionId) -> Result<(), GatewayError> {
        self.chats.forget(session);
        self.remove_local(session)
            .await
            .map_err(|error| GatewayError::Other(format!("{error:#}")))?;
        self.forget_copy(session).await;
        Ok(())
    }
}

impl RunningBot {
    fn is_linked(&self) -> bool {
        self.client.pn().is_some()
    }

    fn has_stopped(&mut self) -> bool {
        if !self.stopped {
            self.stopped = (&mut self.handle).now_or_never().is_some();
        }
        self.stopped
    }

    fn status(&mut self) -> SessionStatus {
        if self.client.is_connected() && self.client.is_logged_in() {
            return SessionStatus::Connected;
        }
        if self.is_linked() {
            // A linked bot whose loop ended was stopped by WhatsApp (replaced, banned,
            // refused): it does not come back by itself.
            return if self.has_stopped() {
                SessionStatus::Suspended
            } else {
                SessionStatus::Connecting
            };
        }
        // A bot whose codes ran out still waits for a link: the next `current_qr`
        // starts a new one.
        let stopped = self.has_stopped();
        let link = self.events.link();
        if stopped || link.showing_code() || link.needs_new_codes() {
            SessionStatus::AwaitingLink
        } else {
            SessionStatus::Connecting
        }
    }

    /// Stops the bot gracefully — its flush within [`FLUSH_WAIT`], its run loop
    /// within [`STOP_WAIT`] — else aborts it.
    async fn stop(mut self) {
        let session = self.events.session;
        self.events.retire();
        if timeout(FLUSH_WAIT, self.client.disconnect()).await.is_err() {
            tracing::warn!(%session, "the bot's flush did not finish in time");
        }
        if timeout(STOP_WAIT, &mut self.handle).await.is_err() {
            self.handle.abort();
            tracing::info!(%session, "bot did not stop in time; aborted");
        }
    }

    /// Tells WhatsApp to forget the device when it is online (offline there is no
    /// way to), then stops the bot.
    async fn unlink_and_stop(self) {
        // Retired first: the crate reports its own logout as an event, and this one
        // is not a remote unlink.
        self.events.retire();
        if self.client.is_connected() && timeout(UNLINK_WAIT, self.client.logout()).await.is_err() {
            tracing::warn!(session = %self.events.session, "unlink request timed out");
        }
        self.stop().await;
    }
}

#[async_trait::async_trait]
impl WhatsAppGateway for LiveGateway {
    #[tracing::instrument(skip_all, fields(%session))]
    async fn create_session(&self, session: SessionId) -> Result<SessionStatus, GatewayError> {
        let slot = self.inner.slot(session);
        let mut guard = slot.bot.lock().await;
        Ok(self
            .inner
            .ensure_running(&mut guard, session)
            .await?
            .status())
    }

    #[tracing::instrument(skip_all, fields(%session))]
    async fn current_qr(&self, session: SessionId) -> Result<Option<QrCode>, GatewayError> {
        let no_session = || GatewayError::NoSession(session.to_string());
        let slot = self.inner.existing_slot(session).ok_or_else(no_session)?;
        let mut guard = slot.bot.lock().await;
        let bot = guard.as_mut().ok_or_else(no_session)?;
        if bot.is_linked() {
            return Err(GatewayError::AlreadyLinked(session.to_string()));
        }
        if bot.has_stopped() || bot.events.link().needs_new_codes() {
            // Codes come per connection; the new bot shows its first in a moment.
            self.inner.restart(&mut guard, session).await?;
            return Ok(None);
        }
        Ok(bot.events.link().qr())
    }

    #[tracing::instrument(skip_all, fields(%session))]
    async fn refresh_qr(&self, session: SessionId) -> Result<QrCode, GatewayError> {
        let mut link = {
            let slot = self.inner.slot(session);
            let mut guard = slot.bot.lock().await;
            let bot = self.inner.ensure_running(&mut guard, session).await?;
            if bot.is_linked() {
                return Err(GatewayError::AlreadyLinked(session.to_string()));
            }
            let bot = if bot.events.link().awaiting_first_code() {
                bot
            } else {
                self.inner.restart(&mut guard, session).await?
            };
            bot.events.watch_link()
        };
        let wait = self.inner.link_wait;
        let code = timeout(wait, async move {
            link.wait_for(|link| link.qr().is_some())
                .await
                .ok()
                .and_then(|link| link.qr())
        })
        .await;
        code.ok().flatten().ok_or_else(|| {
            GatewayError::Unavailable(format!("WhatsApp sent no QR code within {wait:?}"))
        })
    }

    #[tracing::instrument(skip_all, fields(%session, phone = %phone.masked()))]
    async fn request_pairing_code(
        &self,
        session: SessionId,
        phone: &PhoneNumber,
    ) -> Result<PairingCode, GatewayError> {
        let started = Instant::now();
        let client = {
            let slot = self.inner.slot(session);
            let mut guard = slot.bot.lock().await;
            let bot = self.inner.ensure_running(&mut guard, session).await?;
            if bot.is_linked() {
                return Err(GatewayError::AlreadyLinked(session.to_string()));
            }
            // WhatsApp limits codes per number: hand out the live one again.
            if let Some(pairing) = bot.events.link().pairing_for(phone) {
                return Ok(pairing);
            }
            bot.events.expect_pairing(phone);
            Arc::clone(&bot.client)
        };
        let wait = self.inner.link_wait;
        let options = PairCodeOptions {
            phone_number: phone.as_str().to_owned(),
            ..PairCodeOptions::default()
        };
        let request = async {
            client
                .wait_for_socket(wait)
                .await
                .map_err(|error| GatewayError::Unavailable(error.to_string()))?;
            // A code for another number may be outstanding; the owner wants this one.
            client.cancel_pair_code().await;
            client.pair_with_code(options).await.map_err(pair_error)
        };
        let code = timeout(wait, request).await.map_err(|_| {
            GatewayError::Unavailable(format!("WhatsApp sent no pairing code within {wait:?}"))
        })??;
        Ok(PairingCode {
            code: format_pairing_code(&code),
            phone: phone.clone(),
            expires_in: PairCodeUtils::code_validity().saturating_sub(started.elapsed()),
        })
    }

    fn sessions(&self) -> Vec<SessionId> {
        self.inner.lock_slots().keys().copied().collect()
    }

    #[tracing::instrument(skip_all, fields(%session))]
    async fn status(&self, session: SessionId) -> SessionStatus {
        let Some(slot) = self.inner.existing_slot(session) else {
            return SessionStatus::LoggedOut;
        };
        let mut guard = slot.bot.lock().await;
        guard
            .as_mut()
            .map_or(SessionStatus::LoggedOut, RunningBot::status)
    }

    #[tracing::instrument(skip_all, fields(%session, to = %to.masked()))]
    async fn send_text(
        &self,
        session: SessionId,
        to: &ClientAddress,
        text: &str,
    ) -> Result<MessageId, GatewayError> {
        let client = self.inner.linked_client(session).await?;
        let jid = chats::address_jid(to);
        // A reply disappears like the rest of the chat.
        let mut options = SendOptions::default();
        if let Some(seconds) = self.inner.chats.expiration_of(session, to) {
            options = options.with_ephemeral_expiration(seconds);
        }
        let sending = client.send_message_with_options(jid, wa::Message::text(text), options);
        let sent = bounded("a message", sending)
            .await?
            .map_err(|error| send_error(session, error))?;
        tracing::debug!("message sent");
        Ok(MessageId(sent.message_id))
    }

    #[tracing::instrument(skip_all, fields(%session, phone = %phone.masked()))]
    async fn is_on_whatsapp(
        &self,
        session: SessionId,
        phone: &PhoneNumber,
    ) -> Result<bool, GatewayError> {
        let client = self.inner.linked_client(session).await?;
        let jid = Jid::pn(phone.as_str());
        let contacts = client.contacts();
        let results = bounded(
            "a number lookup",
            contacts.is_on_whatsapp(std::slice::from_ref(&jid)),
        )
        .await?
        .map_err(|error| match error {
            ContactError::Iq(_) => GatewayError::Unavailable(error.to_string()),
            _ => GatewayError::Other(error.to_string()),
        })?;
        let answers = results
            .iter()
            .map(|result| (&result.jid, result.pn_jid.as_ref(), result.is_registered));
        Ok(registered(answers, phone))
    }

    #[tracing::instrument(skip_all, fields(%session, chat = %chat.masked()))]
    async fn send_reaction(
        &self,
        session: SessionId,
        chat: &ClientAddress,
        message: &MessageId,
        emoji: &str,
    ) -> Result<(), GatewayError> {
        let client = self.inner.linked_client(session).await?;
        let jid = self.inner.chats.chat_of(session, chat);
        // The assistant reacts to what the client wrote, never to its own messages.
        let key = wa::MessageKey {
            remote_jid: Some(jid.to_string()),
            from_me: Some(false),
            id: Some(message.0.clone()),
            participant: None,
        };
        bounded("a reaction", client.send_reaction(jid, key, emoji))
            .await?
            .map_err(|error| send_error(session, error))?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(%session, chat = %chat.masked()))]
    async fn mark_read(
        &self,
        session: SessionId,
        chat: &ClientAddress,
        messages: &[MessageId],
    ) -> Result<(), GatewayError> {
        let client = self.inner.linked_client(session).await?;
        let ids: Vec<&str> = messages.iter().map(|id| id.0.as_str()).collect();
        bounded(
            "read receipts",
            client.mark_as_read(&self.inner.chats.chat_of(session, chat), None, &ids),
        )
        .await?
        .map_err(|error| GatewayError::Unavailable(error.to_string()))
    }

    #[tracing::instrument(skip_all, fields(%session, chat = %chat.masked(), typing = typing))]
    async fn set_typing(
        &self,
        session: SessionId,
        chat: &ClientAddress,
        typing: bool,
    ) -> Result<(), GatewayError> {
        let client = self.inner.linked_client(session).await?;
        let jid = self.inner.chats.chat_of(session, chat);
        let chatstate = client.chatstate();
        let update = if typing {
            bounded("typing", chatstate.send_composing(&jid)).await?
        } else {
            bounded("typing", chatstate.send_paused(&jid)).await?
        };
        update.map_err(|error| GatewayError::Unavailable(error.to_string()))
    }

    async fn download_media(
        &self,
        session: SessionId,
        media: &MediaRef,
        limit: u64,
    ) -> Result<Vec<u8>, GatewayError> {
        let params = download_params(media)?;
        if params.file_length > limit {
            return Err(GatewayError::Refused(format!(
                "the media is {} bytes, over the {limit} taken",
                params.file_length
            )));
        }
        let client = self.inner.linked_client(session).await?;
        // The crate refreshes the media connection and tries each CDN host; a lost
        // connection or a slow host is worth another try, a reference the CDN no
        // longer knows (media expire after some weeks) is not.
        // Streamed into a bounded buffer: a sender who declared a small file and
        // uploaded a big one is stopped at the limit, not held in memory whole.
        let overflowed = Arc::new(AtomicBool::new(false));
        let sink = BoundedSink {
            data: std::io::Cursor::new(Vec::new()),
            limit,
            overflowed: overflowed.clone(),
        };
        let downloaded = timeout(
            MEDIA_WAIT,
            client.download_from_params_to_writer(&params, sink),
        )
        .await
        .map_err(|_| {
            GatewayError::Unavailable(format!("the media download took over {MEDIA_WAIT:?}"))
        })?
        .map_err(|error| {
            if overflowed.load(Ordering::Relaxed) {
                return GatewayError::Refused(format!("the media is over the {limit} bytes taken"));
            }
            let status = error
                .chain()
                .find_map(|cause| cause.downcast_ref::<HttpStatusError>())
                .map(|refused| refused.status);
            match status {
                Some(401 | 403 | 404 | 410) => {
                    GatewayError::Refused(format!("WhatsApp's CDN refused the media: {error:#}"))
                }
                _ => GatewayError::Unavailable(format!("media download failed: {error:#}")),
            }
        })?;
        Ok(downloaded.data.into_inner())
    }

    #[tracing::instrument(skip_all, fields(%session))]
    async fn logout(&self, session: SessionId) -> Result<(), GatewayError> {
        let slot = self.inner.slot(session);
        // Held until the keys are gone, so no bot can start on them meanwhile.
        let mut guard = slot.bot.lock().await;
        if let Some(bot) = guard.take() {
            bot.unlink_and_stop().await;
        }
        // The crate's logout leaves the keys on disk; a new link must not reuse them.
        self.inner.wipe_store(session).await?;
        drop(guard);
        tracing::info!("logged out; keys deleted");
        self.inner.emit(GatewayEvent::LoggedOut {
            session,
            reason: "logged out by the salon".to_owned(),
        });
        Ok(())
    }

    async fn stored_sessions(&self) -> Result<Vec<SessionId>, GatewayError> {
        let local = self.inner.linked_stores().await?;
        // Sessions another host saved are restorable here too.
        let mut found = self.inner.restorable(local).await;
        found.sort_by_key(|session| session.salon_id());
        Ok(found)
    }

    async fn release_session(&self, session: SessionId) {
        if let Some(slot) = self.inner.existing_slot(session)
            && let Some(bot) = slot.bot.lock().await.take()
        {
            // Stopping the bot flushes its key store; the vault's copy is for the next
            // owner on another host.
            bot.stop().await;
            self.inner.save_store(session, false).await;
            tracing::info!(%session, "WhatsApp session released to another node");
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<GatewayEvent> {
        self.inner.events.subscribe()
    }
}

fn network<T, H>(transport: T, http: H, version: (u32, u32, u32)) -> Configure
where
    T: TransportFactory + Clone + 'static,
    H: HttpClient + Clone + 'static,
{
    Arc::new(move |builder: ReadyBuilder| {
        builder
            .with_transport_factory(transport.clone())
            .with_http_client(http.clone())
            .with_version(version)
    })
}

/// The longest a media download may take (a voice note is a few hundred kB).
const MEDIA_WAIT: Duration = Duration::from_secs(15);

/// An in-memory download that refuses to grow past `limit` (and says so).
struct BoundedSink {
    data: std::io::Cursor<Vec<u8>>,
    limit: u64,
    overflowed: Arc<AtomicBool>,
}

impl std::io::Write for BoundedSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.data.position() + buf.len() as u64 > self.limit {
            self.overflowed.store(true, Ordering::Relaxed);
            return Err(std::io::Error::other("the media is over the size taken"));
        }
        std::io::Write::write(&mut self.data, buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl std::io::Seek for BoundedSink {
    fn seek(&mut self, position: std::io::SeekFrom) -> std::io::Result<u64> {
        std::io::Seek::seek(&mut self.data, position)
    }
}

impl whatsapp_rust::download::DownloadWriter for BoundedSink {
    fn truncate(&mut self, len: u64) -> std::io::Result<()> {
        whatsapp_rust::download::DownloadWriter::truncate(&mut self.data, len)
    }
}

/// The crate's download parameters from the reference inbound left.
fn download_params(media: &MediaRef) -> Result<DownloadParams, GatewayError> {
    use base64::Engine as _;
    let bytes = |what: &str, b64: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| GatewayError::Refused(format!("the media's {what} is not base64: {e}")))
    };
    let media_type = match media.media_type.as_str() {
        "audio" => MediaType::Audio,
        "image" => MediaType::Image,
        "video" => MediaType::Video,
        "document" => MediaType::Document,
        "sticker" => MediaType::Sticker,
        other => {
            return Err(GatewayError::Refused(format!(
                "{other:?} media cannot be downloaded"
            )));
        }
    };
    Ok(DownloadParams::encrypted(
        media.direct_path.clone(),
        &bytes("key", &media.media_key)?,
        &bytes("hash", &media.file_sha256)?,
        &bytes("encrypted hash", &media.file_enc_sha256)?,
        media.file_length,
        media_type,
    ))
}

/// Awaits a crate call for at most [`SEND_WAIT`].
async fn bounded<T>(what: &str, call: impl Future<Output = T>) -> Result<T, GatewayError> {
    timeout(SEND_WAIT, call).await.map_err(|_| {
        GatewayError::Unavailable(format!("WhatsApp took over {SEND_WAIT:?} to accept {what}"))
    })
}

/// A send's failure as the caller must treat it: a 4xx answer from the server (but a
/// throttle) or a request the crate cannot make is final; a lost connection or a
/// timeout is worth another try.
fn send_error(session: SessionId, error: SendError) -> GatewayError {
    match &error {
        SendError::NotLoggedIn => GatewayError::NotLinked(session.to_string()),
        SendError::Iq(IqError::ServerError {
            code, error_type, ..
        }) if (400..500).contains(code)
            && *code != 429
            && error_type.as_deref() != Some("wait") =>
        {
            GatewayError::Refused(error.to_string())
        }
        SendError::InvalidRequest(_) => GatewayError::Refused(error.to_string()),
        SendError::Client(_) | SendError::Iq(_) => GatewayError::Unavailable(error.to_string()),
        _ => GatewayError::Other(error.to_string()),
    }
}

/// Whether WhatsApp's answers — (JID, the number's JID when the first is a LID,
/// registered) — list `phone` as registered; answers that do not mention it say
/// nothing, and the number counts as on WhatsApp.
fn registered<'a>(
    answers: impl IntoIterator<Item = (&'a Jid, Option<&'a Jid>, bool)>,
    phone: &PhoneNumber,
) -> bool {
    let digits = phone.as_str();
    answers
        .into_iter()
        .find(|(jid, pn, _)| jid.user == digits || pn.is_some_and(|pn| pn.user == digits))
        .is_none_or(|(_, _, registered)| registered)
}

fn pair_error(error: PairError) -> GatewayError {
    match error.rejection() {
        Some(rejection) if PairCodeRejection::is_throttled(rejection) => GatewayError::Throttled,
        // Unanswered, or no connection: worth another try.
        None if matches!(error, PairError::RequestFailed(_)) => {
            GatewayError::Unavailable(error.to_string())
        }
        _ => GatewayError::Other(error.to_string()),
    }
}

fn store_error(action: &str, path: &Path, error: &std::io::Error) -> GatewayError {
    GatewayError::Other(format!("cannot {action} {path:?}: {error}"))
}

#[cfg(test)]
mod tests;
