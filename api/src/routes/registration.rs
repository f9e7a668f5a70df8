//! `GET /auth/yclients/redirect`: a salon owner arrives from the YClients marketplace;
//! `GET /auth/yclients/location`: the next salon of a multi-location grant.
//!
//! Who gets in:
//! - per client address (behind `TRUSTED_PROXIES`), at most `REDIRECT_RATE_LIMIT`
//!   redirects a minute (429, nothing done);
//! - with `APP_ENV=production` only a redirect carrying YClients' signed `user_data` (a
//!   missing or bad signature → 401 page; nothing written, no workflow, no YClients
//!   call). A signature, when present, is checked in development too; development also
//!   takes a bare `salon_id` for the demo (said in a log line at start-up);
//! - the signed data names no salon, so what can be bound is bound: its `salon_name`
//!   must be the company's title in YClients (when it has one), and YClients must say
//!   the salon has our application installed or is installing it (403 otherwise).
//!
//! Then the company is fetched from YClients directly in the handler (with a few quick
//! retries), not in an activity: the owner's browser waits on this request and the
//! answer depends on the result. The company is upserted with a `registration_started`
//! event in one transaction. A salon that is installed (`active`, `frozen`) is never
//! re-activated by a redirect, and is opened only by the YClients user who installed it:
//! it goes to its console, `302 /console?code=<one-time code>` (its API key, activation
//! and first sync stay as they are; a WhatsApp that was logged out is linked again from
//! the console, without a new activation). `pending_whatsapp`, `activation_failed` and `uninstalled`
//! salons start (or rejoin) `onboarding-<salon_id>`; an `activating` one rejoins the run
//! under way. The owner is sent to the page with a fresh token.

use crate::auth::TokenUser;
use crate::auth::user_data::{self, SignedUser, UserDataError};
use crate::config::AppEnv;
use crate::error::{ApiError, PageError};
use crate::state::AppState;
use ai_admin_activities::acts::reconcile::{self, Missing};
use ai_admin_activities::clients::yclients::retry::{RetryPolicy, with_retries};
use ai_admin_activities::clients::yclients::{Company, Connection, YClientsError};
use ai_admin_activities::db::companies::{self, MarketplaceUser};
use ai_admin_activities::db::console_sessions::{self, ConsoleUser};
use ai_admin_activities::db::events::{self, EventType, NewEvent};
use ai_admin_activities::domain::{IntegrationStatus, SalonId, SessionId};
use ai_admin_activities::whatsapp::SessionStatus;
use ai_admin_temporal::onboarding;
use ai_admin_workflows::onboarding::OnboardingInput;
use axum::Router;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use std::net::SocketAddr;

/// The longest query string read (YClients' own is a few hundred bytes).
const MAX_QUERY: usize = 8 * 1024;

/// The most further salons of one grant carried in the onboarding token.
const MAX_LOCATIONS: usize = 50;

/// Widths of the `companies.marketplace_user_*` columns.
const MAX_USER_ID: usize = 100;
const MAX_USER_TEXT: usize = 255;
const MAX_USER_PHONE: usize = 50;

/// `GET /auth/yclients/redirect`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/yclients/redirect", get(redirect))
        .route("/auth/yclients/location", get(location))
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
    /// Reads the query; a query too long, or a value the database cannot hold (a NUL),
    /// is a bad request.
    fn parse(raw: &str) -> Result<Self, ApiError> {
        if raw.len() > MAX_QUERY {
            return Err(ApiError::BadRequest(format!(
                "Ссылка длиннее {MAX_QUERY} байт: откройте приложение из YClients"
            )));
        }
        let mut query = RedirectQuery::default();
        for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
            if value.contains('\0') {
                return Err(ApiError::BadRequest(format!(
                    "В параметре {key} недопустимый символ"
                )));
            }
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
        Ok(query)
    }

    /// The salon to register and any further ones YClients listed. A redirect serves
    /// one salon (each needs its own WhatsApp link); the others are noted in the event
    /// and listed in the onboarding token, for `GET /auth/yclients/location`.
    fn salons(&self) -> Result<(SalonId, Vec<SalonId>), ApiError> {
        let mut candidates = self.salon_id.iter().chain(self.salon_ids.iter());
        let first = candidates.next().ok_or_else(|| {
            ApiError::BadRequest("В ссылке нет salon_id: откройте приложение из YClients".into())
        })?;
        let salon_id = first
            .parse::<SalonId>()
            .map_err(|error| ApiError::BadRequest(error.to_string()))?;
        let mut others: Vec<SalonId> = candidates
            .filter_map(|id| id.parse::<SalonId>().ok())
            .filter(|id| *id != salon_id)
            .collect();
        others.dedup();
        others.truncate(MAX_LOCATIONS);
        Ok((salon_id, others))
    }
}

