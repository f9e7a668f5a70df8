//! The `gateway_nodes` and `whatsapp_leases` tables: which gateway process holds each
//! salon's WhatsApp session. A node renews its heartbeat and all its leases in one
//! statement; a lease that was not renewed in time may be claimed by any live node,
//! atomically, so a session never has two owners at once.

use crate::domain::SessionId;
use sqlx::postgres::PgRow;
use sqlx::{PgExecutor, Row};
use std::time::Duration;

/// The node holding a session, and the task queue its gateway polls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// `NODE_ID` of the gateway process.
    pub node_id: String,
    /// `wa-<node_id>`.
    pub task_queue: String,
}

/// How a claim ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The caller holds the session now; `took_over_from` names the node whose lease
    /// had lapsed (None: it was free or already the caller's).
    Mine {
        /// The previous owner, when the session moved.
        took_over_from: Option<String>,
    },
    /// Another node holds a live lease.
    HeldBy(Owner),
}

/// A session's lease as ops see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseView {
    /// The owner node.
    pub node_id: String,
    /// Whether the lease is still valid (its node is alive).
    pub live: bool,
    /// The session state the owner last reported.
    pub state: Option<String>,
    /// How often the session changed hands.
    pub takeovers: i32,
}

fn seconds(ttl: Duration) -> f64 {
    ttl.as_secs_f64()
}

/// The session ids in the first column (rows that do not parse are skipped).
fn session_ids(rows: &[PgRow]) -> Vec<SessionId> {
    rows.iter()
        .filter_map(|row| row.try_get::<String, _>(0).ok()?.parse().ok())
        .collect()
}

fn owner_from(row: &PgRow) -> anyhow::Result<Owner> {
    Ok(Owner {
        node_id: row.try_get("node_id")?,
        task_queue: row.try_get("task_queue")?,
    })
}

/// Registers the node (or marks it running again after a restart with the same id).
pub async fn register_node(
    db: impl PgExecutor<'_>,
    node_id: &str,
    task_queue: &str,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO gateway_nodes (node_id, task_queue) VALUES ($1, $2)
         ON CONFLICT (node_id) DO UPDATE SET task_queue = EXCLUDED.task_queue,
             started_at = NOW(), heartbeat_at = NOW(), stopped_at = NULL",
    )
    .bind(node_id)
    .bind(task_queue)
    .execute(db)
    .await?;
    Ok(())
}

/// Renews the node's heartbeat and its still-valid leases on `sessions` for `ttl`;
/// returns the sessions it still holds (one missing from the answer lapsed or was taken
/// over). A lease that lapsed is not revived here: it must be claimed again, which
/// restores the session. A node marked stopped gets no heartbeat.
pub async fn renew(
    db: impl PgExecutor<'_>,
    node_id: &str,
    ttl: Duration,
    sessions: &[SessionId],
) -> anyhow::Result<Vec<SessionId>> {
    let sessions: Vec<String> = sessions.iter().map(ToString::to_string).collect();
    let rows = sqlx::query(
        "WITH beat AS (
             UPDATE gateway_nodes SET heartbeat_at = NOW()
             WHERE node_id = $1 AND stopped_at IS NULL
         )
         UPDATE whatsapp_leases SET expires_at = NOW() + make_interval(secs => $2)
         WHERE node_id = $1 AND session_id = ANY($3) AND expires_at > NOW()
         RETURNING session_id",
    )
    .bind(node_id)
    .bind(seconds(ttl))
    .bind(&sessions)
    .fetch_all(db)
    .await?;
    Ok(session_ids(&rows))
}

/// At a node's start: renews every still-valid lease its id holds (from before a
/// restart) and returns those sessions.
pub async fn renew_all(
    db: impl PgExecutor<'_>,
    node_id: &str,
    ttl: Duration,
) -> anyhow::Result<Vec<SessionId>> {
    let rows = sqlx::query(
        "UPDATE whatsapp_leases SET expires_at = NOW() + make_interval(secs => $2)
         WHERE node_id = $1 AND expires_at > NOW()
         RETURNING session_id",
    )
    .bind(node_id)
    .bind(seconds(ttl))
    .fetch_all(db)
    .await?;
    Ok(session_ids(&rows))
}

