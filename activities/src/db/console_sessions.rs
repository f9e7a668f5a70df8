//! How an owner gets into the console: `console_codes` (the marketplace redirect's
//! one-time codes) and `console_sessions` (the bearer tokens codes are traded for).
//!
//! Only SHA-256 digests of codes and tokens are stored, so the tables hand out nothing.
//! A code works once and for [`CODE_TTL`]; a session lives [`SESSION_TTL`] after its
//! last use (sliding), at most [`SESSION_CAP`], while its salon stays installed by the
//! same YClients user, until it is revoked.

use crate::domain::SalonId;
use sha2::{Digest, Sha256};
use sqlx::PgExecutor;
use std::time::Duration;

/// How long a one-time code may wait to be traded.
pub const CODE_TTL: Duration = Duration::from_secs(60);

/// How long a session lives after its last use.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);

/// Who a code or session lets in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleUser {
    /// The salon whose console it opens.
    pub salon_id: SalonId,
    /// Our company row of that salon.
    pub company_id: i64,
    /// The YClients user it was issued to (`None`: an unsigned demo link).
    pub user_id: Option<String>,
}

/// A row as stored.
#[derive(sqlx::FromRow)]
struct UserRow {
    salon_id: i32,
    company_id: i64,
    user_id: Option<String>,
}

impl TryFrom<UserRow> for ConsoleUser {
    type Error = anyhow::Error;

    fn try_from(row: UserRow) -> anyhow::Result<Self> {
        Ok(Self {
            salon_id: SalonId::new(i64::from(row.salon_id))?,
            company_id: row.company_id,
            user_id: row.user_id,
        })
    }
}

/// A fresh secret: 32 random bytes, hex.
fn secret() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Issues a one-time code for `user`; the code itself is returned, never stored.
pub async fn issue_code(db: impl PgExecutor<'_>, user: &ConsoleUser) -> anyhow::Result<String> {
    let code = secret();
    sqlx::query(
        "INSERT INTO console_codes (code_hash, salon_id, company_id, user_id, expires_at)
         VALUES ($1, $2, $3, $4, NOW() + make_interval(secs => $5))",
    )
    .bind(digest(&code))
    .bind(user.salon_id.get())
    .bind(user.company_id)
    .bind(&user.user_id)
    .bind(CODE_TTL.as_secs_f64())
    .execute(db)
    .await?;
    Ok(code)
}

/// Trades a code for a session token: `None` when the code is unknown, used or
/// expired. The code is spent in the same statement that reads it, so two tabs racing
/// with one code get one session.
pub async fn open_session(
    db: &sqlx::PgPool,
    code: &str,
) -> anyhow::Result<Option<(String, ConsoleUser)>> {
    let mut tx = db.begin().await?;
    let user: Option<UserRow> = sqlx::query_as(
        "UPDATE console_codes SET used_at = NOW()
         WHERE code_hash = $1 AND used_at IS NULL AND expires_at > NOW()
         RETURNING salon_id, company_id, user_id",
    )
    .bind(digest(code))
    .fetch_optional(&mut *tx)
    .await?;
    let Some(user) = user else {
        return Ok(None);
    };
    let user = ConsoleUser::try_from(user)?;
    let token = secret();
    sqlx::query(
        "INSERT INTO console_sessions (token_hash, salon_id, company_id, user_id, expires_at)
         VALUES ($1, $2, $3, $4, NOW() + make_interval(secs => $5))",
    )
    .bind(digest(&token))
    .bind(user.salon_id.get())
    .bind(user.company_id)
    .bind(&user.user_id)
    .bind(SESSION_TTL.as_secs_f64())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some((token, user)))
}

