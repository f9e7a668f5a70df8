//! The activities: every module here defines an `#[activities]` struct the worker
//! registers, plus the two helpers only activities use ([`failure`], [`run_keys`]).
//!
//! # Layout
//! - [`activation`] — API key and the YClients activation callback.
//! - [`marketplace`] — events and progress of the marketplace workflows.
//! - [`messaging`] — messages the bot sends first (welcome), sent once.
//! - [`sync`] — the per-part sync of a salon's data; [`recurring_sync`] — its schedules.
//! - [`webhooks`] — YClients webhooks: their shapes and the activity applying them.
//! - [`conversation`] — one conversation turn (stage 1, commands, stage 2, send) and the
//!   commands it runs against YClients.
//! - [`reminders`] — `reminder-<record_id>`: told about visits; sends each reminder once.
//! - [`billing`] — payments and refunds reported to YClients once.
//! - [`erasure`] — an uninstalled salon's personal data deleted after the grace period.
//! - [`reconcile`] — the daily install check against YClients.
//! - [`retention`] — old rows pruned after their configured age.
//! - [`gateway_calls`] — `whatsapp_call`, run on the gateway node holding the session.
//! - [`failure`] — errors as retryable or non-retryable Temporal failures.
//! - [`run_keys`] — idempotency keys from an activity's place in its workflow run.

pub mod activation;
pub mod billing;
pub mod conversation;
pub mod erasure;
pub mod failure;
pub mod gateway_calls;
pub mod marketplace;
pub mod messaging;
pub mod reconcile;
pub mod recurring_sync;
pub mod reminders;
pub mod retention;
pub mod run_keys;
pub mod sync;
pub mod webhooks;
