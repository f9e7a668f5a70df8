//! AI Admin's HTTP side and the `ai-admin` binary: the axum API the YClients
//! marketplace and the owners' browsers talk to, configuration, start-up, and the
//! command line.
//!
//! # Layout
//! - [`config`] — every environment variable, typed, read once.
//! - [`startup`] — [`startup::Application`] — build (connect, start the worker, bind)
//!   and run until stopped.
//! - [`state`] — what handlers share.
//! - [`routes`] — one module per resource.
//! - [`ws`] — the onboarding page's WebSocket; [`live`] — the event fan-out behind it.
//! - [`gateway_events`] — WhatsApp events turned into durable facts.
//! - [`inbound_ledger`] — client messages recorded before WhatsApp hears they arrived.
//! - [`language_model`] — the configured providers, routes and fallback.
//! - [`webhook_wakeup`] — wakes the webhook relay, coalesced, off the request path.
//! - [`qr_image`] — QR codes as PNG data URLs.
//! - [`auth`] — onboarding tokens and YClients' signed `user_data`.
//! - [`error`] — the one error type, as JSON or as an HTML page.
//! - [`client_ip`] — the client address behind trusted proxies, for per-client limits.
//! - [`cli`] — `serve`, `migrate`, `simulate yclients|gemini`, `eval`.
//! - [`eval`] — the assistant measured on the conversation corpus.
//! - [`local_app`] — the app served inside another program's process (the evaluation,
//!   the benchmarks of `ai-admin-bench`).
//! - [`brand`] — the CRM's name (YClients or Altegio) on pages and error answers.
//! - [`telemetry`] — logging.

pub mod auth;
pub mod brand;
pub mod cli;
pub mod client_ip;
pub mod config;
pub mod error;
pub mod eval;
pub mod gateway_events;
pub mod inbound_ledger;
pub mod language_model;
pub mod live;
pub mod local_app;
pub mod qr_image;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod webhook_wakeup;
pub mod ws;
