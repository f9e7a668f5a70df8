//! Activities of `activation-<salon_id>`: save the salon's API key, send YClients the
//! activation callback, and record the outcome. The key is generated and saved BEFORE the
//! callback; a retried step reuses the key its activation already saved.
//!
//! With the key, activation mints the secret of the salon's data-webhook URL
//! (`{BASE_URL}/webhook/yclients/<salon_id>/<secret>`), the only URL YClients is given:
//! a data webhook without it is refused. Only the secret's hash stays once the callback
//! is over; nothing secret travels through Temporal (activities read it from the
//! database).

// `#[activities]` generates one undocumented constant per activity.
#![allow(missing_docs)]

use crate::acts::failure;
use crate::clients::yclients::{ActivationCallback, Connection, InstallStatus, YClients};
use crate::db::events::{self, EventType, NewEvent};
use crate::db::{companies, payments};
use crate::domain::{IntegrationStatus, SalonId};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::sync::Arc;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// What the callback needs from our configuration.
#[derive(Debug, Clone)]
pub struct ActivationSettings {
    /// Our marketplace application id.
    pub application_id: String,
    /// `{BASE_URL}/webhook/yclients`: the salon's URL is this plus `/<salon_id>/<secret>`.
    pub webhook_base_url: String,
    /// The tariff and trial a salon's first activation starts.
    pub plans: crate::acts::billing::Plans,
}

/// Owns what activation needs.
#[derive(Debug, Clone)]
pub struct ActivationActivities {
    db: PgPool,
    yclients: Arc<dyn YClients>,
    settings: ActivationSettings,
}

impl ActivationActivities {
    /// Activities over these dependencies.
    pub fn new(db: PgPool, yclients: Arc<dyn YClients>, settings: ActivationSettings) -> Self {
        Self {
            db,
            yclients,
            settings,
        }
    }
}

/// Input of [`ActivationActivities::prepare_activation`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrepareActivation {
    /// The salon being connected: marked `activating`, its API key saved once per run.
    pub salon_id: SalonId,
    /// Identifies this activation (the workflow run): a retry reuses its key.
    pub activation_id: String,
}

/// How an activation ended, for [`ActivationActivities::finish_activation`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum ActivationOutcome {
    /// YClients accepted the callback.
    Activated,
    /// YClients refused it (or kept failing until activation gave up).
    Failed {
        /// Why, in words.
        reason: String,
    },
}

/// Input of [`ActivationActivities::finish_activation`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinishActivation {
    /// The salon whose status, subscription and event the outcome sets.
    pub salon_id: SalonId,
    /// Activated starts the trial; a failure's reason goes into the event.
    pub outcome: ActivationOutcome,
}

fn new_keys() -> companies::ActivationKeys {
    companies::ActivationKeys {
        api_key: hex::encode(rand::random::<[u8; 32]>()),
        webhook_secret: hex::encode(rand::random::<[u8; 32]>()),
    }
}

/// The data-webhook URL of a salon.
pub fn salon_webhook_url(base: &str, salon_id: SalonId, secret: &str) -> String {
    format!("{base}/{salon_id}/{secret}")
}

#[activities]
impl ActivationActivities {
    /// Marks the salon `activating` and saves a fresh API key, unless this activation
    /// already saved one (then that key stays).
    #[activity(name = "prepare_activation")]
    #[tracing::instrument(name = "prepare_activation", skip_all, fields(salon_id = %input.salon_id))]
    pub async fn prepare_activation(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: PrepareActivation,
    ) -> Result<(), ActivityError> {
        let saved = companies::save_activation_key(
            &self.db,
            input.salon_id,
            &input.activation_id,
            &new_keys(),
        )
        .await?;
        if !saved {
            return Err(failure::permanent(
                "SalonNotRegistered",
                format!("salon {} is not registered", input.salon_id),
            ));
        }
        tracing::info!(salon_id = %input.salon_id, "API key saved; activating");
        Ok(())
    }

