//! The WhatsApp simulator's control API and the `/dev/phone` page, mounted only when
//! `WHATSAPP_MODE=simulator`: a test or a person plays the salon's phone (link, logout)
//! and its clients (write, read the bot's answers).
//!
//! - `GET  /dev/whatsapp/sessions` — every session, with its QR or pairing code.
//! - `POST /dev/whatsapp/{session_id}/link {"phone"}` — the phone scans / enters the code.
//! - `POST /dev/whatsapp/{session_id}/incoming {"from","text"?,"id"?,"name"?,"kind"?,
//!   "refers_to"?,"media"?}` — a client writes (`kind`: text, image, video, document,
//!   voice, audio, sticker, location, contact, reaction, edit, revoke); with
//!   `"from_me": true` and `"to"` instead of `"from"`, the salon writes to that client
//!   from its own phone; `"lid"` instead of `"from"` is a client whose number WhatsApp
//!   hides (known by the LID's digits; `"to"` takes `<digits>@lid`); `"sent_at"` (Unix
//!   seconds) is when it was written, for one that arrives late; `"expiration"` is the
//!   chat's disappearing-message timer in seconds. The answer says whether the app's ledger took it
//!   (`delivered`), else the phone delivers it again.
//! - `GET  /dev/whatsapp/{session_id}/outbox` — what the bot sent, in order.
//! - `POST /dev/whatsapp/{session_id}/logout` — the phone unlinks the device.
//! - `POST /dev/whatsapp/{session_id}/fault {"kind", "seconds"?}` — WhatsApp stops the
//!   session as the live gateway would see it: `replaced`, `banned` (for `seconds`),
//!   `connect_failure` or `logged_out`.
//! - `POST /dev/whatsapp/{session_id}/not-on-whatsapp {"phone"}` — that number has no
//!   WhatsApp: the number check says so and a send to it is refused.
//!
//! A simulated phone lives in the gateway node holding its session: each action is
//! routed there like any other WhatsApp call.

use super::assets::DEV_PHONE_HTML;
use crate::error::ApiError;
use crate::state::AppState;
use ai_admin_activities::db::leases;
use ai_admin_activities::domain::{ClientAddress, PhoneNumber, SessionId};
use ai_admin_activities::whatsapp::calls::{self, CallError, GatewayCall, GatewayReply};
use ai_admin_activities::whatsapp::routed::RoutedGateway;
use ai_admin_activities::whatsapp::simulator::{
    ControlError, OutboxEntry, SessionView, SimulatedIncoming,
};
use ai_admin_activities::whatsapp::{GatewayError, MediaInfo, MessageKind, SuspendReason};
use anyhow::Context as _;
use axum::extract::{Path, State};
use axum::response::Html;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::PgPool;

/// What the control routes reach: the phones, and the leases naming their sessions.
#[derive(Debug, Clone)]
struct Phones {
    gateway: RoutedGateway,
    db: PgPool,
}

/// The control routes, reaching the phones through `gateway`.
pub fn router(gateway: RoutedGateway, db: PgPool) -> Router<AppState> {
    let phones = Phones { gateway, db };
    Router::new()
        .route("/dev/phone", get(|| async { Html(DEV_PHONE_HTML) }))
        .route("/dev/phone/voice-note.ogg", get(voice_note))
        .route("/dev/whatsapp/sessions", get(sessions))
        .route("/dev/whatsapp/{session_id}/link", post(link))
        .route("/dev/whatsapp/{session_id}/incoming", post(incoming))
        .route("/dev/whatsapp/{session_id}/outbox", get(outbox))
        .route("/dev/whatsapp/{session_id}/logout", post(logout))
        .route("/dev/whatsapp/{session_id}/fault", post(fault))
        .route(
            "/dev/whatsapp/{session_id}/not-on-whatsapp",
            post(not_on_whatsapp),
        )
        .with_state(phones)
}

/// The sample voice note the simulated model knows the words of.
async fn voice_note() -> impl axum::response::IntoResponse {
    use ai_admin_simulators::gemini::hearing::{VOICE_NOTE, VOICE_NOTE_MIME};
    (
        [(axum::http::header::CONTENT_TYPE, VOICE_NOTE_MIME)],
        VOICE_NOTE,
    )
}

fn session(raw: &str) -> Result<SessionId, ApiError> {
    raw.parse()
        .map_err(|error: ai_admin_activities::domain::InvalidSessionId| {
            ApiError::BadRequest(error.to_string())
        })
}

