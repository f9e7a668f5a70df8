//! YClients: the trait the rest of the system calls, its reqwest implementation, the
//! shared rate limiter, and retries for callers outside Temporal.
//!
//! # Layout
//! - [`YClients`] — one method per YClients endpoint we use (more arrive with the sync
//!   and booking features).
//! - [`http`] — the reqwest implementation; the code under test is always this one,
//!   pointed at the in-repo simulator.
//! - [`error`] — [`YClientsError`], which says whether retrying can help.
//! - [`types`] — the envelope and the resources as YClients spells them.
//! - [`rate_limit`], [`retry`]: one limiter per process; bounded retries.

pub mod error;
pub mod http;
pub mod rate_limit;
pub mod retry;
pub mod types;

pub use error::YClientsError;
pub use http::{HttpYClients, YClientsConfig};
pub use rate_limit::RateLimiter;
pub use types::Company;

use crate::domain::SalonId;

/// The YClients API as AI Admin uses it.
#[async_trait::async_trait]
pub trait YClients: Send + Sync + std::fmt::Debug {
    /// `GET /api/v1/company/{id}`: the salon's name, contacts and time zone.
    async fn company(&self, salon_id: SalonId) -> Result<Company, YClientsError>;
}
