//! The shapes YClients sends to `POST /webhook/yclients`, told apart:
//! - marketplace events `{salon_id, application_id, event, partner_token}`;
//! - the original system's `{event_type, salon_id, data}` (`uninstall`, `freeze`,
//!   `payment`, `record_created|updated|deleted`);
//! - data events `{company_id, resource, resource_id, status, data}`.
//!
//! Anything else that is a JSON object is an [`WebhookKind::Unknown`] event: recorded and
//! acknowledged, not an error.
//!
//! What is kept of a body never holds our partner token (marketplace events carry it;
//! it is checked, then stripped, so it reaches neither the inbox nor Temporal), and a
//! body PostgreSQL could not store (a NUL character, an `event` or delivery id longer
//! than their columns) is refused here with the reason.

use crate::domain::SalonId;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// What a webhook is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookKind {
    /// The application's lifecycle in the salon: uninstall, freeze, payment.
    Marketplace,
    /// A record (visit) was created, changed or deleted.
    Record,
    /// A client changed.
    Client,
    /// A service changed.
    Service,
    /// A master changed.
    Staff,
    /// A shape or resource we do not act on.
    Unknown,
}

impl WebhookKind {
    /// The name stored in `webhook_inbox.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Marketplace => "marketplace",
            Self::Record => "record",
            Self::Client => "client",
            Self::Service => "service",
            Self::Staff => "staff",
            Self::Unknown => "unknown",
        }
    }
}

/// A parsed webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    /// The salon it concerns, when the body names one.
    pub salon_id: Option<SalonId>,
    /// What it is about.
    pub kind: WebhookKind,
    /// `uninstall`, `freeze`, `payment`, `create`, `update`, `delete`, … as sent.
    pub event: Option<String>,
    /// The partner token a marketplace event carries.
    pub partner_token: Option<String>,
    /// The application id a marketplace event carries.
    pub application_id: Option<String>,
    /// YClients' own id of the delivery, when the body carries one (`yclients:<id>`):
    /// the same id again is the same delivery.
    pub delivery_id: Option<String>,
    /// A hash of the canonical body (without the partner token): a body without a
    /// delivery id that repeats the salon's latest one is a repeated delivery.
    pub content_hash: String,
    /// The body, without the partner token.
    pub payload: Value,
}

/// Why a body is not a webhook.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// Not JSON.
    #[error("the body is not valid JSON: {0}")]
    NotJson(String),
    /// JSON, but not an object.
    #[error("the body must be a JSON object")]
    NotAnObject,
    /// An object we cannot store as sent.
    #[error("{0}")]
    Unstorable(String),
}

/// Longest `event` / `event_type` / `status` kept (the column's width).
pub const MAX_EVENT_LEN: usize = 50;
/// Longest delivery id kept.
pub const MAX_DELIVERY_ID_LEN: usize = 200;

/// The key that carries our partner token in marketplace events.
const PARTNER_TOKEN_KEY: &str = "partner_token";

fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn salon(value: Option<&Value>) -> Option<SalonId> {
    text(value).and_then(|t| t.parse().ok())
}