#[tracing::instrument(skip_all, fields(salon_id))]
async fn redirect(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let client = state
        .config
        .access
        .trusted_proxies
        .client(peer.ip(), &headers);
    if !state.redirect_limiter.allow(client) {
        tracing::warn!(ip = %client, "marketplace redirect rate limit exceeded");
        return Err(ApiError::TooManyRequests(
            "Слишком много попыток подключения с этого адреса".into(),
        )
        .into());
    }
    let query = RedirectQuery::parse(raw.as_deref().unwrap_or_default())?;
    let (salon_id, other_salons) = query.salons()?;
    tracing::Span::current().record("salon_id", salon_id.get());
    let entry = installing_user(&query, &state)?;
    enter(&state, salon_id, entry, other_salons).await
}

/// `GET /auth/yclients/location?token=<onboarding token>&salon_id=<id>`: back to the
/// onboarding of another location of the same multi-location grant (`salon_ids[]`),
/// with the onboarding token the first one's redirect gave (it lists them, signed by
/// us) — for a location that its own signed redirect already made this user's.
#[tracing::instrument(skip_all, fields(salon_id))]
async fn location(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let raw = raw.unwrap_or_default();
    if raw.len() > MAX_QUERY {
        return Err(ApiError::BadRequest("Ссылка слишком длинная".into()).into());
    }
    let mut token = None;
    let mut wanted = None;
    for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
        match key.as_ref() {
            "token" => token = Some(value.into_owned()),
            "salon_id" => wanted = Some(value.into_owned()),
            _ => {}
        }
    }
    let claims = state
        .tokens
        .verify(token.as_deref().unwrap_or_default())
        .map_err(|error| ApiError::Unauthorized(error.to_string()))?;
    let salon_id = wanted
        .as_deref()
        .unwrap_or_default()
        .parse::<SalonId>()
        .map_err(|error| ApiError::BadRequest(error.to_string()))?;
    tracing::Span::current().record("salon_id", salon_id.get());
    if !claims.locations.contains(&salon_id) {
        tracing::warn!("a location the grant did not list");
        return Err(ApiError::Forbidden(
            "Этот салон не входит в доступ, который выдал YClients: откройте приложение из его карточки".into(),
        )
        .into());
    }
    // The grant's list is not covered by YClients' signature, so it proves nothing about
    // the salons in it: a location is entered this way only when its own signed redirect
    // from YClients already made it this user's, and it is still being connected. An
    // installed one opens from the console's salon switch; a new one from its card in
    // YClients.
    let theirs = match (
        claims.user_data.user_id.as_deref(),
        companies::installer(&state.db, salon_id).await?,
    ) {
        (Some(user), Some((status, Some(installer)))) => user == installer && !is_installed(status),
        _ => false,
    };
    if !theirs {
        tracing::info!("a location not yet confirmed by its own redirect");
        return Err(ApiError::Forbidden(
            "Откройте AI Admin из карточки этого филиала в YClients: так YClients подтвердит, что он ваш".into(),
        )
        .into());
    }
    let mut locations = claims.locations.clone();
    locations.retain(|id| *id != salon_id);
    locations.push(claims.salon_id);
    let entry = Entry {
        user: claims.user_data,
        signed: None,
        granted: true,
    };
    enter(&state, salon_id, entry, locations).await
}

