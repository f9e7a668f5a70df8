//! `GET /auth/yclients/redirect`: a salon owner arrives from the YClients marketplace.
//!
//! The company is fetched from YClients directly in the handler (with a few quick
//! retries), not in an activity of the onboarding workflow: the owner's browser waits
//! on this request, the answer depends on the result (404 page, 502 page or the
//! onboarding page), and the token it issues needs the company's row id. Durable
//! retrying belongs to the steps nobody waits on. Then the company is upserted with a
//! `registration_started` event in one transaction, `onboarding-<salon_id>` is started
//! or reused, and the owner is sent to the onboarding page with a fresh token.

use crate::auth::TokenUser;
use crate::auth::token::TOKEN_TTL;
use crate::auth::user_data::{self, UserDataError};
use crate::error::{ApiError, PageError};
use crate::state::AppState;
use ai_admin_activities::db::companies::{self, MarketplaceUser};
use ai_admin_activities::db::events::{self, EventType, NewEvent};
use ai_admin_activities::domain::{SalonId, SessionId};
use ai_admin_activities::whatsapp::SessionStatus;
use ai_admin_activities::yclients::retry::{RetryPolicy, with_retries};
use ai_admin_activities::yclients::{Company, YClientsError};
use ai_admin_temporal::onboarding;
use ai_admin_workflows::onboarding::OnboardingInput;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

/// `GET /auth/yclients/redirect`.
pub fn router() -> Router<AppState> {
    Router::new().route("/auth/yclients/redirect", get(redirect))
}

/// The query YClients sends, before validation.
#[derive(Debug, Default, PartialEq)]
struct RedirectQuery {
    salon_id: Option<String>,
    salon_ids: Vec<String>,
    user: TokenUser,
    user_data: Option<String>,
    user_data_sign: Option<String>,
}

impl RedirectQuery {
    fn parse(raw: &str) -> Self {
        let mut query = RedirectQuery::default();
        for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
            let value = value.trim().to_owned();
            let value_or_none = (!value.is_empty()).then(|| value.clone());
            match key.as_ref() {
                "salon_id" => query.salon_id = Some(value),
                key if key == "salon_ids" || key.starts_with("salon_ids[") => {
                    query.salon_ids.push(value);
                }
                "user_id" => query.user.user_id = value_or_none,
                "user_name" => query.user.user_name = value_or_none,
                "user_phone" => query.user.user_phone = value_or_none,
                "user_email" => query.user.user_email = value_or_none,
                "user_data" => query.user_data = value_or_none,
                "user_data_sign" => query.user_data_sign = value_or_none,
                _ => {}
            }
        }
        query
    }

    /// The salon to register and any further ones YClients listed. A redirect serves
    /// one salon (each needs its own WhatsApp link); the others are noted in the event.
    fn salons(&self) -> Result<(SalonId, Vec<SalonId>), ApiError> {
        let mut candidates = self.salon_id.iter().chain(self.salon_ids.iter());
        let first = candidates.next().ok_or_else(|| {
            ApiError::BadRequest("В ссылке нет salon_id: откройте приложение из YClients".into())
        })?;
        let salon_id = first
            .parse::<SalonId>()
            .map_err(|error| ApiError::BadRequest(error.to_string()))?;
        let others = candidates
            .filter_map(|id| id.parse::<SalonId>().ok())
            .filter(|id| *id != salon_id)
            .collect();
        Ok((salon_id, others))
    }
}

