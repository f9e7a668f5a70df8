//! Moving a linked WhatsApp session between gateway nodes on different hosts: each node
//! keeps its key stores on its own disk, and the store travels through PostgreSQL
//! (`whatsapp_session_stores`). Real whatsapp-rust bots with the network down, so each
//! opens a real SQLite store; a `<session>.linked` marker is what the crate's first
//! connection leaves behind.

use ai_admin_activities::db::session_stores::PgSessionVault;
use ai_admin_activities::domain::{SalonId, SessionId};
use ai_admin_activities::whatsapp::WhatsAppGateway;
use ai_admin_activities::whatsapp::live::LiveGateway;
use ai_admin_tests::{AppOptions, spawn_app_with};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A node: its own store directory and a gateway saving to the shared vault.
struct Node {
    dir: PathBuf,
    gateway: LiveGateway,
}

impl Node {
    fn new(db: &sqlx::PgPool, name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "ai-admin-vault-{name}-{:016x}",
            rand::random::<u64>()
        ));
        let gateway = LiveGateway::offline(&dir);
        gateway.set_vault(Arc::new(PgSessionVault::new(db.clone(), name)));
        Self { dir, gateway }
    }

    fn marker(&self, session: SessionId) -> PathBuf {
        self.dir.join(format!("{session}.linked"))
    }

    fn version(&self, session: SessionId) -> Option<String> {
        std::fs::read_to_string(self.marker(session)).ok()
    }

    fn has_store(&self, session: SessionId) -> bool {
        self.dir.join(format!("{session}.db")).exists()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn saved(db: &sqlx::PgPool, session: SessionId) -> Option<(i64, String, usize)> {
    sqlx::query_as::<_, (i64, String, Vec<u8>)>(
        "SELECT version, saved_by, store FROM whatsapp_session_stores WHERE session_id = $1",
    )
    .bind(session.to_string())
    .fetch_optional(db)
    .await
    .unwrap()
    .map(|(version, by, store)| (version, by, store.len()))
}

fn is_sqlite(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|bytes| bytes.starts_with(b"SQLite format 3\0"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_linked_session_moves_between_hosts_through_postgresql_and_a_stale_copy_never_wins() {
    let app = spawn_app_with(AppOptions {
        roles: Some("api,worker".into()),
        ..AppOptions::default()
    })
    .await;
    let db = &app.db;
    let session = SessionId::for_salon(SalonId::new(4_343_001).unwrap());
    let (a, b) = (Node::new(db, "host-a"), Node::new(db, "host-b"));

    // Host A runs the session, linked; letting it go saves the store.
    a.gateway.create_session(session).await.unwrap();
    std::fs::write(a.marker(session), "").unwrap();
    a.gateway.release_session(session).await;
    let (version, by, bytes) = saved(db, session).await.expect("saved on release");
    assert_eq!((version, by.as_str()), (1, "host-a"));
    assert!(bytes > 0);
    assert_eq!(a.version(session).as_deref(), Some("1"));

    // Host B has no file of it, yet knows the session and starts it from the copy.
    assert!(!b.has_store(session));
    assert_eq!(b.gateway.stored_sessions().await.unwrap(), vec![session]);
    b.gateway.create_session(session).await.unwrap();
    assert!(is_sqlite(&b.dir.join(format!("{session}.db"))));
    assert_eq!(b.version(session).as_deref(), Some("1"));
    b.gateway.release_session(session).await;
    assert_eq!(saved(db, session).await.unwrap().0, 2);

    // Back on A, whose own copy is older: B's newer one replaces it.
    a.gateway.create_session(session).await.unwrap();
    assert_eq!(a.version(session).as_deref(), Some("2"));

    // B stalls and starts the session again on its stale copy while A runs it (what
    // the lease prevents, played here): A's save wins, B's is refused.
    b.gateway.create_session(session).await.unwrap();
    a.gateway.release_session(session).await;
    assert_eq!(saved(db, session).await.unwrap().0, 3);
    b.gateway.release_session(session).await;
    let (version, by, _) = saved(db, session).await.unwrap();
    assert_eq!(
        (version, by.as_str()),
        (3, "host-a"),
        "the stale copy did not overwrite the newer one"
    );

    // An unlink deletes every copy.
    a.gateway.create_session(session).await.unwrap();
    a.gateway.logout(session).await.unwrap();
    assert!(saved(db, session).await.is_none());
    assert!(!a.has_store(session));
    // B's own copy is a leftover now: not a session, and deleted when it would start.
    assert!(b.gateway.stored_sessions().await.unwrap().is_empty());
    b.gateway.create_session(session).await.unwrap();
    assert_eq!(
        b.version(session),
        None,
        "starts over, waiting for a new link"
    );
    a.gateway.shutdown().await;
    b.gateway.shutdown().await;
}
