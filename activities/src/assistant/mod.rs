//! The assistant's language side: the versioned prompts it sends to Gemini and the
//! commands stage 1 answers with.
//!
//! # Layout
//! - [`prompts`] — the prompt files under `activities/prompts/<version>/`, rendered.
//! - [`commands`] — stage 1's JSON parsed into typed [`commands::Command`]s.

pub mod commands;
pub mod prompts;
