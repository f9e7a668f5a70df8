//! A gateway node: the process that runs some salons' WhatsApp sessions. It holds a
//! lease in PostgreSQL for each one ([`crate::db::leases`]), renews them with its
//! heartbeat, takes over sessions whose owner stopped renewing, and hands its own back on
//! a clean shutdown. Other processes reach its sessions through its task queue
//! (`wa-<node_id>`).
//!
//! A node that cannot renew for a whole lease time stops its sessions itself: by then
//! another node may have taken them over, and a session must never run twice.

use super::calls::{self, CallError, CallResult, GatewayCall};
use super::simulator::SimulatedGateway;
use super::{GatewayEvent, SessionStatus, WhatsAppGateway};
use crate::db::leases::{self, Claim, Owner};
use crate::domain::SessionId;
use anyhow::Context as _;
use sqlx::PgPool;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// How many lapsed sessions one round takes over: the rest wait for the next round (or
/// another node), so a dead node's sessions spread over the survivors.
const TAKEOVERS_PER_ROUND: i64 = 20;

/// The task queue of a node's gateway.
pub fn task_queue(node_id: &str) -> String {
    format!("wa-{node_id}")
}

/// Whether `acquire` got the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acquired {
    /// This node holds it.
    Mine,
    /// Another live node does.
    HeldBy(Owner),
}

/// This process as a gateway node; cheap to clone.
#[derive(Debug, Clone)]
pub struct GatewayNode {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    node_id: String,
    task_queue: String,
    db: PgPool,
    lease: Duration,
    gateway: Arc<dyn WhatsAppGateway>,
    simulator: Option<SimulatedGateway>,
    owned: Mutex<Owned>,
}

#[derive(Debug, Default)]
struct Owned {
    sessions: HashSet<SessionId>,
    /// The state last written to the lease row, to write only changes.
    reported: HashMap<SessionId, SessionStatus>,
    /// When the leases were last renewed; None before the first renewal.
    renewed_at: Option<Instant>,
}

impl GatewayNode {
    /// A node `node_id` running `gateway` (and its `simulator`, in simulator mode) with
    /// leases of `lease` length.
    pub fn new(
        node_id: impl Into<String>,
        db: PgPool,
        lease: Duration,
        gateway: Arc<dyn WhatsAppGateway>,
        simulator: Option<SimulatedGateway>,
    ) -> Self {
        let node_id = node_id.into();
        Self {
            inner: Arc::new(Inner {
                task_queue: task_queue(&node_id),
                node_id,
                db,
                lease,
                gateway,
                simulator,
                owned: Mutex::default(),
            }),
        }
    }

    /// `NODE_ID`.
    pub fn node_id(&self) -> &str {
        &self.inner.node_id
    }

    /// `wa-<node_id>`.
    pub fn task_queue(&self) -> &str {
        &self.inner.task_queue
    }

    /// The local gateway (its events feed this process's consumer).
    pub fn gateway(&self) -> &Arc<dyn WhatsAppGateway> {
        &self.inner.gateway
    }

    /// The lease length.
    pub fn lease(&self) -> Duration {
        self.inner.lease
    }

    fn owned(&self) -> MutexGuard<'_, Owned> {
        self.inner
            .owned
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether this node holds `session` under a lease it renewed in time.
    pub fn owns(&self, session: SessionId) -> bool {
        let owned = self.owned();
        owned.sessions.contains(&session)
            && owned
                .renewed_at
                .is_some_and(|at| at.elapsed() < self.inner.lease)
    }

    /// The sessions this node holds.
    pub fn sessions(&self) -> Vec<SessionId> {
        let mut sessions: Vec<SessionId> = self.owned().sessions.iter().copied().collect();
        sessions.sort_by_key(|session| session.salon_id());
        sessions
    }

    /// Registers the node and brings back its sessions: those its id held before a
    /// restart, lapsed ones, and stored sessions no node holds (linked before leases).
    pub async fn start(&self) -> anyhow::Result<()> {
        leases::register_node(&self.inner.db, &self.inner.node_id, &self.inner.task_queue)
            .await
            .context("Failed to register the gateway node")?;
        self.renew().await?;
        for session in self.sessions() {
            self.restore(session, None).await;
        }
        let stored = self
            .inner
            .gateway
            .stored_sessions()
            .await
            .context("Failed to list the stored WhatsApp sessions")?;
        for session in stored {
            if let Err(error) = self.acquire(session).await {
                tracing::warn!(%session, error = %format!("{error:#}"), "could not claim a stored session");
            }
        }
        self.take_over_lapsed().await;
        tracing::info!(
            node_id = %self.inner.node_id,
            sessions = self.owned().sessions.len(),
            "gateway node started"
        );
        Ok(())
    }

    /// Makes this node the holder of `session` if nobody else holds it, starting it here
    /// (a linked session is restored from its store).
    pub async fn acquire(&self, session: SessionId) -> anyhow::Result<Acquired> {
        if self.owns(session) {
            return Ok(Acquired::Mine);
        }
        let claim = leases::claim(
            &self.inner.db,
            session,
            &self.inner.node_id,
            &self.inner.task_queue,
            self.inner.lease,
        )
        .await
        .with_context(|| format!("Failed to claim the lease of {session}"))?;
        match claim {
            Claim::Mine { took_over_from } => {
                {
                    let mut owned = self.owned();
                    owned.sessions.insert(session);
                    owned.renewed_at.get_or_insert_with(Instant::now);
                }
                self.restore(session, took_over_from).await;
                Ok(Acquired::Mine)
            }
            Claim::HeldBy(owner) => Ok(Acquired::HeldBy(owner)),
        }
    }

