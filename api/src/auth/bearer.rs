//! Extractors for `Authorization: Bearer …`: the onboarding page's token
//! ([`OnboardingAuth`]) and the ops token ([`OpsAuth`]).

use super::token::OnboardingClaims;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use subtle::ConstantTimeEq;

/// The verified claims of the caller's onboarding token.
#[derive(Debug, Clone)]
pub struct OnboardingAuth(pub OnboardingClaims);

/// The bearer token of the request; 401 without one.
pub(super) fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| ApiError::Unauthorized("Bearer token required".to_owned()))
}

impl FromRequestParts<AppState> for OnboardingAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts)?;
        let claims = state
            .tokens
            .verify(token)
            .map_err(|error| ApiError::Unauthorized(error.to_string()))?;
        Ok(OnboardingAuth(claims))
    }
}

/// The caller holds `OPS_TOKEN`. Without one configured the ops endpoints do not exist
/// (404), so a deployment that never set it exposes nothing.
#[derive(Debug, Clone, Copy)]
pub struct OpsAuth;

impl FromRequestParts<AppState> for OpsAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(expected) = &state.config.ops_token else {
            return Err(ApiError::NotFound(
                "the ops endpoints are off: set OPS_TOKEN".to_owned(),
            ));
        };
        let token = bearer(parts)?;
        if bool::from(token.as_bytes().ct_eq(expected.expose().as_bytes())) {
            Ok(OpsAuth)
        } else {
            Err(ApiError::Unauthorized("wrong ops token".to_owned()))
        }
    }
}
