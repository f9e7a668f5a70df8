//! Extractor for API routes called by the onboarding page with
//! `Authorization: Bearer <onboarding token>`.

use super::token::OnboardingClaims;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

/// The verified claims of the caller's onboarding token.
#[derive(Debug, Clone)]
pub struct OnboardingAuth(pub OnboardingClaims);

impl FromRequestParts<AppState> for OnboardingAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| ApiError::Unauthorized("Bearer token required".to_owned()))?;
        let claims = state
            .tokens
            .verify(token)
            .map_err(|error| ApiError::Unauthorized(error.to_string()))?;
        Ok(OnboardingAuth(claims))
    }
}
