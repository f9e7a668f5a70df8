//! The salon's conversations as its owner sees them, and stepping in.
//!
//! - `GET /console/api/conversations` → `{conversations: [{id, name, phone_masked,
//!   last_message, last_from, last_at, state}]}`, newest first; `state` is `handoff`,
//!   `salon`, `booked`, `moved`, `cancelled`, `asked` or `new`.
//! - `GET /console/api/conversations/{id}` → `{id, name, phone, phone_masked, state,
//!   messages: [{from: client|bot|salon, text, at, kind?, pending?, commands?}]}` (the
//!   full phone is the owner's: only their session reads it).
//! - `POST /console/api/conversations/{id}/reply {text}` → `{success, message_id}`: the
//!   salon's own message, sent from the salon's WhatsApp once per `Idempotency-Key`
//!   (a retried request does not send twice); the bot stops answering the client
//!   (handed over to the salon) until released.
//! - `POST /console/api/conversations/{id}/release` → `{success, released}`.
//! - `GET /console/api/handoffs` → `{clients: [{id, phone, client_name, reason, since}]}`,
//!   longest waiting first.

use crate::auth::ConsoleAuth;
use crate::error::ApiError;
use crate::routes::handoff::release_to_bot;
use crate::state::AppState;
use ai_admin_activities::db::console_views::{self, ConversationSummary};
use ai_admin_activities::db::conversations::{self, SALON_STEPPED_IN};
use ai_admin_activities::db::events::{self, EventType, NewEvent};
use ai_admin_activities::db::live_events;
use ai_admin_activities::db::outbound::{self, Lease};
use ai_admin_activities::domain::{ClientAddress, SalonId, SessionId};
use ai_admin_activities::whatsapp::pacing::Origin;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

/// The longest message the salon may send (WhatsApp's own limit is far above).
const MAX_REPLY_CHARS: usize = 4096;

/// The longest `Idempotency-Key` taken.
const MAX_IDEMPOTENCY_KEY: usize = 100;

/// How long one reply attempt holds its key: longer than a send takes (the gateway
/// answers within seconds), short enough that a retry after a crash is not refused long.
const SEND_LEASE: std::time::Duration = std::time::Duration::from_secs(30);

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/api/conversations", get(list))
        .route("/console/api/conversations/{id}", get(transcript))
        .route("/console/api/conversations/{id}/reply", post(reply))
        .route("/console/api/conversations/{id}/release", post(release))
        .route("/console/api/handoffs", get(handoffs))
}

/// A client's number as the list shows it beside their name: enough to tell clients
/// apart at a glance (`+7900 ***-**-77`), the whole number only on the owner's click.
/// A hidden number (a WhatsApp LID) shows its last two digits.
fn masked(phone: &str) -> String {
    let digits: String = phone.chars().take_while(char::is_ascii_digit).collect();
    let n = digits.len();
    match (phone.contains('@'), n) {
        (false, 9..) => format!("+{} ***-**-{}", &digits[..n - 7], &digits[n - 2..]),
        (_, 2..) => format!("WhatsApp …{}", &digits[n - 2..]),
        _ => "***".to_owned(),
    }
}

fn summary_json(summary: &ConversationSummary) -> Value {
    json!({
        "id": summary.id,
        "name": summary.name,
        "phone_masked": masked(&summary.phone),
        "last_message": summary.last_message,
        "last_from": summary.last_from,
        "last_at": summary.last_at,
        "state": console_views::state(summary),
    })
}

async fn list(
    State(state): State<AppState>,
    ConsoleAuth { user, .. }: ConsoleAuth,
) -> Result<Json<Value>, ApiError> {
    let conversations =
        console_views::conversations(&state.db, user.salon_id, user.company_id, None).await?;
    let conversations: Vec<Value> = conversations.iter().map(summary_json).collect();
    Ok(Json(
        json!({ "success": true, "conversations": conversations }),
    ))
}

/// The conversation `id` of the session's salon and its client's address; 404 for
/// anything else (another salon's id looks like no id at all).
async fn own_conversation(
    state: &AppState,
    salon_id: SalonId,
    id: &str,
) -> Result<(i64, String), ApiError> {
    let not_found = || ApiError::NotFound("Диалог не найден".to_owned());
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let phone = console_views::conversation(&state.db, salon_id, id)
        .await?
        .ok_or_else(not_found)?;
    Ok((id, phone))
}

async fn transcript(
    State(state): State<AppState>,
    ConsoleAuth { user, .. }: ConsoleAuth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (id, phone) = own_conversation(&state, user.salon_id, &id).await?;
    let summary = console_views::conversations(&state.db, user.salon_id, user.company_id, Some(id))
        .await?
        .into_iter()
        .next();
    let messages = console_views::transcript(&state.db, user.salon_id, &phone).await?;
    Ok(Json(json!({
        "success": true,
        "id": id,
        "name": summary.as_ref().and_then(|s| s.name.clone()),
        "phone": phone,
        "phone_masked": masked(&phone),
        "state": summary.as_ref().map_or("new", console_views::state),
        "messages": messages,
    })))
}

