//! Domain values that validate on creation, so an invalid one cannot travel through
//! the system: a salon id is a positive YClients company id, a session id names one
//! salon's WhatsApp session, an integration status is one of the spec's six values.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The time zone of a salon whose zone YClients did not name (or named as nothing
/// known): Moscow, where most of the salons are.
pub const DEFAULT_ZONE: chrono_tz::Tz = chrono_tz::Europe::Moscow;

/// The salon's time zone from its IANA name, [`DEFAULT_ZONE`] when it is not one.
pub fn salon_zone(name: &str) -> chrono_tz::Tz {
    name.parse().unwrap_or(DEFAULT_ZONE)
}

/// A YClients company ("salon") id: positive and within the `INTEGER` column the
/// original schema gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct SalonId(i32);

/// Why a text or number is not a salon id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidSalonId {
    /// Not a whole number at all.
    #[error("salon_id must be a positive whole number, got {0:?}")]
    NotANumber(String),
    /// Zero, negative, or beyond the range YClients uses.
    #[error("salon_id must be between 1 and {max}, got {0}", max = i32::MAX)]
    OutOfRange(i64),
}

impl SalonId {
    /// Validates a number as a salon id.
    pub fn new(value: i64) -> Result<Self, InvalidSalonId> {
        i32::try_from(value)
            .ok()
            .filter(|v| *v > 0)
            .map(SalonId)
            .ok_or(InvalidSalonId::OutOfRange(value))
    }

    /// The id as YClients and the database store it.
    pub fn get(self) -> i32 {
        self.0
    }
}

impl FromStr for SalonId {
    type Err = InvalidSalonId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        let value: i64 = trimmed
            .parse()
            .map_err(|_| InvalidSalonId::NotANumber(trimmed.to_owned()))?;
        Self::new(value)
    }
}

impl TryFrom<i64> for SalonId {
    type Error = InvalidSalonId;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<SalonId> for i64 {
    fn from(id: SalonId) -> Self {
        i64::from(id.0)
    }
}

impl fmt::Display for SalonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The WhatsApp session of one salon: `company_<salon_id>`, as the original system named it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionId(SalonId);

/// A text that is not `company_<salon_id>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("session id must look like company_<salon_id>, got {0:?}")]
pub struct InvalidSessionId(String);

impl SessionId {
    /// The session of this salon.
    pub fn for_salon(salon_id: SalonId) -> Self {
        Self(salon_id)
    }

    /// The salon the session belongs to.
    pub fn salon_id(self) -> SalonId {
        self.0
    }
}

impl FromStr for SessionId {
    type Err = InvalidSessionId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.strip_prefix("company_")
            .filter(|rest| rest.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|rest| rest.parse::<SalonId>().ok())
            .map(SessionId)
            .ok_or_else(|| InvalidSessionId(s.to_owned()))
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "company_{}", self.0)
    }
}

/// As its text, `company_<salon_id>`: what the gateway, the ledger and Temporal's
/// payloads have always carried.
impl Serialize for SessionId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SessionId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Where a salon's integration stands (`companies.integration_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationStatus {
    /// Registered from the marketplace; the owner has not linked WhatsApp yet.
    PendingWhatsapp,
    /// The activation callback to YClients is in flight.
    Activating,
    /// Activated in YClients; the bot works.
    Active,
    /// YClients refused the activation; the owner may retry.
    ActivationFailed,
    /// The salon stopped paying; the bot is silent, data kept.
    Frozen,
    /// The salon removed the application.
    Uninstalled,
}

/// A text that is not one of the six statuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown integration status {0:?}")]
pub struct InvalidIntegrationStatus(String);

impl IntegrationStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [IntegrationStatus; 6] = [
        Self::PendingWhatsapp,
        Self::Activating,
        Self::Active,
        Self::ActivationFailed,
        Self::Frozen,
        Self::Uninstalled,
    ];

    /// The value stored in the database and shown in the Temporal UI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingWhatsapp => "pending_whatsapp",
            Self::Activating => "activating",
            Self::Active => "active",
            Self::ActivationFailed => "activation_failed",
            Self::Frozen => "frozen",
            Self::Uninstalled => "uninstalled",
        }
    }
}

impl FromStr for IntegrationStatus {
    type Err = InvalidIntegrationStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| InvalidIntegrationStatus(s.to_owned()))
    }
}

