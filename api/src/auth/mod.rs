//! Who is calling: onboarding tokens (issued by the registration redirect, presented by
//! the owner's page), console sessions, the ops token, and YClients' signed `user_data`.

pub mod bearer;
pub mod console;
pub mod token;
pub mod user_data;

pub use bearer::{OnboardingAuth, OpsAuth};
pub use console::ConsoleAuth;
pub use token::{OnboardingClaims, TOKEN_TTL, TokenError, TokenKeys, TokenUser};
