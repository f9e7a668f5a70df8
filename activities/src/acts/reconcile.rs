//! The daily check of every installed salon against YClients' install status, for
//! lifecycle events we never received (YClients' webhooks carry no id and are retried
//! only twice). Where YClients and we disagree, the missing event is stored in the
//! salon's webhook inbox — so `company-<salon_id>` applies it in order with everything
//! else, exactly as if YClients had sent it — and an `install_reconciled` event says so:
//! - YClients: removed (or never installed, or installing anew) — we: installed →
//!   `uninstall`;
//! - YClients: frozen — we: active → `freeze`;
//! - YClients: active — we: frozen → `payment` (what unfreezes a salon).
//!
//! A salon YClients will not tell about is left for the next pass; a pass that would
//! uninstall more than three salons and a fifth of all stops (that is a wrong
//! application id or host, not salons leaving).
//!
//! The `install_reconcile` workflow runs it, started daily by the
//! `install-reconcile-<task_queue>` schedule the worker creates.

// `#[activities]` generates one undocumented constant per activity.
#![allow(missing_docs)]

use crate::acts::failure;
use crate::clients::yclients::webhooks as parse;
use crate::clients::yclients::{Connection, YClients};
use crate::db::events::{self, EventType, NewEvent};
use crate::db::webhook_inbox::{self, Stored};
use crate::domain::{IntegrationStatus, SalonId};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// The workflow type the reconcile schedule starts.
pub const RECONCILE_WORKFLOW_TYPE: &str = "install_reconcile";

/// What one pass found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconciled {
    /// Salons asked about.
    pub checked: u32,
    /// Missing lifecycle events stored, per event.
    pub stored: std::collections::BTreeMap<String, u32>,
    /// Salons YClients could not tell about (left for the next pass).
    pub unknown: u32,
}

/// The lifecycle event that brings our status in line with YClients', if one is
/// missing.
pub fn missing_event(ours: IntegrationStatus, theirs: Option<Connection>) -> Option<&'static str> {
    use IntegrationStatus::{Active, Frozen};
    match (ours, theirs) {
        (Active | Frozen, None | Some(Connection::Uninstalled | Connection::Pending)) => {
            Some("uninstall")
        }
        (Active, Some(Connection::Frozen)) => Some("freeze"),
        (Frozen, Some(Connection::Active)) => Some("payment"),
        _ => None,
    }
}

/// Whether `uninstalls` of `total` installed salons in one pass is beyond belief: more
/// than three and more than a fifth.
pub fn too_many_uninstalls(uninstalls: u32, total: usize) -> bool {
    uninstalls > 3 && uninstalls as usize * 5 > total
}

/// Owns what the reconcile needs.
#[derive(Debug, Clone)]
pub struct ReconcileActivities {
    db: PgPool,
    yclients: Arc<dyn YClients>,
    application_id: String,
    repeat_window: Duration,
}

impl ReconcileActivities {
    /// Reconciles our application `application_id`'s installs.
    pub fn new(db: PgPool, yclients: Arc<dyn YClients>, application_id: String) -> Self {
        Self {
            db,
            yclients,
            application_id,
            repeat_window: Duration::from_secs(300),
        }
    }
}

#[activities]
impl ReconcileActivities {
    /// One pass over every installed salon (heartbeating the salons done, so a retry
    /// goes on from there).
    #[activity(name = "reconcile_installs")]
    pub async fn reconcile_installs(
        self: Arc<Self>,
        ctx: ActivityContext,
        _input: (),
    ) -> Result<Reconciled, ActivityError> {
        let salons: Vec<(i32, String)> = sqlx::query_as(
            "SELECT yclients_id, integration_status FROM companies
             WHERE integration_status IN ('active', 'frozen') ORDER BY yclients_id",
        )
        .fetch_all(&self.db)
        .await
        .map_err(anyhow::Error::from)?;
        let resume_after = ctx
            .heartbeat_details()
            .deserialize::<i32>()
            .ok()
            .flatten()
            .unwrap_or(0);
        let day = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let mut report = Reconciled::default();
        let total = salons.len();
        for (salon, status) in salons.into_iter().filter(|(s, _)| *s > resume_after) {
            let (Ok(salon_id), Ok(ours)) = (SalonId::new(i64::from(salon)), status.parse()) else {
                continue;
            };
            report.checked += 1;
            let theirs = match self
                .yclients
                .install_status(salon_id, &self.application_id)
                .await
            {
                Ok(status) => status.map(|s| s.connection()),
                // One salon YClients will not tell about does not stop the others.
                Err(error) => {
                    tracing::warn!(%salon_id, %error, kind = error.kind(), "install status unavailable; next pass");
                    report.unknown += 1;
                    continue;
                }
            };
            let event = missing_event(ours, theirs);
            // Most salons "not installed" at once is our configuration (a wrong
            // YCLIENTS_APP_ID or CRM_BRAND host), not the salons leaving: stop before
            // uninstalling anyone else.
            if event == Some("uninstall") {
                let uninstalls = report.stored.get("uninstall").copied().unwrap_or(0) + 1;
                if too_many_uninstalls(uninstalls, total) {
                    return Err(failure::permanent(
                        "ReconcileRefused",
                        format!(
                            "YClients says {uninstalls} of {total} installed salons are not installed: check YCLIENTS_APP_ID and the YClients host; nothing more was uninstalled"
                        ),
                    ));
                }
            }
            if let Some(event) = event {
                self.store(salon_id, event, ours, theirs, &day).await?;
                *report.stored.entry(event.to_owned()).or_default() += 1;
            }
            ctx.record_heartbeat(salon)
                .await
                .map_err(anyhow::Error::from)?;
        }
        tracing::info!(?report, "installs reconciled with YClients");
        Ok(report)
    }
}

