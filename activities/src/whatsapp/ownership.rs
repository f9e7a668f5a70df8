//! A gateway node: the process that runs some salons' WhatsApp sessions. It holds a
//! lease in PostgreSQL for each one ([`crate::db::leases`]), renews the leases it holds
//! with its heartbeat, takes over sessions whose holder stopped renewing, and hands its
//! own back on a clean shutdown. Other processes reach its sessions through its task
//! queue (`wa-<node_id>`).
//!
//! A session must never run on two nodes. So the node trusts its leases only for two
//! thirds of their length after the last renewal began: by the time another node may
//! claim a lapsed lease, this one has stopped answering for it and stopped its bot.
//!
//! A session WhatsApp stopped (another device took over, a ban, a refused connection:
//! [`GatewayEvent::Suspended`]) is started again by the node's keeper, with a back-off
//! that grows while it keeps failing, and a ban is waited out first.

use super::calls::{self, CallError, CallResult, GatewayCall};
use super::pacing::SendPacer;
use super::simulator::SimulatedGateway;
use super::{GatewayError, GatewayEvent, SessionStatus, WhatsAppGateway};
use crate::db::leases::{self, Claim, Owner};
use crate::domain::SessionId;
use anyhow::Context as _;
use sqlx::PgPool;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::{Notify, broadcast, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// How many lapsed sessions one round takes over at most: the rest wait for the next
/// round (or another node), so a dead node's sessions spread over the survivors.
const TAKEOVERS_PER_ROUND: i64 = 10;
/// The longest a send waits here for its slot; a later slot is refused, to be retried.
const LONGEST_PACED_WAIT: Duration = Duration::from_secs(10);
/// The longest wait before starting a suspended session again.
const LONGEST_RESTART_WAIT: Duration = Duration::from_secs(15 * 60);

/// When to start a suspended session again.
#[derive(Debug, Clone, Copy)]
struct Restart {
    at: Instant,
    /// The wait after the next failure.
    next_wait: Duration,
}

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
    /// This node is shutting down and takes nothing new.
    Leaving,
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
    /// Set by [`GatewayNode::close`]: no new call, no new session.
    closing: AtomicBool,
    /// Calls running on the local gateway, waited for by `close`.
    in_flight: AtomicUsize,
    idle: Notify,
    /// Every send of the sessions held here waits its turn in it, whichever process
    /// asked for it.
    pacer: SendPacer,
}

#[derive(Debug, Default)]
struct Owned {
    sessions: HashSet<SessionId>,
    /// The state last written to the lease row, to write only changes.
    reported: HashMap<SessionId, SessionStatus>,
    /// When the last successful renewal began; None before the first one.
    renewed_at: Option<Instant>,
    /// Suspended sessions and when to start them again.
    restarts: HashMap<SessionId, Restart>,
}