/// Registers `salon_id` for the user who arrived and sends them on: to the onboarding
/// page, or to the console of an installed salon. `other_salons` are the grant's other
/// salons (the onboarding page offers them).
async fn enter(
    state: &AppState,
    salon_id: SalonId,
    entry: Entry,
    other_salons: Vec<SalonId>,
) -> Result<Response, PageError> {
    let company = fetch_company(state, salon_id).await?;
    let connection = bind_to_salon(state, salon_id, &company, entry.signed.as_ref()).await?;
    if connection == Connection::Pending {
        apply_missed_uninstall(state, salon_id).await?;
    }
    same_installer(state, salon_id, &entry).await?;
    let user = entry.user;
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
                "user_data_signed": entry.signed.is_some(),
                "location_of_grant": entry.granted,
                "other_salon_ids": other_salons,
                "integration_status": row.integration_status,
            }),
            dedup_key: None,
        },
    )
    .await?;
    tx.commit().await?;

    if goes_through_onboarding(row.integration_status) {
        // An owner who comes back with the salon's WhatsApp still linked goes on without
        // a new link.
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
                link_timeout_secs: state.config.marketplace.install_window.as_secs(),
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
        tracing::info!(company_id = row.id, "registration started");
    } else {
        // An installed salon's owner comes back to its console, with a one-time code
        // the page trades for a session (the console may open in a frame, where
        // cookies do not work).
        let code = console_sessions::issue_code(
            &state.db,
            &ConsoleUser {
                salon_id,
                company_id: row.id,
                user_id: user.user_id.clone(),
            },
        )
        .await?;
        tracing::info!(company_id = row.id, status = %row.integration_status, "installed salon opened its console; nothing re-activated");
        return Ok((
            StatusCode::FOUND,
            [(header::LOCATION, format!("/console?code={code}"))],
        )
            .into_response());
    }

    let token = state.tokens.issue_with_locations(
        row.id,
        salon_id,
        user,
        other_salons,
        chrono::Utc::now().timestamp(),
    )?;
    Ok((
        StatusCode::FOUND,
        [(
            header::LOCATION,
            format!("/marketplace/onboarding?token={token}"),
        )],
    )
        .into_response())
}

/// Whether a redirect for a salon in `status` (after registering) starts, or rejoins,
/// its onboarding. An installed salon never does; an activating one rejoins the run
/// under way (or, if that run died, starts one that finishes the activation).
fn goes_through_onboarding(status: IntegrationStatus) -> bool {
    !is_installed(status)
}

/// An installed salon: activated, paying or not.
fn is_installed(status: IntegrationStatus) -> bool {
    matches!(
        status,
        IntegrationStatus::Active | IntegrationStatus::Frozen
    )
}

/// An installed salon is opened only by the YClients user who installed it: a link
/// YClients signed for another user (say, of another company with our application)
/// gets no token for it. A bare development link carries no user and is let through.
async fn same_installer(
    state: &AppState,
    salon_id: SalonId,
    entry: &Entry,
) -> Result<(), ApiError> {
    let Some((status, Some(installer))) = companies::installer(&state.db, salon_id).await? else {
        return Ok(());
    };
    let arrived = entry.user.user_id.as_deref();
    let unsigned_demo = entry.signed.is_none() && arrived.is_none();
    if is_installed(status) && !unsigned_demo && arrived != Some(installer.as_str()) {
        tracing::warn!("redirect for an installed salon by another YClients user");
        return Err(ApiError::Forbidden(
            "AI Admin в этом салоне подключил другой пользователь YClients: войдите под его учётной записью"
                .into(),
        ));
    }
    Ok(())
}

/// Who arrived: the user, what YClients signed when it did, and whether they came with
/// our own token for another location of a grant YClients signed.
struct Entry {
    user: TokenUser,
    signed: Option<SignedUser>,
    granted: bool,
}

