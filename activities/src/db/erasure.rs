//! Deleting an uninstalled salon's personal data once its grace period is over: its
//! clients and their visits, conversations and every message ledger, the assistant's
//! turns, the owner's console sessions and settings (which hold the owner's number and
//! words), its masters and their schedules, stored webhooks and page events, the
//! WhatsApp session's keys, and events that name a person. What accounting needs stays:
//! payments, the subscription, the company's business card (title, address, phone), and
//! lifecycle events without personal data.

use crate::db::events::{self, EventType, NewEvent};
use crate::domain::{SalonId, SessionId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, Row as _};
use std::time::Duration;

/// The events kept after an erasure: none of them carries a person's name, number or
/// words (the others — handoffs, reminders, WhatsApp links — do).
pub const KEPT_EVENTS: [&str; 14] = [
    "registration_started",
    "integration_activated",
    "integration_failed",
    "onboarding_expired",
    "sync_completed",
    "uninstalled",
    "frozen",
    "payment_received",
    "settings_changed",
    "llm_unavailable",
    "payment_reported",
    "payment_refunded",
    "personal_data_erased",
    "install_reconciled",
];

/// Where a salon's erasure stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErasureCheck {
    /// Nothing to erase: the salon is installed again (or never uninstalled), or its
    /// data is already gone.
    Kept,
    /// Due in this many seconds.
    Wait {
        /// Seconds.
        secs: u64,
    },
    /// The grace period is over.
    Due,
}

/// Rows an erasure deleted or emptied, per kind (the `personal_data_erased` event's data).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erased {
    /// Table → rows.
    pub rows: std::collections::BTreeMap<String, u64>,
}

impl Erased {
    /// Rows in all.
    pub fn total(&self) -> u64 {
        self.rows.values().sum()
    }
}

/// Where the salon's erasure stands at `now`, `grace` after its uninstall.
pub fn check(
    uninstalled_at: Option<DateTime<Utc>>,
    erased_at: Option<DateTime<Utc>>,
    grace: Duration,
    now: DateTime<Utc>,
) -> ErasureCheck {
    let Some(uninstalled_at) = uninstalled_at else {
        return ErasureCheck::Kept;
    };
    if erased_at.is_some_and(|erased| erased >= uninstalled_at) {
        return ErasureCheck::Kept;
    }
    let due = uninstalled_at + chrono::Duration::from_std(grace).unwrap_or(chrono::TimeDelta::MAX);
    match (due - now).to_std() {
        Ok(left) if !left.is_zero() => ErasureCheck::Wait {
            // Rounded up, so the next look is not a moment early.
            secs: left.as_secs() + u64::from(left.subsec_nanos() > 0),
        },
        _ => ErasureCheck::Due,
    }
}

/// The salon's uninstall and last erasure (`None` for an unknown salon), read under a
/// row lock when `lock` (the erasure's transaction).
async fn moments(
    db: &mut PgConnection,
    salon_id: SalonId,
    lock: bool,
) -> anyhow::Result<Option<(i64, Option<DateTime<Utc>>, Option<DateTime<Utc>>)>> {
    let sql = if lock {
        "SELECT id, CASE WHEN integration_status = 'uninstalled' THEN uninstalled_at END AS uninstalled_at,
                personal_data_erased_at FROM companies WHERE yclients_id = $1 FOR UPDATE"
    } else {
        "SELECT id, CASE WHEN integration_status = 'uninstalled' THEN uninstalled_at END AS uninstalled_at,
                personal_data_erased_at FROM companies WHERE yclients_id = $1"
    };
    let row = sqlx::query(sql)
        .bind(salon_id.get())
        .fetch_optional(&mut *db)
        .await?;
    Ok(row.map(|row| {
        (
            row.get("id"),
            row.get("uninstalled_at"),
            row.get("personal_data_erased_at"),
        )
    }))
}

/// Where the salon's erasure stands now.
pub async fn look(
    db: &mut PgConnection,
    salon_id: SalonId,
    grace: Duration,
) -> anyhow::Result<ErasureCheck> {
    Ok(match moments(db, salon_id, false).await? {
        Some((_, uninstalled_at, erased_at)) => check(uninstalled_at, erased_at, grace, Utc::now()),
        None => ErasureCheck::Kept,
    })
}