    /// `POST /marketplace/partner/callback/redirect` with the saved key, after asking
    /// YClients where the install stands: YClients refuses a second callback for an
    /// installed salon (403 "already installed"), so none is sent then. An install
    /// YClients calls active after this activation's callback went out is that callback
    /// landing (its answer was lost); one active before it is another install's, and
    /// activation fails with what the owner can do. Timeouts, 429 and 5xx are retried by
    /// the workflow's policy; other answers fail for good.
    #[activity(name = "send_activation_callback")]
    #[tracing::instrument(name = "send_activation_callback", skip_all, fields(salon_id = %salon_id))]
    pub async fn send_activation_callback(
        self: Arc<Self>,
        ctx: ActivityContext,
        salon_id: SalonId,
    ) -> Result<(), ActivityError> {
        let api_key = companies::api_key(&self.db, salon_id)
            .await?
            .ok_or_else(|| failure::permanent("NoApiKey", "no API key was saved"))?;
        let secret = companies::pending_webhook_secret(&self.db, salon_id)
            .await?
            .ok_or_else(|| failure::permanent("NoWebhookSecret", "no webhook secret is pending"))?;
        let callback = ActivationCallback {
            salon_id: salon_id.into(),
            application_id: self.settings.application_id.clone(),
            api_key,
            webhook_urls: vec![salon_webhook_url(
                &self.settings.webhook_base_url,
                salon_id,
                &secret,
            )],
        };
        let install = self
            .yclients
            .install_status(salon_id, &self.settings.application_id)
            .await
            .map_err(failure::yclients)?;
        match install.as_ref().map(InstallStatus::connection) {
            Some(Connection::Pending) => {}
            Some(Connection::Active | Connection::Frozen)
                if companies::callback_sent(&self.db, salon_id).await? =>
            {
                tracing::info!(%salon_id, "YClients has the install active: this activation's callback landed");
                return Ok(());
            }
            Some(Connection::Active | Connection::Frozen) => {
                return Err(failure::permanent(
                    "AlreadyInstalled",
                    "YClients already has AI Admin connected in this salon (403 \"already installed\" to a new callback): disable the application in the YClients marketplace and connect it again",
                ));
            }
            None | Some(Connection::Uninstalled) => {
                return Err(failure::permanent(
                    "NotInstalling",
                    "YClients says the salon is not installing AI Admin: press \"Connect\" in the YClients marketplace again",
                ));
            }
        }
        companies::note_callback_sent(&self.db, salon_id).await?;
        tracing::info!(%salon_id, attempt = ctx.info().attempt, "sending the activation callback");
        self.yclients
            .activation_callback(&callback)
            .await
            .map_err(failure::yclients)
    }

    /// Records the outcome: `active` + `integration_activated`, or `activation_failed` +
    /// `integration_failed` with the reason.
    #[activity(name = "finish_activation")]
    #[tracing::instrument(name = "finish_activation", skip_all, fields(salon_id = %input.salon_id))]
    pub async fn finish_activation(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: FinishActivation,
    ) -> Result<(), ActivityError> {
        let dedup_key = crate::acts::run_keys::attempt_key(&ctx);
        let (status, event, data) = match &input.outcome {
            ActivationOutcome::Activated => (
                IntegrationStatus::Active,
                EventType::IntegrationActivated,
                serde_json::json!({}),
            ),
            ActivationOutcome::Failed { reason } => (
                IntegrationStatus::ActivationFailed,
                EventType::IntegrationFailed,
                serde_json::json!({ "reason": reason }),
            ),
        };
        let mut tx = self.db.begin().await.map_err(anyhow::Error::from)?;
        companies::set_status(&mut *tx, input.salon_id, status).await?;
        if status == IntegrationStatus::Active {
            payments::start_subscription(
                &mut *tx,
                input.salon_id,
                &self.settings.plans.default_tariff().name,
                self.settings.plans.trial,
            )
            .await?;
        }
        // Either way the callback is over: YClients has the secret, or a new activation
        // mints a new one.
        companies::forget_pending_webhook_secret(&mut *tx, input.salon_id).await?;
        events::record(
            &mut *tx,
            &NewEvent {
                salon_id: input.salon_id,
                event_type: event,
                data,
                dedup_key: Some(dedup_key),
            },
        )
        .await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        tracing::info!(salon_id = %input.salon_id, %status, "activation finished");
        Ok(())
    }
}