/// The installing user: from `user_data` when YClients signed it (the signature must
/// then be right), else — in development only — from the plain query parameters.
fn installing_user(query: &RedirectQuery, state: &AppState) -> Result<Entry, ApiError> {
    let production = state.config.app_env == AppEnv::Production;
    let entry = match (&query.user_data, &query.user_data_sign) {
        (None, None) if production => {
            tracing::warn!("unsigned marketplace redirect refused in production");
            return Err(ApiError::Unauthorized(
                "Ссылка без подписи YClients: откройте приложение из маркетплейса YClients".into(),
            ));
        }
        (None, None) => Entry {
            user: query.user.clone(),
            signed: None,
            granted: false,
        },
        (Some(_), None) => {
            return Err(ApiError::Unauthorized(
                "user_data пришли без подписи user_data_sign".into(),
            ));
        }
        (None, Some(_)) => {
            return Err(ApiError::Unauthorized(
                "user_data_sign пришла без user_data".into(),
            ));
        }
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
            // What YClients signed wins over the plain parameters beside it.
            let user = TokenUser {
                user_id: signed.id.clone().or_else(|| query.user.user_id.clone()),
                user_name: signed.name.clone().or_else(|| query.user.user_name.clone()),
                user_phone: signed
                    .phone
                    .clone()
                    .or_else(|| query.user.user_phone.clone()),
                user_email: signed
                    .email
                    .clone()
                    .or_else(|| query.user.user_email.clone()),
            };
            Entry {
                user,
                signed: Some(signed),
                granted: false,
            }
        }
    };
    check_user_fits(&entry.user)?;
    Ok(entry)
}

/// The user's fields fit their columns (a longer one is a bad request, not a 500).
fn check_user_fits(user: &TokenUser) -> Result<(), ApiError> {
    for (name, value, max) in [
        ("user_id", &user.user_id, MAX_USER_ID),
        ("user_name", &user.user_name, MAX_USER_TEXT),
        ("user_phone", &user.user_phone, MAX_USER_PHONE),
        ("user_email", &user.user_email, MAX_USER_TEXT),
    ] {
        if let Some(value) = value {
            if value.chars().count() > max {
                return Err(ApiError::BadRequest(format!(
                    "{name} длиннее {max} символов"
                )));
            }
            if value.contains('\0') {
                return Err(ApiError::BadRequest(format!(
                    "В {name} недопустимый символ"
                )));
            }
        }
    }
    Ok(())
}

/// What binds the redirect to its salon: the signed `salon_name` (when YClients sent
/// one) is the company's title, and YClients says the salon has our application.
async fn bind_to_salon(
    state: &AppState,
    salon_id: SalonId,
    company: &Company,
    signed: Option<&SignedUser>,
) -> Result<Connection, ApiError> {
    if let Some(name) = signed.and_then(|s| s.salon_name.as_deref())
        && !same_salon_name(name, &company.title)
    {
        tracing::warn!("signed user_data names another salon");
        return Err(ApiError::Forbidden(
            "Подпись YClients выдана для другого салона".into(),
        ));
    }
    let app_id = &state.config.yclients.app_id;
    let install = with_retries(RetryPolicy::INTERACTIVE, || {
        state.yclients.install_status(salon_id, app_id)
    })
    .await
    .map_err(|error| {
        tracing::error!(error = %error, kind = error.kind(), "YClients install status lookup failed");
        ApiError::Upstream(
            "Не удалось проверить в YClients, что приложение подключается. Попробуйте ещё раз через минуту."
                .into(),
        )
    })?;
    match install.map(|status| status.connection()) {
        Some(connection) if connection != Connection::Uninstalled => Ok(connection),
        _ => {
            tracing::warn!("redirect for a salon that has not installed the application");
            Err(ApiError::Forbidden(format!(
                "Приложение AI Admin не подключено в салоне {salon_id}: подключите его в маркетплейсе YClients"
            )))
        }
    }
}

