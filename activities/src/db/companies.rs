//! The `companies` table: one row per salon, keyed by its YClients id.

use crate::clients::yclients::Company;
use crate::domain::{IntegrationStatus, PhoneNumber, SalonId};
use sqlx::PgExecutor;

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

impl CompanyRow {
    /// The salon's time zone.
    pub fn zone(&self) -> chrono_tz::Tz {
        crate::domain::salon_zone(&self.timezone)
    }
}

/// The columns every query returning a [`CompanyRow`] selects, in [`CompanyRecord`]'s
/// order: one list, so a new field is added once.
macro_rules! company_columns {
    () => {
        "id, yclients_id, title, timezone, integration_status, whatsapp_connected, whatsapp_phone"
    };
}

/// A `companies` row as PostgreSQL types it; [`CompanyRow`] is it checked.
#[derive(sqlx::FromRow)]
struct CompanyRecord {
    id: i64,
    yclients_id: i32,
    title: String,
    timezone: String,
    integration_status: String,
    whatsapp_connected: bool,
    whatsapp_phone: Option<String>,
}

impl TryFrom<CompanyRecord> for CompanyRow {
    type Error = anyhow::Error;

    fn try_from(record: CompanyRecord) -> anyhow::Result<Self> {
        Ok(CompanyRow {
            id: record.id,
            salon_id: SalonId::new(record.yclients_id.into())?,
            title: record.title,
            timezone: record.timezone,
            integration_status: record.integration_status.parse()?,
            whatsapp_connected: record.whatsapp_connected,
            whatsapp_phone: record.whatsapp_phone,
        })
    }
}

/// The row of an optional [`CompanyRecord`], checked.
fn checked(record: Option<CompanyRecord>) -> anyhow::Result<Option<CompanyRow>> {
    record.map(CompanyRow::try_from).transpose()
}

