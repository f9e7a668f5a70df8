//! The console's session: `Authorization: Bearer <token>` from `POST /console/api/session`.
//! The salon is only ever read from the session, never from a request parameter; each
//! use pushes the session's expiry on (sliding).

use super::bearer::bearer;
use crate::error::ApiError;
use crate::state::AppState;
use ai_admin_activities::db::console_sessions::{self, ConsoleUser};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// The caller's console session.
#[derive(Clone)]
pub struct ConsoleAuth {
    /// Who the session lets in.
    pub user: ConsoleUser,
    /// The token presented (to end it on logout).
    pub token: String,
}

impl std::fmt::Debug for ConsoleAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a credential: never in a log line.
        f.debug_struct("ConsoleAuth")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// What the page shows when a session is missing or over: enter again from YClients.
pub const REENTER: &str = "Сеанс завершён: откройте AI Admin заново из личного кабинета YClients";

impl FromRequestParts<AppState> for ConsoleAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts)?.to_owned();
        match console_sessions::touch(&state.db, &token).await? {
            Some(user) => Ok(ConsoleAuth { user, token }),
            None => Err(ApiError::Unauthorized(REENTER.to_owned())),
        }
    }
}
