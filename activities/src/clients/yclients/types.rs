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
#[derive(Debug, Clone, Default, PartialEq)]
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

/// A service category (`GET /company/{id}/service_categories`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceCategory {
    /// YClients' id; a category whose id is beyond `INTEGER` is not synced.
    pub id: i64,
    /// The owner's name for it; a client's price question by category is matched to it.
    pub title: String,
}

/// A service (`GET /company/{id}/services`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    /// YClients' id; a service whose id is beyond `INTEGER` is not synced.
    pub id: i64,
    /// As on the price list; what a client's words for a service are matched to.
    pub title: String,
    /// Its category's YClients id; one beyond `INTEGER` leaves the service without.
    #[serde(default)]
    pub category_id: Option<i64>,
    /// Lowest price; stands for the highest too when `price_max` is absent.
    #[serde(default)]
    pub price_min: Option<f64>,
    /// Highest price; absent means the same as `price_min`.
    #[serde(default)]
    pub price_max: Option<f64>,
    /// Length in seconds, as YClients counts it.
    #[serde(default)]
    pub duration: Option<i64>,
    /// The owner's description, stored as the service's `description`.
    #[serde(default, deserialize_with = "blank_as_none")]
    pub comment: Option<String>,
    /// Offered (YClients sends 1/0 or a bool).
    #[serde(default = "default_true_flag", deserialize_with = "flag")]
    pub active: bool,
    /// The masters who do it.
    #[serde(default)]
    pub staff: Vec<ServiceStaff>,
}

/// A master who does a service, as listed with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceStaff {
    /// The master's YClients id.
    pub id: i64,
}

/// A master (`GET /company/{id}/staff`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Staff {
    /// YClients' id; a master whose id is beyond `INTEGER` is not synced.
    pub id: i64,
    /// As the salon lists them; a master the client names is matched to it.
    pub name: String,
    /// What they do.
    #[serde(default, deserialize_with = "blank_as_none")]
    pub specialization: Option<String>,
    /// Photo URL.
    #[serde(default, deserialize_with = "blank_as_none")]
    pub avatar: Option<String>,
    /// 0–5.
    #[serde(default)]
    pub rating: Option<f64>,
    /// Hidden from online booking.
    #[serde(default, deserialize_with = "flag")]
    pub hidden: bool,
    /// No longer works there.
    #[serde(default, deserialize_with = "flag")]
    pub fired: bool,
}

/// A client (`POST /company/{id}/clients/search`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Client {
    /// YClients' id; a client whose id is beyond `INTEGER` is not synced.
    pub id: i64,
    /// The name in the salon's client base (a blank one is `None`).
    #[serde(default, deserialize_with = "blank_as_none")]
    pub name: Option<String>,
    /// As typed in YClients; stored as digits when it parses as a phone, raw otherwise.
    #[serde(default, deserialize_with = "blank_as_none")]
    pub phone: Option<String>,
    /// Email.
    #[serde(default, deserialize_with = "blank_as_none")]
    pub email: Option<String>,
    /// Visits so far.
    #[serde(default)]
    pub visits: Option<i64>,
    /// Last visit, `YYYY-MM-DD HH:MM:SS` or RFC 3339.
    #[serde(default, deserialize_with = "blank_as_none")]
    pub last_visit_date: Option<String>,
}

/// A working interval of a master's day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slot {
    /// `HH:MM`.
    pub from: String,
    /// `HH:MM`.
    pub to: String,
}

/// One master's day (`GET /company/{id}/staff/schedule`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffDay {
    /// The master's YClients id.
    pub staff_id: i64,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Working intervals; one that does not end after it starts is dropped on sync.
    #[serde(default)]
    pub slots: Vec<Slot>,
}

/// A service inside a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordService {
    /// The service's YClients id; a booking row keeps the first service's only.
    pub id: i64,
    /// The service's title, when YClients sends it.
    #[serde(default)]
    pub title: Option<String>,
    /// Price charged.
    #[serde(default)]
    pub cost: Option<f64>,
}