/// Creates the salon or refreshes it from YClients; returns its row.
///
/// Idempotent on `yclients_id`. A salon that had uninstalled the application starts
/// again from `pending_whatsapp`; any other status is kept (a second click on
/// "Connect" must not undo an activation), and an installed salon keeps the marketplace
/// user who installed it.
pub async fn upsert_registered(
    db: impl PgExecutor<'_>,
    company: &Company,
    user: &MarketplaceUser,
) -> anyhow::Result<CompanyRow> {
    let salon_id = SalonId::new(company.id)?;
    let row = sqlx::query_as::<_, CompanyRecord>(concat!(
        "INSERT INTO companies (yclients_id, title, phone, email, address, timezone,
                marketplace_user_id, marketplace_user_name, marketplace_user_phone,
                marketplace_user_email)
         VALUES ($1, $2, $3, $4, $5, COALESCE($6, $11), $7, $8, $9, $10)
         ON CONFLICT (yclients_id) DO UPDATE SET
                title = EXCLUDED.title,
                phone = EXCLUDED.phone,
                email = EXCLUDED.email,
                address = EXCLUDED.address,
                timezone = EXCLUDED.timezone,
                -- An installed (or activating) salon keeps the owner who installed it.
                marketplace_user_id = CASE WHEN companies.integration_status IN ('active', 'frozen', 'activating')
                    THEN companies.marketplace_user_id
                    ELSE COALESCE(EXCLUDED.marketplace_user_id, companies.marketplace_user_id) END,
                marketplace_user_name = CASE WHEN companies.integration_status IN ('active', 'frozen', 'activating')
                    THEN companies.marketplace_user_name
                    ELSE COALESCE(EXCLUDED.marketplace_user_name, companies.marketplace_user_name) END,
                marketplace_user_phone = CASE WHEN companies.integration_status IN ('active', 'frozen', 'activating')
                    THEN companies.marketplace_user_phone
                    ELSE COALESCE(EXCLUDED.marketplace_user_phone, companies.marketplace_user_phone) END,
                marketplace_user_email = CASE WHEN companies.integration_status IN ('active', 'frozen', 'activating')
                    THEN companies.marketplace_user_email
                    ELSE COALESCE(EXCLUDED.marketplace_user_email, companies.marketplace_user_email) END,
                integration_status = CASE companies.integration_status
                    WHEN 'uninstalled' THEN 'pending_whatsapp'
                    ELSE companies.integration_status END,
                -- Installed again: nothing of the old install is due for deletion.
                uninstalled_at = CASE companies.integration_status
                    WHEN 'uninstalled' THEN NULL ELSE companies.uninstalled_at END,
                updated_at = NOW()
         RETURNING ", company_columns!()),
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
    .bind(crate::domain::DEFAULT_ZONE.name())
    .fetch_one(db)
    .await?;
    CompanyRow::try_from(row)
}

/// The salon's row, if it registered.
pub async fn find_by_salon(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
) -> anyhow::Result<Option<CompanyRow>> {
    let row = sqlx::query_as::<_, CompanyRecord>(concat!(
        "SELECT ",
        company_columns!(),
        " FROM companies WHERE yclients_id = $1"
    ))
    .bind(salon_id.get())
    .fetch_optional(db)
    .await?;
    checked(row)
}

/// What recording a WhatsApp link found.
#[derive(Debug, Clone)]
pub struct Linked {
    /// The salon's row, as now.
    pub company: CompanyRow,
    /// It was linked to this very phone already: a reconnect, not a new link.
    pub again: bool,
}

/// Records that the salon's WhatsApp is linked to `phone`; `None` when the salon never
/// registered. The row stays locked to the end of the caller's transaction.
pub async fn mark_whatsapp_connected(
    db: &mut sqlx::PgConnection,
    salon_id: SalonId,
    phone: &PhoneNumber,
) -> anyhow::Result<Option<Linked>> {
    let before: Option<(bool, Option<String>)> = sqlx::query_as(
        "SELECT whatsapp_connected, whatsapp_phone FROM companies WHERE yclients_id = $1 FOR UPDATE",
    )
    .bind(salon_id.get())
    .fetch_optional(&mut *db)
    .await?;
    let again =
        before.is_some_and(|(linked, was)| linked && was.as_deref() == Some(phone.as_str()));
    let row = sqlx::query_as::<_, CompanyRecord>(concat!(
        "UPDATE companies SET whatsapp_connected = true, whatsapp_phone = $2,
                whatsapp_connected_at = COALESCE(
                    CASE WHEN whatsapp_connected AND whatsapp_phone = $2 THEN whatsapp_connected_at END,
                    NOW()),
                updated_at = NOW()
         WHERE yclients_id = $1
         RETURNING ", company_columns!()),
    )
    .bind(salon_id.get())
    .bind(phone.as_str())
    .fetch_optional(&mut *db)
    .await?;
    Ok(checked(row)?.map(|company| Linked { company, again }))
}

/// Records that the salon's WhatsApp is no longer linked.
pub async fn mark_whatsapp_disconnected(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
) -> anyhow::Result<Option<CompanyRow>> {
    let row = sqlx::query_as::<_, CompanyRecord>(concat!(
        "UPDATE companies SET whatsapp_connected = false, updated_at = NOW()
         WHERE yclients_id = $1
         RETURNING ",
        company_columns!()
    ))
    .bind(salon_id.get())
    .fetch_optional(db)
    .await?;
    checked(row)
}

/// What an activation mints for the salon: the API key YClients gets, and the secret
/// of the salon's data-webhook URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivationKeys {
    /// The API key.
    pub api_key: String,
    /// The webhook URL's secret (only its hash is kept once the callback is over).
    pub webhook_secret: String,
}

/// Marks the salon `activating` and saves `new` (the API key, and the webhook secret
/// as its hash plus, until the callback is over, itself) unless `activation_id` already
/// saved its own. False when the salon is not registered.
pub async fn save_activation_key(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    activation_id: &str,
    new: &ActivationKeys,
) -> anyhow::Result<bool> {
    let result = sqlx::query(
        "UPDATE companies SET
             api_key = CASE WHEN api_key_activation = $2 AND api_key IS NOT NULL
                                 AND webhook_secret_pending IS NOT NULL
                            THEN api_key ELSE $3 END,
             webhook_secret_pending = CASE WHEN api_key_activation = $2 AND api_key IS NOT NULL
                                               AND webhook_secret_pending IS NOT NULL
                                          THEN webhook_secret_pending ELSE $4 END,
             webhook_secret_hash = CASE WHEN api_key_activation = $2 AND api_key IS NOT NULL
                                            AND webhook_secret_pending IS NOT NULL
                                       THEN webhook_secret_hash ELSE $5 END,
             api_key_activation = $2,
             integration_status = 'activating',
             updated_at = NOW()
         WHERE yclients_id = $1",
    )
    .bind(salon_id.get())
    .bind(activation_id)
    .bind(&new.api_key)
    .bind(&new.webhook_secret)
    .bind(secret_hash(&new.webhook_secret))
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// The stored form of a webhook secret: hex SHA-256 (the secret is 256 random bits, so
/// a plain hash is enough).
fn secret_hash(secret: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(secret.as_bytes()))
}

/// The webhook secret of the activation under way, for its callback.
pub async fn pending_webhook_secret(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
) -> anyhow::Result<Option<String>> {
    nullable_text(
        db,
        salon_id,
        "SELECT webhook_secret_pending FROM companies WHERE yclients_id = $1",
    )
    .await
}

/// Forgets the webhook secret itself once the callback is over; its hash stays.
pub async fn forget_pending_webhook_secret(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE companies SET webhook_secret_pending = NULL WHERE yclients_id = $1")
        .bind(salon_id.get())
        .execute(db)
        .await?;
    Ok(())
}

/// Whether `presented` is the salon's webhook secret (constant-time; false for a salon
/// that has none).
pub async fn webhook_secret_matches(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    presented: &str,
) -> anyhow::Result<bool> {
    use subtle::ConstantTimeEq as _;
    let stored = nullable_text(
        db,
        salon_id,
        "SELECT webhook_secret_hash FROM companies WHERE yclients_id = $1",
    )
    .await?;
    // Hash even when there is nothing to compare with, so both take the same time.
    let presented = secret_hash(presented);
    let stored = stored.unwrap_or_else(|| "-".repeat(presented.len()));
    Ok(bool::from(presented.as_bytes().ct_eq(stored.as_bytes())))
}

/// The salon's status and the YClients user who installed it, if it registered.
pub async fn installer(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
) -> anyhow::Result<Option<(IntegrationStatus, Option<String>)>> {
    let row: Option<(String, Option<String>)> = sqlx::query_as(
        "SELECT integration_status, marketplace_user_id FROM companies WHERE yclients_id = $1",
    )
    .bind(salon_id.get())
    .fetch_optional(db)
    .await?;
    row.map(|(status, user)| Ok((status.parse()?, user)))
        .transpose()
}

/// Where the salon's owner hears of clients waiting for a person: the phone YClients
/// gave for the installing user, else the salon's own WhatsApp number (its own chat).
pub async fn owner_phone(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
) -> anyhow::Result<Option<String>> {
    let row: Option<(Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT marketplace_user_phone, whatsapp_phone FROM companies WHERE yclients_id = $1",
    )
    .bind(salon_id.get())
    .fetch_optional(db)
    .await?;
    Ok(row.and_then(|(owner, salon)| owner.filter(|p| !p.trim().is_empty()).or(salon)))
}

/// The salon's API key, if one was saved.
pub async fn api_key(db: impl PgExecutor<'_>, salon_id: SalonId) -> anyhow::Result<Option<String>> {
    nullable_text(
        db,
        salon_id,
        "SELECT api_key FROM companies WHERE yclients_id = $1",
    )
    .await
}

/// The activation that made the salon's current install (`api_key_activation`).
pub async fn activation_id(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
) -> anyhow::Result<Option<String>> {
    nullable_text(
        db,
        salon_id,
        "SELECT api_key_activation FROM companies WHERE yclients_id = $1",
    )
    .await
}

/// Notes that the callback of the activation under way is about to be sent.
pub async fn note_callback_sent(db: impl PgExecutor<'_>, salon_id: SalonId) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE companies SET callback_sent_activation = api_key_activation WHERE yclients_id = $1",
    )
    .bind(salon_id.get())
    .execute(db)
    .await?;
    Ok(())
}

