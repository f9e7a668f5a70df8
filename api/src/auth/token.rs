//! The onboarding token: an HS256 JWT that carries the salon across the owner's
//! onboarding (page, API, WebSocket) for one hour. The company id is only ever read from
//! a verified token, never from a request parameter.

use ai_admin_activities::domain::SalonId;
use ai_admin_activities::secret::Secret;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How long an onboarding token lives (and how long onboarding waits for WhatsApp).
pub const TOKEN_TTL: Duration = Duration::from_secs(60 * 60);

/// The `type` claim of tokens issued by the registration redirect.
pub const REGISTRATION_TOKEN_TYPE: &str = "marketplace_registration";

/// The owner who installed the app, as the spec's token carries it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenUser {
    /// YClients user id.
    pub user_id: Option<String>,
    /// Display name.
    pub user_name: Option<String>,
    /// As YClients gave it (signed `user_data` winning over the query).
    pub user_phone: Option<String>,
    /// As YClients gave it (signed `user_data` winning over the query).
    pub user_email: Option<String>,
}

/// The claims, exactly as the original spec lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnboardingClaims {
    /// `companies.id`.
    pub company_id: i64,
    /// YClients salon id.
    pub salon_id: SalonId,
    /// Always [`REGISTRATION_TOKEN_TYPE`].
    #[serde(rename = "type")]
    pub token_type: String,
    /// The installing user.
    #[serde(default)]
    pub user_data: TokenUser,
    /// The other salons of the same multi-location grant (`salon_ids[]`), which the
    /// owner may connect next with this token.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<SalonId>,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Past its `exp`.
    #[error("Срок действия ссылки подключения истёк")]
    Expired,
    /// Bad signature, wrong algorithm, malformed, or not an onboarding token.
    #[error("Ссылка подключения недействительна")]
    Invalid,
}

/// Issues and verifies onboarding tokens with one HS256 key.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(***)")
    }
}

impl TokenKeys {
    /// Keys from `JWT_SECRET`.
    pub fn new(secret: &Secret) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose().as_bytes()),
        }
    }

    /// A token for this salon, valid for [`TOKEN_TTL`] from `now` (Unix seconds).
    pub fn issue(
        &self,
        company_id: i64,
        salon_id: SalonId,
        user: TokenUser,
        now: i64,
    ) -> anyhow::Result<String> {
        self.issue_with_locations(company_id, salon_id, user, Vec::new(), now)
    }

    /// [`Self::issue`], naming the grant's other salons.
    pub fn issue_with_locations(
        &self,
        company_id: i64,
        salon_id: SalonId,
        user: TokenUser,
        locations: Vec<SalonId>,
        now: i64,
    ) -> anyhow::Result<String> {
        let claims = OnboardingClaims {
            company_id,
            salon_id,
            token_type: REGISTRATION_TOKEN_TYPE.to_owned(),
            user_data: user,
            locations,
            iat: now,
            exp: now + TOKEN_TTL.as_secs() as i64,
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// Checks signature (HS256 only, so `alg: none` and key-confusion tricks fail),
    /// expiry and type.
    pub fn verify(&self, token: &str) -> Result<OnboardingClaims, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "iat"]);
        let claims = jsonwebtoken::decode::<OnboardingClaims>(token, &self.decoding, &validation)
            .map_err(|error| match error.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })?
            .claims;
        if claims.token_type != REGISTRATION_TOKEN_TYPE {
            return Err(TokenError::Invalid);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn keys() -> TokenKeys {
        TokenKeys::new(&Secret::new("test-secret-test-secret-test-secret"))
    }

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    #[test]
    fn issued_tokens_verify_and_carry_the_spec_claims() {
        let salon = SalonId::new(962302).unwrap();
        let token = keys().issue(7, salon, TokenUser::default(), now()).unwrap();
        let claims = keys().verify(&token).unwrap();
        assert_eq!(claims.company_id, 7);
        assert_eq!(claims.salon_id, salon);
        assert_eq!(claims.token_type, "marketplace_registration");
        assert_eq!(claims.exp - claims.iat, 3600);
    }

    #[test]
    fn expired_forged_and_unsigned_tokens_are_refused() {
        let salon = SalonId::new(1).unwrap();
        let expired = keys()
            .issue(1, salon, TokenUser::default(), now() - 2 * 3600)
            .unwrap();
        assert_eq!(keys().verify(&expired), Err(TokenError::Expired));

        let other = TokenKeys::new(&Secret::new("another-secret"));
        let forged = other.issue(1, salon, TokenUser::default(), now()).unwrap();
        assert_eq!(keys().verify(&forged), Err(TokenError::Invalid));

        let token = keys().issue(1, salon, TokenUser::default(), now()).unwrap();
        let payload = token.split('.').nth(1).unwrap();
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        assert_eq!(
            keys().verify(&format!("{header}.{payload}.")),
            Err(TokenError::Invalid)
        );
        assert_eq!(keys().verify("not-a-token"), Err(TokenError::Invalid));
    }
}
