//! `whatsapp_session_stores`: the [`SessionVault`] in PostgreSQL.

use crate::domain::SessionId;
use crate::whatsapp::vault::SessionVault;
use sqlx::PgPool;

/// The vault in the application database; `node_id` is written beside each save.
#[derive(Debug, Clone)]
pub struct PgSessionVault {
    db: PgPool,
    node_id: String,
}

impl PgSessionVault {
    /// A vault in `db`, saving as `node_id`.
    pub fn new(db: PgPool, node_id: impl Into<String>) -> Self {
        Self {
            db,
            node_id: node_id.into(),
        }
    }
}

#[async_trait::async_trait]
impl SessionVault for PgSessionVault {
    async fn save(
        &self,
        session: SessionId,
        store: Vec<u8>,
        after: Option<i64>,
    ) -> anyhow::Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "INSERT INTO whatsapp_session_stores (session_id, version, store, saved_by)
             VALUES ($1, COALESCE($4, 0) + 1, $2, $3)
             ON CONFLICT (session_id) DO UPDATE
             SET version = whatsapp_session_stores.version + 1, store = EXCLUDED.store,
                 saved_by = EXCLUDED.saved_by, saved_at = NOW()
             WHERE $4::BIGINT IS NULL OR whatsapp_session_stores.version = $4
             RETURNING version",
        )
        .bind(session.to_string())
        .bind(store)
        .bind(&self.node_id)
        .bind(after)
        .fetch_optional(&self.db)
        .await?)
    }

    async fn version(&self, session: SessionId) -> anyhow::Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT version FROM whatsapp_session_stores WHERE session_id = $1")
                .bind(session.to_string())
                .fetch_optional(&self.db)
                .await?,
        )
    }

    async fn load(&self, session: SessionId) -> anyhow::Result<Option<(i64, Vec<u8>)>> {
        Ok(sqlx::query_as(
            "SELECT version, store FROM whatsapp_session_stores WHERE session_id = $1",
        )
        .bind(session.to_string())
        .fetch_optional(&self.db)
        .await?)
    }

    async fn forget(&self, session: SessionId) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM whatsapp_session_stores WHERE session_id = $1")
            .bind(session.to_string())
            .execute(&self.db)
            .await?;
        Ok(())
    }

    async fn sessions(&self) -> anyhow::Result<Vec<SessionId>> {
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT session_id FROM whatsapp_session_stores ORDER BY session_id",
        )
        .fetch_all(&self.db)
        .await?;
        Ok(names.iter().filter_map(|name| name.parse().ok()).collect())
    }
}