/// Whether the activation under way already sent its callback (so an install YClients
/// calls active is this activation's, with this key).
pub async fn callback_sent(db: impl PgExecutor<'_>, salon_id: SalonId) -> anyhow::Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(callback_sent_activation = api_key_activation, false)
         FROM companies WHERE yclients_id = $1",
    )
    .bind(salon_id.get())
    .fetch_optional(db)
    .await?
    .unwrap_or(false))
}

/// One nullable text column of the salon's row (`sql` selects it by `$1`); `None` for
/// an unknown salon too.
async fn nullable_text(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    sql: &'static str,
) -> anyhow::Result<Option<String>> {
    Ok(sqlx::query_scalar::<_, Option<String>>(sql)
        .bind(salon_id.get())
        .fetch_optional(db)
        .await?
        .flatten())
}

/// Sets `integration_status`.
pub async fn set_status(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    status: IntegrationStatus,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE companies SET integration_status = $2, updated_at = NOW() WHERE yclients_id = $1",
    )
    .bind(salon_id.get())
    .bind(status.as_str())
    .execute(db)
    .await?;
    Ok(())
}

/// Refreshes the salon's name, contacts and time zone from YClients.
pub async fn update_from_yclients(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
    company: &Company,
) -> anyhow::Result<Option<CompanyRow>> {
    let row = sqlx::query_as::<_, CompanyRecord>(concat!(
        "UPDATE companies SET title = $2, phone = $3, email = $4, address = $5,
                timezone = COALESCE($6, timezone), updated_at = NOW()
         WHERE yclients_id = $1
         RETURNING ",
        company_columns!()
    ))
    .bind(salon_id.get())
    .bind(&company.title)
    .bind(&company.phone)
    .bind(&company.email)
    .bind(&company.address)
    .bind(&company.timezone_name)
    .fetch_optional(db)
    .await?;
    checked(row)
}