/// The longest a session lives however often it is used: the owner comes back through
/// YClients at least weekly.
pub const SESSION_CAP: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// How often a session's use is written down (its expiry pushed on): a page polling
/// every few seconds writes once a minute.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// The session behind `token` if it still lets anyone in, and whether its use is due to
/// be written down.
async fn live(db: &sqlx::PgPool, token: &[u8]) -> anyhow::Result<Option<(ConsoleUser, bool)>> {
    let row: Option<(i32, i64, Option<String>, bool)> = sqlx::query_as(
        "SELECT s.salon_id, s.company_id, s.user_id,
                s.last_seen_at < NOW() - make_interval(secs => $2) AS stale
           FROM console_sessions s
           JOIN companies c ON c.id = s.company_id AND c.yclients_id = s.salon_id
          WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > NOW()
            AND s.created_at > NOW() - make_interval(secs => $3)
            AND c.integration_status IN ('active', 'frozen')
            AND (c.marketplace_user_id IS NULL OR s.user_id IS NULL
                 OR s.user_id = c.marketplace_user_id)",
    )
    .bind(token)
    .bind(TOUCH_EVERY.as_secs_f64())
    .bind(SESSION_CAP.as_secs_f64())
    .fetch_optional(db)
    .await?;
    row.map(|(salon_id, company_id, user_id, stale)| {
        let user = ConsoleUser::try_from(UserRow {
            salon_id,
            company_id,
            user_id,
        })?;
        Ok((user, stale))
    })
    .transpose()
}

/// The session behind `token`, without counting it as a use (an open live channel
/// checking on it does not keep it alive): `None` when it no longer lets anyone in.
pub async fn check(db: &sqlx::PgPool, token: &str) -> anyhow::Result<Option<ConsoleUser>> {
    Ok(live(db, &digest(token)).await?.map(|(user, _)| user))
}

/// The session behind `token`, its expiry pushed [`SESSION_TTL`] on: `None` when it is
/// unknown, expired, revoked, older than [`SESSION_CAP`], or its salon is no longer
/// installed (uninstalled, replaced, or installed again by another YClients user than
/// the session's; a session without a user is an unsigned development link's).
pub async fn touch(db: &sqlx::PgPool, token: &str) -> anyhow::Result<Option<ConsoleUser>> {
    let hash = digest(token);
    let Some((user, stale)) = live(db, &hash).await? else {
        return Ok(None);
    };
    if stale {
        sqlx::query(
            "UPDATE console_sessions
                SET last_seen_at = NOW(), expires_at = NOW() + make_interval(secs => $2)
              WHERE token_hash = $1",
        )
        .bind(&hash)
        .bind(SESSION_TTL.as_secs_f64())
        .execute(db)
        .await?;
    }
    Ok(Some(user))
}

/// One of the salons a YClients user installed the application in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OwnSalon {
    /// The salon.
    pub salon_id: i64,
    /// Our company row.
    pub company_id: i64,
    /// Its name.
    pub title: String,
    /// `active` or `frozen`.
    pub integration_status: String,
}

/// The installed salons (active, frozen) the YClients user `user_id` installed, by name:
/// the locations an owner with several switches between.
pub async fn salons_of(db: impl PgExecutor<'_>, user_id: &str) -> anyhow::Result<Vec<OwnSalon>> {
    let rows: Vec<(i32, i64, String, String)> = sqlx::query_as(
        "SELECT yclients_id, id, title, integration_status FROM companies
         WHERE marketplace_user_id = $1 AND integration_status IN ('active', 'frozen')
         ORDER BY title, yclients_id",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(salon_id, company_id, title, integration_status)| OwnSalon {
                salon_id: i64::from(salon_id),
                company_id,
                title,
                integration_status,
            },
        )
        .collect())
}

/// Ends the session behind `token` (logout); false when there was none to end.
pub async fn revoke(db: impl PgExecutor<'_>, token: &str) -> anyhow::Result<bool> {
    let ended = sqlx::query(
        "UPDATE console_sessions SET revoked_at = NOW()
         WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(digest(token))
    .execute(db)
    .await?;
    Ok(ended.rows_affected() == 1)
}

/// Deletes codes and sessions that can no longer let anyone in, past `older_than`.
pub async fn prune(db: &sqlx::PgPool, older_than: Duration) -> anyhow::Result<u64> {
    let codes = sqlx::query(
        "DELETE FROM console_codes WHERE expires_at < NOW() - make_interval(secs => $1)",
    )
    .bind(older_than.as_secs_f64())
    .execute(db)
    .await?
    .rows_affected();
    let sessions = sqlx::query(
        "DELETE FROM console_sessions
         WHERE COALESCE(revoked_at, expires_at) < NOW() - make_interval(secs => $1)",
    )
    .bind(older_than.as_secs_f64())
    .execute(db)
    .await?
    .rows_affected();
    Ok(codes + sessions)
}
