//! What can go wrong talking to YClients, split by whether trying again can help.

use std::time::Duration;

/// A failed YClients call. [`YClientsError::is_retryable`] tells callers (the
/// registration handler's retry loop, Temporal activity retry policies) whether a
/// second attempt may succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum YClientsError {
    /// No answer within the client's timeout.
    #[error("YClients did not answer within {0:?}")]
    Timeout(Duration),
    /// The connection failed (DNS, refused, reset).
    #[error("could not reach YClients: {0}")]
    Transport(String),
    /// 429: we are over YClients' rate limit.
    #[error("YClients rate limit hit (429), retry after {retry_after:?}")]
    RateLimited {
        /// The `Retry-After` YClients sent, if any.
        retry_after: Option<Duration>,
    },
    /// 5xx: YClients failed on its side.
    #[error("YClients server error {status}: {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// `meta.message` or the start of the body.
        message: String,
    },
    /// 404: the company (or record) does not exist.
    #[error("not found in YClients")]
    NotFound,
    /// 401/403: our partner token is wrong or lacks rights for this salon.
    #[error("YClients refused our credentials ({status}): {message}")]
    Unauthorized {
        /// HTTP status.
        status: u16,
        /// `meta.message`.
        message: String,
    },
    /// Any other 4xx: the request itself is wrong; repeating it will not help.
    #[error("YClients rejected the request ({status}): {message}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// `meta.message` or the joined `meta.errors`.
        message: String,
    },
    /// 422 with code 433: the time is taken (or outside the master's hours).
    #[error("the time is no longer free in YClients")]
    SlotTaken,
    /// A 2xx whose body is not the JSON envelope we expect (YClients sometimes answers
    /// with an HTML page).
    #[error("YClients answered something that is not its JSON envelope: {0}")]
    InvalidResponse(String),
}

impl YClientsError {
    /// Whether the same call may succeed later: timeouts, transport errors, 429 and 5xx.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Timeout(_) | Self::Transport(_) | Self::RateLimited { .. } | Self::Server { .. }
        )
    }

    /// A short stable name for logs, metrics and Temporal failure types.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Timeout(_) => "timeout",
            Self::Transport(_) => "transport",
            Self::RateLimited { .. } => "rate_limited",
            Self::Server { .. } => "server_error",
            Self::NotFound => "not_found",
            Self::Unauthorized { .. } => "unauthorized",
            Self::Rejected { .. } => "rejected",
            Self::SlotTaken => "slot_taken",
            Self::InvalidResponse(_) => "invalid_response",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transient_failures_are_retryable() {
        let transient = [
            YClientsError::Timeout(Duration::from_secs(1)),
            YClientsError::Transport("refused".into()),
            YClientsError::RateLimited { retry_after: None },
            YClientsError::Server {
                status: 503,
                message: String::new(),
            },
        ];
        let permanent = [
            YClientsError::NotFound,
            YClientsError::Unauthorized {
                status: 401,
                message: String::new(),
            },
            YClientsError::Rejected {
                status: 422,
                message: String::new(),
            },
            YClientsError::InvalidResponse("<html>".into()),
            YClientsError::SlotTaken,
        ];
        assert!(transient.iter().all(YClientsError::is_retryable));
        assert!(!permanent.iter().any(YClientsError::is_retryable));
    }
}