/// Claims `session` for the node: free, lapsed or already its own. Atomic: of two nodes
/// claiming a lapsed lease at once, one gets it.
pub async fn claim(
    db: impl PgExecutor<'_> + Copy,
    session: SessionId,
    node_id: &str,
    task_queue: &str,
    ttl: Duration,
) -> anyhow::Result<Claim> {
    // A lease that lapses between the claim and the look-up is claimed on the next
    // round; three rounds settle any race.
    for _ in 0..3 {
        let row = sqlx::query(
            "WITH previous AS (SELECT node_id FROM whatsapp_leases WHERE session_id = $1)
             INSERT INTO whatsapp_leases AS lease (session_id, node_id, task_queue, expires_at)
             VALUES ($1, $2, $3, NOW() + make_interval(secs => $4))
             ON CONFLICT (session_id) DO UPDATE SET
                 node_id = EXCLUDED.node_id,
                 task_queue = EXCLUDED.task_queue,
                 expires_at = EXCLUDED.expires_at,
                 acquired_at = CASE WHEN lease.node_id = EXCLUDED.node_id
                                    THEN lease.acquired_at ELSE NOW() END,
                 takeovers = lease.takeovers
                     + CASE WHEN lease.node_id = EXCLUDED.node_id THEN 0 ELSE 1 END
             WHERE lease.node_id = EXCLUDED.node_id OR lease.expires_at <= NOW()
             RETURNING (SELECT node_id FROM previous) AS previous",
        )
        .bind(session.to_string())
        .bind(node_id)
        .bind(task_queue)
        .bind(seconds(ttl))
        .fetch_optional(db)
        .await?;
        if let Some(row) = row {
            let previous: Option<String> = row.try_get("previous")?;
            return Ok(Claim::Mine {
                took_over_from: previous.filter(|previous| previous != node_id),
            });
        }
        if let Some(owner) = owner(db, session).await? {
            return Ok(Claim::HeldBy(owner));
        }
    }
    anyhow::bail!("the lease of {session} keeps changing hands")
}

/// The node holding a live lease on `session`, if any.
pub async fn owner(db: impl PgExecutor<'_>, session: SessionId) -> anyhow::Result<Option<Owner>> {
    let row = sqlx::query(
        "SELECT node_id, task_queue FROM whatsapp_leases
         WHERE session_id = $1 AND expires_at > NOW()",
    )
    .bind(session.to_string())
    .fetch_optional(db)
    .await?;
    row.as_ref().map(owner_from).transpose()
}

/// Sessions whose owner stopped renewing: candidates for a takeover.
pub async fn lapsed(db: impl PgExecutor<'_>, limit: i64) -> anyhow::Result<Vec<SessionId>> {
    let rows = sqlx::query(
        "SELECT session_id FROM whatsapp_leases WHERE expires_at <= NOW()
         ORDER BY expires_at LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(session_ids(&rows))
}

/// The live gateway node with the fewest sessions, to give a new session to.
pub async fn least_loaded_node(
    db: impl PgExecutor<'_>,
    ttl: Duration,
) -> anyhow::Result<Option<Owner>> {
    let row = sqlx::query(
        "SELECT n.node_id, n.task_queue FROM gateway_nodes n
         LEFT JOIN whatsapp_leases l ON l.node_id = n.node_id AND l.expires_at > NOW()
         WHERE n.stopped_at IS NULL
           AND n.heartbeat_at > NOW() - make_interval(secs => $1)
         GROUP BY n.node_id, n.task_queue
         ORDER BY COUNT(l.session_id), n.node_id
         LIMIT 1",
    )
    .bind(seconds(ttl))
    .fetch_optional(db)
    .await?;
    row.as_ref().map(owner_from).transpose()
}

/// Records the state the owner sees, for ops.
pub async fn set_state(
    db: impl PgExecutor<'_>,
    session: SessionId,
    node_id: &str,
    state: &str,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE whatsapp_leases SET state = $3 WHERE session_id = $1 AND node_id = $2")
        .bind(session.to_string())
        .bind(node_id)
        .bind(state)
        .execute(db)
        .await?;
    Ok(())
}

/// A clean shutdown: every lease of the node lapses now, so other nodes take the
/// sessions over at once instead of after the lease time, and the node is marked gone.
pub async fn hand_back(db: impl PgExecutor<'_>, node_id: &str) -> anyhow::Result<u64> {
    let released = sqlx::query(
        "WITH gone AS (UPDATE gateway_nodes SET stopped_at = NOW() WHERE node_id = $1)
         UPDATE whatsapp_leases SET expires_at = NOW() WHERE node_id = $1",
    )
    .bind(node_id)
    .execute(db)
    .await?;
    Ok(released.rows_affected())
}

/// Every session's lease, keyed by session id, for the ops listing.
pub async fn all(
    db: impl PgExecutor<'_>,
) -> anyhow::Result<std::collections::HashMap<String, LeaseView>> {
    let rows = sqlx::query(
        "SELECT session_id, node_id, expires_at > NOW() AS live, state, takeovers
         FROM whatsapp_leases",
    )
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("session_id")?,
                LeaseView {
                    node_id: row.try_get("node_id")?,
                    live: row.try_get("live")?,
                    state: row.try_get("state")?,
                    takeovers: row.try_get("takeovers")?,
                },
            ))
        })
        .collect()
}