impl ReconcileActivities {
    async fn store(
        &self,
        salon_id: SalonId,
        event: &str,
        ours: IntegrationStatus,
        theirs: Option<Connection>,
        day: &str,
    ) -> Result<(), ActivityError> {
        let delivery = format!("reconcile/{salon_id}/{day}/{event}");
        store_missing(
            &self.db,
            &self.application_id,
            salon_id,
            Missing {
                event,
                ours,
                theirs,
                delivery: &delivery,
            },
            self.repeat_window,
        )
        .await?;
        Ok(())
    }
}

/// A lifecycle event YClients' install status says we missed.
#[derive(Debug, Clone, Copy)]
pub struct Missing<'a> {
    /// `uninstall`, `freeze` or `payment`.
    pub event: &'a str,
    /// Our status.
    pub ours: IntegrationStatus,
    /// YClients' (`None`: not installed).
    pub theirs: Option<Connection>,
    /// The delivery id: the same one twice stores one event.
    pub delivery: &'a str,
}

/// Stores the missing event in the salon's webhook inbox as YClients would have sent it,
/// wakes the relay, and records an `install_reconciled` event (both once per
/// `missing.delivery`).
pub async fn store_missing(
    db: &PgPool,
    application_id: &str,
    salon_id: SalonId,
    missing: Missing<'_>,
    repeat_window: Duration,
) -> anyhow::Result<()> {
    let body = serde_json::json!({
        "salon_id": salon_id.get(),
        "application_id": application_id,
        "event": missing.event,
        "delivery_id": missing.delivery,
        "source": "reconcile",
    });
    let hook = parse::parse(body.to_string().as_bytes())?;
    if let Stored::Queued(_) = webhook_inbox::store(db, &hook, repeat_window).await? {
        webhook_inbox::notify(db, &[salon_id]).await?;
    }
    events::record(
        db,
        &NewEvent {
            salon_id,
            event_type: EventType::InstallReconciled,
            data: serde_json::json!({
                "ours": missing.ours,
                "yclients": missing.theirs,
                "stored": missing.event,
            }),
            dedup_key: Some(missing.delivery.to_owned()),
        },
    )
    .await?;
    tracing::warn!(%salon_id, ours = %missing.ours, theirs = ?missing.theirs, event = missing.event, "YClients' install status differs: missing event stored");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use IntegrationStatus::*;

    #[test]
    fn only_a_disagreement_stores_an_event() {
        assert_eq!(missing_event(Active, None), Some("uninstall"));
        assert_eq!(
            missing_event(Frozen, Some(Connection::Uninstalled)),
            Some("uninstall")
        );
        assert_eq!(
            missing_event(Active, Some(Connection::Pending)),
            Some("uninstall"),
            "installing anew: the old install is gone"
        );
        assert_eq!(
            missing_event(Active, Some(Connection::Frozen)),
            Some("freeze")
        );
        assert_eq!(
            missing_event(Frozen, Some(Connection::Active)),
            Some("payment")
        );
        assert_eq!(missing_event(Active, Some(Connection::Active)), None);
        assert_eq!(missing_event(Frozen, Some(Connection::Frozen)), None);
        assert_eq!(missing_event(PendingWhatsapp, None), None);
    }

    #[test]
    fn a_pass_that_would_uninstall_most_salons_stops() {
        assert!(
            !too_many_uninstalls(1, 1),
            "one salon of one leaving is believable"
        );
        assert!(!too_many_uninstalls(3, 4));
        assert!(too_many_uninstalls(4, 10));
        assert!(!too_many_uninstalls(4, 100));
    }
}
