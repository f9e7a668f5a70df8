//! Benchmarks the project keeps (`ai-admin bench <name>`), run against the real
//! services by `scripts/bench`, printing their figures.
//!
//! # Layout
//! - [`gateway`] — a WhatsApp send routed locally, to another node, and keyed.
//! - [`local_app`] — the app served inside the benchmark's process.
//! - [`messages`] — client messages through the whole assistant pipeline, and a bare
//!   workflow baseline.
//! - [`prompt`] — the size of stage 1's prompt for a large salon, against its budget.
//! - [`sync`] — a full sync of a large simulated salon, with and without the rate limit.
//! - [`webhooks`] — a webhook load against the durable path and an insert-only baseline.

pub mod gateway;
pub mod local_app;
pub mod messages;
pub mod prompt;
pub mod sync;
pub mod webhooks;
