//! Moving a session's key store between hosts through the [`SessionVault`]: a
//! consistent snapshot of the SQLite store (`VACUUM INTO`, safe while the bot writes)
//! is saved on every connection and when the node lets the session go, and a node
//! about to start a session takes the vault's copy when it is newer than its own.
//!
//! The `<session>.linked` marker holds the vault version the local store started from
//! (empty before the first save), which is what "newer" is measured against.

use super::Inner;
use crate::domain::SessionId;
use crate::whatsapp::vault::SessionVault;
use anyhow::Context as _;
use diesel::{Connection as _, RunQueryDsl as _, SqliteConnection};
use std::path::{Path, PathBuf};
use std::sync::Arc;

impl Inner {
    fn vault(&self) -> Option<Arc<dyn SessionVault>> {
        self.vault.get().cloned()
    }

    /// The vault version the local store is at: `None` without a linked local store,
    /// 0 for one never saved.
    pub(super) fn local_version(&self, session: SessionId) -> Option<i64> {
        if !self.store_path(session).exists() {
            return None;
        }
        let marker = std::fs::read_to_string(self.linked_marker(session)).ok()?;
        Some(marker.trim().parse().unwrap_or(0))
    }

    fn set_local_version(&self, session: SessionId, version: i64) {
        if let Err(error) = std::fs::write(self.linked_marker(session), version.to_string()) {
            tracing::warn!(%session, %error, "could not note the store's version");
        }
    }

    /// Saves the session's store to the vault (a no-op without one or without a linked
    /// store). `fresh`: a new link, which replaces whatever copy the vault holds.
    pub(super) async fn save_store(&self, session: SessionId, fresh: bool) {
        let Some(vault) = self.vault() else {
            return;
        };
        let Some(local) = self.local_version(session) else {
            return;
        };
        let saved = async {
            let store = self.snapshot(session).await?;
            let bytes = store.len();
            let after = (!fresh).then_some(local);
            let version = vault.save(session, store, after).await?;
            anyhow::Ok((version, bytes))
        };
        match saved.await {
            Ok((Some(version), bytes)) => {
                self.set_local_version(session, version);
                tracing::info!(%session, version, bytes, "session keys saved for other nodes");
            }
            Ok((None, _)) => {
                tracing::warn!(%session, local, "a newer copy of the session's keys is in the vault; this node's copy is stale and not saved");
            }
            Err(error) => {
                tracing::warn!(%session, error = %format!("{error:#}"), "could not save the session's keys for other nodes");
            }
        }
    }

    /// Replaces the local store by the vault's copy when that is newer (or the only
    /// one). Called with no bot running on the store.
    pub(super) async fn take_newer_copy(&self, session: SessionId) {
        let Some(vault) = self.vault() else {
            return;
        };
        let local = self.local_version(session);
        let taken = async {
            // The version alone first: most starts find their own copy current.
            match (vault.version(session).await?, local) {
                (Some(version), _) if local.is_none_or(|local| version > local) => {}
                (None, Some(local)) if local > 0 => {
                    // Saved once, gone from the vault: unlinked on another host. The
                    // keys are useless; the session starts over with a new link.
                    self.remove_local(session).await?;
                    tracing::info!(%session, local, "this host's copy of an unlinked session deleted");
                    return anyhow::Ok(None);
                }
                _ => return anyhow::Ok(None),
            }
            let Some((version, store)) = vault.load(session).await? else {
                return Ok(None);
            };
            self.install(session, &store).await?;
            self.set_local_version(session, version);
            Ok(Some(version))
        };
        match taken.await {
            Ok(Some(version)) => {
                tracing::info!(%session, version, ?local, "took the session's keys from the vault");
            }
            Ok(None) => {}
            // The local copy (if any) is the best there is.
            Err(error) => {
                tracing::warn!(%session, error = %format!("{error:#}"), "could not read the vault's copy of the session's keys")
            }
        }
    }