/// A hash of the body that ignores key order and formatting.
fn canonical_hash(value: &Value) -> String {
    // serde_json's maps are ordered by key, so re-serialising gives one canonical text.
    let canonical = serde_json::to_string(value).unwrap_or_default();
    format!(
        "sha256:{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    )
}

const MARKETPLACE_EVENTS: [&str; 3] = ["uninstall", "freeze", "payment"];

/// Reads a body.
pub fn parse(body: &[u8]) -> Result<Webhook, WebhookError> {
    let mut payload: Value =
        serde_json::from_slice(body).map_err(|e| WebhookError::NotJson(e.to_string()))?;
    if holds_nul(&payload) {
        return Err(WebhookError::Unstorable(
            "the body holds a NUL character (\\u0000)".to_owned(),
        ));
    }
    let Value::Object(object) = &mut payload else {
        return Err(WebhookError::NotAnObject);
    };
    let partner_token = text(object.get(PARTNER_TOKEN_KEY));
    strip_partner_token(object);
    let (kind, event, salon_id) = classify(object);
    if event
        .as_ref()
        .is_some_and(|e| e.chars().count() > MAX_EVENT_LEN)
    {
        return Err(WebhookError::Unstorable(format!(
            "event is longer than {MAX_EVENT_LEN} characters"
        )));
    }
    let own_id = ["webhook_id", "event_id", "delivery_id"]
        .iter()
        .find_map(|key| text(object.get(*key)));
    if own_id
        .as_ref()
        .is_some_and(|id| id.chars().count() > MAX_DELIVERY_ID_LEN)
    {
        return Err(WebhookError::Unstorable(format!(
            "the delivery id is longer than {MAX_DELIVERY_ID_LEN} characters"
        )));
    }
    let application_id = text(object.get("application_id"));
    Ok(Webhook {
        salon_id,
        kind,
        event,
        partner_token,
        application_id,
        delivery_id: own_id.map(|id| format!("yclients:{id}")),
        content_hash: canonical_hash(&payload),
        payload,
    })
}

/// Whether any key or string in the document holds a NUL (PostgreSQL's JSONB cannot).
fn holds_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

/// Removes the partner token wherever the body carries it.
fn strip_partner_token(object: &mut Map<String, Value>) {
    object.remove(PARTNER_TOKEN_KEY);
    for value in object.values_mut() {
        match value {
            Value::Object(inner) => strip_partner_token(inner),
            Value::Array(items) => items.iter_mut().for_each(|item| {
                if let Value::Object(inner) = item {
                    strip_partner_token(inner);
                }
            }),
            _ => {}
        }
    }
}

fn classify(object: &Map<String, Value>) -> (WebhookKind, Option<String>, Option<SalonId>) {
    // Marketplace: {salon_id, application_id, event, partner_token}.
    if let Some(event) = text(object.get("event")) {
        let kind = if MARKETPLACE_EVENTS.contains(&event.as_str()) {
            WebhookKind::Marketplace
        } else {
            WebhookKind::Unknown
        };
        return (kind, Some(event), salon(object.get("salon_id")));
    }
    // The original system's {event_type, salon_id, data}.
    if let Some(event_type) = text(object.get("event_type")) {
        let salon_id = salon(object.get("salon_id"));
        if MARKETPLACE_EVENTS.contains(&event_type.as_str()) {
            return (WebhookKind::Marketplace, Some(event_type), salon_id);
        }
        if let Some(change) = event_type.strip_prefix("record_") {
            let status = match change {
                "created" => "create",
                "updated" => "update",
                "deleted" => "delete",
                other => other,
            };
            return (WebhookKind::Record, Some(status.to_owned()), salon_id);
        }
        return (WebhookKind::Unknown, Some(event_type), salon_id);
    }
    // Data events: {company_id, resource, resource_id, status, data}.
    if let Some(resource) = text(object.get("resource")) {
        let kind = match resource.as_str() {
            "record" => WebhookKind::Record,
            "client" => WebhookKind::Client,
            "service" => WebhookKind::Service,
            "staff" => WebhookKind::Staff,
            _ => WebhookKind::Unknown,
        };
        return (
            kind,
            text(object.get("status")),
            salon(object.get("company_id")).or_else(|| salon(object.get("salon_id"))),
        );
    }
    (
        WebhookKind::Unknown,
        None,
        salon(object.get("salon_id")).or_else(|| salon(object.get("company_id"))),
    )
}

/// The id of the resource a data event is about (`resource_id`, else `data.id`).
pub fn resource_id(payload: &Value) -> Option<i64> {
    let from = |value: Option<&Value>| text(value).and_then(|t| t.parse::<i64>().ok());
    from(payload.get("resource_id")).or_else(|| from(payload.get("data").and_then(|d| d.get("id"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marketplace_events_are_recognised() {
        let hook = parse(br#"{"salon_id": 962302, "application_id": 7, "event": "freeze", "partner_token": "t"}"#).unwrap();
        assert_eq!(hook.kind, WebhookKind::Marketplace);
        assert_eq!(hook.event.as_deref(), Some("freeze"));
        assert_eq!(hook.salon_id.unwrap().get(), 962302);
        assert_eq!(hook.application_id.as_deref(), Some("7"));
        assert_eq!(hook.partner_token.as_deref(), Some("t"));
    }

    #[test]
    fn the_original_shape_maps_record_events() {
        let hook =
            parse(br#"{"event_type": "record_updated", "salon_id": "5", "data": {"id": 9}}"#)
                .unwrap();
        assert_eq!(hook.kind, WebhookKind::Record);
        assert_eq!(hook.event.as_deref(), Some("update"));
        assert_eq!(resource_id(&hook.payload), Some(9));
        let hook = parse(br#"{"event_type": "payment", "salon_id": 5, "data": {}}"#).unwrap();
        assert_eq!(hook.kind, WebhookKind::Marketplace);
    }

    #[test]
    fn data_events_name_the_company_and_resource() {
        let hook = parse(br#"{"company_id": 5, "resource": "client", "resource_id": 3, "status": "update", "data": {}}"#).unwrap();
        assert_eq!(hook.kind, WebhookKind::Client);
        assert_eq!(hook.salon_id.unwrap().get(), 5);
        assert_eq!(resource_id(&hook.payload), Some(3));
        let hook =
            parse(br#"{"company_id": 5, "resource": "goods_transaction", "status": "create"}"#)
                .unwrap();
        assert_eq!(hook.kind, WebhookKind::Unknown);
    }

    #[test]
    fn the_content_hash_ignores_key_order_and_spacing() {
        let a = parse(br#"{"company_id": 5, "resource": "record", "status": "update"}"#).unwrap();
        let b = parse(br#"{ "status":"update","resource":"record" , "company_id":5 }"#).unwrap();
        assert_eq!(a.content_hash, b.content_hash);
        assert_eq!(a.delivery_id, None);
        let own = parse(br#"{"webhook_id": "abc", "company_id": 5}"#).unwrap();
        assert_eq!(own.delivery_id.as_deref(), Some("yclients:abc"));
    }

    #[test]
    fn the_partner_token_is_read_then_stripped_everywhere() {
        let hook = parse(br#"{"salon_id": 5, "event": "freeze", "partner_token": "secret-t", "data": {"partner_token": "secret-t", "list": [{"partner_token": "x"}]}}"#).unwrap();
        assert_eq!(hook.partner_token.as_deref(), Some("secret-t"));
        let kept = hook.payload.to_string();
        assert!(!kept.contains("partner_token"), "{kept}");
        assert!(!kept.contains("secret-t"), "{kept}");
        // Two deliveries that differ only in the token are the same event.
        let other = parse(
            br#"{"salon_id": 5, "event": "freeze", "partner_token": "t2", "data": {"list": [{}]}}"#,
        )
        .unwrap();
        assert_eq!(hook.content_hash, other.content_hash);
    }

    #[test]
    fn bodies_the_database_cannot_hold_are_refused_with_the_reason() {
        let long_event = format!(r#"{{"salon_id": 5, "event": "{}"}}"#, "x".repeat(51));
        let long_id = format!(
            r#"{{"company_id": 5, "webhook_id": "{}"}}"#,
            "7".repeat(201)
        );
        for body in [
            long_event.as_str(),
            long_id.as_str(),
            r#"{"company_id": 5, "data": {"name": "a\u0000b"}}"#,
            r#"{"company_id": 5, "a\u0000": 1}"#,
        ] {
            assert!(
                matches!(parse(body.as_bytes()), Err(WebhookError::Unstorable(_))),
                "{body}"
            );
        }
        let fits = format!(r#"{{"salon_id": 5, "event": "{}"}}"#, "я".repeat(50));
        assert!(parse(fits.as_bytes()).is_ok());
    }

    #[test]
    fn non_objects_are_refused() {
        assert!(matches!(parse(b"{"), Err(WebhookError::NotJson(_))));
        assert_eq!(parse(b"[1, 2]"), Err(WebhookError::NotAnObject));
        assert_eq!(parse(b"\"x\""), Err(WebhookError::NotAnObject));
    }
}
