//! The HTTP clients of the services we call, each behind a trait whose code under test is
//! the real implementation pointed at the in-repo simulator.
//!
//! # Layout
//! - [`yclients`] — the YClients (and Altegio) API: the trait, the reqwest client, the
//!   shared rate limiter, retries for callers outside Temporal.
//! - [`llm`] — the language model: Gemini, OpenAI-compatible providers, proxies and the
//!   fallback.
//! - [`http_answer`] — `Retry-After` and body snippets, read the same way by both.

pub mod http_answer;
pub mod llm;
pub mod yclients;
