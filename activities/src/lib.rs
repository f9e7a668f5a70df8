//! AI Admin's activities and everything they touch: domain types, PostgreSQL access,
//! the clients of external services (YClients, the language models), the WhatsApp
//! gateway, and the assistant's pure language code.
//!
//! Workflows (in `ai-admin-workflows`) only name the activities defined here; the
//! worker (in `ai-admin-temporal`) registers them with their dependencies.
//!
//! # Layout
//! Each room depends only on the rooms below it: [`acts`] → [`whatsapp`] → [`db`] →
//! [`clients`] → [`assistant`], [`domain`], [`workflow_ids`], [`metrics`], [`secret`].
//! - [`acts`] — every `#[activities]` module (what the workflows run), and the helpers
//!   only activities use: failures for Temporal, idempotency keys.
//! - [`whatsapp`] — the WhatsApp gateway trait and its implementations (live over
//!   whatsapp-rust, the simulator, leases, routing, pacing, the session-store vault).
//! - [`db`] — the pool, embedded migrations, one module per table.
//! - [`clients`] — the HTTP clients of other services: YClients and the language models.
//! - [`assistant`] — pure language and matching code: prompts, stage 1's commands,
//!   dates, service and master names (no database, no network).
//! - [`domain`] — validated values (`SalonId`, `SessionId`, `PhoneNumber`, statuses).
//! - [`workflow_ids`] — every workflow's id, built one way.
//! - [`supervisor`] — background tasks started again when they die, and reported.
//! - [`metrics`] — the app's Prometheus metrics (one registry per app).
//! - [`secret`] — a string that never prints.

pub mod acts;
pub mod assistant;
pub mod clients;
pub mod db;
pub mod domain;
pub mod metrics;
pub mod secret;
pub mod supervisor;
pub mod whatsapp;
pub mod workflow_ids;

#[cfg(test)]
mod layers;
