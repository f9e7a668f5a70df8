//! A handoff nobody answers goes back to the bot. When the bot hands a client over,
//! `handoff-<salon_id>-<client_phone>` waits `HANDOFF_TIMEOUT` (30 minutes by default)
//! counted in the salon's answer hours; if by then nobody from the salon wrote to the
//! client (from the console or from the salon's phone), the client is given back to the
//! bot and told so, in the salon's tone, once. A handoff the salon answered stays with
//! the salon until released. The same check runs when the client writes while handed
//! over, so a watch that could not start never silences a client for good.
//!
//! The workflow lives in `ai-admin-workflows`; the typed references here let the
//! conversation's activities start and poke it by name.

use super::voice::Voice;
use crate::acts::failure;
use crate::acts::messaging::send_once;
use crate::db::events::{self, EventType, NewEvent};
use crate::db::settings::{self, AnswerHours};
use crate::db::{companies, conversations, outbound};
use crate::domain::{ClientAddress, IntegrationStatus, SalonId};
use crate::whatsapp::WhatsAppGateway;
use crate::whatsapp::pacing::Origin;
use anyhow::Context as _;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;
use std::time::Duration;
use temporalio_client::{Client, WorkflowIdConflictPolicy, WorkflowStartOptions};
use temporalio_common::{HasWorkflowDefinition, SignalDefinition, WorkflowDefinition};
use temporalio_sdk::activities::ActivityError;

/// The workflow type of `handoff-<salon_id>-<client_phone>`.
pub const HANDOFF_WORKFLOW_TYPE: &str = "handoff";
/// Its one signal: the client was handed over (again).
pub const HANDED_OFF_SIGNAL: &str = "handed_off";
/// While the owner has the bot off, a due handoff is looked at again this often (the
/// bot cannot take the client back while it is off).
const BOT_OFF_RECHECK: Duration = Duration::from_secs(15 * 60);
/// A wait of at most this long: a week of closed answer hours is looked at again.
const LONGEST_WAIT: Duration = Duration::from_secs(7 * 86_400);

/// Whose handoff a watch is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoffWatch {
    /// Whose owner the client waits for; with the phone it names the workflow id.
    pub salon_id: SalonId,
    /// The client's address (digits, or a WhatsApp id).
    pub phone: String,
}

/// What a look at the handoff found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HandoffCheck {
    /// Nothing to watch: released, answered by the salon, or watching is off.
    Over,
    /// Look again after this many seconds.
    Wait {
        /// Seconds; the workflow's timer, cut short by a `handed_off` signal.
        secs: u64,
    },
    /// Unanswered for the whole timeout: give the client back.
    Due {
        /// The handoff's start in Unix microseconds (names this handoff only).
        since_micros: i64,
    },
}

/// Input of the give-back activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GiveBack {
    /// The client to give back, as the watch names them.
    pub watch: HandoffWatch,
    /// The handoff's start (see [`HandoffCheck::Due`]).
    pub since_micros: i64,
}

/// `handoff-<salon_id>-<client_phone>` for starters outside the workflows crate.
#[derive(Debug, Clone, Copy)]
pub struct HandoffWorkflowRef;

impl WorkflowDefinition for HandoffWorkflowRef {
    type Input = HandoffWatch;
    type Output = ();
    fn name(&self) -> &str {
        HANDOFF_WORKFLOW_TYPE
    }
}

impl HasWorkflowDefinition for HandoffWorkflowRef {
    type Run = Self;
}

/// Its `handed_off` signal.
#[derive(Debug, Clone, Copy)]
pub struct HandedOffSignalRef;

impl SignalDefinition for HandedOffSignalRef {
    type Workflow = HandoffWorkflowRef;
    type Input = ();
    fn name(&self) -> &str {
        HANDED_OFF_SIGNAL
    }
}

/// Starts the client's watch, or pokes the running one (which then looks at the
/// current handoff).
pub async fn watch(
    client: &Client,
    task_queue: &str,
    salon_id: SalonId,
    phone: &str,
) -> anyhow::Result<()> {
    let id = crate::workflow_ids::handoff(salon_id, phone);
    let options = WorkflowStartOptions::new(task_queue.to_owned(), id.clone())
        .id_conflict_policy(WorkflowIdConflictPolicy::UseExisting)
        .static_summary(format!("Handoff of a client of salon {salon_id}"))
        .build();
    let input = HandoffWatch {
        salon_id,
        phone: phone.to_owned(),
    };
    client
        .signal_with_start_workflow(HandoffWorkflowRef, input, HandedOffSignalRef, (), options)
        .await
        .with_context(|| format!("Failed to start {id}"))?;
    Ok(())
}

/// When a handoff that began at `since` is due: `timeout` later, counting only the time
/// inside the salon's answer `hours` (all of it when there are none).
pub fn due_at(
    since: DateTime<Utc>,
    timeout: Duration,
    hours: Option<&AnswerHours>,
    zone: Tz,
) -> DateTime<Utc> {
    let Some(hours) = hours else {
        return since + chrono::Duration::from_std(timeout).unwrap_or(chrono::TimeDelta::MAX);
    };
    // Minute steps: answer hours are whole minutes, and a week of them is 10 080 steps.
    let mut left = timeout.as_secs();
    let mut at = since;
    let limit = since + chrono::Duration::from_std(LONGEST_WAIT).unwrap_or(chrono::TimeDelta::MAX);
    while left > 0 && at < limit {
        let step = left.min(60);
        if hours.contains(at.with_timezone(&zone).naive_local()) {
            left -= step;
        }
        at += chrono::Duration::seconds(step as i64);
    }
    at
}