/// The client inside a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordClient {
    /// The client's YClients id, which the booking row refers to.
    pub id: i64,
    /// With the phone, creates the client when the clients sync has not brought them yet.
    #[serde(default, deserialize_with = "blank_as_none")]
    pub name: Option<String>,
    /// As YClients stores it; stored as digits when it parses as a phone.
    #[serde(default, deserialize_with = "blank_as_none")]
    pub phone: Option<String>,
}

/// A record (visit) (`GET /records/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// YClients record id.
    pub id: i64,
    /// The salon it belongs to (YClients sends it; a record of another salon is refused).
    #[serde(default)]
    pub company_id: Option<i64>,
    /// The master's YClients id (absent when the record has none).
    #[serde(default)]
    pub staff_id: Option<i64>,
    /// Services booked.
    #[serde(default)]
    pub services: Vec<RecordService>,
    /// Who booked (absent for a blocked slot).
    #[serde(default)]
    pub client: Option<RecordClient>,
    /// Start, RFC 3339 with the salon's offset.
    pub datetime: String,
    /// Length in seconds.
    #[serde(default)]
    pub seance_length: Option<i64>,
    /// 2 confirmed, 1 came, 0 waiting, −1 no-show.
    #[serde(default)]
    pub attendance: Option<i64>,
    /// Deleted in YClients.
    #[serde(default, deserialize_with = "flag")]
    pub deleted: bool,
    /// Note.
    #[serde(default, deserialize_with = "blank_as_none")]
    pub comment: Option<String>,
    /// Our tag on records the bot made.
    #[serde(default, deserialize_with = "blank_as_none")]
    pub api_id: Option<String>,
}

/// One page of a paged list and the total YClients reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// This page's items; YClients may repeat one across pages.
    pub items: Vec<T>,
    /// All items across pages, when YClients says.
    pub total: Option<u64>,
}

/// The body of the activation callback (`POST /marketplace/partner/callback/redirect`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivationCallback {
    /// The salon being connected, as YClients' company id.
    pub salon_id: i64,
    /// Our marketplace application id.
    pub application_id: String,
    /// The salon's key, which YClients sends back with webhooks.
    pub api_key: String,
    /// Where YClients posts webhooks.
    pub webhook_urls: Vec<String>,
}

/// Where our application stands in a salon, from
/// `GET /marketplace/salon/{salon_id}/application/{app_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstallStatus {
    /// `connection_status` as YClients wrote it (`pending`, `active`, `freezed`, …).
    #[serde(default, deserialize_with = "text_or_number")]
    pub connection_status: String,
    /// The install's changes, oldest first.
    #[serde(default)]
    pub logs: Vec<serde_json::Value>,
    /// The payments reported for it (an entry we cannot read is left out, so one odd
    /// entry does not hide the install's status).
    #[serde(default, deserialize_with = "readable_payments")]
    pub payments: Vec<ReportedPayment>,
}

/// What an install's `connection_status` means for us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Connection {
    /// The owner pressed "Connect"; our activation callback is awaited.
    Pending,
    /// Installed and working.
    Active,
    /// Installed, the salon stopped paying.
    Frozen,
    /// Removed (or never installed).
    Uninstalled,
}

impl InstallStatus {
    /// The state behind `connection_status` (an unknown word counts as installed: a
    /// callback would then be refused 403, which is the safer mistake).
    pub fn connection(&self) -> Connection {
        match self.connection_status.trim().to_lowercase().as_str() {
            "pending" | "installing" | "new" => Connection::Pending,
            "freezed" | "frozen" => Connection::Frozen,
            "uninstalled" | "disabled" | "deleted" | "removed" => Connection::Uninstalled,
            _ => Connection::Active,
        }
    }
}

/// One payment in an install's `payments[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportedPayment {
    /// YClients' id (the one a refund names).
    pub id: i64,
    /// The sum, as a number or a string.
    #[serde(default, deserialize_with = "text_or_number")]
    pub payment_sum: String,
    /// `Y-m-d H:i:s`.
    #[serde(default)]
    pub payment_date: Option<String>,
    /// `Y-m-d H:i:s`.
    #[serde(default)]
    pub period_from: Option<String>,
    /// `Y-m-d H:i:s`.
    #[serde(default)]
    pub period_to: Option<String>,
    /// Refunded after it was reported (absent counts as not).
    #[serde(default, deserialize_with = "flag_or_absent")]
    pub is_refunded: bool,
}

