//! AI Admin's Temporal workflow definitions. Deterministic code only: SDK timers and
//! `select!`, no I/O, no clock, no randomness; every side effect is an activity from
//! `ai-admin-activities`.
//!
//! # Layout
//! - [`ids`] — the deterministic workflow ids (`onboarding-<salon_id>`, …).
//! - [`search_attributes`] — `SalonId` and `IntegrationStatus`.
//! - [`onboarding`] — `onboarding-<salon_id>`.

pub mod ids;
pub mod onboarding;
pub mod search_attributes;