/// The salon removed the application: `uninstalled`, WhatsApp no longer linked, its
/// webhook URL no longer accepted.
pub async fn mark_uninstalled(db: impl PgExecutor<'_>, salon_id: SalonId) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE companies SET integration_status = 'uninstalled', whatsapp_connected = false,
                webhook_secret_hash = NULL, webhook_secret_pending = NULL,
                callback_sent_activation = NULL,
                uninstalled_at = COALESCE(uninstalled_at, NOW()), updated_at = NOW()
         WHERE yclients_id = $1",
    )
    .bind(salon_id.get())
    .execute(db)
    .await?;
    Ok(())
}

/// The salon stopped paying: `frozen` if it is installed (an activation finished);
/// any other status is kept, so an event for a salon that never finished onboarding
/// (or has uninstalled) cannot make it look installed. Returns the status it now has.
pub async fn freeze(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
) -> anyhow::Result<Option<IntegrationStatus>> {
    let status: Option<String> = sqlx::query_scalar(
        "UPDATE companies SET
             integration_status = CASE WHEN integration_status IN ('active', 'frozen')
                                       THEN 'frozen' ELSE integration_status END,
             updated_at = NOW()
         WHERE yclients_id = $1
         RETURNING integration_status",
    )
    .bind(salon_id.get())
    .fetch_optional(db)
    .await?;
    status
        .map(|s| s.parse().map_err(anyhow::Error::from))
        .transpose()
}

/// The salon paid: the payment date, and `active` again if it is installed (a
/// never-activated or uninstalled salon keeps its status: a payment is no activation).
/// Returns the status it now has.
pub async fn record_payment(
    db: impl PgExecutor<'_>,
    salon_id: SalonId,
) -> anyhow::Result<Option<IntegrationStatus>> {
    let status: Option<String> = sqlx::query_scalar(
        "UPDATE companies SET
             integration_status = CASE WHEN integration_status IN ('active', 'frozen')
                                       THEN 'active' ELSE integration_status END,
             last_payment_date = NOW(), updated_at = NOW()
         WHERE yclients_id = $1
         RETURNING integration_status",
    )
    .bind(salon_id.get())
    .fetch_optional(db)
    .await?;
    status
        .map(|s| s.parse().map_err(anyhow::Error::from))
        .transpose()
}