/// A number as WhatsApp names it: international digits (`84…` is Vietnam, not a
/// Russian `8`), written with or without `+`, spaces, dashes and brackets.
fn phone(raw: &str) -> Result<PhoneNumber, ApiError> {
    let invalid = |error: ai_admin_activities::domain::InvalidPhoneNumber| {
        ApiError::BadRequest(error.to_string())
    };
    if !raw
        .chars()
        .all(|c| c.is_ascii_digit() || " +-()".contains(c))
    {
        return Err(invalid(ai_admin_activities::domain::InvalidPhoneNumber));
    }
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    PhoneNumber::from_digits(&digits).map_err(invalid)
}

/// A client known by their LID: its digits, with or without `@lid`.
fn lid_address(raw: &str) -> Result<ClientAddress, ApiError> {
    let user = raw.trim().trim_end_matches("@lid");
    ClientAddress::lid(user).map_err(|error| ApiError::BadRequest(error.to_string()))
}

/// Runs a phone action whose answer is only that it was done.
async fn done(
    phones: &Phones,
    session_id: &str,
    call: GatewayCall,
) -> Result<Json<Value>, ApiError> {
    phones
        .gateway
        .call(session(session_id)?, call)
        .await
        .map_err(call_error)?;
    Ok(Json(json!({ "success": true })))
}

fn call_error(error: CallError) -> ApiError {
    match error {
        CallError::Control(ControlError::NoSession(_)) => ApiError::NotFound(error.to_string()),
        CallError::Control(other) => ApiError::BadRequest(other.to_string()),
        CallError::Gateway(GatewayError::NoSession(_)) => ApiError::NotFound(error.to_string()),
        other => ApiError::Unavailable(other.to_string()),
    }
}

/// Every session a phone may be playing: those some node holds or held.
async fn known_sessions(db: &PgPool) -> anyhow::Result<Vec<SessionId>> {
    let mut sessions: Vec<SessionId> = leases::all(db)
        .await?
        .into_keys()
        .filter_map(|id| id.parse().ok())
        .collect();
    sessions.sort_by_key(|session| session.salon_id());
    Ok(sessions)
}

async fn sessions(State(phones): State<Phones>) -> Result<Json<Vec<SessionView>>, ApiError> {
    let known = known_sessions(&phones.db)
        .await
        .context("Failed to list the WhatsApp sessions")?;
    let mut views = Vec::with_capacity(known.len());
    for session in known {
        let result = phones.gateway.call(session, GatewayCall::PhoneView).await;
        if let Ok(Some(view)) = calls::expect(result, |reply| match reply {
            GatewayReply::View(view) => Ok(view),
            other => Err(other),
        }) {
            views.push(*view);
        }
    }
    Ok(Json(views))
}

#[derive(Debug, Deserialize)]
struct LinkBody {
    phone: String,
}

async fn link(
    State(phones): State<Phones>,
    Path(session_id): Path<String>,
    Json(body): Json<LinkBody>,
) -> Result<Json<Value>, ApiError> {
    let call = GatewayCall::PhoneLink {
        phone: phone(&body.phone)?,
    };
    done(&phones, &session_id, call).await
}

async fn not_on_whatsapp(
    State(phones): State<Phones>,
    Path(session_id): Path<String>,
    Json(body): Json<LinkBody>,
) -> Result<Json<Value>, ApiError> {
    let call = GatewayCall::PhoneAbsent {
        phone: phone(&body.phone)?,
    };
    done(&phones, &session_id, call).await
}

#[derive(Debug, Deserialize)]
struct IncomingBody {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    lid: Option<String>,
    #[serde(default)]
    from_me: bool,
    #[serde(default)]
    text: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    kind: MessageKind,
    #[serde(default)]
    refers_to: Option<String>,
    #[serde(default)]
    media: Option<MediaInfo>,
    #[serde(default)]
    sent_at: Option<i64>,
    #[serde(default)]
    expiration: Option<u32>,
    /// A voice note with its recording.
    #[serde(default)]
    voice: Option<VoiceBody>,
    /// A photo with its file (`caption` is its text).
    #[serde(default)]
    image: Option<ImageBody>,
    #[serde(default)]
    caption: Option<String>,
}

#[derive(Debug, Deserialize)]
struct VoiceBody {
    #[serde(default = "voice_mime")]
    mime: String,
    data_base64: String,
    #[serde(default)]
    seconds: Option<u32>,
}

fn voice_mime() -> String {
    "audio/ogg; codecs=opus".to_owned()
}

#[derive(Debug, Deserialize)]
struct ImageBody {
    #[serde(default = "image_mime")]
    mime: String,
    data_base64: String,
}

fn image_mime() -> String {
    "image/jpeg".to_owned()
}

