//! The assistant's language side, pure (no database, no network): the versioned prompts
//! it sends to the language model, the commands stage 1 answers with, and the Russian
//! a client writes — dates, names of services and masters, a salon's own words. The
//! commands are run by [`crate::acts::conversation`].
//!
//! # Layout
//! - [`prompts`] — the prompt files under `activities/prompts/<version>/`, rendered.
//! - [`commands`] — stage 1's JSON parsed into typed [`commands::Command`]s.
//! - [`catalog`] — the salon's services, masters and working hours.
//! - [`dates`] — «завтра», «в пятницу», «в 3 часа дня» in the salon's time zone; days
//!   as replies name them.
//! - [`matching`] — services and masters found from inflected Russian names.
//! - [`synonyms`] — a salon's words for its services as its clients say them.
//! - [`usual`] — what a client usually books, from their past visits.

pub mod catalog;
pub mod commands;
pub mod dates;
pub mod matching;
pub mod prompts;
pub mod synonyms;
pub mod usual;
