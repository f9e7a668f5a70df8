//! `POST /marketplace/activate {token}`: the owner's "activate" (and "retry" after a
//! failure). It asks the salon's onboarding workflow (update `activate`) and answers when
//! the attempt has finished. Idempotent: two clicks, or a click racing the automatic
//! activation, share one attempt and YClients gets one callback.

use crate::auth::token::TOKEN_TTL;
use crate::error::ApiError;
use crate::state::AppState;
use ai_admin_activities::db::companies;
use ai_admin_activities::domain::IntegrationStatus;
use ai_admin_temporal::onboarding::{self, ActivateAnswer};
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

/// How long the request waits for the attempt before answering "still running".
const WAIT: Duration = Duration::from_secs(55);

/// `POST /marketplace/activate`.
pub fn router() -> Router<AppState> {
    Router::new().route("/marketplace/activate", post(activate))
}

#[derive(Debug, Deserialize)]
struct ActivateBody {
    token: String,
}

async fn activate(
    State(state): State<AppState>,
    body: Result<Json<ActivateBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body.map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
    let claims = state
        .tokens
        .verify(&body.token)
        .map_err(|error| ApiError::Unauthorized(error.to_string()))?;
    // The spec's registration time check: activation only within an hour of registering.
    let age = chrono::Utc::now().timestamp() - claims.iat;
    if age >= TOKEN_TTL.as_secs() as i64 {
        return Err(ApiError::Unauthorized(
            "С момента регистрации прошло больше часа: откройте приложение из маркетплейса ещё раз"
                .into(),
        ));
    }
    let answered = |success: bool, message: &str, status: StatusCode| {
        (
            status,
            Json(json!({
                "success": success,
                "message": message,
                "company_id": claims.company_id,
                "salon_id": claims.salon_id,
            })),
        )
            .into_response()
    };
    let answer = onboarding::activate(&state.temporal, claims.salon_id, WAIT)
        .await
        .map_err(|error| {
            tracing::error!(error = %format!("{error:#}"), "activate failed");
            ApiError::Unavailable("Активация временно недоступна, попробуйте ещё раз".into())
        })?;
    Ok(match answer {
        ActivateAnswer::Finished(result) if result.success => {
            answered(true, "Integration activated successfully", StatusCode::OK)
        }
        ActivateAnswer::Finished(result) => answered(
            false,
            &format!(
                "YClients не принял активацию: {}",
                result.reason.unwrap_or_default()
            ),
            StatusCode::BAD_GATEWAY,
        ),
        ActivateAnswer::StillRunning => answered(
            false,
            "Активация ещё идёт, результат появится на странице",
            StatusCode::ACCEPTED,
        ),
        ActivateAnswer::NotLinked => {
            return Err(ApiError::Conflict(
                "Сначала подключите WhatsApp салона".into(),
            ));
        }
        ActivateAnswer::NoOnboarding => {
            let active = companies::find_by_salon(&state.db, claims.salon_id)
                .await?
                .is_some_and(|company| company.integration_status == IntegrationStatus::Active);
            if !active {
                return Err(ApiError::Conflict(
                    "Подключение не запущено: откройте приложение из маркетплейса ещё раз".into(),
                ));
            }
            answered(true, "Integration activated successfully", StatusCode::OK)
        }
    })
}