/// Looks at the client's handoff at `now`: over, not yet due (and for how long), or due.
pub async fn check(
    db: &PgPool,
    watch: &HandoffWatch,
    timeout: Option<Duration>,
    now: DateTime<Utc>,
) -> anyhow::Result<HandoffCheck> {
    let Some(timeout) = timeout else {
        return Ok(HandoffCheck::Over);
    };
    let Some(handoff) = conversations::open_handoff(db, watch.salon_id, &watch.phone).await? else {
        return Ok(HandoffCheck::Over);
    };
    if handoff.answered {
        return Ok(HandoffCheck::Over);
    }
    // A salon that is not live (frozen, uninstalled) says nothing to its clients.
    let Some(company) = companies::find_by_salon(db, watch.salon_id).await? else {
        return Ok(HandoffCheck::Over);
    };
    if company.integration_status != IntegrationStatus::Active {
        return Ok(HandoffCheck::Over);
    }
    let settings = settings::load(db, watch.salon_id).await?;
    let due = due_at(
        handoff.since,
        timeout,
        settings.answer_hours.as_ref(),
        company.zone(),
    );
    if due > now {
        let secs = ((due - now).num_milliseconds().max(0) as u64).div_ceil(1000);
        return Ok(HandoffCheck::Wait {
            secs: secs.clamp(1, LONGEST_WAIT.as_secs()),
        });
    }
    if !settings.bot_enabled {
        return Ok(HandoffCheck::Wait {
            secs: BOT_OFF_RECHECK.as_secs(),
        });
    }
    Ok(HandoffCheck::Due {
        since_micros: handoff.since_micros,
    })
}

/// A client given back this long after their handoff began is not told of it (an old
/// handoff, from before the watch existed): the bot just answers their next message.
const TELL_WITHIN: chrono::TimeDelta = chrono::TimeDelta::days(3);

/// Gives the client back to the bot after the unanswered handoff that began at
/// `since_micros`, and tells them so once; false when that handoff no longer holds them
/// (released, answered, or replaced by another). The release, its event and the claim
/// of the word to the client commit together; a retry sends a claimed word only while
/// the bot still has the client (nobody from the salon wrote since).
pub async fn give_back(
    db: &PgPool,
    gateway: &dyn WhatsAppGateway,
    watch: &HandoffWatch,
    since_micros: i64,
) -> Result<bool, ActivityError> {
    let key = format!(
        "handoff-expired/{}/{}/{since_micros}",
        watch.salon_id, watch.phone
    );
    let to = ClientAddress::parse(&watch.phone)
        .map_err(|e| failure::permanent("InvalidPhone", format!("client address: {e}")))?;
    let voice = Voice::of(&settings::load(db, watch.salon_id).await?);
    let text = voice.handoff_expired();
    let tell = DateTime::<Utc>::from_timestamp_micros(since_micros)
        .is_some_and(|since| Utc::now() - since < TELL_WITHIN);
    let mut tx = db.begin().await.map_err(anyhow::Error::from)?;
    let released =
        conversations::release_unanswered(&mut *tx, watch.salon_id, &watch.phone, since_micros)
            .await?;
    if released {
        events::record(
            &mut *tx,
            &NewEvent {
                salon_id: watch.salon_id,
                event_type: EventType::HandoffReleased,
                data: json!({ "client": to.masked(), "by": "timeout", "told": tell }),
                dedup_key: Some(key.clone()),
            },
        )
        .await?;
        if tell {
            outbound::claim(&mut *tx, &key, watch.salon_id, &to, text).await?;
        }
    }
    tx.commit().await.map_err(anyhow::Error::from)?;
    if released {
        crate::db::live_events::conversation_changed(db, watch.salon_id, "release").await;
        tracing::info!(salon_id = %watch.salon_id, client = %to.masked(), "unanswered handoff given back to the bot");
    }
    if released && !tell {
        return Ok(true);
    }
    // A retry after our release: the word claimed then, not yet sent, still true.
    let unsent = released
        || (outbound::claimed(db, &key).await?
            && !outbound::was_sent(db, &key).await?
            && conversations::still_given_back(db, watch.salon_id, &watch.phone, since_micros)
                .await?);
    if !unsent {
        return Ok(false);
    }
    send_once(db, gateway, Origin::Reply, &key, watch.salon_id, &to, text).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn moscow(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        // 7 December 2026 is a Monday.
        chrono_tz::Europe::Moscow
            .with_ymd_and_hms(2026, 12, day, hour, minute, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_handoff_is_due_after_the_timeout_counted_in_answer_hours() {
        let zone = chrono_tz::Europe::Moscow;
        let half_hour = Duration::from_secs(30 * 60);
        assert_eq!(
            due_at(moscow(7, 23, 0), half_hour, None, zone),
            moscow(7, 23, 30)
        );
        let weekdays = AnswerHours {
            days: vec![1, 2, 3, 4, 5],
            from: "10:00".into(),
            to: "20:00".into(),
        };
        // Within the hours: plain.
        assert_eq!(
            due_at(moscow(7, 12, 0), half_hour, Some(&weekdays), zone),
            moscow(7, 12, 30)
        );
        // Ten minutes before closing: twenty more the next morning.
        assert_eq!(
            due_at(moscow(7, 19, 50), half_hour, Some(&weekdays), zone),
            moscow(8, 10, 20)
        );
        // Friday night: Monday morning.
        assert_eq!(
            due_at(moscow(11, 22, 0), half_hour, Some(&weekdays), zone),
            moscow(14, 10, 30)
        );
        // Seconds, as the tests set it.
        assert_eq!(
            due_at(
                moscow(7, 12, 0),
                Duration::from_secs(3),
                Some(&weekdays),
                zone
            ),
            moscow(7, 12, 0) + chrono::Duration::seconds(3)
        );
    }
}
