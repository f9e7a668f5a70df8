//! `GET /console/api/overview`: how the salon stands — its integration, its WhatsApp
//! (linked number, state, last answer), its syncs (the last, the next ones), whether the
//! language model answers, whether the bot is on and answering now — and what the bot did today, in 7 and in 30 days.

use crate::auth::ConsoleAuth;
use crate::error::ApiError;
use crate::state::AppState;
use ai_admin_activities::acts::billing::major_units;
use ai_admin_activities::clients::llm::health::{RouteHealth, RouteState};
use ai_admin_activities::db::console_views::{self, Results, StatusFacts};
use ai_admin_activities::db::{companies, payments, settings};
use ai_admin_activities::domain::{SalonId, SessionId};
use ai_admin_temporal::sync_schedules;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Days, TimeZone, Utc};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The route.
pub fn router() -> Router<AppState> {
    Router::new().route("/console/api/overview", get(overview))
}

async fn overview(
    State(state): State<AppState>,
    ConsoleAuth { user, .. }: ConsoleAuth,
) -> Result<Json<Value>, ApiError> {
    let salon_id = user.salon_id;
    let company = companies::find_by_salon(&state.db, salon_id)
        .await?
        .filter(|company| company.id == user.company_id)
        .ok_or_else(|| ApiError::NotFound("Салон больше не зарегистрирован".into()))?;
    let session = SessionId::for_salon(salon_id);
    let (whatsapp, next_syncs, facts) = tokio::join!(
        state.gateway.status(session),
        sync_schedules::next_syncs(&state.temporal, salon_id),
        console_views::status_facts(&state.db, salon_id),
    );
    let facts = facts?;
    let results = results(&state, salon_id, company.id, company.zone()).await?;
    let bot = settings::load(&state.db, salon_id).await?;
    let local = Utc::now().with_timezone(&company.zone()).naive_local();
    let closed = bot.closed_at(local);
    let subscription = payments::subscription(&state.db, salon_id).await?;
    let plans = &state.config.marketplace.plans;
    Ok(Json(json!({
        "success": true,
        "salon": {
            "salon_id": salon_id,
            "title": company.title,
            "integration_status": company.integration_status,
            // The zone in use (an unreadable stored name falls back to Moscow).
            "timezone": company.zone().name(),
        },
        "whatsapp": {
            "session_id": session.to_string(),
            "status": whatsapp.as_str(),
            "connected": company.whatsapp_connected,
            "phone": company.whatsapp_phone,
            "last_answer_at": facts.last_answer_at,
        },
        "sync": {
            "last_at": facts.last_sync_at,
            "next": next_syncs,
        },
        "llm": llm_view(&facts, &state.llm_health.report()),
        "bot_enabled": bot.bot_enabled,
        "bot_answering_now": closed.is_none(),
        "bot_closed_reason": closed.as_ref().map(|closed| closed.reason()),
        "results": results,
        // Trial, tariff and paid period (`TARIFFS`, `TRIAL_PERIOD`).
        "subscription": subscription.map(|s| {
            let tariff = plans.tariff(&s.tariff);
            json!({
                "tariff": s.tariff,
                "price": tariff.map(|t| major_units(t.price_minor)),
                "currency": tariff.map(|t| t.currency.clone()),
                "state": s.state(Utc::now()),
                "trial_ends_at": s.trial_ends_at,
                "paid_until": s.paid_until,
            })
        }),
    })))
}

/// The figures of the three periods, by name.
async fn results(
    state: &AppState,
    salon_id: SalonId,
    company_id: i64,
    zone: chrono_tz::Tz,
) -> Result<BTreeMap<&'static str, Results>, ApiError> {
    let now = Utc::now();
    let mut periods = BTreeMap::new();
    for (name, since) in [
        ("today", start_of_day(now, zone, 0)),
        ("week", start_of_day(now, zone, 6)),
        ("month", start_of_day(now, zone, 29)),
    ] {
        let figures = console_views::results(&state.db, salon_id, company_id, since).await?;
        periods.insert(name, figures);
    }
    Ok(periods)
}

/// Midnight in the salon's zone `days_back` days before today, as UTC.
fn start_of_day(now: DateTime<Utc>, zone: chrono_tz::Tz, days_back: u64) -> DateTime<Utc> {
    let day = now
        .with_timezone(&zone)
        .date_naive()
        .checked_sub_days(Days::new(days_back))
        .unwrap_or_default();
    // A zone may skip midnight (a DST change at 00:00): the day then starts an hour on.
    [0, 1]
        .into_iter()
        .find_map(|hour| {
            zone.from_local_datetime(&day.and_hms_opt(hour, 0, 0).unwrap_or_default())
                .earliest()
        })
        .map_or(now, |start| start.with_timezone(&Utc))
}

/// Whether the language model answers the salon's clients: a refusal recorded for the
/// salon in the last hour says no whatever this process saw; else this process's routes
/// say, when it called them.
fn llm_view(facts: &StatusFacts, routes: &BTreeMap<String, RouteHealth>) -> Value {
    if let Some(trouble) = &facts.llm_trouble {
        return json!({ "state": "problem", "detail": trouble["reason"], "since": trouble["at"] });
    }
    let failing = routes.values().find(|route| {
        matches!(
            route.state,
            RouteState::RegionRefused | RouteState::Unavailable | RouteState::Failing
        )
    });
    let answering = routes.values().any(|route| route.state == RouteState::Ok);
    match (answering, failing) {
        (true, _) => json!({ "state": "ok" }),
        (false, Some(route)) => {
            json!({ "state": "problem", "detail": route.reason, "since": route.since })
        }
        (false, None) if facts.last_answer_at.is_some() => json!({ "state": "ok" }),
        (false, None) => json!({ "state": "unknown" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_starts_at_the_salons_midnight() {
        let now = Utc.with_ymd_and_hms(2026, 12, 2, 22, 30, 0).unwrap();
        // 01:30 on 3 December in Moscow: today began at 21:00 UTC on the 2nd.
        assert_eq!(
            start_of_day(now, chrono_tz::Europe::Moscow, 0),
            Utc.with_ymd_and_hms(2026, 12, 2, 21, 0, 0).unwrap()
        );
        assert_eq!(
            start_of_day(now, chrono_tz::Europe::Moscow, 6),
            Utc.with_ymd_and_hms(2026, 11, 26, 21, 0, 0).unwrap()
        );
    }

    #[test]
    fn a_refusal_recorded_for_the_salon_outweighs_this_process() {
        let trouble = StatusFacts {
            llm_trouble: Some(json!({"reason": "region", "at": "2026-12-02T10:00:00Z"})),
            ..StatusFacts::default()
        };
        assert_eq!(llm_view(&trouble, &BTreeMap::new())["state"], "problem");
        assert_eq!(
            llm_view(&StatusFacts::default(), &BTreeMap::new())["state"],
            "unknown"
        );
        let answered = StatusFacts {
            last_answer_at: Some(Utc::now()),
            ..StatusFacts::default()
        };
        assert_eq!(llm_view(&answered, &BTreeMap::new())["state"], "ok");
    }
}
