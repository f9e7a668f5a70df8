//! The assistant's language side: the versioned prompts it sends to Gemini and the
//! commands stage 1 answers with.
//!
//! # Layout
//! - [`prompts`] — the prompt files under `activities/prompts/<version>/`, rendered.
//! - [`commands`] — stage 1's JSON parsed into typed [`commands::Command`]s.
//! - [`dates`] — «завтра», «в пятницу», «в 3 часа дня» in the salon's time zone.
//! - [`matching`] — services and masters found from inflected Russian names.

pub mod commands;
pub mod dates;
pub mod matching;
pub mod prompts;
