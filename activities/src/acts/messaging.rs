//! The welcome message, and [`send_once`], which every message the bot sends goes
//! through (welcome, replies, reminders): keyed in `outbound_messages` before it goes
//! out, so a retried activity never sends it twice.

// `#[activities]` generates one undocumented constant per activity.
#![allow(missing_docs)]

use crate::acts::failure;
use crate::db::companies;
use crate::db::outbound::{self, Claim};
use crate::domain::{ClientAddress, PhoneNumber, SalonId, SessionId};
use crate::whatsapp::WhatsAppGateway;
use crate::whatsapp::pacing::Origin;
use sqlx::PgPool;
use std::sync::Arc;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// Owns what sending needs.
#[derive(Debug, Clone)]
pub struct MessagingActivities {
    db: PgPool,
    gateway: Arc<dyn WhatsAppGateway>,
}

impl MessagingActivities {
    /// Activities over these dependencies.
    pub fn new(db: PgPool, gateway: Arc<dyn WhatsAppGateway>) -> Self {
        Self { db, gateway }
    }
}

/// The welcome text (Russian), naming the salon.
pub fn welcome_text(salon_title: &str) -> String {
    format!(
        "Здравствуйте! AI Admin подключён к салону «{salon_title}». \
         Теперь бот отвечает вашим клиентам в WhatsApp круглосуточно: подскажет цены и \
         свободное время, запишет, перенесёт или отменит визит в YClients. \
         Данные салона загружены, можно начинать."
    )
}

/// Sends `text` to `to` from the salon's number once under `key`: a retry finds the key
/// and returns the first send's message id instead of sending again. The gateway node
/// holding the session paces it by its `origin`. An unlinked number is a permanent
/// failure.
pub async fn send_once(
    db: &PgPool,
    gateway: &dyn WhatsAppGateway,
    origin: Origin,
    key: &str,
    salon_id: SalonId,
    to: &ClientAddress,
    text: &str,
) -> Result<String, ActivityError> {
    if let Claim::AlreadySent(message_id) = outbound::claim(db, key, salon_id, to, text).await? {
        tracing::info!(%salon_id, key, "already sent, not sending again");
        return Ok(message_id);
    }
    let session = SessionId::for_salon(salon_id);
    let sent = gateway
        .send_text_once(session, to, text, key, origin)
        .await
        .map_err(|error| failure::whatsapp(error, "SendFailed"))?;
    outbound::mark_sent(db, key, &sent.0).await?;
    crate::db::live_events::conversation_changed(db, salon_id, "reply").await;
    Ok(sent.0)
}

#[activities]
impl MessagingActivities {
    /// Sends the welcome message to the salon's own WhatsApp number, once per onboarding
    /// run however often it is retried. Returns WhatsApp's message id.
    #[activity(name = "send_welcome")]
    #[tracing::instrument(name = "send_welcome", skip_all, fields(salon_id = %salon_id))]
    pub async fn send_welcome(
        self: Arc<Self>,
        ctx: ActivityContext,
        salon_id: SalonId,
    ) -> Result<String, ActivityError> {
        let company = companies::find_by_salon(&self.db, salon_id)
            .await?
            .ok_or_else(|| failure::permanent("SalonNotRegistered", "salon not registered"))?;
        let phone = company
            .whatsapp_phone
            .as_deref()
            .and_then(|phone| PhoneNumber::from_digits(phone).ok())
            .ok_or_else(|| failure::permanent("NotLinked", "the salon's WhatsApp is not linked"))?;
        let key = format!("welcome/{}", crate::acts::run_keys::run_key(&ctx));
        let text = welcome_text(&company.title);
        let message = send_once(
            &self.db,
            &*self.gateway,
            Origin::Initiated,
            &key,
            salon_id,
            &phone.clone().into(),
            &text,
        )
        .await?;
        tracing::info!(%salon_id, to = %phone.masked(), "welcome message sent");
        Ok(message)
    }
}
