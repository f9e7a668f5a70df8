//! The onboarding page (`GET /marketplace/onboarding?token=…`) and the API it polls
//! for progress (`GET /marketplace/api/progress`). An installed salon (active, frozen)
//! whose onboarding is over shows as ready, whatever the Temporal run left behind;
//! the page links no Temporal runs (those are for ops, at `/ops`).

use super::assets::ONBOARDING_HTML;
use crate::auth::{OnboardingAuth, TokenError};
use crate::error::{ApiError, PageError, escape_html};
use crate::state::AppState;
use ai_admin_activities::db::companies;
use ai_admin_activities::domain::IntegrationStatus;
use ai_admin_temporal::onboarding;
use ai_admin_workflows::onboarding::{OnboardingStep, Progress, StepStatus};
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::Html;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

/// The page and its progress endpoint.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/marketplace/onboarding", get(page))
        .route("/marketplace/api/progress", get(progress))
}

async fn page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<([(header::HeaderName, String); 1], Html<String>), PageError> {
    let token = form_urlencoded::parse(raw.as_deref().unwrap_or_default().as_bytes())
        .find(|(key, _)| key == "token")
        .map(|(_, value)| value.into_owned())
        .filter(|token| !token.is_empty())
        .ok_or_else(|| ApiError::BadRequest("В ссылке нет токена подключения".into()))?;
    let claims = state.tokens.verify(&token).map_err(|error| {
        if error == TokenError::Expired {
            tracing::info!("expired onboarding token");
        } else {
            tracing::warn!("invalid onboarding token presented");
        }
        ApiError::Unauthorized(error.to_string())
    })?;
    let company = companies::find_by_salon(&state.db, claims.salon_id)
        .await?
        .filter(|company| company.id == claims.company_id)
        .ok_or_else(|| ApiError::NotFound("Салон больше не зарегистрирован".into()))?;
    // Opened from an installed app's card, the page lives in YClients' frame.
    Ok((
        [(
            header::CONTENT_SECURITY_POLICY,
            super::console::framed_by(&state),
        )],
        Html(
            ONBOARDING_HTML
                .replace("{{salon_title}}", &escape_html(&company.title))
                .replace("{{salon_id}}", &company.salon_id.to_string()),
        ),
    ))
}

/// Where the salon's onboarding stands: the company row plus the workflow's `progress`.
async fn progress(
    State(state): State<AppState>,
    OnboardingAuth(claims): OnboardingAuth,
) -> Result<Json<Value>, ApiError> {
    let company = companies::find_by_salon(&state.db, claims.salon_id)
        .await?
        .filter(|company| company.id == claims.company_id)
        .ok_or_else(|| ApiError::NotFound("Салон больше не зарегистрирован".into()))?;
    let progress = onboarding::progress(&state.temporal, claims.salon_id)
        .await
        .map_err(|error| {
            tracing::warn!(error = %format!("{error:#}"), "progress query failed");
            ApiError::Unavailable("Статус подключения временно недоступен".into())
        })?;
    let progress = installed_progress(company.integration_status, progress);
    // The grant's other salons, which the page offers to connect next.
    let mut locations = Vec::with_capacity(claims.locations.len());
    for salon_id in &claims.locations {
        // Only what is this user's is described; another salon is just its id.
        let installer = companies::installer(&state.db, *salon_id).await?;
        let theirs = matches!(
            (&claims.user_data.user_id, &installer),
            (Some(user), Some((_, Some(installer)))) if user == installer
        );
        let known = match theirs {
            true => companies::find_by_salon(&state.db, *salon_id).await?,
            false => None,
        };
        locations.push(json!({
            "salon_id": salon_id,
            "theirs": theirs,
            "title": known.as_ref().map(|c| c.title.clone()),
            "integration_status": known.as_ref().map(|c| c.integration_status),
        }));
    }
    Ok(Json(json!({
        "success": true,
        "company_id": company.id,
        "salon_id": company.salon_id,
        "title": company.title,
        "integration_status": company.integration_status,
        "whatsapp_connected": company.whatsapp_connected,
        "progress": progress,
        "locations": locations,
    })))
}

/// An installed salon's progress: its onboarding's while a step is still under way
/// (the first sync and the welcome come after activation), else ready — an old run
/// (expired, gone from Temporal) does not make an installed salon look unfinished.
fn installed_progress(status: IntegrationStatus, progress: Option<Progress>) -> Option<Progress> {
    let detail = match status {
        IntegrationStatus::Active => None,
        IntegrationStatus::Frozen => Some(
            "Подписка приостановлена в YClients: бот не отвечает клиентам, пока она не оплачена."
                .to_owned(),
        ),
        _ => return progress,
    };
    match progress {
        Some(running)
            if running.status == StepStatus::InProgress
                && running.step != OnboardingStep::Ready =>
        {
            Some(running)
        }
        _ => Some(Progress {
            step: OnboardingStep::Ready,
            percent: OnboardingStep::Ready.percent(),
            status: StepStatus::Completed,
            detail,
        }),
    }
}
