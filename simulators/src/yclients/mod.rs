//! A YClients stand-in that speaks the same HTTP API (paths, envelope, partner-token
//! auth, error statuses) for seeded demo salons. The demo and the tests point the real
//! client at it; it records every request and can be told to fail.
//!
//! # Layout
//! - [`seed`] — deterministic demo salons of any size.
//! - [`booking`] — free times, booking (433 when taken), moving and cancelling.
//! - [`marketplace`] — each salon's install of the application, payments, refunds.
//! - [`state`] — salons, request log, injected faults.
//! - [`server`] — the routes, plus the control API under `/__sim`
//!   (`GET/DELETE /__sim/requests`, `POST /__sim/faults`, `POST /__sim/salons`,
//!   `POST /__sim/salons/{id}/install`, `GET /__sim/payments`).

pub mod booking;
pub mod marketplace;
pub mod seed;
pub mod server;
pub mod state;

pub use marketplace::{InstallState, ReportedPayment};
pub use seed::{Salon, SalonSize};
pub use state::{Fault, RecordedRequest, SimState};

use crate::serving::{Running, serve};
use tokio::net::TcpListener;

/// The YClients simulator serving on a local port (its base URL is `YCLIENTS_BASE_URL`).
pub type RunningSimulator = Running<SimState>;

/// Serves `state` on `listener` until the handle is dropped.
pub fn spawn(listener: TcpListener, state: SimState) -> anyhow::Result<RunningSimulator> {
    let app = server::router(state.clone());
    serve(listener, state, app, "YClients")
}
