//! In-repo simulators of the external HTTP APIs AI Admin calls. They are real HTTP
//! servers, so the code under test is always the real client; the demo uses them in
//! place of the real services, and `ai-admin simulate <name> --port N` runs one alone.
//!
//! # Layout
//! - [`yclients`] — the YClients API for seeded demo salons.
//! - [`gemini`] — Gemini's `generateContent`, answering Russian deterministically.
//! - [`serving`] — a simulator on a local port, until dropped.

pub mod gemini;
pub mod serving;
pub mod yclients;