/// The body of a reply.
#[derive(Debug, Deserialize)]
struct Reply {
    text: String,
}

/// The request's `Idempotency-Key`, when it sent a usable one.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|key| {
            !key.is_empty()
                && key.len() <= MAX_IDEMPOTENCY_KEY
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "Idempotency-Key: до {MAX_IDEMPOTENCY_KEY} латинских букв, цифр, - и _"
            ))
        })?;
    Ok(Some(key.to_owned()))
}

async fn reply(
    State(state): State<AppState>,
    ConsoleAuth { user, .. }: ConsoleAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Reply>,
) -> Result<Json<Value>, ApiError> {
    let (id, phone) = own_conversation(&state, user.salon_id, &id).await?;
    let text = body.text.trim();
    if text.is_empty() {
        return Err(ApiError::BadRequest("Напишите текст сообщения".to_owned()));
    }
    if text.chars().count() > MAX_REPLY_CHARS {
        return Err(ApiError::BadRequest(format!(
            "Сообщение длиннее {MAX_REPLY_CHARS} символов"
        )));
    }
    let to = ClientAddress::parse(&phone)
        .map_err(|error| anyhow::anyhow!("stored client address {phone:?}: {error}"))?;
    let request =
        idempotency_key(&headers)?.unwrap_or_else(|| hex::encode(rand::random::<[u8; 16]>()));
    // The `salon/` prefix is what the transcript reads as the salon's own message.
    let key = format!("salon/{}/{id}/{request}", user.salon_id);

    // The salon has the client from now on (even if this send fails: the owner is
    // stepping in, and the page offers to send again); the bot must not answer beside.
    let mut tx = state.db.begin().await?;
    if conversations::hand_off(&mut *tx, user.salon_id, &phone, SALON_STEPPED_IN).await? {
        events::record(
            &mut *tx,
            &NewEvent {
                salon_id: user.salon_id,
                event_type: EventType::HandoffRequested,
                data: json!({ "client": to.masked(), "reason": SALON_STEPPED_IN, "by": "salon" }),
                dedup_key: None,
            },
        )
        .await?;
    }
    tx.commit().await?;

    let message_id = match outbound::claim_leased(
        &state.db,
        &key,
        user.salon_id,
        &to,
        text,
        SEND_LEASE,
    )
    .await?
    {
        Lease::AlreadySent(message_id) => message_id,
        Lease::InProgress => {
            return Err(ApiError::Conflict(
                "Это сообщение уже отправляется: обновите диалог через несколько секунд".into(),
            ));
        }
        Lease::OtherText => {
            return Err(ApiError::Unprocessable(
                "Idempotency-Key уже использован для другого текста".into(),
            ));
        }
        Lease::Send => {
            // An unanswered handoff may have gone back to the bot since the salon stepped
            // in above: the salon has the client again before its message goes.
            conversations::hand_off(&state.db, user.salon_id, &phone, SALON_STEPPED_IN).await?;
            let sent = match state
                .gateway
                .send_text_once(
                    SessionId::for_salon(user.salon_id),
                    &to,
                    text,
                    &key,
                    Origin::Reply,
                )
                .await
            {
                Ok(sent) => sent,
                Err(error) => {
                    tracing::warn!(salon_id = %user.salon_id, %error, "console reply not sent");
                    // The owner may send again at once.
                    outbound::release_claim(&state.db, &key).await?;
                    return Err(ApiError::Unavailable(
                        "Сообщение не отправлено: WhatsApp салона сейчас недоступен. Повторите отправку."
                            .into(),
                    ));
                }
            };
            outbound::mark_sent(&state.db, &key, &sent.0).await?;
            live_events::conversation_changed(&state.db, user.salon_id, "reply").await;
            sent.0
        }
    };
    tracing::info!(salon_id = %user.salon_id, client = %to.masked(), "salon answered from the console");
    Ok(Json(json!({ "success": true, "message_id": message_id })))
}

async fn release(
    State(state): State<AppState>,
    ConsoleAuth { user, .. }: ConsoleAuth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (_, phone) = own_conversation(&state, user.salon_id, &id).await?;
    let to = ClientAddress::parse(&phone)
        .map_err(|error| anyhow::anyhow!("stored client address {phone:?}: {error}"))?;
    let released = release_to_bot(&state, user.salon_id, &to).await?;
    Ok(Json(json!({ "success": true, "released": released })))
}

async fn handoffs(
    State(state): State<AppState>,
    ConsoleAuth { user, .. }: ConsoleAuth,
) -> Result<Json<Value>, ApiError> {
    let clients = conversations::handed_off(&state.db, user.salon_id).await?;
    Ok(Json(json!({ "success": true, "clients": clients })))
}

#[cfg(test)]
mod tests {
    use super::masked;

    #[test]
    fn the_list_shows_enough_of_a_number_to_tell_clients_apart() {
        assert_eq!(masked("79005550177"), "+7900 ***-**-77");
        assert_eq!(masked("123456789012345@lid"), "WhatsApp …45");
        assert_eq!(masked(""), "***");
    }
}
