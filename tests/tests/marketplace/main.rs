//! Black-box tests of the marketplace flow against the real application, a real
//! PostgreSQL, a real Temporal dev server and the YClients simulator over HTTP.

mod activation_and_sync;
mod browser_console;
mod browser_onboarding;
mod console;
mod gateway_leases;
mod health;
mod live_channel;
mod moderation;
mod observability;
mod onboarding_page;
mod onboarding_workflow;
mod registration;
mod session_stores;
mod webhooks;
mod whatsapp_faults;