/// The body of `POST /marketplace/partner/payment` (dates `Y-m-d H:i:s`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartnerPayment {
    /// The paying salon, as YClients' company id.
    pub salon_id: i64,
    /// Our marketplace application id.
    pub application_id: String,
    /// The sum, two decimals.
    pub payment_sum: String,
    /// ISO 4217, e.g. `RUB`.
    pub currency_iso: String,
    /// When the salon paid.
    pub payment_date: String,
    /// The paid period's first moment.
    pub period_from: String,
    /// The paid period's last moment.
    pub period_to: String,
}

fn readable_payments<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<ReportedPayment>, D::Error> {
    let listed = Option::<Vec<serde_json::Value>>::deserialize(deserializer)?.unwrap_or_default();
    Ok(listed
        .into_iter()
        .filter_map(|entry| serde_json::from_value(entry).ok())
        .collect())
}

fn text_or_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(text) => text,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    })
}

fn flag_or_absent<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Bool(b) => b,
        serde_json::Value::Number(n) => n.as_i64().is_some_and(|n| n != 0),
        serde_json::Value::String(s) => matches!(s.as_str(), "1" | "true"),
        _ => false,
    })
}

fn default_true_flag() -> bool {
    true
}

/// YClients writes booleans as `true`, `1` or `"1"`.
fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(
        match Option::<serde_json::Value>::deserialize(deserializer)? {
            Some(serde_json::Value::Bool(b)) => b,
            Some(serde_json::Value::Number(n)) => n.as_i64().is_some_and(|n| n != 0),
            Some(serde_json::Value::String(s)) => s == "1" || s.eq_ignore_ascii_case("true"),
            _ => false,
        },
    )
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
    fn an_install_status_reads_leniently() {
        let status: InstallStatus = serde_json::from_value(serde_json::json!({
            "connection_status": "freezed",
            "logs": [{"status_from": "active", "status_to": "freezed"}],
            "payments": [
                {"id": 7, "payment_sum": 2990, "is_refunded": 1},
                {"id": "not a number"},
                {"id": 8, "payment_sum": "100.50", "period_from": "2026-12-01 00:00:00"},
            ],
        }))
        .unwrap();
        assert_eq!(status.connection(), Connection::Frozen);
        assert_eq!(status.payments.len(), 2, "the odd entry is left out");
        assert!(status.payments[0].is_refunded);
        assert_eq!(status.payments[0].payment_sum, "2990");
        let unknown: InstallStatus =
            serde_json::from_value(serde_json::json!({"connection_status": 1})).unwrap();
        assert_eq!(
            unknown.connection(),
            Connection::Active,
            "an unknown word is installed"
        );
    }

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

/// A free time (`GET /api/v1/book_times/…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreeTime {
    /// `HH:MM`, salon local.
    pub time: String,
    /// Length of the service, seconds.
    #[serde(default)]
    pub seance_length: i64,
    /// Start, RFC 3339 with the salon's offset.
    pub datetime: String,
}

/// One visit in a booking request (`book_check`, `book_record`, moving a record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appointment {
    /// Position in the request (1-based).
    pub id: i64,
    /// Services.
    pub services: Vec<i64>,
    /// Master; 0 = any.
    pub staff_id: i64,
    /// Start, RFC 3339 with the salon's offset.
    pub datetime: String,
}

/// `POST /api/v1/book_record/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingRequest {
    /// Client's phone, digits.
    pub phone: String,
    /// Client's name.
    pub fullname: String,
    /// Client's e-mail (YClients wants the field; empty is fine).
    pub email: String,
    /// The visits.
    pub appointments: Vec<Appointment>,
    /// Note for the salon.
    pub comment: String,
    /// Our tag, unique per booking attempt: how a retried booking is recognised.
    pub api_id: String,
}

/// One booked visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booked {
    /// Position of the appointment in the request.
    #[serde(default)]
    pub id: i64,
    /// The new record.
    pub record_id: i64,
    /// Needed to change the booking through the booking API.
    #[serde(default)]
    pub record_hash: String,
}