    async fn restore(&self, session: SessionId, took_over_from: Option<String>) {
        match self.inner.gateway.create_session(session).await {
            Ok(status) => {
                if let Some(previous) = took_over_from {
                    tracing::warn!(%session, from = %previous, status = status.as_str(), "took over a WhatsApp session");
                }
                self.report(session, status).await;
            }
            Err(error) => tracing::error!(%session, %error, "could not start the session"),
        }
    }

    /// Runs `call` on a session this node holds (the caller checked with `acquire`).
    pub async fn execute(&self, session: SessionId, call: GatewayCall) -> CallResult {
        if !self.owns(session) {
            return Err(CallError::NotOwner(String::new()));
        }
        calls::execute(
            &*self.inner.gateway,
            self.inner.simulator.as_ref(),
            session,
            call,
        )
        .await
    }

    /// Renews every lease; sessions that moved to another node meanwhile stop here.
    async fn renew(&self) -> anyhow::Result<()> {
        let held = leases::renew(&self.inner.db, &self.inner.node_id, self.inner.lease)
            .await
            .context("Failed to renew the gateway leases")?;
        let lost: Vec<SessionId> = {
            let mut owned = self.owned();
            owned.renewed_at = Some(Instant::now());
            let held: HashSet<SessionId> = held.into_iter().collect();
            let lost = owned.sessions.difference(&held).copied().collect();
            owned.sessions = held;
            lost
        };
        for session in lost {
            tracing::warn!(%session, "WhatsApp session taken over by another node");
            self.inner.gateway.release_session(session).await;
        }
        Ok(())
    }

    /// Stops every session here when the leases could not be renewed for a lease time.
    async fn fence(&self) {
        let expired = self
            .owned()
            .renewed_at
            .is_some_and(|at| at.elapsed() >= self.inner.lease);
        if !expired {
            return;
        }
        let sessions: Vec<SessionId> = {
            let mut owned = self.owned();
            owned.reported.clear();
            owned.sessions.drain().collect()
        };
        if !sessions.is_empty() {
            tracing::error!(
                count = sessions.len(),
                "leases not renewed in time: stopping the sessions here"
            );
        }
        for session in sessions {
            self.inner.gateway.release_session(session).await;
        }
    }

    async fn take_over_lapsed(&self) {
        let lapsed = match leases::lapsed(&self.inner.db, TAKEOVERS_PER_ROUND).await {
            Ok(lapsed) => lapsed,
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "could not list lapsed leases");
                return;
            }
        };
        for session in lapsed {
            if let Err(error) = self.acquire(session).await {
                tracing::warn!(%session, error = %format!("{error:#}"), "could not take the session over");
            }
        }
    }

    /// Writes the session's state to its lease row when it changed.
    async fn report(&self, session: SessionId, status: SessionStatus) {
        if self.owned().reported.get(&session) == Some(&status) {
            return;
        }
        match leases::set_state(
            &self.inner.db,
            session,
            &self.inner.node_id,
            status.as_str(),
        )
        .await
        {
            Ok(()) => {
                self.owned().reported.insert(session, status);
            }
            Err(error) => {
                tracing::debug!(%session, error = %format!("{error:#}"), "could not report the state")
            }
        }
    }

    /// One round: renew, take over lapsed sessions, report states.
    async fn tick(&self) {
        if let Err(error) = self.renew().await {
            tracing::warn!(error = %format!("{error:#}"), "gateway heartbeat failed");
            self.fence().await;
            return;
        }
        self.take_over_lapsed().await;
        for session in self.sessions() {
            let status = self.inner.gateway.status(session).await;
            self.report(session, status).await;
        }
    }

    /// Keeps the leases: a round every third of the lease time until `stopping` is set;
    /// in between, a session's state change (linked, unlinked, showing a code) is
    /// written to its lease at once, so ops see it without waiting for the round.
    pub fn spawn_keeper(&self, mut stopping: watch::Receiver<bool>) -> JoinHandle<()> {
        let node = self.clone();
        let mut events = self.inner.gateway.subscribe();
        tokio::spawn(async move {
            let period = node.inner.lease / 3;
            let mut next_round = Instant::now() + period;
            let mut listening = true;
            loop {
                tokio::select! {
                    () = tokio::time::sleep_until(next_round) => {
                        node.tick().await;
                        next_round = Instant::now() + period;
                    }
                    event = events.recv(), if listening => match event {
                        Ok(event) => {
                            if let Some(session) = event.session()
                                .filter(|_| !matches!(event, GatewayEvent::IncomingMessage(_)))
                                .filter(|session| node.owns(*session))
                            {
                                let status = node.inner.gateway.status(session).await;
                                node.report(session, status).await;
                            }
                        }
                        Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => listening = false,
                    },
                    () = async {
                        let _ = stopping.wait_for(|stopping| *stopping).await;
                    } => return,
                }
            }
        })
    }

    /// A clean shutdown: stops every session here (flushing its store) and lets the
    /// leases lapse now, so the other nodes take the sessions over at once.
    pub async fn hand_back(&self) {
        let sessions: Vec<SessionId> = {
            let mut owned = self.owned();
            owned.reported.clear();
            owned.sessions.drain().collect()
        };
        for session in &sessions {
            self.inner.gateway.release_session(*session).await;
        }
        match leases::hand_back(&self.inner.db, &self.inner.node_id).await {
            Ok(count) => tracing::info!(sessions = count, "WhatsApp sessions handed back"),
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "could not hand the sessions back; they lapse with their leases")
            }
        }
    }
}
