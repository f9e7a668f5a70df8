//! The gateway over real `whatsapp-rust` bots with the network down: the crate's
//! transport and HTTP client are replaced by ones that always fail, so every bot
//! sits in reconnect backoff. Link and message events are handed to the bot's event
//! handling the way the crate's bus hands them over.

use super::*;
use crate::whatsapp::{IncomingMessage, MessageId, MessageKind, SuspendReason};
use whatsapp_rust::InboundDurabilityHook as _;
use whatsapp_rust::Server;
use whatsapp_rust::chrono::DateTime;
use whatsapp_rust::types::events::{
    ConnectFailureReason, Event, InboundMessage, LoggedOut, PairingQrCode, PairingQrCodesExhausted,
    ServerAck,
};
use whatsapp_rust::types::message::{MessageInfo, MessageSource};
use whatsapp_rust::waproto::buffa::MessageField;

/// Upper bound for any single step of a test.
const STEP: Duration = Duration::from_secs(10);

use super::offline::{NetworkDown, VERSION};

/// A store directory of its own, removed afterwards.
struct TestDir(PathBuf);

impl TestDir {
    fn new() -> Self {
        let name = format!("ai-admin-live-{:016x}", rand::random::<u64>());
        Self(std::env::temp_dir().join(name))
    }

    fn db_files(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.0) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| name.ends_with(".db"))
            .collect();
        names.sort();
        names
    }

    fn store_files_of(&self, session: SessionId) -> Vec<PathBuf> {
        ["", "-wal", "-shm"]
            .iter()
            .map(|suffix| self.0.join(format!("{session}.db{suffix}")))
            .filter(|path| path.exists())
            .collect()
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn offline_gateway(dir: &TestDir) -> LiveGateway {
    LiveGateway::with_network(dir.0.clone(), NetworkDown, NetworkDown, VERSION)
}

/// Like [`offline_gateway`], but giving up on link codes after one second.
fn impatient_gateway(dir: &TestDir) -> LiveGateway {
    LiveGateway::build(
        dir.0.clone(),
        Some(network(NetworkDown, NetworkDown, VERSION)),
        Duration::from_secs(1),
    )
}

fn session(salon_id: i64) -> SessionId {
    format!("company_{salon_id}").parse().unwrap()
}

fn phone(digits: &str) -> PhoneNumber {
    PhoneNumber::parse(digits).unwrap()
}

async fn within<T>(step: impl Future<Output = T>) -> T {
    timeout(STEP, step).await.expect("step took too long")
}

/// The event handling of the session's current bot, and that bot's generation.
async fn current_bot(gateway: &LiveGateway, session: SessionId) -> (Arc<SessionEvents>, u64) {
    let slot = gateway.inner.existing_slot(session).expect("no slot");
    let guard = slot.bot.lock().await;
    let bot = guard.as_ref().expect("no bot");
    (Arc::clone(&bot.events), bot.events.generation)
}

async fn next_event(
    events: &mut broadcast::Receiver<GatewayEvent>,
    wanted: impl Fn(&GatewayEvent) -> bool,
) -> GatewayEvent {
    within(async {
        loop {
            let event = events.recv().await.expect("event stream closed");
            if wanted(&event) {
                return event;
            }
        }
    })
    .await
}

fn qr_event(code: &str, valid_for: Duration) -> Event {
    Event::PairingQrCode(
        PairingQrCode::builder()
            .code(code.to_owned())
            .timeout(valid_for)
            .build(),
    )
}

struct Inbound<'a> {
    id: &'a str,
    chat: Jid,
    sender: Jid,
    sender_alt: Option<Jid>,
    is_from_me: bool,
    text: Option<&'a str>,
}

