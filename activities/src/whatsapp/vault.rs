//! Where a gateway keeps a copy of each linked session's keys, so that the session can
//! move to a node on another host: the node that lets a session go saves its store
//! here, the node that takes it over restores the newest copy before it starts the
//! session. Each save gets a higher version; a node compares it with the version of
//! its own copy and keeps whichever is newer, and a node whose copy is older than the
//! vault's (it lost the session while it stalled) cannot overwrite the newer one.

use crate::domain::SessionId;

/// The shared copy of the sessions' key stores (`whatsapp_session_stores`).
#[async_trait::async_trait]
pub trait SessionVault: Send + Sync + std::fmt::Debug {
    /// Keeps `store` (a consistent snapshot of the session's key store) as the newest
    /// copy if the newest one is still version `after` (none yet for 0) — or whatever
    /// it is, for `None` (a new link replaces any copy). Returns the new version, or
    /// `None` when another node saved a newer copy meanwhile (this one is stale).
    async fn save(
        &self,
        session: SessionId,
        store: Vec<u8>,
        after: Option<i64>,
    ) -> anyhow::Result<Option<i64>>;

    /// The newest copy's version, if there is one.
    async fn version(&self, session: SessionId) -> anyhow::Result<Option<i64>>;

    /// The newest copy and its version, if there is one.
    async fn load(&self, session: SessionId) -> anyhow::Result<Option<(i64, Vec<u8>)>>;

    /// Forgets the session's copy (it was unlinked).
    async fn forget(&self, session: SessionId) -> anyhow::Result<()>;

    /// Every session with a copy.
    async fn sessions(&self) -> anyhow::Result<Vec<SessionId>>;
}
