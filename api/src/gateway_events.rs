//! The one consumer of the WhatsApp gateway's events in a process. It turns them into
//! durable facts and live events: a link updates `companies`, writes a
//! `whatsapp_connected` event and signals `onboarding-<salon_id>`; an unlink updates
//! the status; a session WhatsApp stopped writes `whatsapp_suspended` (reason, until
//! when) and tells the page; QR and pairing codes go to the owner's page through
//! `live_events`. A session that comes back with the same number is not a new link:
//! the page is told, nothing is recorded again (the onboarding is still signalled, which
//! it ignores once linked, so a signal lost to a crash is made up for).
//! Clients' messages are not its business: the gateway records them in its
//! [`crate::inbound_ledger`] before WhatsApp is told they arrived.

use ai_admin_activities::db::events::{self, EventType, NewEvent};
use ai_admin_activities::db::live_events::{self, LiveEventKind};
use ai_admin_activities::db::{companies, outbound};
use ai_admin_activities::domain::{PhoneNumber, SalonId};
use ai_admin_activities::supervisor::Supervisor;
use ai_admin_activities::whatsapp::{GatewayEvent, SuspendReason, WhatsAppGateway};
use ai_admin_temporal::Client;
use serde_json::json;
use sqlx::PgPool;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

/// How long one event's writes are retried while PostgreSQL or Temporal is away.
const PATIENCE: Duration = Duration::from_secs(60);

/// Everything the consumer writes to.
#[derive(Clone)]
pub struct EventSinks {
    /// Application database.
    pub db: PgPool,
    /// To signal workflows.
    pub temporal: Client,
}

/// Consumes events until the gateway's channel closes or the task is aborted
/// (supervised). The first run listens from the moment of this call, so nothing the
/// gateway reports right after is missed; a restart listens anew.
pub fn spawn(
    gateway: Arc<dyn WhatsAppGateway>,
    sinks: EventSinks,
    supervisor: &Supervisor,
) -> JoinHandle<()> {
    let first = std::sync::Mutex::new(Some(gateway.subscribe()));
    supervisor.spawn("whatsapp_events", move || {
        let events = first
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
            .unwrap_or_else(|| gateway.subscribe());
        consume(events, sinks.clone())
    })
}

async fn consume(mut events: broadcast::Receiver<GatewayEvent>, sinks: EventSinks) {
    loop {
        match events.recv().await {
            Ok(event) => handle(&sinks, event).await,
            Err(RecvError::Lagged(missed)) => {
                tracing::error!(missed, "WhatsApp events were dropped: consumer too slow");
            }
            Err(RecvError::Closed) => return,
        }
    }
}

async fn handle(sinks: &EventSinks, event: GatewayEvent) {
    let salon_id = event.session().salon_id();
    let result = match &event {
        GatewayEvent::Qr { qr, .. } => {
            publish(
                sinks,
                salon_id,
                LiveEventKind::QrUpdate,
                json!({ "code": qr.code, "expires_in": qr.expires_in_secs() }),
            )
            .await
        }
        GatewayEvent::PairingCode { pairing, .. } => {
            publish(
                sinks,
                salon_id,
                LiveEventKind::PairingCode,
                json!({
                    "code": pairing.code,
                    "phoneNumber": pairing.phone,
                    "expiresIn": pairing.expires_in.as_secs(),
                }),
            )
            .await
        }
        GatewayEvent::Connected { phone, .. } => {
            let recorded = persistently("record the WhatsApp link", || async {
                record_link(sinks, salon_id, phone).await
            })
            .await;
            match recorded {
                Ok(true) => {
                    persistently("signal the onboarding", || async {
                        let signalled = ai_admin_temporal::onboarding::signal_whatsapp_connected(
                            &sinks.temporal,
                            salon_id,
                            phone.as_str(),
                        )
                        .await?;
                        tracing::info!(%salon_id, phone = %phone.masked(), signalled, "WhatsApp linked");
                        Ok(())
                    })
                    .await
                }
                Ok(false) => Ok(()),
                Err(error) => Err(error),
            }
        }
        GatewayEvent::LoggedOut { reason, .. } => {
            persistently("record the WhatsApp unlink", || async {
                unlinked(sinks, salon_id, reason).await
            })
            .await
        }
        GatewayEvent::Disconnected { reason, .. } => {
            tracing::info!(%salon_id, reason, "WhatsApp connection lost, reconnecting");
            Ok(())
        }
        GatewayEvent::Suspended {
            reason,
            detail,
            until,
            ..
        } => {
            persistently("record the WhatsApp suspension", || async {
                suspended(sinks, salon_id, *reason, detail, *until).await
            })
            .await
        }
        // Recorded by the gateway's ledger before it was acknowledged.
        GatewayEvent::IncomingMessage(_) => Ok(()),
        GatewayEvent::SendAck {
            message_id, error, ..
        } => {
            if let Some(code) = error {
                tracing::warn!(%salon_id, code, "WhatsApp refused a message we sent");
            }
            persistently("record WhatsApp's answer to a send", || async {
                outbound::record_ack(&sinks.db, salon_id, &message_id.0, error.as_deref()).await
            })
            .await
        }
    };
    if let Err(error) = result {
        tracing::error!(%salon_id, error = %format!("{error:#}"), "could not apply a WhatsApp event");
    }
}