impl fmt::Display for IntegrationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A WhatsApp phone number: digits only, international form (10–15 digits, no
/// leading 0). [`PhoneNumber::parse`] reads what a person typed, so Russian numbers
/// written the domestic way (`8 900 …`) become `7900…`; [`PhoneNumber::from_digits`]
/// reads digits that already are international (a WhatsApp JID, a stored number), where
/// `84…` is Vietnam and must stay so. Deserializing uses the latter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

/// A text that is not a usable phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("номер телефона должен содержать 10–15 цифр в международном формате, например 79001234567")]
pub struct InvalidPhoneNumber;

impl PhoneNumber {
    /// Normalises `+7 (900) 123-45-67`, `8 900 123 45 67` or `79001234567` to digits.
    pub fn parse(text: &str) -> Result<Self, InvalidPhoneNumber> {
        let trimmed = text.trim();
        let allowed = |c: char| c.is_ascii_digit() || " +-().".contains(c);
        if trimmed.is_empty() || !trimmed.chars().all(allowed) {
            return Err(InvalidPhoneNumber);
        }
        let mut digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        if digits.len() == 11 && digits.starts_with('8') && !trimmed.starts_with('+') {
            digits.replace_range(0..1, "7");
        }
        if !(10..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(InvalidPhoneNumber);
        }
        Ok(Self(digits))
    }

    /// International digits as WhatsApp and our tables hold them (a JID's user part):
    /// no trunk rule, nothing but digits.
    pub fn from_digits(digits: &str) -> Result<Self, InvalidPhoneNumber> {
        let digits = digits.trim();
        let valid = (10..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if valid {
            Ok(Self(digits.to_owned()))
        } else {
            Err(InvalidPhoneNumber)
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For logs: the country code and the last two digits only.
    pub fn masked(&self) -> String {
        let n = self.0.len();
        format!("{}…{}", &self.0[..1], &self.0[n - 2..])
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = InvalidPhoneNumber;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::from_digits(&value)
    }
}

impl From<PhoneNumber> for String {
    fn from(phone: PhoneNumber) -> Self {
        phone.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a client writes from: their phone number, or — when WhatsApp hides it — their
/// LID (WhatsApp's number-hiding id). The text form keys the client everywhere
/// (`inbound_messages.client_phone`, `conversation-<salon_id>-<address>`): a phone's
/// digits, or `<digits>@lid`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ClientAddress {
    /// A phone number.
    Phone(PhoneNumber),
    /// A LID's user part (digits) of a client whose number is not known.
    Lid(String),
}

/// A text that is neither a phone number nor a LID address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("адрес клиента — это номер телефона (79001234567) или LID WhatsApp (123456789@lid)")]
pub struct InvalidClientAddress;

impl ClientAddress {
    /// The suffix of a LID address.
    const LID: &'static str = "@lid";

    /// Reads the text form: international digits, or `<digits>@lid`.
    pub fn parse(text: &str) -> Result<Self, InvalidClientAddress> {
        let text = text.trim();
        match text.strip_suffix(Self::LID) {
            Some(user) => Self::lid(user),
            None => PhoneNumber::from_digits(text)
                .map(Self::Phone)
                .map_err(|_| InvalidClientAddress),
        }
    }

    /// A LID address from the LID's user part (digits).
    pub fn lid(user: &str) -> Result<Self, InvalidClientAddress> {
        let valid = (1..=20).contains(&user.len()) && user.bytes().all(|b| b.is_ascii_digit());
        if valid {
            Ok(Self::Lid(user.to_owned()))
        } else {
            Err(InvalidClientAddress)
        }
    }

    /// The phone number, when it is known.
    pub fn phone(&self) -> Option<&PhoneNumber> {
        match self {
            Self::Phone(phone) => Some(phone),
            Self::Lid(_) => None,
        }
    }

    /// For logs: a phone masked, a LID's last two digits.
    pub fn masked(&self) -> String {
        match self {
            Self::Phone(phone) => phone.masked(),
            Self::Lid(user) => format!("…{}@lid", &user[user.len().saturating_sub(2)..]),
        }
    }
}

/// For logs and spans: a client's address as the conversation stores it, masked (empty
/// when it is not one).
pub fn masked_client(text: &str) -> String {
    ClientAddress::parse(text)
        .map(|address| address.masked())
        .unwrap_or_default()
}

impl From<PhoneNumber> for ClientAddress {
    fn from(phone: PhoneNumber) -> Self {
        Self::Phone(phone)
    }
}

impl TryFrom<String> for ClientAddress {
    type Error = InvalidClientAddress;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ClientAddress> for String {
    fn from(address: ClientAddress) -> Self {
        address.to_string()
    }
}

impl fmt::Display for ClientAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Phone(phone) => f.write_str(phone.as_str()),
            Self::Lid(user) => write!(f, "{user}{}", Self::LID),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_salons_zone_is_its_iana_name_or_moscow() {
        assert_eq!(
            salon_zone("Asia/Yekaterinburg"),
            chrono_tz::Asia::Yekaterinburg
        );
        assert_eq!(salon_zone(""), DEFAULT_ZONE);
        assert_eq!(salon_zone("Mars/Olympus"), DEFAULT_ZONE);
        assert_eq!(DEFAULT_ZONE.name(), "Europe/Moscow");
    }

    #[test]
    fn a_client_address_is_a_phone_or_a_lid() {
        let phone = ClientAddress::parse("84912345678").unwrap();
        assert_eq!(phone.phone().map(PhoneNumber::as_str), Some("84912345678"));
        assert_eq!(phone.to_string(), "84912345678");
        let lid = ClientAddress::parse("100200300400500@lid").unwrap();
        assert_eq!(lid.phone(), None);
        assert_eq!(lid.to_string(), "100200300400500@lid");
        assert_eq!(lid.masked(), "…00@lid");
        let json = serde_json::to_string(&lid).unwrap();
        assert_eq!(serde_json::from_str::<ClientAddress>(&json).unwrap(), lid);
        for bad in [
            "",
            "@lid",
            "12a@lid",
            "8 900 123 45 67",
            "79001234567@s.whatsapp.net",
        ] {
            assert!(ClientAddress::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phone_numbers_are_normalised_to_international_digits() {
        for (input, expected) in [
            ("79001234567", "79001234567"),
            ("+7 (900) 123-45-67", "79001234567"),
            ("8 900 123 45 67", "79001234567"),
            ("+44 20 7946 0958", "442079460958"),
        ] {
            assert_eq!(
                PhoneNumber::parse(input).unwrap().as_str(),
                expected,
                "{input}"
            );
        }
        for bad in [
            "",
            "12345",
            "0123456789",
            "7900abc4567",
            "1234567890123456",
            "+",
            "89",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad} must be rejected");
        }
        assert_eq!(PhoneNumber::parse("79001234567").unwrap().masked(), "7…67");
    }

    #[test]
    fn international_digits_keep_their_country() {
        // A Vietnamese number is not a Russian one written with a trunk 8.
        assert_eq!(
            PhoneNumber::from_digits("84912345678").unwrap().as_str(),
            "84912345678"
        );
        assert_eq!(
            PhoneNumber::parse("84912345678").unwrap().as_str(),
            "74912345678"
        );
        let round: PhoneNumber = serde_json::from_str(
            &serde_json::to_string(&PhoneNumber::from_digits("84912345678").unwrap()).unwrap(),
        )
        .unwrap();
        assert_eq!(round.as_str(), "84912345678", "serde keeps the digits");
        for bad in [
            "+84912345678",
            "8491234567x",
            "012345678901",
            "123",
            "8 491 234 5678",
        ] {
            assert!(PhoneNumber::from_digits(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn salon_id_accepts_positive_numbers_only() {
        assert_eq!("962302".parse::<SalonId>().unwrap().get(), 962302);
        assert_eq!(" 7 ".parse::<SalonId>().unwrap().get(), 7);
        assert!(matches!(
            "0".parse::<SalonId>(),
            Err(InvalidSalonId::OutOfRange(0))
        ));
        assert!(matches!(
            "-5".parse::<SalonId>(),
            Err(InvalidSalonId::OutOfRange(-5))
        ));
        assert!(matches!(
            "abc".parse::<SalonId>(),
            Err(InvalidSalonId::NotANumber(_))
        ));
        assert!(matches!(
            "".parse::<SalonId>(),
            Err(InvalidSalonId::NotANumber(_))
        ));
        assert!("99999999999".parse::<SalonId>().is_err());
    }

    #[test]
    fn session_id_round_trips_and_rejects_other_shapes() {
        let id: SessionId = "company_962302".parse().unwrap();
        assert_eq!(id.salon_id().get(), 962302);
        assert_eq!(id.to_string(), "company_962302");
        for bad in [
            "company_",
            "company_-1",
            "company_+1",
            "962302",
            "company_1x",
            "Company_1",
        ] {
            assert!(bad.parse::<SessionId>().is_err(), "{bad} must be rejected");
            assert!(serde_json::from_value::<SessionId>(serde_json::json!(bad)).is_err());
        }
        // On the wire it is the same text it always was.
        assert_eq!(serde_json::to_value(id).unwrap(), "company_962302");
        assert_eq!(
            serde_json::from_value::<SessionId>(serde_json::json!("company_962302")).unwrap(),
            id
        );
    }

    #[test]
    fn integration_status_round_trips_through_text() {
        for status in IntegrationStatus::ALL {
            assert_eq!(
                status.as_str().parse::<IntegrationStatus>().unwrap(),
                status
            );
        }
        assert!("paused".parse::<IntegrationStatus>().is_err());
    }
}
