//! YClients' signed `user_data`: base64 JSON describing the installing user, with
//! `user_data_sign` = hex HMAC-SHA256 keyed with our partner token over the **decoded
//! JSON bytes** (what YClients signs; the system we re-build failed moderation signing
//! the base64 text). A signature over the base64 text is accepted as well: it proves the
//! same key. Comparisons are constant-time (`Mac::verify_slice`).
//!
//! The signed data names no salon and carries no time: it proves who the user is, not
//! which salon they may enter (the redirect binds `salon_name` and YClients' install
//! status to the salon instead).

use ai_admin_activities::secret::Secret;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

/// The user YClients vouches for.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct SignedUser {
    /// YClients user id (`user_id` in YClients' documentation, `id` in payloads seen in
    /// the wild).
    #[serde(default, alias = "user_id", deserialize_with = "text_or_number")]
    pub id: Option<String>,
    /// The user's name; wins over the unsigned `user_name` beside it.
    #[serde(default)]
    pub name: Option<String>,
    /// As YClients sent it (text or number); wins over the unsigned `user_phone`.
    #[serde(default, deserialize_with = "text_or_number")]
    pub phone: Option<String>,
    /// Wins over the unsigned `user_email` beside it.
    #[serde(default)]
    pub email: Option<String>,
    /// The salon the user installed the application in, as YClients names it.
    #[serde(default)]
    pub salon_name: Option<String>,
}

fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// Why `user_data` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserDataError {
    /// The signature does not match (or is not hex).
    #[error("user_data_sign does not match user_data")]
    BadSignature,
    /// Signed correctly but not base64 JSON.
    #[error("user_data is not base64-encoded JSON")]
    Malformed,
}

/// Verifies the signature, then decodes the user.
pub fn verify(
    user_data: &str,
    signature_hex: &str,
    partner_token: &Secret,
) -> Result<SignedUser, UserDataError> {
    let signature = hex::decode(signature_hex.trim()).map_err(|_| UserDataError::BadSignature)?;
    // A `+` of the base64 text arrives as a space when the link did not escape it (the
    // query decoder reads `+` as a space); base64 never holds a space.
    let user_data = user_data.replace(' ', "+");
    let user_data = user_data.as_str();
    let decoded = STANDARD
        .decode(user_data)
        .or_else(|_| URL_SAFE.decode(user_data))
        .ok();
    let signed_over_json = decoded
        .as_deref()
        .is_some_and(|json| hmac_matches(partner_token, json, &signature));
    let signed_over_base64 = hmac_matches(partner_token, user_data.as_bytes(), &signature);
    if !(signed_over_json || signed_over_base64) {
        return Err(UserDataError::BadSignature);
    }
    let json = decoded.ok_or(UserDataError::Malformed)?;
    serde_json::from_slice(&json).map_err(|_| UserDataError::Malformed)
}

fn hmac_matches(key: &Secret, message: &[u8], signature: &[u8]) -> bool {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.expose().as_bytes()) else {
        return false;
    };
    mac.update(message);
    mac.verify_slice(signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(key: &str, message: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
        mac.update(message);
        hex::encode(mac.finalize().into_bytes())
    }

    const JSON: &str = r#"{"id":123,"name":"Анна","phone":"79001234567","email":"a@b.ru","salon_name":"Элегант","is_approved":true}"#;

    #[test]
    fn accepts_a_signature_over_the_base64_text_or_over_the_json() {
        let key = Secret::new("partner");
        let encoded = STANDARD.encode(JSON);
        for signature in [
            sign("partner", encoded.as_bytes()),
            sign("partner", JSON.as_bytes()),
        ] {
            let user = verify(&encoded, &signature, &key).unwrap();
            assert_eq!(user.id.as_deref(), Some("123"));
            assert_eq!(user.name.as_deref(), Some("Анна"));
        }
    }

    #[test]
    fn rejects_forged_or_malformed_signatures() {
        let key = Secret::new("partner");
        let encoded = STANDARD.encode(JSON);
        let forged = sign("someone-else", encoded.as_bytes());
        assert_eq!(
            verify(&encoded, &forged, &key),
            Err(UserDataError::BadSignature)
        );
        assert_eq!(
            verify(&encoded, "zz-not-hex", &key),
            Err(UserDataError::BadSignature)
        );
        let tampered = STANDARD.encode(JSON.replace("123", "124"));
        let signature = sign("partner", encoded.as_bytes());
        assert_eq!(
            verify(&tampered, &signature, &key),
            Err(UserDataError::BadSignature)
        );
    }

    #[test]
    fn the_documented_user_id_field_and_an_unescaped_plus_are_read() {
        let key = Secret::new("partner");
        // Chosen so that its base64 holds a `+`.
        let json = r#"{"user_id":77,"name":"Ольга>>?","salon_name":"Салон"}"#;
        let encoded = STANDARD.encode(json);
        assert!(encoded.contains('+'), "{encoded}");
        let as_received = encoded.replace('+', " ");
        let user = verify(&as_received, &sign("partner", json.as_bytes()), &key).unwrap();
        assert_eq!(user.id.as_deref(), Some("77"));
        assert_eq!(user.salon_name.as_deref(), Some("Салон"));
    }

    #[test]
    fn signed_garbage_is_malformed() {
        let key = Secret::new("partner");
        let signature = sign("partner", b"%%%");
        assert_eq!(
            verify("%%%", &signature, &key),
            Err(UserDataError::Malformed)
        );
    }
}
