//! A YClients stand-in that speaks the same HTTP API (paths, envelope, partner-token
//! auth, error statuses) for seeded demo salons. The demo and the tests point the real
//! client at it; it records every request and can be told to fail.
//!
//! # Layout
//! - [`seed`] — deterministic demo salons of any size.
//! - [`booking`] — free times, booking (433 when taken), moving and cancelling.
//! - [`state`] — salons, request log, injected faults.
//! - [`server`] — the routes, plus the control API under `/__sim`
//!   (`GET/DELETE /__sim/requests`, `POST /__sim/faults`, `POST /__sim/salons`).

pub mod booking;
pub mod seed;
pub mod server;
pub mod state;

pub use seed::{Salon, SalonSize};
pub use state::{Fault, RecordedRequest, SimState};

use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A simulator serving on a local port.
#[derive(Debug)]
pub struct RunningSimulator {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state, to seed salons, inject faults and read the request log.
    pub state: SimState,
    task: JoinHandle<()>,
}

impl RunningSimulator {
    /// Base URL for `YCLIENTS_BASE_URL`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `state` on `listener` until the task is dropped.
pub fn spawn(listener: TcpListener, state: SimState) -> anyhow::Result<RunningSimulator> {
    let addr = listener.local_addr()?;
    let app = server::router(state.clone());
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "YClients simulator stopped");
        }
    });
    Ok(RunningSimulator { addr, state, task })
}
