//! The assistant's language side: the versioned prompts it sends to Gemini and the
//! commands stage 1 answers with.
//!
//! # Layout
//! - [`prompts`] — the prompt files under `activities/prompts/<version>/`, rendered.
//! - [`commands`] — stage 1's JSON parsed into typed [`commands::Command`]s.
//! - [`booking`] — `CREATE_BOOKING`: check, then book once (api_id), or alternatives.
//! - [`changes`] — cancel, move or confirm the client's own visits.
//! - [`catalog`] — the salon's services, masters and hours from the synced tables.
//! - [`lookup`] — the read-only commands: prices, free times, a master's days.
//! - [`dates`] — «завтра», «в пятницу», «в 3 часа дня» in the salon's time zone.
//! - [`matching`] — services and masters found from inflected Russian names.
//! - [`synonyms`] — a salon's words for its services as its clients say them.
//! - [`usual`] — what a client usually books, from their past visits.

pub mod booking;
pub mod catalog;
pub mod changes;
pub mod commands;
pub mod dates;
pub mod lookup;
pub mod matching;
pub mod prompts;
pub mod synonyms;
pub mod usual;
