//! The fault-injection suite: each scenario breaks one dependency at a bad moment —
//! YClients slow, failing or rate-limiting mid-sync, PostgreSQL cut mid-sync, Temporal
//! away mid-webhook-burst, a WhatsApp gateway node killed or stopped while it holds
//! sessions, the worker killed at each onboarding step, the Temporal server stopped for
//! 30 s and PostgreSQL restarted (servers of the scenario's own) — and asserts that nothing was lost and nothing doubled. Each
//! scenario that passes writes its row to `$TEST_OUTPUT_DIR/faults/`, and after a full
//! run `scripts/fault-report` regenerates `docs/fault-injection.md` from those rows.
//! (The worker SIGKILLed mid-sync and mid-conversation, and SIGTERM mid-turn, are in
//! the marketplace and assistant suites; they report here too.)

mod gateway;
mod onboarding;
mod restarts;
mod sync;
mod webhooks;