async fn publish(
    sinks: &EventSinks,
    salon_id: SalonId,
    kind: LiveEventKind,
    data: serde_json::Value,
) -> anyhow::Result<()> {
    live_events::publish(&sinks.db, salon_id, kind, &data, None).await?;
    Ok(())
}

/// Records that WhatsApp stopped the salon's session, and tells the owner's page.
async fn suspended(
    sinks: &EventSinks,
    salon_id: SalonId,
    reason: SuspendReason,
    detail: &str,
    until: Option<i64>,
) -> anyhow::Result<()> {
    let data = json!({ "reason": reason.as_str(), "detail": detail, "until": until });
    let mut tx = sinks.db.begin().await?;
    events::record(
        &mut *tx,
        &NewEvent {
            salon_id,
            event_type: EventType::WhatsappSuspended,
            data: data.clone(),
            dedup_key: None,
        },
    )
    .await?;
    live_events::publish(
        &mut *tx,
        salon_id,
        LiveEventKind::WhatsappSuspended,
        &data,
        None,
    )
    .await?;
    tx.commit().await?;
    tracing::warn!(%salon_id, reason = reason.as_str(), detail, ?until, "WhatsApp suspended the salon's session");
    Ok(())
}

/// Writes the link in one transaction; false when the salon is not registered. A
/// session back online with the number it had is only announced to the page.
async fn record_link(
    sinks: &EventSinks,
    salon_id: SalonId,
    phone: &PhoneNumber,
) -> anyhow::Result<bool> {
    let mut tx = sinks.db.begin().await?;
    let Some(companies::Linked { company, again }) =
        companies::mark_whatsapp_connected(&mut tx, salon_id, phone).await?
    else {
        tracing::warn!(%salon_id, "a WhatsApp session linked for a salon that is not registered");
        return Ok(false);
    };
    if !again {
        events::record(
            &mut *tx,
            &NewEvent {
                salon_id,
                event_type: EventType::WhatsappConnected,
                data: json!({ "phone": phone.masked() }),
                dedup_key: None,
            },
        )
        .await?;
    }
    live_events::publish(
        &mut *tx,
        salon_id,
        LiveEventKind::WhatsappConnected,
        &json!({ "success": true, "phone": phone, "companyId": company.id }),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

async fn unlinked(sinks: &EventSinks, salon_id: SalonId, reason: &str) -> anyhow::Result<()> {
    let mut tx = sinks.db.begin().await?;
    if companies::mark_whatsapp_disconnected(&mut *tx, salon_id)
        .await?
        .is_some()
    {
        events::record(
            &mut *tx,
            &NewEvent {
                salon_id,
                event_type: EventType::WhatsappLoggedOut,
                data: json!({ "reason": reason }),
                dedup_key: None,
            },
        )
        .await?;
        live_events::publish(
            &mut *tx,
            salon_id,
            LiveEventKind::WhatsappLoggedOut,
            &json!({ "reason": reason }),
            None,
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(%salon_id, reason, "WhatsApp unlinked");
    Ok(())
}

/// Retries `write` with backoff for up to [`PATIENCE`]: a link must not be lost to a
/// database restart.
async fn persistently<T, F, Fut>(what: &str, mut write: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let give_up = tokio::time::Instant::now() + PATIENCE;
    let mut wait = Duration::from_millis(200);
    loop {
        match write().await {
            Ok(value) => return Ok(value),
            Err(error) if tokio::time::Instant::now() + wait < give_up => {
                tracing::warn!(error = %format!("{error:#}"), "failed to {what}, retrying");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
            }
            Err(error) => return Err(error),
        }
    }
}
