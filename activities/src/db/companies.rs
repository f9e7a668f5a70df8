//! The `companies` table: one row per salon, keyed by its YClients id.

use crate::domain::{IntegrationStatus, PhoneNumber, SalonId};
use crate::yclients::Company;
use sqlx::{PgExecutor, Row};

/// The salon owner who clicked "Connect" in YClients.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MarketplaceUser {
    /// YClients user id.
    pub id: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Phone as YClients sent it.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<String>,
}

/// A salon's row, as the rest of the system reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct CompanyRow {
    /// Our id (`companies.id`), the `company_id` of the onboarding token.
    pub id: i64,
    /// YClients id.
    pub salon_id: SalonId,
    /// Salon name.
    pub title: String,
    /// IANA time zone.
    pub timezone: String,
    /// Lifecycle status.
    pub integration_status: IntegrationStatus,
    /// Whether the salon's WhatsApp is linked.
    pub whatsapp_connected: bool,
    /// The linked number (kept after an unlink, for the record).
    pub whatsapp_phone: Option<String>,
}

/// Creates the salon or refreshes it from YClients; returns its row.
///
/// Idempotent on `yclients_id`. A salon that had uninstalled the application starts
/// again from `pending_whatsapp`; any other status is kept (a second click on
/// "Connect" must not undo an activation).
pub async fn upsert_registered(
    db: impl PgExecutor<'_>,
    company: &Company,
    user: &MarketplaceUser,
) -> anyhow::Result<CompanyRow> {
    let salon_id = SalonId::new(company.id)?;
    let row = sqlx::query(
        "INSERT INTO companies (yclients_id, title, phone, email, address, timezone,
                marketplace_user_id, marketplace_user_name, marketplace_user_phone,
                marketplace_user_email)
         VALUES ($1, $2, $3, $4, $5, COALESCE($6, 'Europe/Moscow'), $7, $8, $9, $10)
         ON CONFLICT (yclients_id) DO UPDATE SET
                title = EXCLUDED.title,
                phone = EXCLUDED.phone,
                email = EXCLUDED.email,
                address = EXCLUDED.address,
                timezone = EXCLUDED.timezone,
                marketplace_user_id = COALESCE(EXCLUDED.marketplace_user_id, companies.marketplace_user_id),
                marketplace_user_name = COALESCE(EXCLUDED.marketplace_user_name, companies.marketplace_user_name),
                marketplace_user_phone = COALESCE(EXCLUDED.marketplace_user_phone, companies.marketplace_user_phone),
                marketplace_user_email = COALESCE(EXCLUDED.marketplace_user_email, companies.marketplace_user_email),
                integration_status = CASE companies.integration_status
                    WHEN 'uninstalled' THEN 'pending_whatsapp'
                    ELSE companies.integration_status END,
                updated_at = NOW()
         RETURNING id, yclients_id, title, timezone, integration_status, whatsapp_connected, whatsapp_phone",
    )
    .bind(salon_id.get())
    .bind(&company.title)
    .bind(&company.phone)
    .bind(&company.email)
    .bind(&company.address)
    .bind(&company.timezone_name)
    .bind(&user.id)
    .bind(&user.name)
    .bind(&user.phone)
    .bind(&user.email)
    .fetch_one(db)
    .await?;
    row_to_company(&row)
}

/// The salon's row, if it registered.
pub async fn find_by_salon(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
) -> anyhow::Result<Option<CompanyRow>> {
    let row = sqlx::query(
        "SELECT id, yclients_id, title, timezone, integration_status, whatsapp_connected, whatsapp_phone
         FROM companies WHERE yclients_id = $1",
    )
    .bind(salon_id.get())
    .fetch_optional(db)
    .await?;
    row.as_ref().map(row_to_company).transpose()
}

fn row_to_company(row: &sqlx::postgres::PgRow) -> anyhow::Result<CompanyRow> {
    Ok(CompanyRow {
        id: row.try_get("id")?,
        salon_id: SalonId::new(row.try_get::<i32, _>("yclients_id")?.into())?,
        title: row.try_get("title")?,
        timezone: row.try_get("timezone")?,
        integration_status: row.try_get::<String, _>("integration_status")?.parse()?,
        whatsapp_connected: row.try_get("whatsapp_connected")?,
        whatsapp_phone: row.try_get("whatsapp_phone")?,
    })
}

/// Records that the salon's WhatsApp is linked to `phone`; returns the row, or `None`
/// when the salon never registered.
pub async fn mark_whatsapp_connected(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    phone: &PhoneNumber,
) -> anyhow::Result<Option<CompanyRow>> {
    let row = sqlx::query(
        "UPDATE companies SET whatsapp_connected = true, whatsapp_phone = $2,
                whatsapp_connected_at = COALESCE(
                    CASE WHEN whatsapp_connected AND whatsapp_phone = $2 THEN whatsapp_connected_at END,
                    NOW()),
                updated_at = NOW()
         WHERE yclients_id = $1
         RETURNING id, yclients_id, title, timezone, integration_status, whatsapp_connected, whatsapp_phone",
    )
    .bind(salon_id.get())
    .bind(phone.as_str())
    .fetch_optional(db)
    .await?;
    row.as_ref().map(row_to_company).transpose()
}

/// Records that the salon's WhatsApp is no longer linked.
pub async fn mark_whatsapp_disconnected(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
) -> anyhow::Result<Option<CompanyRow>> {
    let row = sqlx::query(
        "UPDATE companies SET whatsapp_connected = false, updated_at = NOW()
         WHERE yclients_id = $1
         RETURNING id, yclients_id, title, timezone, integration_status, whatsapp_connected, whatsapp_phone",
    )
    .bind(salon_id.get())
    .fetch_optional(db)
    .await?;
    row.as_ref().map(row_to_company).transpose()
}