#[tracing::instrument(skip_all, fields(salon_id))]
async fn redirect(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let query = RedirectQuery::parse(raw.as_deref().unwrap_or_default());
    let (salon_id, other_salons) = query.salons()?;
    tracing::Span::current().record("salon_id", salon_id.get());
    let (user, signed) = installing_user(&query, &state)?;

    let company = fetch_company(&state, salon_id).await?;
    let marketplace_user = MarketplaceUser {
        id: user.user_id.clone(),
        name: user.user_name.clone(),
        phone: user.user_phone.clone(),
        email: user.user_email.clone(),
    };
    let mut tx = state.db.begin().await?;
    let row = companies::upsert_registered(&mut *tx, &company, &marketplace_user).await?;
    events::record(
        &mut *tx,
        &NewEvent {
            salon_id,
            event_type: EventType::RegistrationStarted,
            data: json!({
                "user_id": user.user_id,
                "user_data_signed": signed,
                "other_salon_ids": other_salons,
                "integration_status": row.integration_status,
            }),
            dedup_key: None,
        },
    )
    .await?;
    tx.commit().await?;

    // An owner who comes back with the salon's WhatsApp still linked goes on without a
    // new link.
    let linked_phone = match row.whatsapp_connected {
        true if state.gateway.status(SessionId::for_salon(salon_id)).await
            == SessionStatus::Connected =>
        {
            row.whatsapp_phone.clone()
        }
        _ => None,
    };
    onboarding::start_or_reuse(
        &state.temporal,
        &state.config.temporal,
        OnboardingInput {
            salon_id,
            company_id: row.id,
            link_timeout_secs: TOKEN_TTL.as_secs(),
            timezone: row.timezone.clone(),
            linked_phone,
        },
    )
    .await
    .map_err(|error| {
        tracing::error!(error = %format!("{error:#}"), "could not start onboarding");
        ApiError::Unavailable(
            "Не удалось начать подключение: сервис процессов временно недоступен".into(),
        )
    })?;

    let token = state
        .tokens
        .issue(row.id, salon_id, user, chrono::Utc::now().timestamp())?;
    tracing::info!(company_id = row.id, "registration started");
    Ok((
        StatusCode::FOUND,
        [(
            header::LOCATION,
            format!("/marketplace/onboarding?token={token}"),
        )],
    )
        .into_response())
}

/// The installing user: from `user_data` when YClients signed it (the signature must
/// then be right), else from the plain query parameters.
fn installing_user(query: &RedirectQuery, state: &AppState) -> Result<(TokenUser, bool), ApiError> {
    match (&query.user_data, &query.user_data_sign) {
        (None, None) => Ok((query.user.clone(), false)),
        (Some(_), None) => Err(ApiError::Unauthorized(
            "user_data пришли без подписи user_data_sign".into(),
        )),
        (None, Some(_)) => Err(ApiError::BadRequest(
            "user_data_sign пришла без user_data".into(),
        )),
        (Some(data), Some(sign)) => {
            let signed = user_data::verify(data, sign, &state.config.yclients.partner_token)
                .map_err(|error| match error {
                    UserDataError::BadSignature => {
                        tracing::warn!("user_data signature mismatch");
                        ApiError::Unauthorized("Подпись user_data неверна".into())
                    }
                    UserDataError::Malformed => {
                        ApiError::BadRequest("user_data не удалось прочитать".into())
                    }
                })?;
            let user = TokenUser {
                user_id: signed.id.or_else(|| query.user.user_id.clone()),
                user_name: signed.name.or_else(|| query.user.user_name.clone()),
                user_phone: signed.phone.or_else(|| query.user.user_phone.clone()),
                user_email: signed.email.or_else(|| query.user.user_email.clone()),
            };
            Ok((user, true))
        }
    }
}

async fn fetch_company(state: &AppState, salon_id: SalonId) -> Result<Company, ApiError> {
    let company = with_retries(RetryPolicy::INTERACTIVE, || {
        state.yclients.company(salon_id)
    })
    .await
    .map_err(|error| match error {
        YClientsError::NotFound => {
            ApiError::NotFound(format!("Салон {salon_id} не найден в YClients"))
        }
        other => {
            tracing::error!(error = %other, kind = other.kind(), "YClients company lookup failed");
            ApiError::Upstream(
                "Не удалось получить данные салона из YClients. Попробуйте ещё раз через минуту."
                    .into(),
            )
        }
    })?;
    if company.id != i64::from(salon_id) {
        tracing::error!(returned = company.id, "YClients returned another company");
        return Err(ApiError::Upstream(
            "YClients вернул данные другого салона".into(),
        ));
    }
    Ok(company)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_salon_ids_in_every_shape_yclients_uses() {
        let query = RedirectQuery::parse("salon_ids%5B%5D=5&salon_ids%5B%5D=6&user_id=9");
        assert_eq!(query.salons().unwrap().0.get(), 5);
        assert_eq!(query.salons().unwrap().1.len(), 1);
        assert_eq!(query.user.user_id.as_deref(), Some("9"));

        let query = RedirectQuery::parse("salon_id=7&salon_ids[0]=7");
        assert_eq!(query.salons().unwrap(), (SalonId::new(7).unwrap(), vec![]));
    }

    #[test]
    fn missing_or_bad_salon_ids_are_bad_requests() {
        for raw in [
            "",
            "user_id=1",
            "salon_id=",
            "salon_id=abc",
            "salon_id=-3",
            "salon_ids[]=x",
        ] {
            assert!(
                matches!(
                    RedirectQuery::parse(raw).salons(),
                    Err(ApiError::BadRequest(_))
                ),
                "{raw}"
            );
        }
    }
}
