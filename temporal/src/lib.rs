//! Temporal wiring for AI Admin: connecting, registering search attributes, running the
//! worker, and the calls the API makes to workflows (start, signal, query).
//!
//! # Layout
//! - [`connection`] — [`TemporalConfig`] and connecting with start-up retries.
//! - [`search_attributes`] — `SalonId`/`IntegrationStatus` registered if missing.
//! - [`sdk_metrics`] — the Temporal SDK's metrics, for `GET /metrics`.
//! - [`worker`] — registration of every workflow and activity; the worker runner.
//! - [`onboarding`] — start-or-reuse and `progress` of `onboarding-<salon_id>`.
//! - [`billing`] — `payment-…` / `refund-…` started and awaited for ops.
//! - [`webhook_relay`] — stored webhooks handed to `company-<salon_id>`.
//! - [`conversation_relay`] — clients' recorded messages handed to their conversations.
//! - [`conversation_status`] — where a client's conversation stands (`status`).
//! - [`retention`] — the hourly schedule that prunes old rows.
//! - [`reconcile`] — the daily schedule that checks installs against YClients.
//! - [`interval_schedule`] — creating a fixed-interval schedule once.
//! - [`sync_schedules`] — when a salon's recurring syncs run next (for its console).
//! - [`gateway_calls`] — WhatsApp calls run on the gateway node holding the session.
//!
//! The scripts that fetch and start the Temporal dev server for the demo and the tests
//! live beside this crate in `temporal/scripts/`.

pub mod billing;
pub mod connection;
pub mod conversation_relay;
pub mod conversation_status;
pub mod gateway_calls;
pub mod interval_schedule;
pub mod onboarding;
pub mod reconcile;
pub mod retention;
pub mod sdk_metrics;
pub mod search_attributes;
pub mod sync_schedules;
pub mod webhook_relay;
pub mod worker;

pub use connection::TemporalConfig;
pub use temporalio_client::Client;
