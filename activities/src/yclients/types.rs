//! The YClients resources we read, as YClients spells them, and its response envelope.

use serde::{Deserialize, Deserializer, Serialize};

/// `{"success": bool, "data": …, "meta": …}`: every YClients answer.
#[derive(Debug, Clone, Deserialize)]
pub struct Envelope<T> {
    /// False on errors that still come with a 2xx status.
    #[serde(default = "default_true")]
    pub success: bool,
    /// The payload; absent on errors.
    pub data: Option<T>,
    /// Counts for lists, `message`/`errors` on failures.
    #[serde(default)]
    pub meta: Meta,
}

fn default_true() -> bool {
    true
}

/// The `meta` part of the envelope. YClients sends an object, or `[]` when empty.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// Human-readable error text.
    pub message: Option<String>,
    /// Validation errors (422).
    pub errors: Vec<String>,
    /// Total for paged lists (`total_count` or `count`).
    pub total_count: Option<u64>,
}

impl<'de> Deserialize<'de> for Meta {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let Some(object) = value.as_object() else {
            return Ok(Meta::default());
        };
        let errors = match object.get("errors") {
            Some(serde_json::Value::Array(items)) => items.iter().map(value_text).collect(),
            Some(serde_json::Value::Object(map)) => map.values().map(value_text).collect(),
            _ => Vec::new(),
        };
        Ok(Meta {
            message: object
                .get("message")
                .and_then(|m| m.as_str())
                .map(str::to_owned),
            errors,
            total_count: object
                .get("total_count")
                .or_else(|| object.get("count"))
                .and_then(serde_json::Value::as_u64),
        })
    }
}

fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Meta {
    /// The best error text the envelope carries.
    pub fn describe(&self) -> Option<String> {
        match (&self.message, self.errors.is_empty()) {
            (Some(message), true) => Some(message.clone()),
            (Some(message), false) => Some(format!("{message}: {}", self.errors.join("; "))),
            (None, false) => Some(self.errors.join("; ")),
            (None, true) => None,
        }
    }
}

/// A salon as `GET /api/v1/company/{id}` describes it (the fields we keep).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Company {
    /// YClients company id (= salon id).
    pub id: i64,
    /// The salon's name.
    pub title: String,
    /// Contact phone as YClients stores it.
    #[serde(default, deserialize_with = "blank_as_none")]
    pub phone: Option<String>,
    /// Contact email.
    #[serde(default, deserialize_with = "blank_as_none")]
    pub email: Option<String>,
    /// Street address.
    #[serde(default, deserialize_with = "blank_as_none")]
    pub address: Option<String>,
    /// IANA zone, e.g. `Europe/Moscow`.
    #[serde(default, deserialize_with = "blank_as_none")]
    pub timezone_name: Option<String>,
}

fn blank_as_none<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(match value {
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_reads_object_meta_and_empty_array_meta() {
        let ok: Envelope<Company> = serde_json::from_str(
            r#"{"success":true,"data":{"id":1,"title":"Салон","phone":"","timezone_name":"Europe/Moscow"},"meta":[]}"#,
        )
        .unwrap();
        let company = ok.data.unwrap();
        assert_eq!(company.phone, None);
        assert_eq!(company.timezone_name.as_deref(), Some("Europe/Moscow"));

        let failed: Envelope<Company> = serde_json::from_str(
            r#"{"success":false,"data":null,"meta":{"message":"Ошибка","errors":["a","b"]}}"#,
        )
        .unwrap();
        assert!(!failed.success);
        assert_eq!(failed.meta.describe().unwrap(), "Ошибка: a; b");
    }
}