/// A `voice` or `image` as the message's kind, text, media and file.
fn attachment(body: &mut IncomingBody) -> Result<Option<(MediaInfo, String)>, ApiError> {
    let caption = body.caption.take();
    match (body.voice.take(), body.image.take()) {
        (Some(_), Some(_)) => Err(ApiError::BadRequest("voice or image, not both".into())),
        (Some(voice), None) => {
            if caption.is_some() {
                return Err(ApiError::BadRequest("a voice note has no caption".into()));
            }
            body.kind = MessageKind::Voice;
            body.text.clear();
            let media = MediaInfo {
                mimetype: Some(voice.mime),
                seconds: voice.seconds,
                ..MediaInfo::default()
            };
            Ok(Some((media, voice.data_base64)))
        }
        (None, Some(image)) => {
            body.kind = MessageKind::Image;
            body.text = caption.unwrap_or_default();
            let media = MediaInfo {
                mimetype: Some(image.mime),
                ..MediaInfo::default()
            };
            Ok(Some((media, image.data_base64)))
        }
        (None, None) if caption.is_some() => {
            Err(ApiError::BadRequest("a caption belongs to an image".into()))
        }
        (None, None) => Ok(None),
    }
}

async fn incoming(
    State(phones): State<Phones>,
    Path(session_id): Path<String>,
    Json(mut body): Json<IncomingBody>,
) -> Result<Json<Value>, ApiError> {
    let attached = attachment(&mut body)?;
    if body.kind.needs_text() && body.text.trim().is_empty() {
        return Err(ApiError::BadRequest("text is empty".into()));
    }
    if body.kind.refers_to_another() && body.refers_to.is_none() {
        return Err(ApiError::BadRequest(
            "an edit, a deletion or a reaction needs refers_to".into(),
        ));
    }
    // The chat's client: who writes, or whom the salon writes to.
    let client = match (body.from_me, &body.from, &body.lid, &body.to) {
        (false, Some(_), Some(_), _) => {
            return Err(ApiError::BadRequest("from or lid, not both".into()));
        }
        (false, Some(from), None, _) => phone(from)?.into(),
        (false, None, Some(lid), _) => lid_address(lid)?,
        (true, _, _, Some(to)) if to.ends_with("@lid") => lid_address(to)?,
        (true, _, _, Some(to)) => phone(to)?.into(),
        (false, None, None, _) => {
            return Err(ApiError::BadRequest("from (or lid) is missing".into()));
        }
        (true, _, _, None) => {
            return Err(ApiError::BadRequest(
                "a message from the salon's phone needs to".into(),
            ));
        }
    };
    let call = GatewayCall::PhoneIncoming(SimulatedIncoming {
        from: client,
        from_me: body.from_me,
        text: body.text,
        id: body.id,
        push_name: body.name,
        kind: body.kind,
        refers_to: body.refers_to,
        media: attached
            .as_ref()
            .map(|(media, _)| media.clone())
            .or(body.media),
        media_base64: attached.map(|(_, data)| data),
        sent_at: body.sent_at,
        expiration: body.expiration,
    });
    let result = phones.gateway.call(session(&session_id)?, call).await;
    let (id, delivered) = calls::expect(result, |reply| match reply {
        GatewayReply::Received { id, delivered } => Ok((id, delivered)),
        other => Err(other),
    })
    .map_err(call_error)?;
    Ok(Json(
        json!({ "success": true, "id": id, "delivered": delivered }),
    ))
}

async fn outbox(
    State(phones): State<Phones>,
    Path(session_id): Path<String>,
) -> Result<Json<Vec<OutboxEntry>>, ApiError> {
    let session = session(&session_id)?;
    let result = phones.gateway.call(session, GatewayCall::PhoneOutbox).await;
    calls::expect(result, |reply| match reply {
        GatewayReply::Outbox(outbox) => Ok(outbox),
        other => Err(other),
    })
    .map(Json)
    .map_err(call_error)
}

#[derive(Debug, Deserialize)]
struct FaultBody {
    kind: String,
    #[serde(default)]
    seconds: Option<u64>,
}

async fn fault(
    State(phones): State<Phones>,
    Path(session_id): Path<String>,
    Json(body): Json<FaultBody>,
) -> Result<Json<Value>, ApiError> {
    // What the simulated phone can play (an outdated client is the app's own doing).
    const FAULTS: [SuspendReason; 4] = [
        SuspendReason::Replaced,
        SuspendReason::Banned,
        SuspendReason::ConnectFailure,
        SuspendReason::LoggedOut,
    ];
    let reason = FAULTS
        .into_iter()
        .find(|reason| reason.as_str() == body.kind)
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "{:?} is not a fault (replaced, banned, connect_failure, logged_out)",
                body.kind
            ))
        })?;
    let call = GatewayCall::PhoneFault {
        reason,
        seconds: body.seconds,
    };
    done(&phones, &session_id, call).await
}

async fn logout(
    State(phones): State<Phones>,
    Path(session_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    done(&phones, &session_id, GatewayCall::Logout).await
}