/// How long a redirect waits for a missed uninstall to be applied before the new install
/// goes on.
const MISSED_UNINSTALL_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// YClients is installing the application anew in a salon we hold installed: its
/// uninstall never reached us. The missing `uninstall` is stored (once per install we
/// knew) for `company-<salon_id>` to apply, and the redirect waits for it, so the new
/// install starts clean and gets its own activation callback.
async fn apply_missed_uninstall(state: &AppState, salon_id: SalonId) -> Result<(), ApiError> {
    let Some((ours, _)) = companies::installer(&state.db, salon_id).await? else {
        return Ok(());
    };
    if !is_installed(ours) {
        return Ok(());
    }
    let install = companies::activation_id(&state.db, salon_id)
        .await?
        .unwrap_or_default();
    let delivery = format!("redirect/{salon_id}/{install}");
    reconcile::store_missing(
        &state.db,
        &state.config.yclients.app_id,
        salon_id,
        Missing {
            event: "uninstall",
            ours,
            theirs: Some(Connection::Pending),
            delivery: &delivery,
        },
        state.config.access.webhook_dedup_window,
    )
    .await?;
    state.webhook_wakeup.salon(salon_id);
    let deadline = tokio::time::Instant::now() + MISSED_UNINSTALL_WAIT;
    loop {
        match companies::installer(&state.db, salon_id).await? {
            Some((status, _)) if !is_installed(status) => return Ok(()),
            _ if tokio::time::Instant::now() >= deadline => {
                return Err(ApiError::Unavailable(
                    "Обновляем состояние подключения после переустановки: откройте приложение ещё раз через минуту"
                        .into(),
                ));
            }
            _ => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
        }
    }
}

/// Two spellings of one salon name: case, quotes and spacing aside.
fn same_salon_name(a: &str, b: &str) -> bool {
    let normal = |text: &str| -> String {
        text.chars()
            .filter(|c| !matches!(c, '«' | '»' | '"' | '\'' | '“' | '”' | '„'))
            .flat_map(char::to_lowercase)
            .map(|c| if c == 'ё' { 'е' } else { c })
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    normal(a) == normal(b)
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
        let query = RedirectQuery::parse("salon_ids%5B%5D=5&salon_ids%5B%5D=6&user_id=9").unwrap();
        assert_eq!(query.salons().unwrap().0.get(), 5);
        assert_eq!(query.salons().unwrap().1.len(), 1);
        assert_eq!(query.user.user_id.as_deref(), Some("9"));

        let query = RedirectQuery::parse("salon_id=7&salon_ids[0]=7").unwrap();
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
                    RedirectQuery::parse(raw).unwrap().salons(),
                    Err(ApiError::BadRequest(_))
                ),
                "{raw}"
            );
        }
    }

    #[test]
    fn odd_queries_are_bad_requests_not_errors_later() {
        assert!(RedirectQuery::parse("salon_id=5&user_name=a%00b").is_err());
        assert!(RedirectQuery::parse(&"a".repeat(MAX_QUERY + 1)).is_err());
        let long_name = TokenUser {
            user_name: Some("я".repeat(MAX_USER_TEXT + 1)),
            ..TokenUser::default()
        };
        assert!(check_user_fits(&long_name).is_err());
        let fits = TokenUser {
            user_name: Some("я".repeat(MAX_USER_TEXT)),
            ..TokenUser::default()
        };
        assert!(check_user_fits(&fits).is_ok());
    }

    #[test]
    fn salon_names_match_across_quotes_case_and_spacing() {
        assert!(same_salon_name("Салон «Элегант»", "салон  \"Элегант\""));
        assert!(same_salon_name("Ёлка", "елка"));
        assert!(!same_salon_name("Элегант", "Элегант 2"));
    }

    #[test]
    fn only_salons_not_installed_go_through_onboarding() {
        use IntegrationStatus::*;
        for status in [PendingWhatsapp, ActivationFailed, Uninstalled, Activating] {
            assert!(goes_through_onboarding(status), "{status:?}");
        }
        for status in [Active, Frozen] {
            assert!(!goes_through_onboarding(status), "{status:?}");
        }
    }
}