    /// Forgets the vault's copy (the session was unlinked).
    pub(super) async fn forget_copy(&self, session: SessionId) {
        if let Some(vault) = self.vault()
            && let Err(error) = vault.forget(session).await
        {
            tracing::warn!(%session, error = %format!("{error:#}"), "could not delete the vault's copy of unlinked keys");
        }
    }

    /// Of the linked stores on this host (`local`), those still sessions, plus those
    /// the vault holds for other hosts: a local one saved before but gone from the
    /// vault was unlinked elsewhere. Without a vault (or while it is away) the local
    /// ones as they are.
    pub(super) async fn restorable(&self, local: Vec<SessionId>) -> Vec<SessionId> {
        let Some(vault) = self.vault() else {
            return local;
        };
        let copied = match vault.sessions().await {
            Ok(copied) => copied,
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "could not list the vault's sessions");
                return local;
            }
        };
        let mut found: Vec<SessionId> = local
            .into_iter()
            .filter(|session| {
                copied.contains(session) || self.local_version(*session).is_none_or(|v| v == 0)
            })
            .collect();
        for session in copied {
            if !found.contains(&session) {
                found.push(session);
            }
        }
        found
    }

    /// Deletes this host's store of `session` (not the vault's copy).
    pub(super) async fn remove_local(&self, session: SessionId) -> anyhow::Result<()> {
        let path = self.store_path(session);
        let files = [
            self.linked_marker(session),
            path.clone(),
            with_suffix(&path, "-wal"),
            with_suffix(&path, "-shm"),
        ];
        for file in files {
            match tokio::fs::remove_file(&file).await {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(error).with_context(|| format!("cannot delete {file:?}")),
            }
        }
        Ok(())
    }

    /// A consistent copy of the session's store, read while the bot may be writing.
    async fn snapshot(&self, session: SessionId) -> anyhow::Result<Vec<u8>> {
        let store = self.store_path(session);
        let copy = self.dir.join(format!("{session}.snapshot"));
        tokio::task::spawn_blocking(move || vacuum_into(&store, &copy))
            .await
            .context("the snapshot task failed")?
    }

    /// Writes `store` as the session's store, replacing the old one whole.
    async fn install(&self, session: SessionId, store: &[u8]) -> anyhow::Result<()> {
        tokio::fs::create_dir_all(&self.dir)
            .await
            .with_context(|| format!("cannot create {:?}", self.dir))?;
        let path = self.store_path(session);
        let incoming = with_suffix(&path, ".incoming");
        tokio::fs::write(&incoming, store)
            .await
            .with_context(|| format!("cannot write {incoming:?}"))?;
        // The old store's log belongs to the old file: it must not be replayed onto
        // the new one.
        for suffix in ["-wal", "-shm"] {
            let stale = with_suffix(&path, suffix);
            match tokio::fs::remove_file(&stale).await {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => {
                    return Err(error).with_context(|| format!("cannot delete {stale:?}"));
                }
            }
        }
        tokio::fs::rename(&incoming, &path)
            .await
            .with_context(|| format!("cannot move {incoming:?} to {path:?}"))
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// `VACUUM INTO copy` on the store at `store`, and the copy's bytes.
fn vacuum_into(store: &Path, copy: &Path) -> anyhow::Result<Vec<u8>> {
    let url = store
        .to_str()
        .with_context(|| format!("store path {store:?} is not UTF-8"))?;
    let target = copy
        .to_str()
        .with_context(|| format!("snapshot path {copy:?} is not UTF-8"))?;
    // VACUUM INTO refuses to overwrite.
    let _ = std::fs::remove_file(copy);
    let mut connection =
        SqliteConnection::establish(url).with_context(|| format!("cannot open {store:?}"))?;
    diesel::sql_query("PRAGMA busy_timeout = 5000")
        .execute(&mut connection)
        .context("cannot set the busy timeout")?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<diesel::sql_types::Text, _>(target)
        .execute(&mut connection)
        .with_context(|| format!("cannot copy {store:?}"))?;
    drop(connection);
    let bytes = std::fs::read(copy).with_context(|| format!("cannot read {copy:?}"))?;
    let _ = std::fs::remove_file(copy);
    Ok(bytes)
}