/// Counts a call in flight for as long as it lives.
struct InFlight<'a>(&'a Inner);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
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
                closing: AtomicBool::new(false),
                in_flight: AtomicUsize::new(0),
                idle: Notify::new(),
                pacer: SendPacer::default(),
            }),
        }
    }

    /// The node with `pacer` instead of the default pacing (before it is shared).
    pub fn with_pacer(mut self, pacer: SendPacer) -> Self {
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => inner.pacer = pacer,
            None => tracing::warn!(
                "the gateway node's pacing is set after it was shared; kept as it was"
            ),
        }
        self
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

    /// A third of the lease: how often leases are renewed, and the margin by which the
    /// node stops trusting them before the database lets them lapse.
    fn period(&self) -> Duration {
        self.inner.lease / 3
    }

    fn owned(&self) -> MutexGuard<'_, Owned> {
        self.inner
            .owned
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn trusted(&self, owned: &Owned) -> bool {
        owned
            .renewed_at
            .is_some_and(|at| at.elapsed() < self.inner.lease - self.period())
    }

    fn closing(&self) -> bool {
        self.inner.closing.load(Ordering::Acquire)
    }

    /// Whether this node holds `session` under a lease it renewed in time.
    pub fn owns(&self, session: SessionId) -> bool {
        let owned = self.owned();
        !self.closing() && owned.sessions.contains(&session) && self.trusted(&owned)
    }

    /// The sessions this node holds.
    pub fn sessions(&self) -> Vec<SessionId> {
        let mut sessions: Vec<SessionId> = self.owned().sessions.iter().copied().collect();
        sessions.sort_by_key(|session| session.salon_id());
        sessions
    }

    /// Registers the node and brings back its sessions: those its id still held before a
    /// restart, lapsed ones, and stored sessions no node holds (linked before leases).
    pub async fn start(&self) -> anyhow::Result<()> {
        let db = &self.inner.db;
        leases::register_node(db, &self.inner.node_id, &self.inner.task_queue)
            .await
            .context("Failed to register the gateway node")?;
        let started = Instant::now();
        let held = leases::renew_all(db, &self.inner.node_id, self.inner.lease)
            .await
            .context("Failed to renew the gateway's leases")?;
        {
            let mut owned = self.owned();
            owned.renewed_at = Some(started);
            owned.sessions.extend(held.iter().copied());
        }
        let stored: HashSet<SessionId> = self
            .inner
            .gateway
            .stored_sessions()
            .await
            .context("Failed to list the stored WhatsApp sessions")?
            .into_iter()
            .collect();
        for session in held {
            self.restore(session, None, &stored).await;
        }
        for session in &stored {
            if let Err(error) = self.acquire(*session).await {
                tracing::warn!(%session, error = %format!("{error:#}"), "could not claim a stored session");
            }
        }
        self.take_over_lapsed(started + self.period()).await;
        tracing::info!(
            node_id = %self.inner.node_id,
            sessions = self.owned().sessions.len(),
            "gateway node started"
        );
        Ok(())
    }

    /// Makes this node the holder of `session` if nobody else holds it; a session with
    /// keys in the store is started here (restored), one without waits for its
    /// `create_session`.
    pub async fn acquire(&self, session: SessionId) -> anyhow::Result<Acquired> {
        if self.closing() {
            return Ok(Acquired::Leaving);
        }
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
                let stored: HashSet<SessionId> = self
                    .inner
                    .gateway
                    .stored_sessions()
                    .await
                    .map_err(anyhow::Error::new)
                    .context("Failed to list the stored WhatsApp sessions")?
                    .into_iter()
                    .collect();
                self.restore(session, took_over_from, &stored).await;
                Ok(Acquired::Mine)
            }
            Claim::HeldBy(owner) => Ok(Acquired::HeldBy(owner)),
        }
    }

    async fn restore(
        &self,
        session: SessionId,
        took_over_from: Option<String>,
        stored: &HashSet<SessionId>,
    ) {
        if let Some(previous) = &took_over_from {
            tracing::warn!(%session, from = %previous, stored = stored.contains(&session), "took over a WhatsApp session");
        }
        if !stored.contains(&session) {
            return;
        }
        match self.inner.gateway.create_session(session).await {
            Ok(status) => self.report(session, status).await,
            Err(error) => tracing::error!(%session, %error, "could not restore the session"),
        }
    }

    /// Runs `call` on a session this node holds (the caller checked with `acquire`).
    pub async fn execute(&self, session: SessionId, call: GatewayCall) -> CallResult {
        self.inner.in_flight.fetch_add(1, Ordering::AcqRel);
        let _counted = InFlight(&self.inner);
        if !self.owns(session) {
            return Err(CallError::NotOwner(self.inner.node_id.clone()));
        }
        if let GatewayCall::SendText { origin, .. } = &call {
            // Waiting longer would outlast the caller's patience (a call has 30 s).
            self.inner
                .pacer
                .wait(session, *origin, LONGEST_PACED_WAIT)
                .await
                .map_err(|wait| GatewayError::Paced {
                    retry_after_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                })?;
        }
        calls::execute(
            &*self.inner.gateway,
            self.inner.simulator.as_ref(),
            session,
            call,
        )
        .await
    }

    /// Renews the leases this node holds (within a period); sessions that moved to
    /// another node meanwhile stop here.
    async fn renew(&self) -> anyhow::Result<()> {
        let snapshot: Vec<SessionId> = self.owned().sessions.iter().copied().collect();
        let started = Instant::now();
        let renewal = leases::renew(
            &self.inner.db,
            &self.inner.node_id,
            self.inner.lease,
            &snapshot,
        );
        let held: HashSet<SessionId> = tokio::time::timeout(self.period(), renewal)
            .await
            .context("Renewing the gateway leases took too long")?
            .context("Failed to renew the gateway leases")?
            .into_iter()
            .collect();
        let lost: Vec<SessionId> = snapshot
            .into_iter()
            .filter(|session| !held.contains(session))
            .collect();
        {
            let mut owned = self.owned();
            owned.renewed_at = Some(started);
            for session in &lost {
                owned.sessions.remove(session);
                owned.reported.remove(session);
            }
        }
        for session in lost {
            tracing::warn!(%session, "WhatsApp session lost to another node: stopped here");
            self.inner.gateway.release_session(session).await;
        }
        Ok(())
    }

    /// Stops every session here once the leases are no longer trusted.
    async fn fence(&self) {
        let sessions: Vec<SessionId> = {
            let mut owned = self.owned();
            if self.trusted(&owned) {
                return;
            }
            owned.reported.clear();
            owned.sessions.drain().collect()
        };
        if !sessions.is_empty() {
            tracing::error!(
                count = sessions.len(),
                "leases not renewed in time: stopping the sessions here"
            );
        }
        self.release_all(sessions).await;
    }

    async fn release_all(&self, sessions: Vec<SessionId>) {
        let gateway = &self.inner.gateway;
        futures::future::join_all(
            sessions
                .into_iter()
                .map(|session| gateway.release_session(session)),
        )
        .await;
    }

    /// Takes over lapsed sessions until `deadline` (the next renewal must not wait).
    async fn take_over_lapsed(&self, deadline: Instant) {
        let lapsed = match leases::lapsed(&self.inner.db, TAKEOVERS_PER_ROUND).await {
            Ok(lapsed) => lapsed,
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "could not list lapsed leases");
                return;
            }
        };
        for session in lapsed {
            if Instant::now() >= deadline || self.closing() {
                return;
            }
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
        let started = Instant::now();
        if let Err(error) = self.renew().await {
            tracing::warn!(error = %format!("{error:#}"), "gateway heartbeat failed");
            self.fence().await;
            return;
        }
        self.take_over_lapsed(started + self.period() / 2).await;
        self.restart_suspended().await;
        for session in self.sessions() {
            let status = self.inner.gateway.status(session).await;
            self.report(session, status).await;
        }
    }

    /// Keeps the leases: a round every third of the lease time until `stopping` is set;
    /// in between, a session's state change (linked, unlinked, showing a code) is
    /// written to its lease at once, so ops see it without waiting for the round. Await
    /// the handle after setting `stopping`: a round under way finishes first.
    /// Supervised: a keeper that dies is started again (its leases lapse only if that
    /// takes longer than they last).
    pub fn spawn_keeper(
        &self,
        stopping: watch::Receiver<bool>,
        supervisor: &crate::supervisor::Supervisor,
    ) -> JoinHandle<()> {
        let node = self.clone();
        supervisor.spawn_until_done("lease_keeper", move || {
            let events = node.inner.gateway.subscribe();
            node.clone().keep(events, stopping.clone())
        })
    }

    async fn keep(
        self,
        mut events: broadcast::Receiver<GatewayEvent>,
        mut stopping: watch::Receiver<bool>,
    ) {
        let node = self;
        let period = node.period();
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
                        let session = event.session();
                        if !matches!(event, GatewayEvent::IncomingMessage(_)) && node.owns(session) {
                            node.note_for_restarts(&event, session);
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
    }

    /// WhatsApp stopped `session`: schedules its restart — after `until` (a ban), and
    /// after a wait that doubles with each failure since it last connected (from a
    /// third of the lease up to [`LONGEST_RESTART_WAIT`]).
    fn schedule_restart(&self, session: SessionId, until: Option<i64>) {
        let first = self.period();
        let mut owned = self.owned();
        let wait = owned
            .restarts
            .get(&session)
            .map_or(first, |restart| restart.next_wait);
        let ban_left = until
            .map(|until| until - chrono::Utc::now().timestamp())
            .filter(|left| *left > 0)
            .map_or(Duration::ZERO, |left| {
                Duration::from_secs(left.unsigned_abs())
            });
        let at = Instant::now() + wait.max(ban_left);
        owned.restarts.insert(
            session,
            Restart {
                at,
                next_wait: (wait * 2).min(LONGEST_RESTART_WAIT),
            },
        );
        tracing::info!(%session, wait_secs = (at - Instant::now()).as_secs(), "suspended session will be started again");
    }

    /// Starts again the suspended sessions whose time has come (the ones this node
    /// still holds).
    async fn restart_suspended(&self) {
        let now = Instant::now();
        let due: Vec<SessionId> = {
            let owned = self.owned();
            owned
                .restarts
                .iter()
                .filter(|(session, restart)| restart.at <= now && owned.sessions.contains(session))
                .map(|(session, _)| *session)
                .collect()
        };
        for session in due {
            tracing::info!(%session, "starting a suspended WhatsApp session again");
            match self.inner.gateway.create_session(session).await {
                // Back for now; a `Connected` ends the back-off, another suspension
                // schedules the next try.
                Ok(SessionStatus::Suspended) => self.schedule_restart(session, None),
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%session, %error, "could not start a suspended session");
                    self.schedule_restart(session, None);
                }
            }
        }
    }

    /// What a session's event means for its restart schedule.
    fn note_for_restarts(&self, event: &GatewayEvent, session: SessionId) {
        match event {
            GatewayEvent::Suspended { reason, until, .. } if reason.recoverable() => {
                self.schedule_restart(session, *until);
            }
            GatewayEvent::Connected { .. } | GatewayEvent::LoggedOut { .. } => {
                self.owned().restarts.remove(&session);
            }
            _ => {}
        }
    }

    /// The start of a clean shutdown: takes no new call or session and waits (at most
    /// `patience`) for the calls under way to finish.
    pub async fn close(&self, patience: Duration) {
        self.inner.closing.store(true, Ordering::Release);
        let drained = async {
            loop {
                let idle = self.inner.idle.notified();
                if self.inner.in_flight.load(Ordering::Acquire) == 0 {
                    return;
                }
                idle.await;
            }
        };
        if tokio::time::timeout(patience, drained).await.is_err() {
            tracing::warn!("WhatsApp calls still running at shutdown");
        }
    }

    /// The end of a clean shutdown (after [`close`](Self::close) and the keeper
    /// stopped): stops every session here (flushing its store) and lets the leases lapse
    /// now, so the other nodes take the sessions over at once.
    pub async fn hand_back(&self) {
        let sessions: Vec<SessionId> = {
            let mut owned = self.owned();
            owned.reported.clear();
            owned.sessions.drain().collect()
        };
        self.release_all(sessions).await;
        match leases::hand_back(&self.inner.db, &self.inner.node_id).await {
            Ok(count) => tracing::info!(sessions = count, "WhatsApp sessions handed back"),
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "could not hand the sessions back; they lapse with their leases")
            }
        }
    }
}