/// Deletes the salon's personal data in one transaction with its `personal_data_erased`
/// event (the counts), if it is still uninstalled and
/// due (re-read under the row lock, so an install that came back meanwhile keeps
/// everything). `None` when nothing was due.
pub async fn erase(
    db: &mut PgConnection,
    salon_id: SalonId,
    grace: Duration,
) -> anyhow::Result<Option<Erased>> {
    let mut tx = sqlx::Connection::begin(&mut *db).await?;
    let Some((company_id, uninstalled_at, erased_at)) = moments(&mut tx, salon_id, true).await?
    else {
        return Ok(None);
    };
    if check(uninstalled_at, erased_at, grace, Utc::now()) != ErasureCheck::Due {
        return Ok(None);
    }
    let salon = i64::from(salon_id.get());
    let session = SessionId::for_salon(salon_id).to_string();
    let mut erased = Erased::default();
    // Order matters where rows point at each other: visits before clients and masters.
    let by_company: [(&str, &str); 7] = [
        ("bookings", "DELETE FROM bookings WHERE company_id = $1"),
        ("clients", "DELETE FROM clients WHERE company_id = $1"),
        ("schedules", "DELETE FROM schedules WHERE company_id = $1"),
        (
            "staff_services",
            "DELETE FROM staff_services WHERE company_id = $1",
        ),
        ("staff", "DELETE FROM staff WHERE company_id = $1"),
        (
            "console_codes",
            "DELETE FROM console_codes WHERE company_id = $1",
        ),
        (
            "console_sessions",
            "DELETE FROM console_sessions WHERE company_id = $1",
        ),
    ];
    for (table, sql) in by_company {
        let done = sqlx::query(sql).bind(company_id).execute(&mut *tx).await?;
        erased.rows.insert(table.to_owned(), done.rows_affected());
    }
    let by_salon: [(&str, &str); 8] = [
        (
            "conversations",
            "DELETE FROM conversations WHERE salon_id = $1",
        ),
        (
            "inbound_messages",
            "DELETE FROM inbound_messages WHERE salon_id = $1",
        ),
        (
            "outbound_messages",
            "DELETE FROM outbound_messages WHERE salon_id = $1",
        ),
        (
            "assistant_turns",
            "DELETE FROM assistant_turns WHERE salon_id = $1",
        ),
        (
            "whatsapp_send_acks",
            "DELETE FROM whatsapp_send_acks WHERE salon_id = $1",
        ),
        ("live_events", "DELETE FROM live_events WHERE salon_id = $1"),
        (
            "salon_settings",
            "DELETE FROM salon_settings WHERE salon_id = $1",
        ),
        // A webhook still waiting is applied (and then pruned) as any other.
        (
            "webhook_inbox",
            "DELETE FROM webhook_inbox WHERE salon_id = $1 AND status <> 'pending'",
        ),
    ];
    for (table, sql) in by_salon {
        let done = sqlx::query(sql).bind(salon).execute(&mut *tx).await?;
        erased.rows.insert(table.to_owned(), done.rows_affected());
    }
    let keys = sqlx::query("DELETE FROM whatsapp_session_stores WHERE session_id = $1")
        .bind(&session)
        .execute(&mut *tx)
        .await?;
    erased
        .rows
        .insert("whatsapp_session_stores".to_owned(), keys.rows_affected());
    let events = sqlx::query(
        "DELETE FROM marketplace_events WHERE salon_id = $1 AND NOT (event_type = ANY($2))",
    )
    .bind(salon)
    .bind(&KEPT_EVENTS[..])
    .execute(&mut *tx)
    .await?;
    erased
        .rows
        .insert("marketplace_events".to_owned(), events.rows_affected());
    // The owner's name, number and e-mail, and the salon's WhatsApp number, go; the
    // YClients user id stays (it names nobody outside YClients, and recognises the
    // owner when they come back).
    sqlx::query(
        "UPDATE companies SET marketplace_user_name = NULL, marketplace_user_phone = NULL,
                marketplace_user_email = NULL, whatsapp_phone = NULL, api_key = NULL,
                personal_data_erased_at = NOW(), updated_at = NOW()
         WHERE id = $1",
    )
    .bind(company_id)
    .execute(&mut *tx)
    .await?;
    events::record(
        &mut *tx,
        &NewEvent {
            salon_id,
            event_type: EventType::PersonalDataErased,
            data: serde_json::json!({ "rows": erased.rows, "grace_secs": grace.as_secs() }),
            dedup_key: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Some(erased))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erasure_is_due_a_grace_period_after_the_uninstall_and_only_once() {
        let at = Utc::now();
        let grace = Duration::from_secs(3600);
        assert_eq!(check(None, None, grace, at), ErasureCheck::Kept);
        assert_eq!(
            check(Some(at), None, grace, at),
            ErasureCheck::Wait { secs: 3600 }
        );
        assert_eq!(
            check(Some(at), None, grace, at + chrono::Duration::seconds(3600)),
            ErasureCheck::Due
        );
        let erased = at + chrono::Duration::seconds(3601);
        assert_eq!(
            check(Some(at), Some(erased), grace, erased),
            ErasureCheck::Kept
        );
        // Erased for an earlier uninstall: the new one is due in its turn.
        let later = at + chrono::Duration::days(3);
        assert_eq!(
            check(Some(later), Some(erased), grace, later),
            ErasureCheck::Wait { secs: 3600 }
        );
    }
}
