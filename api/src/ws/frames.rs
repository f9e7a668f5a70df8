//! The frames of the WebSocket protocol and how stored live events become frames.

use crate::qr_image;
use ai_admin_activities::db::live_events::LiveEvent;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A frame from the page.
#[derive(Debug, Clone, Deserialize)]
pub struct ClientFrame {
    /// `auth`, `request-qr`, `request-pairing-code`.
    pub event: String,
    /// Its payload.
    #[serde(default)]
    pub data: Value,
}

/// A frame to the page.
#[derive(Debug, Clone, Serialize)]
pub struct ServerFrame {
    /// The event name.
    pub event: String,
    /// Its payload.
    pub data: Value,
}

impl ServerFrame {
    /// `error {message}`.
    pub fn error(message: &str, code: &str) -> Self {
        Self {
            event: "error".to_owned(),
            data: json!({ "message": message, "code": code }),
        }
    }

    /// `qr-update {qr, expiresIn}` with the code rendered as a PNG data URL.
    pub fn qr(code: &str, expires_in_secs: u64) -> anyhow::Result<Self> {
        Ok(Self {
            event: "qr-update".to_owned(),
            data: json!({ "qr": qr_image::data_url(code)?, "expiresIn": expires_in_secs }),
        })
    }

    /// The frame of a stored event; QR codes are rendered here, per process, since
    /// images are too big for NOTIFY.
    pub fn from_event(event: &LiveEvent) -> anyhow::Result<Self> {
        if event.event == "qr-update" {
            let code = event.data["code"].as_str().unwrap_or_default();
            let expires_in = event.data["expires_in"].as_u64().unwrap_or(20);
            return Self::qr(code, expires_in);
        }
        Ok(Self {
            event: event.event.clone(),
            data: event.data.clone(),
        })
    }

    /// As JSON text.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| r#"{"event":"error","data":{}}"#.to_owned())
    }
}
