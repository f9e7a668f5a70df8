//! What can go wrong calling Gemini, split by whether trying again can help.

use std::time::Duration;

/// A failed Gemini call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GeminiError {
    /// No answer within the client's timeout.
    #[error("Gemini did not answer within {0:?}")]
    Timeout(Duration),
    /// The connection failed (DNS, refused, reset).
    #[error("could not reach Gemini: {0}")]
    Transport(String),
    /// 429 `RESOURCE_EXHAUSTED`: over the quota for now.
    #[error("Gemini quota exceeded (429): {message}")]
    RateLimited {
        /// `Retry-After`, when sent.
        retry_after: Option<Duration>,
        /// `error.message`.
        message: String,
    },
    /// 5xx: Gemini failed on its side (500, 503 overloaded, 504).
    #[error("Gemini server error {status}: {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// `error.message` or the start of the body.
        message: String,
    },
    /// 400, 403, 404 and other 4xx: the request, the key or the model is wrong.
    #[error("Gemini rejected the request ({status}): {message}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// `error.message`.
        message: String,
    },
    /// An answer without text: blocked by safety filters, or cut before any output.
    #[error("Gemini gave no text (finish reason {0})")]
    NoText(String),
    /// A 2xx whose body is not the JSON we expect.
    #[error("Gemini answered something unexpected: {0}")]
    InvalidResponse(String),
}

impl GeminiError {
    /// Whether the same call may succeed later: timeouts, transport errors, 429, 5xx,
    /// and a 2xx whose body is broken (a model's output varies from call to call).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Timeout(_)
                | Self::Transport(_)
                | Self::RateLimited { .. }
                | Self::Server { .. }
                | Self::InvalidResponse(_)
        )
    }

    /// A short stable name for logs, metrics and Temporal failure types.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Timeout(_) => "gemini_timeout",
            Self::Transport(_) => "gemini_transport",
            Self::RateLimited { .. } => "gemini_rate_limited",
            Self::Server { .. } => "gemini_server_error",
            Self::Rejected { .. } => "gemini_rejected",
            Self::NoText(_) => "gemini_no_text",
            Self::InvalidResponse(_) => "gemini_invalid_response",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transient_failures_are_retryable() {
        let transient = [
            GeminiError::Timeout(Duration::from_secs(1)),
            GeminiError::Transport("refused".into()),
            GeminiError::RateLimited {
                retry_after: None,
                message: String::new(),
            },
            GeminiError::Server {
                status: 503,
                message: String::new(),
            },
            GeminiError::InvalidResponse("<html>".into()),
        ];
        let permanent = [
            GeminiError::Rejected {
                status: 400,
                message: String::new(),
            },
            GeminiError::NoText("SAFETY".into()),
        ];
        assert!(transient.iter().all(GeminiError::is_retryable));
        assert!(!permanent.iter().any(GeminiError::is_retryable));
    }
}