impl Inbound<'_> {
    fn direct(id: &str, sender: Jid) -> Inbound<'_> {
        Inbound {
            id,
            chat: sender.clone(),
            sender,
            sender_alt: None,
            is_from_me: false,
            text: Some("Можно записаться на завтра?"),
        }
    }

    fn build(self) -> InboundMessage {
        let is_group = self.chat.server == Server::Group;
        let info = MessageInfo {
            source: MessageSource {
                chat: self.chat,
                sender: self.sender,
                is_from_me: self.is_from_me,
                is_group,
                sender_alt: self.sender_alt,
                ..MessageSource::default()
            },
            id: self.id.to_owned(),
            push_name: "Анна".to_owned(),
            timestamp: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            ..MessageInfo::default()
        };
        let message = wa::Message {
            conversation: self.text.map(str::to_owned),
            ..wa::Message::default()
        };
        InboundMessage::builder()
            .message(Arc::new(message))
            .info(Arc::new(info))
            .build()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_session_starts_one_bot_with_its_own_store_and_is_idempotent() {
    let dir = TestDir::new();
    let gateway = offline_gateway(&dir);
    let salon = session(101);

    let first = within(gateway.create_session(salon)).await.unwrap();
    let (_, generation) = current_bot(&gateway, salon).await;
    let second = within(gateway.create_session(salon)).await.unwrap();

    assert_eq!(first, SessionStatus::Connecting);
    assert_eq!(second, SessionStatus::Connecting);
    assert_eq!(
        current_bot(&gateway, salon).await.1,
        generation,
        "bot was rebuilt"
    );
    assert_eq!(dir.db_files(), vec!["company_101.db".to_owned()]);
    within(gateway.shutdown()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_session_keeps_connecting_and_refuses_to_send() {
    let dir = TestDir::new();
    let gateway = offline_gateway(&dir);
    let salon = session(102);
    let client = ClientAddress::from(phone("79001234567"));
    within(gateway.create_session(salon)).await.unwrap();

    // Long enough for several failed connects and a backoff.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    assert_eq!(
        within(gateway.status(salon)).await,
        SessionStatus::Connecting
    );
    let not_linked = GatewayError::NotLinked(salon.to_string());
    assert_eq!(
        within(gateway.send_text(salon, &client, "Здравствуйте")).await,
        Err(not_linked.clone())
    );
    let id = MessageId("3EB0C0FFEE".to_owned());
    assert_eq!(
        within(gateway.send_reaction(salon, &client, &id, "👍")).await,
        Err(not_linked.clone())
    );
    assert_eq!(
        within(gateway.mark_read(salon, &client, std::slice::from_ref(&id))).await,
        Err(not_linked.clone())
    );
    assert_eq!(
        within(gateway.set_typing(salon, &client, true)).await,
        Err(not_linked)
    );
    assert_eq!(within(gateway.current_qr(salon)).await, Ok(None));

    let unknown = session(999);
    assert_eq!(
        within(gateway.status(unknown)).await,
        SessionStatus::LoggedOut
    );
    assert_eq!(
        within(gateway.send_text(unknown, &client, "Здравствуйте")).await,
        Err(GatewayError::NoSession(unknown.to_string()))
    );
    within(gateway.shutdown()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_during_reconnect_backoff_is_prompt_wipes_keys_and_reports_logged_out() {
    let dir = TestDir::new();
    let gateway = offline_gateway(&dir);
    let salon = session(103);
    let mut events = gateway.subscribe();
    within(gateway.create_session(salon)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!dir.store_files_of(salon).is_empty());

    let started = std::time::Instant::now();
    within(gateway.logout(salon)).await.unwrap();
    let took = started.elapsed();

    assert!(took < Duration::from_secs(5), "logout took {took:?}");
    assert_eq!(dir.store_files_of(salon), Vec::<PathBuf>::new());
    let event = next_event(&mut events, |event| {
        matches!(event, GatewayEvent::LoggedOut { .. })
    })
    .await;
    assert_eq!(event.session(), salon);
    assert_eq!(
        within(gateway.status(salon)).await,
        SessionStatus::LoggedOut
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_linked_store_is_a_session_that_restarts_on_create_and_unlinked_ones_are_not() {
    let dir = TestDir::new();
    let salon = session(104);
    let never_linked = session(113);
    let before_restart = offline_gateway(&dir);
    within(before_restart.create_session(salon)).await.unwrap();
    within(before_restart.create_session(never_linked))
        .await
        .unwrap();
    // What the `Connected` event of a linked device notes.
    before_restart.inner.mark_linked(salon);
    within(before_restart.shutdown()).await;
    std::fs::write(dir.0.join("notes.txt"), "not a store").unwrap();
    assert!(
        !dir.store_files_of(never_linked).is_empty(),
        "its store exists"
    );

    let after_restart = offline_gateway(&dir);
    assert_eq!(
        within(after_restart.status(salon)).await,
        SessionStatus::LoggedOut
    );
    // The gateway node restores what the store lists (ownership.rs).
    let stored = within(after_restart.stored_sessions()).await.unwrap();
    assert_eq!(stored, vec![salon]);
    within(after_restart.create_session(salon)).await.unwrap();
    assert_eq!(
        within(after_restart.status(salon)).await,
        SessionStatus::Connecting
    );
    within(after_restart.shutdown()).await;

    let empty = offline_gateway(&TestDir::new());
    assert_eq!(within(empty.stored_sessions()).await, Ok(Vec::new()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qr_code_is_shown_while_valid_and_exhausted_codes_bring_a_new_bot() {
    let dir = TestDir::new();
    let gateway = offline_gateway(&dir);
    let salon = session(105);
    let mut events = gateway.subscribe();
    within(gateway.create_session(salon)).await.unwrap();
    let (bot, generation) = current_bot(&gateway, salon).await;

    within(bot.handle(&qr_event("2@first", Duration::from_secs(60)))).await;

    let shown = within(gateway.current_qr(salon)).await.unwrap().unwrap();
    assert_eq!(shown.code, "2@first");
    assert!(
        shown.expires_in > Duration::from_secs(50) && shown.expires_in <= Duration::from_secs(60)
    );
    assert_eq!(
        within(gateway.status(salon)).await,
        SessionStatus::AwaitingLink
    );
    let event = next_event(&mut events, |event| {
        matches!(event, GatewayEvent::Qr { .. })
    })
    .await;
    assert_eq!(event.session(), salon);

    let exhausted = PairingQrCodesExhausted::builder()
        .disconnected(true)
        .build();
    within(bot.handle(&Event::PairingQrCodesExhausted(exhausted))).await;

    assert_eq!(
        within(gateway.status(salon)).await,
        SessionStatus::AwaitingLink
    );
    assert_eq!(within(gateway.current_qr(salon)).await, Ok(None));
    let (_, rebuilt) = current_bot(&gateway, salon).await;
    assert!(rebuilt > generation, "no new bot after the codes ran out");
    assert_eq!(
        within(gateway.status(salon)).await,
        SessionStatus::Connecting
    );
    within(gateway.shutdown()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_qr_code_is_not_shown() {
    let dir = TestDir::new();
    let gateway = offline_gateway(&dir);
    let salon = session(106);
    within(gateway.create_session(salon)).await.unwrap();
    let (bot, _) = current_bot(&gateway, salon).await;

    within(bot.handle(&qr_event("2@short", Duration::from_millis(100)))).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    assert_eq!(within(gateway.current_qr(salon)).await, Ok(None));
    within(gateway.shutdown()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_qr_waits_for_the_first_code_and_otherwise_starts_over() {
    let dir = TestDir::new();
    let gateway = impatient_gateway(&dir);
    let salon = session(107);
    within(gateway.create_session(salon)).await.unwrap();
    let (bot, generation) = current_bot(&gateway, salon).await;

    // The bot has shown nothing yet, so its first code is the fresh one.
    let refresh = tokio::spawn({
        let gateway = gateway.clone();
        async move { gateway.refresh_qr(salon).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    within(bot.handle(&qr_event("2@fresh", Duration::from_secs(60)))).await;
    let fresh = within(refresh).await.unwrap().unwrap();
    assert_eq!(fresh.code, "2@fresh");
    assert_eq!(current_bot(&gateway, salon).await.1, generation);

    // With a code already shown, a fresh one needs a new connection — and offline
    // none comes.
    let refreshed = within(gateway.refresh_qr(salon)).await;
    assert!(
        matches!(refreshed, Err(GatewayError::Unavailable(_))),
        "{refreshed:?}"
    );
    assert!(current_bot(&gateway, salon).await.1 > generation);
    within(gateway.shutdown()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairing_code_request_offline_is_unavailable_within_the_wait() {
    let dir = TestDir::new();
    let gateway = impatient_gateway(&dir);
    let salon = session(108);

    let started = std::time::Instant::now();
    let answer = within(gateway.request_pairing_code(salon, &phone("79001234567"))).await;

    assert!(
        matches!(answer, Err(GatewayError::Unavailable(_))),
        "{answer:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(dir.db_files(), vec!["company_108.db".to_owned()]);
    within(gateway.shutdown()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlink_from_the_phone_wipes_the_keys_and_reports_logged_out() {
    let dir = TestDir::new();
    let gateway = offline_gateway(&dir);
    let salon = session(109);
    let mut events = gateway.subscribe();
    within(gateway.create_session(salon)).await.unwrap();
    let (bot, _) = current_bot(&gateway, salon).await;

    let unlinked = LoggedOut::builder()
        .on_connect(false)
        .reason(ConnectFailureReason::LoggedOut)
        .build();
    within(bot.handle(&Event::LoggedOut(unlinked))).await;

    let event = next_event(&mut events, |event| {
        matches!(event, GatewayEvent::LoggedOut { .. })
    })
    .await;
    assert_eq!(event.session(), salon);
    assert_eq!(dir.store_files_of(salon), Vec::<PathBuf>::new());
    assert_eq!(
        within(gateway.status(salon)).await,
        SessionStatus::LoggedOut
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_bot_unlink_does_not_touch_the_new_bot() {
    let dir = TestDir::new();
    let gateway = impatient_gateway(&dir);
    let salon = session(110);
    within(gateway.create_session(salon)).await.unwrap();
    let (old_bot, _) = current_bot(&gateway, salon).await;
    within(old_bot.handle(&qr_event("2@old", Duration::from_secs(60)))).await;
    // Rebuilds the bot; offline it then gives up waiting.
    let _ = within(gateway.refresh_qr(salon)).await;

    let unlinked = LoggedOut::builder()
        .on_connect(false)
        .reason(ConnectFailureReason::LoggedOut)
        .build();
    within(old_bot.handle(&Event::LoggedOut(unlinked))).await;

    assert_eq!(dir.db_files(), vec!["company_110.db".to_owned()]);
    assert_eq!(
        within(gateway.status(salon)).await,
        SessionStatus::Connecting
    );
    within(gateway.shutdown()).await;
}

/// A ledger that records into memory, or refuses while `down`.
#[derive(Debug, Default)]
struct MemoryLedger {
    recorded: std::sync::Mutex<Vec<IncomingMessage>>,
    down: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl InboundLedger for MemoryLedger {
    async fn record(&self, messages: &[IncomingMessage]) -> anyhow::Result<()> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            anyhow::bail!("the database is away");
        }
        self.recorded
            .lock()
            .unwrap()
            .extend(messages.iter().cloned());
        Ok(())
    }
}

async fn current_client(gateway: &LiveGateway, session: SessionId) -> Arc<Client> {
    let slot = gateway.inner.existing_slot(session).expect("no slot");
    let guard = slot.bot.lock().await;
    Arc::clone(&guard.as_ref().expect("no bot").client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_durability_hook_records_clients_direct_messages_before_they_are_acknowledged() {
    let dir = TestDir::new();
    let gateway = offline_gateway(&dir);
    let ledger = Arc::new(MemoryLedger::default());
    gateway.set_ledger(ledger.clone());
    let salon = session(111);
    let mut events = gateway.subscribe();
    within(gateway.create_session(salon)).await.unwrap();
    let client = current_client(&gateway, salon).await;
    let hook = inbound::Durability {
        session: salon,
        ledger: gateway.inner.ledger.get().cloned(),
        events: gateway.inner.events.clone(),
        chats: gateway.inner.chats.clone(),
    };
    let by_phone = Jid::pn("79001234567");
    let vietnam = Jid::pn("84912345678");
    let lid = Jid::new("100000012345678", Server::Lid);
    let group = Jid::new("120363000000000001", Server::Group);
    let batch = vec![
        Inbound::direct("A", by_phone.clone()).build(),
        Inbound {
            sender_alt: Some(Jid::pn("79007654321")),
            ..Inbound::direct("B", lid.clone())
        }
        .build(),
        Inbound::direct("LID-ONLY", lid.clone()).build(),
        Inbound {
            chat: group,
            ..Inbound::direct("GROUP", by_phone.clone())
        }
        .build(),
        Inbound {
            is_from_me: true,
            ..Inbound::direct("MINE", by_phone.clone())
        }
        .build(),
        Inbound {
            text: None,
            ..Inbound::direct("EMPTY", by_phone.clone())
        }
        .build(),
        Inbound::direct("VN", vietnam).build(),
    ];

    // The database is away: the batch is refused (so the crate does not acknowledge
    // it), nothing is recorded or announced.
    ledger.down.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(
        within(hook.on_messages(client.clone(), &batch))
            .await
            .is_err()
    );
    assert!(ledger.recorded.lock().unwrap().is_empty());
    assert!(events.try_recv().is_err(), "nothing announced");

    // WhatsApp delivers it again once the database is back.
    ledger
        .down
        .store(false, std::sync::atomic::Ordering::SeqCst);
    within(hook.on_messages(client, &batch)).await.unwrap();
    let recorded = ledger.recorded.lock().unwrap().clone();
    let summary: Vec<(&str, String)> = recorded
        .iter()
        .map(|message| (message.id.0.as_str(), message.from.to_string()))
        .collect();
    let expected = [
        ("A", "79001234567"),
        ("B", "79007654321"),
        ("LID-ONLY", "100000012345678@lid"),
        ("MINE", "79001234567"),
        ("VN", "84912345678"),
    ];
    assert_eq!(
        summary,
        expected.map(|(id, from)| (id, from.to_owned())),
        "a foreign number keeps its own digits; a hidden one is known by its LID"
    );
    let from_me: Vec<bool> = recorded.iter().map(|message| message.from_me).collect();
    assert_eq!(
        from_me,
        [false, false, false, true, false],
        "the salon's own message is marked"
    );
    // Receipts and typing go to the chat the client wrote in, not the phone's.
    let b = ClientAddress::parse("79007654321").unwrap();
    assert_eq!(gateway.inner.chats.chat_of(salon, &b), lid);
    assert_eq!(recorded[1].chat.as_deref(), Some(lid.to_string().as_str()));
    let first = &recorded[0];
    assert_eq!(first.session.to_string(), "company_111");
    assert_eq!(first.kind, MessageKind::Text);
    assert_eq!(first.text, "Можно записаться на завтра?");
    assert_eq!(first.push_name.as_deref(), Some("Анна"));
    assert_eq!(first.timestamp, 1_700_000_000);
    let mut announced = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let GatewayEvent::IncomingMessage(message) = event {
            announced.push(message);
        }
    }
    assert_eq!(announced, recorded, "announced once recorded, in order");
    within(gateway.shutdown()).await;
}

fn key(id: &str) -> MessageField<wa::MessageKey> {
    MessageField::some(wa::MessageKey {
        id: Some(id.to_owned()),
        ..wa::MessageKey::default()
    })
}

#[test]
fn every_kind_of_message_is_read_with_its_text_media_and_target() {
    use wa::message as m;
    let read = |message: wa::Message| inbound::read(&message);
    let caption = read(wa::Message {
        image_message: MessageField::some(m::ImageMessage {
            caption: Some("Хочу такой маникюр".to_owned()),
            mimetype: Some("image/jpeg".to_owned()),
            file_length: Some(42_000),
            ..m::ImageMessage::default()
        }),
        ..wa::Message::default()
    })
    .unwrap();
    assert_eq!(caption.kind, MessageKind::Image);
    assert_eq!(caption.text, "Хочу такой маникюр");
    assert_eq!(caption.media.unwrap().bytes, Some(42_000));

    let voice = read(wa::Message {
        audio_message: MessageField::some(m::AudioMessage {
            ptt: Some(true),
            seconds: Some(7),
            mimetype: Some("audio/ogg; codecs=opus".to_owned()),
            ..m::AudioMessage::default()
        }),
        ..wa::Message::default()
    })
    .unwrap();
    assert_eq!(voice.kind, MessageKind::Voice);
    assert_eq!(voice.text, "");
    let media = voice.media.unwrap();
    assert_eq!(media.seconds, Some(7));
    assert_eq!(media.download, None, "no CDN fields, nothing to download");

    // With its CDN path and keys, the voice note can be fetched later, by the crate's
    // `DownloadParams` (keys as base64: the reference travels as JSON).
    let downloadable = read(wa::Message {
        audio_message: MessageField::some(m::AudioMessage {
            ptt: Some(true),
            seconds: Some(6),
            direct_path: Some("/v/t62.7117-24/voice".to_owned()),
            media_key: Some(vec![1; 32]),
            file_sha256: Some(vec![2; 32]),
            file_enc_sha256: Some(vec![3; 32]),
            file_length: Some(14_224),
            ..m::AudioMessage::default()
        }),
        ..wa::Message::default()
    })
    .unwrap();
    let reference = downloadable.media.unwrap().download.unwrap();
    assert_eq!(reference.direct_path, "/v/t62.7117-24/voice");
    assert_eq!(
        (reference.media_type.as_str(), reference.file_length),
        ("audio", 14_224)
    );
    let params = super::download_params(&reference).unwrap();
    assert_eq!(params.media_key.as_deref(), Some(&[1; 32][..]));
    assert_eq!(params.file_enc_sha256.as_deref(), Some(&[3; 32][..]));
    assert!(
        !format!("{reference:?}").contains(&reference.media_key),
        "the key stays out of logs"
    );

    let edit = read(wa::Message {
        protocol_message: MessageField::some(m::ProtocolMessage {
            r#type: Some(m::protocol_message::Type::MESSAGE_EDIT),
            key: key("ORIGINAL"),
            edited_message: MessageField::some(wa::Message {
                conversation: Some("Лучше в 16:00".to_owned()),
                ..wa::Message::default()
            }),
            ..m::ProtocolMessage::default()
        }),
        ..wa::Message::default()
    })
    .unwrap();
    assert_eq!(
        (edit.kind, edit.text.as_str(), edit.refers_to.as_deref()),
        (MessageKind::Edit, "Лучше в 16:00", Some("ORIGINAL"))
    );

    let revoke = read(wa::Message {
        protocol_message: MessageField::some(m::ProtocolMessage {
            r#type: Some(m::protocol_message::Type::REVOKE),
            key: key("ORIGINAL"),
            ..m::ProtocolMessage::default()
        }),
        ..wa::Message::default()
    })
    .unwrap();
    assert_eq!(
        (revoke.kind, revoke.refers_to.as_deref()),
        (MessageKind::Revoke, Some("ORIGINAL"))
    );

    let place = read(wa::Message {
        location_message: MessageField::some(m::LocationMessage {
            name: Some("Дом".to_owned()),
            address: Some("Тверская, 1".to_owned()),
            ..m::LocationMessage::default()
        }),
        ..wa::Message::default()
    })
    .unwrap();
    assert_eq!(place.kind, MessageKind::Location);
    assert_eq!(place.text, "[геолокация: Дом, Тверская, 1]");

    let contact = read(wa::Message {
        contact_message: MessageField::some(m::ContactMessage {
            display_name: Some("Мама".to_owned()),
            ..m::ContactMessage::default()
        }),
        ..wa::Message::default()
    })
    .unwrap();
    assert_eq!(
        (contact.kind, contact.text.as_str()),
        (MessageKind::Contact, "[контакт: Мама]")
    );

    let sticker = read(wa::Message {
        sticker_message: MessageField::some(m::StickerMessage::default()),
        ..wa::Message::default()
    })
    .unwrap();
    assert_eq!(sticker.kind, MessageKind::Sticker);

    let reaction = read(wa::Message {
        reaction_message: MessageField::some(m::ReactionMessage {
            key: key("REMINDER"),
            text: Some("👍".to_owned()),
            ..m::ReactionMessage::default()
        }),
        ..wa::Message::default()
    })
    .unwrap();
    assert_eq!(
        (
            reaction.kind,
            reaction.text.as_str(),
            reaction.refers_to.as_deref()
        ),
        (MessageKind::Reaction, "👍", Some("REMINDER"))
    );
    // A reaction taken back, or housekeeping, says nothing to the salon.
    let withdrawn = wa::Message {
        reaction_message: MessageField::some(m::ReactionMessage {
            key: key("REMINDER"),
            text: Some(String::new()),
            ..m::ReactionMessage::default()
        }),
        ..wa::Message::default()
    };
    assert_eq!(read(withdrawn), None);
    assert_eq!(read(wa::Message::default()), None);
}

#[test]
fn pairing_codes_are_shown_in_two_halves() {
    assert_eq!(format_pairing_code("ABCD1234"), "ABCD-1234");
    assert_eq!(format_pairing_code("ABC"), "ABC");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_released_session_stops_here_keeps_its_keys_and_starts_on_another_node() {
    let dir = TestDir::new();
    let salon = session(105);
    let first_node = offline_gateway(&dir);
    within(first_node.create_session(salon)).await.unwrap();
    first_node.inner.mark_linked(salon);
    assert_eq!(
        within(first_node.stored_sessions()).await.unwrap(),
        vec![salon]
    );

    within(first_node.release_session(salon)).await;
    assert_eq!(
        within(first_node.status(salon)).await,
        SessionStatus::LoggedOut,
        "no bot runs it here any more"
    );
    assert_eq!(
        within(first_node.stored_sessions()).await.unwrap(),
        vec![salon],
        "the keys stay for the next holder"
    );

    // Another node sharing the store takes it over.
    let second_node = offline_gateway(&dir);
    within(second_node.create_session(salon)).await.unwrap();
    assert_eq!(
        within(second_node.status(salon)).await,
        SessionStatus::Connecting
    );
    within(second_node.shutdown()).await;
    // Releasing a session that never ran here is a no-op.
    within(first_node.release_session(session(106))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_stopping_a_session_is_reported_as_a_suspension_with_its_reason() {
    use whatsapp_rust::types::events::{
        ConnectFailure, StreamReplaced, TempBanReason, TemporaryBan,
    };
    let dir = TestDir::new();
    let gateway = offline_gateway(&dir);
    let salon = session(112);
    let mut events = gateway.subscribe();
    within(gateway.create_session(salon)).await.unwrap();
    let (bot, _) = current_bot(&gateway, salon).await;
    let suspended = |events: &mut broadcast::Receiver<GatewayEvent>| {
        let mut seen = Vec::new();
        while let Ok(event) = events.try_recv() {
            if let GatewayEvent::Suspended { reason, until, .. } = event {
                seen.push((reason, until));
            }
        }
        seen
    };

    within(bot.handle(&Event::StreamReplaced(StreamReplaced::builder().build()))).await;
    let ban = TemporaryBan::builder()
        .code(TempBanReason::SentToTooManyPeople)
        .expire(whatsapp_rust::chrono::Duration::seconds(3600))
        .build();
    let before = whatsapp_rust::chrono::Utc::now().timestamp();
    within(bot.handle(&Event::TemporaryBan(ban))).await;
    let refused = ConnectFailure::builder()
        .reason(ConnectFailureReason::BadUserAgent)
        .build();
    within(bot.handle(&Event::ConnectFailure(refused))).await;
    // 503 is retried by the crate itself: no suspension.
    let retried = ConnectFailure::builder()
        .reason(ConnectFailureReason::ServiceUnavailable)
        .build();
    within(bot.handle(&Event::ConnectFailure(retried))).await;

    let seen = suspended(&mut events);
    let reasons: Vec<SuspendReason> = seen.iter().map(|(reason, _)| *reason).collect();
    assert_eq!(
        reasons,
        [
            SuspendReason::Replaced,
            SuspendReason::Banned,
            SuspendReason::ConnectFailure
        ]
    );
    let until = seen[1].1.expect("a ban says until when");
    assert!((before + 3600..=before + 3605).contains(&until), "{until}");
    within(gateway.shutdown()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_answer_to_a_sent_message_is_reported() {
    let dir = TestDir::new();
    let gateway = offline_gateway(&dir);
    let salon = session(131);
    let mut events = gateway.subscribe();
    within(gateway.create_session(salon)).await.unwrap();
    let (bot, _) = current_bot(&gateway, salon).await;

    let refused = ServerAck::builder()
        .id("3EB0SENT".to_owned())
        .class("message".to_owned())
        .error("479".to_owned())
        .build();
    within(bot.handle(&Event::ServerAck(refused))).await;
    let event = next_event(&mut events, |event| {
        matches!(event, GatewayEvent::SendAck { .. })
    })
    .await;
    assert_eq!(
        event,
        GatewayEvent::SendAck {
            session: salon,
            message_id: MessageId("3EB0SENT".to_owned()),
            error: Some("479".to_owned()),
        }
    );
    // Acks of receipts and the like are not about our messages.
    let receipt = ServerAck::builder()
        .id("R1".to_owned())
        .class("receipt".to_owned())
        .build();
    within(bot.handle(&Event::ServerAck(receipt))).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    while let Ok(event) = events.try_recv() {
        assert!(!matches!(event, GatewayEvent::SendAck { .. }), "{event:?}");
    }
    within(gateway.shutdown()).await;
}

#[test]
fn a_send_the_server_refuses_for_good_is_not_retried() {
    let salon = session(132);
    let server = |code: u16, error_type: Option<&str>| {
        SendError::Iq(IqError::ServerError {
            code,
            text: "x".to_owned(),
            error_type: error_type.map(str::to_owned),
            backoff: None,
        })
    };
    let not_on_whatsapp = send_error(salon, server(404, Some("cancel")));
    assert!(matches!(not_on_whatsapp, GatewayError::Refused(_)));
    assert!(!not_on_whatsapp.is_retryable());
    for retryable in [
        server(429, None),
        server(400, Some("wait")),
        server(500, None),
        SendError::Iq(IqError::Timeout),
        SendError::Iq(IqError::NotConnected),
    ] {
        let mapped = send_error(salon, retryable);
        assert!(mapped.is_retryable(), "{mapped:?}");
    }
    assert!(matches!(
        send_error(salon, SendError::InvalidRequest("bad jid".to_owned())),
        GatewayError::Refused(_)
    ));
    assert!(matches!(
        send_error(salon, SendError::NotLoggedIn),
        GatewayError::NotLinked(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chats_disappearing_timer_is_read_and_kept_for_the_replies() {
    use whatsapp_rust::prelude::{MessageBuilderExt as _, MessageExt as _};
    let dir = TestDir::new();
    let gateway = offline_gateway(&dir);
    let ledger = Arc::new(MemoryLedger::default());
    gateway.set_ledger(ledger.clone());
    let salon = session(133);
    within(gateway.create_session(salon)).await.unwrap();
    let client = current_client(&gateway, salon).await;
    let hook = inbound::Durability {
        session: salon,
        ledger: gateway.inner.ledger.get().cloned(),
        events: gateway.inner.events.clone(),
        chats: gateway.inner.chats.clone(),
    };
    let mut message = wa::Message::text("Сколько стоит маникюр?");
    assert!(message.set_ephemeral_expiration(86_400));
    let mut timed = Inbound::direct("TIMED", Jid::pn("79001234567")).build();
    timed.message = Arc::new(message);

    within(hook.on_messages(client, &[timed])).await.unwrap();
    let recorded = ledger.recorded.lock().unwrap().clone();
    assert_eq!(recorded[0].text, "Сколько стоит маникюр?");
    assert_eq!(recorded[0].expiration, Some(86_400));
    let address = ClientAddress::parse("79001234567").unwrap();
    assert_eq!(
        gateway.inner.chats.expiration_of(salon, &address),
        Some(86_400)
    );
    within(gateway.shutdown()).await;
}

#[test]
fn a_number_is_off_whatsapp_only_when_whatsapp_says_so() {
    let phone = PhoneNumber::from_digits("79005550101").unwrap();
    let (number, other, lid) = (
        Jid::pn("79005550101"),
        Jid::pn("79005550202"),
        Jid::lid("100000001"),
    );
    assert!(!registered([(&number, None, false)], &phone));
    assert!(registered([(&number, None, true)], &phone));
    // The answer may name the number's LID first and the number beside it.
    assert!(!registered([(&lid, Some(&number), false)], &phone));
    // An answer about someone else (or none) says nothing about this number.
    assert!(registered([(&other, None, false)], &phone));
    assert!(registered([], &phone));
}

#[test]
fn a_download_stops_at_its_limit_and_says_so() {
    use std::io::Write as _;
    let overflowed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut sink = super::BoundedSink {
        data: std::io::Cursor::new(Vec::new()),
        limit: 8,
        overflowed: overflowed.clone(),
    };
    sink.write_all(b"OggS").unwrap();
    sink.write_all(b"1234").unwrap();
    assert!(sink.write_all(b"!").is_err(), "one byte over the limit");
    assert!(overflowed.load(std::sync::atomic::Ordering::Relaxed));
    // The crate empties the sink before another attempt.
    whatsapp_rust::download::DownloadWriter::truncate(&mut sink, 0).unwrap();
    std::io::Seek::rewind(&mut sink).unwrap();
    sink.write_all(b"short").unwrap();
    assert_eq!(sink.data.into_inner(), b"short");
}
