//! AI Admin's activities and everything they touch: domain types, PostgreSQL access,
//! and the clients of external services (YClients, Gemini, the WhatsApp gateway), each
//! behind a trait with a real implementation.
//!
//! Workflows (in `ai-admin-workflows`) only name the activities defined here; the
//! worker (in `ai-admin-temporal`) registers them with their dependencies.
//!
//! # Layout
//! - [`domain`] — validated values (`SalonId`, `SessionId`, `IntegrationStatus`).
//! - [`secret`] — a string that never prints.
//! - [`db`] — the pool, embedded migrations, one module per table.
//! - [`yclients`] — the YClients trait, HTTP client, rate limiter and retries.
//! - [`marketplace`] — events and progress of the marketplace workflows.
//! - [`activation`] — API key and the YClients activation callback.
//! - [`supervisor`] — background tasks started again when they die, and reported.
//! - [`sync`] — the per-part sync of a salon's data; [`recurring_sync`] — its schedules.
//! - [`messaging`] — messages the bot sends first (welcome), sent once.
//! - [`metrics`] — the app's Prometheus metrics (one registry per app).
//! - [`retention`] — old rows pruned after their configured age.
//! - [`reminders`] — `reminder-<record_id>`: told about visits; sends each reminder once.
//! - [`webhooks`] — YClients webhooks: their shapes and the activity applying them.
//! - [`http_answer`] — `Retry-After` and body snippets, for the HTTP clients.
//! - [`failure`] — errors as retryable or non-retryable Temporal failures.
//! - [`run_keys`] — idempotency keys from an activity's place in its workflow run.
//! - [`whatsapp`] — the WhatsApp gateway trait and its implementations.
//! - [`workflow_ids`] — every workflow's id, built one way.
//! - [`gateway_calls`] — `whatsapp_call`, run on the gateway node holding the session.
//! - [`assistant`] — versioned prompts and stage 1's commands.
//! - [`baseline`] — a no-op activity, the yardstick of `bench messages`.
//! - [`conversation`] — the activities of one conversation turn (stage 1, commands,
//!   stage 2, send).
//! - [`llm`] — the language-model trait, its providers (Gemini, OpenAI-compatible),
//!   proxies and the fallback.

pub mod activation;
pub mod assistant;
pub mod baseline;
pub mod billing;
pub mod conversation;
pub mod db;
pub mod domain;
pub mod erasure;
pub mod failure;
pub mod gateway_calls;
pub mod http_answer;
pub mod llm;
pub mod marketplace;
pub mod messaging;
pub mod metrics;
pub mod reconcile;
pub mod recurring_sync;
pub mod reminders;
pub mod retention;
pub mod run_keys;
pub mod secret;
pub mod supervisor;
pub mod sync;
pub mod webhooks;
pub mod whatsapp;
pub mod workflow_ids;
pub mod yclients;
